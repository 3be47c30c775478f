"""Issue 13 on the local queue: what the conformance suite cannot say for every backend.

(The shared behaviour — ack/nack/extend/lease, dead letters, claim-check — is
in :mod:`fluke.testing._lifecycle_suite`, run by ``test_conformance.py``.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fluke.exceptions import LeaseLostError
from fluke.localqueue import OFFLOAD_THRESHOLD_BYTES, LocalQueue
from fluke.storage import LocalDir


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fluke", *args], capture_output=True, text=True, timeout=60
    )


def test_cli_queue_redrive(tmp_path: Path) -> None:
    path = str(tmp_path / "q.db")
    poison = LocalQueue(path, "jobs-poison")
    other = LocalQueue(path, "parked")
    for text in ("a", "b"):
        assert poison.push(text, suppress_output=True)
    assert other.push("c", suppress_output=True)
    url = f"localq://{path}?queue=jobs"
    done = run("queue", "redrive", "--json", url)  # default: from jobs-poison
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"redriven": 2, "from": "jobs-poison"}
    done = run("queue", "redrive", url, "--from", f"localq://{path}?queue=parked")
    assert done.returncode == 0 and "redrove 1" in done.stdout
    jobs = LocalQueue(path, "jobs")
    assert sorted(jobs.peek()) == ["a", "b", "c"]
    assert poison.count() == 0 and other.count() == 0


def test_ack_after_someone_else_received_it_is_lease_lost(tmp_path: Path) -> None:
    queue = LocalQueue(str(tmp_path / "q.db"), "q")
    assert queue.push("contended", suppress_output=True)
    (first,) = queue.receive(1, visibility_timeout=0)  # expires at once
    (second,) = queue.receive(1, visibility_timeout=30)
    with pytest.raises(LeaseLostError, match="contended|lease is lost"):
        first.ack()
    assert first.settled == "lost"
    second.ack()
    assert queue.count() == 0


def test_local_queue_without_large_payloads_keeps_any_size(tmp_path: Path) -> None:
    queue = LocalQueue(str(tmp_path / "q.db"), "q")
    text = "x" * (OFFLOAD_THRESHOLD_BYTES + 1)
    assert queue.push(text, suppress_output=True)  # as before issue 13: no limit
    (message,) = queue.receive()
    assert message.body == text and message.raw_body == text


def test_local_threshold_is_256_kib(tmp_path: Path) -> None:
    payloads = tmp_path / "payloads"
    payloads.mkdir()
    queue = LocalQueue(str(tmp_path / "q.db"), "q", large_payloads=LocalDir(str(payloads)))
    assert queue.push("y" * OFFLOAD_THRESHOLD_BYTES, suppress_output=True)
    assert os.listdir(payloads) == []  # at the threshold: sent as is
    assert queue.push("y" * (OFFLOAD_THRESHOLD_BYTES + 1), suppress_output=True)
    assert len(os.listdir(payloads)) == 1
