"""What Fluke 0.5.0 users rely on from ``AzureAuth`` (issue 16)."""

from __future__ import annotations

import pytest

from fluke.auth import AzureAuth

URL = "https://account.blob.core.windows.net"
SECRET = "client-secret-value"


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("tenant_id", (URL, "", "client", SECRET)),
        ("client_id", (URL, "tenant", "", SECRET)),
        ("client_secret", (URL, "tenant", "client", "")),
    ],
)
def test_an_empty_string_is_a_value_error_naming_the_parameter(
    name: str, args: tuple[str, str, str, str]
) -> None:
    """Not ``TypeError: ... not str`` (the value *is* a str): it is empty."""
    with pytest.raises(ValueError, match=f"^{name} is empty") as raised:
        AzureAuth.from_service_principal(*args)
    assert not isinstance(raised.value, TypeError)
    assert SECRET not in str(raised.value)


def test_a_blank_secret_is_named_too() -> None:
    with pytest.raises(ValueError, match="^client_secret is only whitespace"):
        AzureAuth.from_service_principal(URL, "tenant", "client", "   ")


def test_a_non_string_is_still_a_type_error() -> None:
    with pytest.raises(TypeError, match="tenant_id"):
        AzureAuth.from_service_principal(URL, None, "client", SECRET)  # type: ignore[arg-type]


def test_get_credentials_is_0_5_0s() -> None:
    auth = AzureAuth.from_service_principal(URL, "tenant", "client", SECRET)
    assert auth.get_credentials() == {
        "account_url": URL,
        "tenant_id": "tenant",
        "client_id": "client",
        "client_secret": SECRET,
    }
