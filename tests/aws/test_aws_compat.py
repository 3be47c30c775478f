"""What Fluke 0.5.0 users rely on from ``AWSAuth`` (issue 16)."""

from __future__ import annotations

import pytest

from fluke.auth import AWSAuth

KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("aws_access_key_id", {"aws_access_key_id": "", "aws_secret_access_key": SECRET}),
        ("aws_secret_access_key", {"aws_access_key_id": KEY_ID, "aws_secret_access_key": ""}),
        (
            "aws_session_token",
            {"aws_access_key_id": KEY_ID, "aws_secret_access_key": SECRET, "aws_session_token": ""},
        ),
        ("region", {"aws_access_key_id": KEY_ID, "aws_secret_access_key": SECRET, "region": ""}),
    ],
)
def test_an_empty_string_is_a_value_error_naming_the_parameter(
    name: str, kwargs: dict[str, str]
) -> None:
    """Not ``TypeError: ... not str`` (the value *is* a str): it is empty."""
    with pytest.raises(ValueError, match=f"^{name} is empty") as raised:
        AWSAuth(**kwargs)  # type: ignore[arg-type]
    assert not isinstance(raised.value, TypeError)
    assert SECRET not in str(raised.value) and KEY_ID not in str(raised.value)


def test_a_non_string_is_still_a_type_error() -> None:
    with pytest.raises(TypeError, match="aws_secret_access_key must be a str or None, not int"):
        AWSAuth(KEY_ID, 12345)  # type: ignore[arg-type]


def test_get_credentials_is_0_5_0s() -> None:
    """0.5.0's four keys (``None`` where not given, as 0.5.0 returned them)."""
    auth = AWSAuth(KEY_ID, SECRET, region=AWSAuth.Region.EUROPE_WEST_1)
    assert auth.get_credentials() == {
        "aws_access_key_id": KEY_ID,
        "aws_secret_access_key": SECRET,
        "aws_session_token": None,
        "region_name": "eu-west-1",
    }
