"""The getting-started guide's example end to end against moto and sshd (``nox -s demo``)."""

from __future__ import annotations

import sys
from pathlib import Path

import servers

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "demo"))

import seed_example  # noqa: E402


def test_seed_example_moves_exactly_the_flagged_files(
    moto_endpoint: str, sshd: servers.SSHServer, sftp_area: str
) -> None:
    result = seed_example.run(moto_endpoint, sshd, f"{sftp_area}/dir")
    assert sorted(result.received) == sorted(seed_example.FILES)
    flagged = [key for key, (_, flag) in seed_example.FILES.items() if flag == "True"]
    assert sorted(result.transferred) == sorted(flagged)
    assert result.skipped == ["incoming/scratch.tmp"]
    assert sorted(result.remote_listing) == sorted(key.rsplit("/", 1)[-1] for key in flagged)
