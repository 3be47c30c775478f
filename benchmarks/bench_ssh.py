"""fluke-ssh benchmarks against one real OpenSSH sshd, side by side in one run.

Upload and download of one big file (256 MiB) and of 500 files of 16 KiB, by
Fluke, by OpenSSH's ``sftp -b`` (the physical anchor), by rclone (remote type
``sftp``, when installed) and by the original Fluke 0.5.0 (when a venv with
``fluke-api==0.5.0`` is given in ``FLUKE_05_PYTHON``; it is slow, so it moves
a ``FLUKE_BENCH_OLD_MIB`` file, 16 MiB by default). Prints MB/s and the ratio
Fluke / OpenSSH (higher is better; the target is >= 0.6).

``FLUKE_BENCH_BIG_MIB`` shrinks the big file. Needs ``sshd`` and ``ssh-keygen``;
when run as root it logs in as root with a key (``PermitRootLogin
prohibit-password``) on a private sshd bound to 127.0.0.1.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SMALL_FILES = 500
SMALL_SIZE = 16 * 1024
BIG_MIB = int(os.environ.get("FLUKE_BENCH_BIG_MIB", "256"))
MB = 1_000_000


@dataclass
class _Server:
    port: int
    user: str
    key: Path
    known_hosts: Path
    remote: Path  # a scratch directory on the server


@contextmanager
def _sshd() -> Iterator[_Server]:
    sshd = shutil.which("sshd") or "/usr/sbin/sshd"
    work = Path(tempfile.mkdtemp(prefix="fluke-bench-sshd-"))
    work.chmod(0o755)
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(work / "host")], check=True
    )
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(work / "client")], check=True
    )
    (work / "authorized_keys").write_text((work / "client.pub").read_text())
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    user = pwd.getpwuid(os.geteuid()).pw_name
    host_key = (work / "host.pub").read_text().split()
    known_hosts = work / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{port} {host_key[0]} {host_key[1]}\n")
    config = work / "sshd_config"
    config.write_text(
        textwrap.dedent(f"""\
        Port {port}
        ListenAddress 127.0.0.1
        HostKey {work / "host"}
        PidFile {work / "sshd.pid"}
        AuthorizedKeysFile {work / "authorized_keys"}
        PasswordAuthentication no
        KbdInteractiveAuthentication no
        UsePAM no
        StrictModes no
        PermitRootLogin prohibit-password
        AllowUsers {user}
        MaxSessions 32
        Subsystem sftp internal-sftp
        """)
    )
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    process = subprocess.Popen(
        [sshd, "-D", "-e", "-f", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    remote = work / "remote"
    remote.mkdir()
    try:
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                    if conn.recv(8).startswith(b"SSH-"):
                        break
            except OSError:
                time.sleep(0.05)
        yield _Server(port, user, work / "client", known_hosts, remote)
    finally:
        process.terminate()
        process.wait()
        shutil.rmtree(work, ignore_errors=True)


def _timed(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def _fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def _sftp_batch(server: _Server, commands: str) -> None:
    subprocess.run(
        [
            "sftp",
            "-q",
            "-b",
            "-",
            "-P",
            str(server.port),
            "-i",
            str(server.key),
            "-o",
            f"UserKnownHostsFile={server.known_hosts}",
            "-o",
            "BatchMode=yes",
            f"{server.user}@127.0.0.1",
        ],  # fmt: skip
        input=commands.encode(),
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _rclone(server: _Server, src: str, dst: str) -> None:
    remote = (
        f":sftp,host=127.0.0.1,port={server.port},user={server.user},"
        f"key_file={server.key},known_hosts_file={server.known_hosts}:"
    )
    src = src.replace("remote:", remote)
    dst = dst.replace("remote:", remote)
    subprocess.run(
        ["rclone", "copy", "--transfers", "8", src, dst],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def main() -> Iterator[tuple[str, str]]:
    """Run every measurement; yield ``(label, value)`` rows."""
    from fluke.auth import RemoteAuth
    from fluke.storage import LocalDir, LocalFile, RemoteDir, RemoteFile

    scratch = Path(tempfile.mkdtemp(prefix="fluke-bench-ssh-"))
    try:
        big = scratch / "big.bin"
        with open(big, "wb") as handle:
            block = os.urandom(MB)
            for _ in range(BIG_MIB * 1024 * 1024 // MB):
                handle.write(block)
            handle.write(block[: BIG_MIB * 1024 * 1024 % MB])
        size = big.stat().st_size
        small = _fresh(scratch / "small")
        for index in range(SMALL_FILES):
            (small / f"f{index:04}.bin").write_bytes(os.urandom(SMALL_SIZE))
        small_total = SMALL_FILES * SMALL_SIZE
        with _sshd() as server:
            auth = RemoteAuth.from_key(
                "127.0.0.1",
                server.user,
                str(server.key),
                port=server.port,
                known_hosts=str(server.known_hosts),
                ssh_config=False,
            )
            results: dict[str, dict[str, float]] = {}

            def record(tool: str, case: str, seconds: float, nbytes: int) -> None:
                results.setdefault(case, {})[tool] = nbytes / seconds / MB

            # -- OpenSSH sftp (anchor) --
            up = _fresh(server.remote / "sftp")
            record(
                "sftp", "big up", _timed(lambda: _sftp_batch(server, f"put {big} {up}/\n")), size
            )
            down = _fresh(scratch / "down-sftp")
            seconds = _timed(lambda: _sftp_batch(server, f"get {up}/big.bin {down}/\n"))
            record("sftp", "big down", seconds, size)
            seconds = _timed(lambda: _sftp_batch(server, f"put -r {small} {up}/small\n"))
            record("sftp", "small up", seconds, small_total)
            seconds = _timed(lambda: _sftp_batch(server, f"get -r {up}/small {down}/small\n"))
            record("sftp", "small down", seconds, small_total)

            # -- Fluke --
            up = _fresh(server.remote / "fluke")
            down = _fresh(scratch / "down-fluke")

            def fluke_big_up() -> None:
                with LocalFile(str(big)) as src, RemoteDir(auth, str(up)) as dst:
                    assert src.transfer_to(dst, suppress_output=True)

            def fluke_big_down() -> None:
                with RemoteFile(auth, str(up / "big.bin")) as src, LocalDir(str(down)) as dst:
                    assert src.transfer_to(dst, suppress_output=True)

            def fluke_small_up() -> None:
                with (
                    LocalDir(str(small)) as src,
                    RemoteDir(auth, str(up / "small"), create_if_missing=True) as dst,
                ):
                    assert src.transfer_to(dst, suppress_output=True)

            def fluke_small_down() -> None:
                with (
                    RemoteDir(auth, str(up / "small")) as src,
                    LocalDir(str(down / "small"), create_if_missing=True) as dst,
                ):
                    assert src.transfer_to(dst, suppress_output=True)

            record("fluke", "big up", _timed(fluke_big_up), size)
            record("fluke", "big down", _timed(fluke_big_down), size)
            record("fluke", "small up", _timed(fluke_small_up), small_total)
            record("fluke", "small down", _timed(fluke_small_down), small_total)

            # -- rclone --
            if shutil.which("rclone"):
                up = _fresh(server.remote / "rclone")
                down = _fresh(scratch / "down-rclone")
                seconds = _timed(lambda: _rclone(server, str(big), f"remote:{up}"))
                record("rclone", "big up", seconds, size)
                seconds = _timed(lambda: _rclone(server, f"remote:{up}/big.bin", str(down)))
                record("rclone", "big down", seconds, size)
                seconds = _timed(lambda: _rclone(server, str(small), f"remote:{up}/small"))
                record("rclone", "small up", seconds, small_total)
                seconds = _timed(lambda: _rclone(server, f"remote:{up}/small", str(down / "s")))
                record("rclone", "small down", seconds, small_total)

        for case, by_tool in results.items():
            label = f"{BIG_MIB} MiB file" if case.startswith("big") else f"{SMALL_FILES} x 16 KiB"
            direction = case.split()[1]
            for tool, rate in by_tool.items():
                yield f"ssh {label} {direction}: {tool} MB/s", f"{rate:8.1f}"
            yield (
                f"ssh {label} {direction}: fluke / sftp (target >= 0.6)",
                f"{by_tool['fluke'] / by_tool['sftp']:8.2f}",
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    for row in main():
        print(f"{row[0]:70} {row[1]}")
