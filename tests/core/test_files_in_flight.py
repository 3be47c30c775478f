"""How many files a transfer copies at once by default."""

from __future__ import annotations

from pathlib import Path

from fluke.local import LocalDir
from fluke.transfer._execute import SERVER_SIDE_FILES, _files_in_flight


def test_copies_the_service_makes_itself_run_more_at_once(tmp_path: Path) -> None:
    with LocalDir(str(tmp_path)) as src, LocalDir(str(tmp_path)) as dst:
        backend = src._session.backend
        same_service = _files_in_flight(backend, dst._session.backend)
    # local -> local shares a copy domain: twice the backends' 16, capped
    assert same_service == min(SERVER_SIDE_FILES, 2 * backend.capabilities.max_concurrency) == 32


def test_other_copies_run_at_most_16_at_once(tmp_path: Path) -> None:
    from fluke_memory.storage import MemoryDir  # a backend with no copy domain shared with local

    with LocalDir(str(tmp_path)) as src, MemoryDir("bucket", "x/", create_if_missing=True) as dst:
        streamed = _files_in_flight(src._session.backend, dst._session.backend)
    assert streamed == min(16, dst._session.backend.capabilities.max_concurrency)
    assert streamed < 32
