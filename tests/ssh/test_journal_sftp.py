"""Issue 11: a local -> SFTP transfer SIGKILLed mid-copy resumes and leaves no ``.fluke-part``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import TYPE_CHECKING

from fluke.storage import LocalDir, RemoteDir

if TYPE_CHECKING:
    from servers import SSHServer

    from fluke.auth import RemoteAuth

FILES, SIZE = 24, 3 * 1024 * 1024

CHILD = textwrap.dedent(
    """
    import sys
    from fluke.auth import RemoteAuth
    from fluke.storage import LocalDir, RemoteDir
    host, user, key, port, known_hosts, src, dst, journal = sys.argv[1:9]
    auth = RemoteAuth.from_key(host, user, key, port=int(port), known_hosts=known_hosts,
                               ssh_config=False)
    with LocalDir(src) as source, RemoteDir(auth, dst, create_if_missing=True) as target:
        source.transfer_to(target, recursively=True, suppress_output=True, journal=journal,
                           max_workers=2, chunk_size=256 * 1024)
    """
)


def _parts(root: str) -> list[str]:
    return [name for _, _, names in os.walk(root) for name in names if "fluke-part" in name]


def _finished(root: str) -> dict[str, bytes]:
    return {
        os.path.relpath(os.path.join(folder, name), root): Path(folder, name).read_bytes()
        for folder, _, names in os.walk(root)
        for name in names
        if "fluke-part" not in name
    }


def _settled(root: str) -> dict[str, bytes]:
    """The finished files once the server's side of the killed sessions is done too.

    sshd's sftp-server may still carry out a rename the client sent just
    before it died.
    """
    seen = _finished(root)
    while True:
        time.sleep(0.5)
        now = _finished(root)
        if now.keys() == seen.keys():
            return now
        seen = now


def _kill_mid_copy(sshd: SSHServer, src: Path, area: str, journal: Path) -> None:
    """Start the copy in a child process and SIGKILL it while a file is in flight."""
    args = [sshd.host, sshd.username, str(sshd.client_keys["ed25519"]), str(sshd.port)]
    args += [str(sshd.known_hosts), str(src), area, str(journal)]
    child = subprocess.Popen([sys.executable, "-c", CHILD, *args], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    try:
        while not (_parts(area) and _finished(area)) and child.poll() is None:
            assert time.monotonic() < deadline, "no copy started"
            time.sleep(0.005)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        assert child.stderr is not None
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL


def test_killed_mid_copy_resumes_without_leftovers(
    auth: RemoteAuth, sshd: SSHServer, area: str, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    for index in range(FILES):
        path = src / f"d{index % 3}" / f"f{index:02d}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(SIZE))
    for attempt in range(3):  # a kill can land just after a file's rename: try again
        area_now = f"{area}/run{attempt}"
        journal = tmp_path / f"job{attempt}.sqlite"
        _kill_mid_copy(sshd, src, area_now, journal)
        if _parts(area_now):
            break
    assert _parts(area_now), "three kills came too late to leave a temporary file"
    area = area_now
    before = _settled(area)
    assert len(before) < FILES
    with LocalDir(str(src)) as source, RemoteDir(auth, area) as target:
        report = source.transfer_to(
            target, recursively=True, suppress_output=True, journal=str(journal)
        )
    assert report, [str(outcome.error) for outcome in report.failed]
    assert report.counts["transferred"] == FILES - len(before)
    assert report.counts["skipped"] == len(before)
    assert _parts(area) == []
    expected = {str(path.relative_to(src)): path.read_bytes() for path in src.rglob("*.bin")}
    assert _finished(area) == expected
