"""AzureAuth on Azurite: every way to authenticate, and secrets never shown."""

from __future__ import annotations

import base64
import logging
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from fluke.exceptions import FlukeError
from fluke_azure._connstr import DEV_ACCOUNT_KEY, parse
from fluke_azure._errors import AzureStorageError
from fluke_azure._redact import RedactedValueError, redact
from fluke_azure.auth import AzureAuth
from fluke_azure.queue import AzureStorageQueue
from fluke_azure.storage import AzureBlobDir

ACCOUNT = "devstoreaccount1"
WRONG_KEY = base64.b64encode(b"not the right key, but a valid one" * 2).decode()
CLIENT_SECRET = "s3cr3t-client-secret-value"


def _account_sas(permissions: str = "rwdlacup") -> str:
    from azure.storage.blob import AccountSasPermissions, ResourceTypes, generate_account_sas

    return str(
        generate_account_sas(
            ACCOUNT,
            DEV_ACCOUNT_KEY,
            resource_types=ResourceTypes(service=True, container=True, object=True),
            permission=AccountSasPermissions.from_string(permissions),
            expiry=datetime.now(timezone.utc) + timedelta(hours=1),
        )
    )


def _queue_sas() -> str:
    from azure.storage.queue import AccountSasPermissions, ResourceTypes, generate_account_sas

    return str(
        generate_account_sas(
            ACCOUNT,
            DEV_ACCOUNT_KEY,
            resource_types=ResourceTypes(service=True, container=True, object=True),
            permission=AccountSasPermissions(read=True, write=True, add=True, process=True),
            expiry=datetime.now(timezone.utc) + timedelta(hours=1),
        )
    )


def _signature(sas: str) -> str:
    return next(part[4:] for part in sas.split("&") if part.startswith("sig="))


# -- connection strings ----------------------------------------------------------


def test_development_storage_connection_string() -> None:
    auth = AzureAuth.from_conn_string("UseDevelopmentStorage=true")
    assert auth.blob_url == f"http://127.0.0.1:10000/{ACCOUNT}"
    assert auth.queue_url == f"http://127.0.0.1:10001/{ACCOUNT}"
    assert auth.get_account_name() == ACCOUNT
    assert auth.get_credentials() == {"conn_string": "UseDevelopmentStorage=true"}
    proxied = parse("UseDevelopmentStorage=true;DevelopmentStorageProxyUri=http://ipv4.fiddler")
    assert proxied.blob_url == f"http://ipv4.fiddler:10000/{ACCOUNT}"


def test_cloud_connection_string_is_parsed() -> None:
    settings = parse(
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.windows.net"
    )
    assert settings.blob_url == "https://acct.blob.core.windows.net"
    assert settings.queue_url == "https://acct.queue.core.windows.net"
    assert settings.account_key == "a2V5"


def test_explicit_endpoints_connection_string_works(auth: AzureAuth, container: str) -> None:
    with AzureBlobDir(auth, container) as root:
        assert root.count() == 0
    assert auth.get_account_name() == ACCOUNT


def test_malformed_connection_string_hides_the_key() -> None:
    with pytest.raises(RedactedValueError) as caught:
        AzureAuth.from_conn_string(f"AccountName=x;AccountKey={WRONG_KEY};garbage")
    assert WRONG_KEY not in str(caught.value)
    with pytest.raises(RedactedValueError):
        AzureAuth.from_conn_string(";;")


# -- other ways to authenticate, live ---------------------------------------------


def test_account_key(azurite: dict[str, str], container: str, container_client: Any) -> None:
    container_client.upload_blob("k.txt", b"key")
    auth = AzureAuth.from_account_key(azurite["blob"], DEV_ACCOUNT_KEY, queue_url=azurite["queue"])
    assert auth.get_account_name() == ACCOUNT
    with AzureBlobDir(auth, container) as root:
        assert root.get_file("k.txt").read() == b"key"


def test_sas_token(
    azurite: dict[str, str], container: str, container_client: Any, queue_name: str
) -> None:
    container_client.upload_blob("s/one.txt", b"sas", metadata={"m": "1"})
    sas = _account_sas()
    auth = AzureAuth.from_sas_token(azurite["blob"], "?" + sas, queue_url=azurite["queue"])
    with AzureBlobDir(auth, container) as root:
        assert root.get_contents(recursively=True) == ["s/one.txt"]
        with AzureBlobDir(auth, container, "t", create_if_missing=True) as dst:
            assert root.get_subdir("s").transfer_to(dst, suppress_output=True)  # server side
            assert dst.get_file("one.txt").read() == b"sas"
    queue_auth = AzureAuth.from_sas_token(azurite["blob"], _queue_sas(), queue_url=azurite["queue"])
    with AzureStorageQueue(queue_auth, queue_name) as queue:
        assert queue.push("via sas", suppress_output=True)
        assert queue.peek() == ["via sas"]
    assert _signature(sas) not in repr(auth)


def test_service_principal_and_default_credential_build_without_network() -> None:
    sp = AzureAuth.from_service_principal(
        "https://acct.blob.core.windows.net", "tenant", "client", CLIENT_SECRET
    )
    assert sp.get_account_name() == "acct"
    assert sp.queue_url == "https://acct.queue.core.windows.net"
    assert sp.get_credentials() == {
        "account_url": "https://acct.blob.core.windows.net",
        "tenant_id": "tenant",
        "client_id": "client",
        "client_secret": CLIENT_SECRET,
    }
    assert CLIENT_SECRET not in repr(sp) and CLIENT_SECRET not in str(sp)
    default = AzureAuth.from_default_credential("https://other.blob.core.windows.net/")
    assert default.get_account_name() == "other"
    assert default.get_credentials() == {"account_url": "https://other.blob.core.windows.net/"}
    with pytest.raises(RedactedValueError, match="not an http"):
        AzureAuth.from_default_credential("ftp://nope")
    with pytest.raises(ValueError, match="client_secret is empty"):
        AzureAuth.from_service_principal("https://a.blob.core.windows.net", "t", "c", "")


# -- secrets never shown -----------------------------------------------------------


def test_repr_and_str_hide_secrets(conn_string: str, azurite: dict[str, str]) -> None:
    sas = _account_sas()
    auths = [
        AzureAuth.from_conn_string(conn_string),
        AzureAuth.from_account_key(azurite["blob"], DEV_ACCOUNT_KEY),
        AzureAuth.from_sas_token(azurite["blob"], sas),
        AzureAuth.from_conn_string(f"BlobEndpoint={azurite['blob']};SharedAccessSignature={sas}"),
    ]
    for auth in auths:
        for text in (repr(auth), str(auth), f"{auth}", repr([auth])):
            assert DEV_ACCOUNT_KEY not in text
            assert _signature(sas) not in text
            assert "sig=" not in text


def test_auth_failures_hide_secrets(
    azurite: dict[str, str], container: str, queue_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = AzureAuth.from_account_key(azurite["blob"], WRONG_KEY, queue_url=azurite["queue"])
    with pytest.raises(AzureStorageError) as caught:
        AzureBlobDir(wrong, container)
    assert caught.value.status_code == 403
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    bad_sas = _account_sas().replace("sig=", "sig=AAAA")
    forged = AzureAuth.from_sas_token(azurite["blob"], bad_sas, queue_url=azurite["queue"])
    with pytest.raises(FlukeError) as forged_error:
        AzureBlobDir(forged, container)
    with AzureStorageQueue(wrong, queue_name) as queue:
        assert not queue.push("never delivered", suppress_output=True)
    texts = [str(caught.value), str(forged_error.value), caplog.text]
    for text in texts:
        assert WRONG_KEY not in text
        assert _signature(bad_sas) not in text
        assert DEV_ACCOUNT_KEY not in text


def test_redact_patterns() -> None:
    text = (
        "https://a.blob.core.windows.net/c/b?sv=2024&sig=abc%2Bdef&se=x "
        "AccountKey=c2VjcmV0;SharedAccessSignature=sv=1&sig=zzz "
        "The MAC signature found in the HTTP request 'QUJD' is not the same"
    )
    cleaned = redact(text, ["extra-secret"])
    for secret in ("abc%2Bdef", "c2VjcmV0", "zzz", "QUJD"):
        assert secret not in cleaned
    assert redact("has extra-secret inside", ["extra-secret"]) == "has *** inside"


# -- plugin wiring ------------------------------------------------------------------


def test_names_resolve_through_fluke() -> None:
    from fluke.auth import AzureAuth as PublicAuth
    from fluke.queues import AzureStorageQueue as PublicQueue
    from fluke.storage import AzureBlobDir as PublicDir
    from fluke.storage import AzureBlobFile as PublicFile

    assert PublicAuth is AzureAuth
    assert PublicDir is AzureBlobDir and PublicQueue is AzureStorageQueue
    assert PublicFile.__name__ == "AzureBlobFile"


def test_discovery_imports_no_sdk() -> None:
    code = (
        "import sys, fluke._plugins as p; p.registry(); import fluke_azure.plugin; "
        "assert 'AzureBlobDir' in p.registry().names('storage'); "
        "bad = [m for m in sys.modules if m.startswith('azure')]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
