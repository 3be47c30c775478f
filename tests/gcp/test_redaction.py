"""Secrets in gs:// URLs never reach errors or tracebacks (issue 17, finding 9)."""

from __future__ import annotations

import traceback

import pytest

import fluke
from fluke.exceptions import InvalidPathError
from fluke_gcp.auth import GCPAuth

SECRET = "PW-s3cr3t"


@pytest.mark.parametrize(
    ("kind", "url"),
    [
        ("dir", f"gs://u:{SECRET}@bucket-name/x"),
        ("file", f"gs://u:{SECRET}@bucket-name/x.txt"),
        ("dir", f"gs://u:{SECRET}@/x"),
    ],
)
def test_userinfo_is_refused_and_hidden(kind: str, url: str) -> None:
    """Refused before credentials are looked for or any request is sent."""
    auth = GCPAuth.for_emulator("http://127.0.0.1:9", project_id="test")
    with pytest.raises(InvalidPathError, match="user name or password") as caught:
        getattr(fluke, kind)(url, auth=auth)
    error = caught.value
    assert SECRET not in str(error)
    assert SECRET not in repr(error)
    assert SECRET not in "".join(traceback.format_exception(error))
    assert "gs://***@" in str(error)
