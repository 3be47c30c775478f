"""Secrets in URLs never reach errors, reprs or tracebacks (issue 17, finding 9: core schemes).

Each case checks the exception's ``str``, its ``repr`` and the whole
``traceback.format_exception`` text, chained exceptions included.
"""

from __future__ import annotations

import traceback
from pathlib import Path

import pytest

import fluke
from fluke._urls import redact_url, scrub_exception, url_secrets
from fluke.exceptions import InvalidPathError

SECRET = "PW-s3cr3t"


def assert_clean(error: BaseException) -> None:
    text = "".join(traceback.format_exception(error))
    assert SECRET not in str(error)
    assert SECRET not in repr(error)
    assert SECRET not in text
    assert "***" in str(error)


@pytest.mark.parametrize(
    ("kind", "url"),
    [
        ("dir", f"file://u:{SECRET}@/tmp/x"),
        ("file", f"file://u:{SECRET}@localhost/tmp/x"),
        ("queue", f"localq://u:{SECRET}@/tmp/fluke-never.db?queue=q"),
        ("dir", f"nope://host/x?sig={SECRET}"),
        ("dir", f"nope://u:{SECRET}@host/x"),
        ("dir", f"file://u:{SECRET}@host:notaport/x"),
    ],
)
def test_url_errors_hide_secrets(kind: str, url: str) -> None:
    opener = getattr(fluke, kind)
    with pytest.raises(InvalidPathError) as caught:
        opener(url)
    assert_clean(caught.value)


def test_userinfo_is_refused_and_nothing_is_created(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    with pytest.raises(InvalidPathError, match="user name or password"):
        fluke.queue(f"localq://u:{SECRET}@{db}?queue=q")
    assert not db.exists()


def test_redact_url_masks_passwords_and_signatures() -> None:
    assert redact_url(f"sftp://me:{SECRET}@host/p") == "sftp://me:***@host/p"
    assert redact_url(f"s3://u:{SECRET}@b/k", keep_user=False) == "s3://***@b/k"
    assert redact_url(f"az://c/k?sv=2024&sig={SECRET}&se=1") == "az://c/k?sv=2024&sig=***&se=1"
    assert SECRET not in redact_url(f"https://h/k?X-Amz-Signature={SECRET}")
    assert SECRET not in redact_url(f"gs://b/k?token={SECRET}")
    assert redact_url("sftp://me@host/p") == "sftp://me@host/p"
    # malformed URLs are redacted too, and plain paths are left alone
    assert SECRET not in redact_url(f"s3://u:{SECRET}@[bad/k")
    assert redact_url("dir/a%41.txt?sig=x") == "dir/a%41.txt?sig=x"


def test_url_secrets_lists_raw_and_decoded_values() -> None:
    found = url_secrets("sftp://me:p%40ss-word@host/?sig=abcd%2Bef")
    assert set(found) == {"p%40ss-word", "p@ss-word", "abcd%2Bef", "abcd+ef"}
    assert url_secrets("plain/path?sig=abcdef") == ()


def _chained(style: str) -> BaseException:
    try:
        try:
            raise OSError(f"cannot reach u:{SECRET}@host")
        except OSError as inner:
            if style == "cause":
                raise ValueError(f"open failed for {SECRET}") from inner
            if style == "from None":
                raise ValueError("open failed") from None
            raise ValueError("open failed")  # noqa: B904 - the implicit context is the case
    except ValueError as error:
        return error


@pytest.mark.parametrize("style", ["cause", "context", "from None"])
def test_scrub_exception_cleans_the_whole_chain(style: str) -> None:
    error = _chained(style)
    assert scrub_exception(error, [SECRET])
    assert SECRET not in "".join(traceback.format_exception(error))
    # even a suppressed context (hidden from tracebacks) is rid of the secret
    context = error.__context__
    assert context is None or SECRET not in str(context)


def test_scrub_exception_cuts_a_chained_error_it_cannot_clean() -> None:
    class Stubborn(Exception):
        def __str__(self) -> str:
            return f"always {SECRET}"

    try:
        try:
            raise Stubborn()
        except Stubborn as inner:
            raise ValueError("outer") from inner
    except ValueError as error:
        assert scrub_exception(error, [SECRET])
        assert error.__cause__ is None
        assert SECRET not in "".join(traceback.format_exception(error))
