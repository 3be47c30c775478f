"""The S3-notifications demo end to end against moto and sshd (``nox -s demo`` runs it too)."""

from __future__ import annotations

import sys
from pathlib import Path

import servers

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "demo"))

import s3_events_example  # noqa: E402


def test_s3_events_example_moves_exactly_the_flagged_files(
    moto_endpoint: str, sshd: servers.SSHServer, sftp_area: str
) -> None:
    result = s3_events_example.run(moto_endpoint, sshd, f"{sftp_area}/events")
    files = s3_events_example.FILES
    assert sorted(result.events) == sorted(files)
    flagged = [key for key, (_, flag) in files.items() if flag == "True"]
    assert sorted(result.transferred) == sorted(flagged)
    assert result.skipped == ["incoming/scratch.tmp"]
    assert sorted(result.remote_listing) == sorted(key.rsplit("/", 1)[-1] for key in flagged)
