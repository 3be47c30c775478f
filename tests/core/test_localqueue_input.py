"""LocalQueue refuses a bad visibility timeout when it is built (issue 17, finding 16)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fluke.localqueue import LocalQueue


@pytest.mark.parametrize(
    ("timeout", "error"),
    [(-5, ValueError), ("x", TypeError), (True, TypeError), (1.5, TypeError), (None, TypeError)],
)
def test_bad_visibility_timeout_is_refused(tmp_path: Path, timeout: object, error: type) -> None:
    with pytest.raises(error, match="visibility_timeout") as caught:
        LocalQueue(str(tmp_path / "q.db"), "jobs", visibility_timeout=timeout)  # type: ignore[arg-type]
    assert repr(timeout) in str(caught.value)
    assert not (tmp_path / "q.db").exists()  # refused before the file was created


def test_zero_visibility_timeout_redelivers_at_once(tmp_path: Path) -> None:
    with LocalQueue(str(tmp_path / "q.db"), "jobs", visibility_timeout=0) as queue:
        assert queue.push("one", suppress_output=True)
        with pytest.raises(RuntimeError):
            for _batch in queue.poll(suppress_output=True):
                raise RuntimeError("processing failed")
        assert queue.peek() == ["one"]  # visible again without waiting
