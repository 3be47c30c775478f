"""Issue 18: Azure's error codes become errors a user can act on (Azurite, real HTTP)."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from fluke.exceptions import (
    AuthenticationError,
    ContainerNotFoundError,
    InvalidPathError,
    PathNotFoundError,
    PermissionDeniedError,
)
from fluke_azure._connstr import DEV_ACCOUNT_KEY
from fluke_azure._errors import AzureStorageError
from fluke_azure.auth import AzureAuth
from fluke_azure.blob import AzureBlobBackend
from fluke_azure.storage import AzureBlobDir, AzureBlobFile

ACCOUNT = "devstoreaccount1"
WRONG_KEY = base64.b64encode(b"a well-formed account key, but the wrong one").decode()


def _read_only_sas() -> str:
    from azure.storage.blob import AccountSasPermissions, ResourceTypes, generate_account_sas

    return str(
        generate_account_sas(
            ACCOUNT,
            DEV_ACCOUNT_KEY,
            resource_types=ResourceTypes(service=True, container=True, object=True),
            permission=AccountSasPermissions(read=True, list=True),
            expiry=datetime.now(timezone.utc) + timedelta(hours=1),
        )
    )


def test_a_wrong_account_key_is_a_refusal_not_a_missing_container(
    azurite: dict[str, str], container: str
) -> None:
    """Azure answers ``AuthenticationFailed``; Azurite ``AuthorizationFailure``."""
    wrong = AzureAuth.from_account_key(azurite["blob"], WRONG_KEY)
    with pytest.raises(PermissionDeniedError, match=container) as caught:
        AzureBlobDir(wrong, container)
    error = caught.value
    assert isinstance(error, PermissionError) and isinstance(error, AzureStorageError)
    assert not isinstance(error, (ContainerNotFoundError, FileNotFoundError))
    assert error.status_code == 403
    assert error.error_code in ("AuthenticationFailed", "AuthorizationFailure")
    assert WRONG_KEY not in str(error) and DEV_ACCOUNT_KEY not in str(error)
    assert error.__cause__ is None  # the SDK's text can carry a signature


def test_authentication_failed_is_an_authentication_error() -> None:
    """The code real Azure sends for a wrong key or an expired SAS (no live service)."""
    from azure.core.exceptions import ClientAuthenticationError
    from azure.core.rest import HttpRequest

    from fluke_azure._errors import convert

    class Response:
        status_code = 403
        reason = "Server failed to authenticate the request."
        headers = {"x-ms-error-code": "AuthenticationFailed"}
        request = HttpRequest("GET", "https://acct.blob.core.windows.net/c?sig=SECRETSIG")

        def text(self) -> str:
            return "The MAC signature found in the HTTP request 'SECRETMAC' is not the same"

    error = convert(
        ClientAuthenticationError(response=Response()),  # type: ignore[arg-type]
        "Reading container 'c'",
        path="container 'c'",
    )
    assert isinstance(error, AuthenticationError) and isinstance(error, AzureStorageError)
    assert error.error_code == "AuthenticationFailed"
    assert "check the credentials" in str(error) and "container 'c'" in str(error)
    assert "SECRET" not in str(error)


def test_a_wrong_key_reading_a_blob_names_the_blob(
    azurite: dict[str, str], container: str, container_client: Any
) -> None:
    container_client.upload_blob("d/a.txt", b"a")
    wrong = AzureAuth.from_account_key(azurite["blob"], WRONG_KEY)
    with pytest.raises(PermissionDeniedError, match="d/a.txt"):
        AzureBlobFile(wrong, container, "d/a.txt")


def test_a_read_only_sas_writing_is_permission_denied(
    azurite: dict[str, str], container: str, container_client: Any
) -> None:
    container_client.upload_blob("r/a.txt", b"readable")
    sas = _read_only_sas()
    auth = AzureAuth.from_sas_token(azurite["blob"], sas)
    with AzureBlobDir(auth, container) as root:
        assert root.get_file("r/a.txt").read() == b"readable"
    backend = AzureBlobBackend(auth, container)
    try:
        writer = backend.open_writer("w/b.txt")
        writer.write(b"refused")
        with pytest.raises(PermissionError, match="w/b.txt") as caught:
            writer.commit()
    finally:
        backend.close()
    assert isinstance(caught.value, PermissionDeniedError)
    assert not isinstance(caught.value, AuthenticationError)
    assert caught.value.error_code == "AuthorizationPermissionMismatch"
    assert sas not in str(caught.value) and "sig=" not in str(caught.value)


def test_a_missing_blob_is_file_not_found_and_invalid_path(auth: AzureAuth, container: str) -> None:
    with pytest.raises(FileNotFoundError, match="missing.txt") as caught:
        AzureBlobFile(auth, container, "missing.txt")
    assert isinstance(caught.value, InvalidPathError)
    assert isinstance(caught.value, PathNotFoundError)


def test_a_missing_container_is_file_not_found(auth: AzureAuth) -> None:
    with pytest.raises(ContainerNotFoundError) as caught:
        AzureBlobDir(auth, "no-such-container-here")
    assert isinstance(caught.value, FileNotFoundError)
