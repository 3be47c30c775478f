"""Secrets in az://, azq://, abfss:// URLs and in Azure settings never reach errors (issue 17, #9).

Each case checks the exception's ``str``, its ``repr`` and the whole
``traceback.format_exception`` text, chained exceptions included.
"""

from __future__ import annotations

import traceback

import pytest

import fluke
from fluke.exceptions import InvalidPathError
from fluke_azure._redact import RedactedValueError
from fluke_azure.auth import AzureAuth

SECRET = "PW-s3cr3t"


def assert_clean(error: BaseException) -> None:
    assert SECRET not in str(error)
    assert SECRET not in repr(error)
    assert SECRET not in "".join(traceback.format_exception(error))


@pytest.mark.parametrize(
    ("kind", "url"),
    [
        ("dir", f"az:///?sv=2024-01-01&sig={SECRET}"),
        ("file", f"az:///?sig={SECRET}"),
        ("queue", f"azq:///?sig={SECRET}"),
        ("queue", f"azure-queue:///?se=1&sig={SECRET}"),
        ("dir", f"az://u:{SECRET}@{{container}}/x"),
        ("queue", f"azq://u:{SECRET}@{{queue}}"),
    ],
)
def test_url_errors_hide_secrets(
    kind: str, url: str, auth: AzureAuth, container: str, queue_name: str
) -> None:
    with pytest.raises(InvalidPathError) as caught:
        getattr(fluke, kind)(url.format(container=container, queue=queue_name), auth=auth)
    assert_clean(caught.value)


def test_abfss_password_is_refused_before_the_account_check(
    auth: AzureAuth, container: str
) -> None:
    """The account-mismatch error used to quote ``abfss://c:PW@...``."""
    url = f"abfss://{container}:{SECRET}@otheraccount.dfs.core.windows.net/x"
    with pytest.raises(InvalidPathError, match="password") as caught:
        fluke.dir(url, auth=auth)
    assert_clean(caught.value)
    assert "otheraccount.dfs.core.windows.net" in str(caught.value)


def test_malformed_connection_string_part_is_not_quoted() -> None:
    """A part without ``=`` may be a pasted key: the message gives its position only."""
    with pytest.raises(RedactedValueError) as caught:
        AzureAuth.from_conn_string(f"AccountName=acct;{SECRET}")
    assert_clean(caught.value)
    assert "part 2 of 2" in str(caught.value)


@pytest.mark.parametrize(
    "conn_string",
    [
        f"AccountName=acct;AccountKey=a2V5;BlobEndpoint=https://u:{SECRET}@acct.example/",
        f"AccountName=acct;QueueEndpoint=https://u:{SECRET}@acct.example/;SharedAccessSignature=x",
        f"UseDevelopmentStorage=true;DevelopmentStorageProxyUri=http://u:{SECRET}@proxy",
    ],
)
def test_connection_string_endpoint_with_userinfo(conn_string: str) -> None:
    with pytest.raises(RedactedValueError, match="user name or password") as caught:
        AzureAuth.from_conn_string(conn_string)
    assert_clean(caught.value)


@pytest.mark.parametrize(
    "account_url",
    [
        f"https://u:{SECRET}@acct.blob.core.windows.net",
        f"ftp://u:{SECRET}@acct.blob.core.windows.net",
        f"https://u:{SECRET}@acct.blob.core.windows.net:notaport",
    ],
)
def test_account_url_with_userinfo(account_url: str, azurite: dict[str, str]) -> None:
    builders = [
        lambda: AzureAuth.from_account_key(account_url, "a2V5"),
        lambda: AzureAuth.from_sas_token(account_url, "sv=1&sig=abc"),
        lambda: AzureAuth.from_default_credential(account_url),
        lambda: AzureAuth.from_service_principal(account_url, "tenant", "client", "secret"),
    ]
    for build in builders:
        with pytest.raises(RedactedValueError) as caught:
            build()
        assert_clean(caught.value)
