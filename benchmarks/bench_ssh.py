"""fluke-ssh benchmarks against one real OpenSSH sshd, side by side in one run.

Upload and download of one big file (256 MiB) and of 500 files of 16 KiB, by
Fluke, by OpenSSH's ``sftp -b`` (the physical anchor), by rclone (remote type
``sftp``, when installed) and by the original Fluke 0.5.0. The original Fluke
moves about 1 MB/s, so it is compared on a ``FLUKE_BENCH_OLD_MIB`` file
(16 MiB by default) against Fluke on the same file. Fluke and ``sftp``: best
of two alternating runs. The issue's target: the big file at >= 0.6x ``sftp``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path

from _common import (
    BIG_MIB,
    SMALL_FILES,
    Row,
    best_of,
    compare,
    old_fluke_python,
    print_rows,
    run_old_fluke,
    servers,
    ssh_server,
    timed,
    write_big,
    write_small,
)

OLD_MIB = int(os.environ.get("FLUKE_BENCH_OLD_MIB", "16"))

OLD_FLUKE_SCRIPT = textwrap.dedent(
    """
    import os, sys, time
    from fluke.auth import RemoteAuth
    from fluke.storage import LocalDir, LocalFile, RemoteDir, RemoteFile
    host, port, user, direction, src, dst = sys.argv[1:7]
    password = os.environ["FLUKE_BENCH_SSH_PASSWORD"]
    # 0.5.0's from_key breaks on today's paramiko (PKey(filename=...)): log in by password
    auth = RemoteAuth.from_password(host, user, password, port=int(port), verify_host=False)
    started = time.perf_counter()
    if direction == "up":
        with RemoteDir(auth, dst) as remote:
            ok = LocalFile(src).transfer_to(remote, suppress_output=True)
    else:
        with RemoteFile(auth, src) as remote:
            ok = remote.transfer_to(LocalDir(dst), suppress_output=True)
    if ok is False:
        sys.exit("fluke 0.5.0 reported a failed transfer")
    print(time.perf_counter() - started)
    """
)


def _remote_dir(server: servers.SSHServer, name: str) -> Path:
    """A fresh directory in the SFTP account's home, owned by that account."""
    path = Path(server.home, f"fluke-bench-{name}")
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    os.chown(path, server.uid, server.gid)
    return path


def _sftp_batch(server: servers.SSHServer, commands: str) -> None:
    subprocess.run(
        [
            "sftp",
            "-q",
            "-b",
            "-",
            "-P",
            str(server.port),
            "-i",
            str(server.client_keys["ed25519"]),
            "-o",
            f"UserKnownHostsFile={server.known_hosts}",
            "-o",
            "BatchMode=yes",
            f"{server.username}@{server.host}",
        ],  # fmt: skip
        input=commands.encode(),
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _rclone(server: servers.SSHServer, src: str, dst: str) -> None:
    remote = (
        f":sftp,host={server.host},port={server.port},user={server.username},"
        f"key_file={server.client_keys['ed25519']},known_hosts_file={server.known_hosts}:"
    )
    subprocess.run(
        ["rclone", "copy", "--transfers", "8", src.replace("remote:", remote),
         dst.replace("remote:", remote)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip


def main() -> list[Row]:
    """Run every measurement; return ``(label, value)`` rows."""
    from fluke.auth import RemoteAuth
    from fluke.storage import LocalDir, LocalFile, RemoteDir, RemoteFile

    rows: list[Row] = []
    old_python = old_fluke_python()
    rclone = shutil.which("rclone") is not None
    scratch = Path(tempfile.mkdtemp(prefix="fluke-bench-ssh-"))
    try:
        big = write_big(scratch / "big" / "big.bin")
        old_big = write_big(scratch / "old" / "old.bin", OLD_MIB)
        small = scratch / "small"
        write_small(small)
        with ssh_server() as server:
            key = str(server.client_keys["ed25519"])
            auth = RemoteAuth.from_key(
                server.host,
                server.username,
                key,
                port=server.port,
                known_hosts=str(server.known_hosts),
                ssh_config=False,
            )
            up = {tool: _remote_dir(server, tool) for tool in ("fluke", "sftp", "rclone", "old")}
            down = {tool: scratch / f"down-{tool}" for tool in up}
            for path in down.values():
                path.mkdir()

            def fluke_file_up(path: Path) -> None:
                with LocalFile(str(path)) as src, RemoteDir(auth, str(up["fluke"])) as dst:
                    assert src.transfer_to(dst, overwrite=True, suppress_output=True)

            def fluke_file_down(name: str) -> None:
                with (
                    RemoteFile(auth, str(up["fluke"] / name)) as src,
                    LocalDir(str(down["fluke"])) as dst,
                ):
                    assert src.transfer_to(dst, overwrite=True, suppress_output=True)

            def fluke_small_up() -> None:
                with (
                    LocalDir(str(small)) as src,
                    RemoteDir(auth, str(up["fluke"] / "small"), create_if_missing=True) as dst,
                ):
                    assert src.transfer_to(dst, overwrite=True, suppress_output=True)

            def fluke_small_down() -> None:
                with (
                    RemoteDir(auth, str(up["fluke"] / "small")) as src,
                    LocalDir(str(down["fluke"] / "small"), create_if_missing=True) as dst,
                ):
                    assert src.transfer_to(dst, overwrite=True, suppress_output=True)

            def sftp(commands: str) -> Callable[[], None]:
                return lambda: _sftp_batch(server, commands)

            def via_rclone(src: str, dst: str) -> Callable[[], float | str] | None:
                return (lambda: timed(lambda: _rclone(server, src, dst))) if rclone else None

            sftp_up, sftp_down, rclone_up = up["sftp"], down["sftp"], up["rclone"]
            cases = [
                (
                    f"ssh 1 x {BIG_MIB} MiB upload (target >= 0.6x sftp)",
                    lambda: fluke_file_up(big),
                    sftp(f"put {big} {sftp_up}/\n"),
                    via_rclone(str(big), f"remote:{rclone_up}"),
                ),
                (
                    f"ssh 1 x {BIG_MIB} MiB download (target >= 0.6x sftp)",
                    lambda: fluke_file_down(big.name),
                    sftp(f"get {sftp_up}/big.bin {sftp_down}/\n"),
                    via_rclone(f"remote:{rclone_up}/big.bin", str(down["rclone"])),
                ),
                (
                    f"ssh {SMALL_FILES} x 16 KiB upload",
                    fluke_small_up,
                    sftp(f"put -r {small} {sftp_up}/small\n"),
                    via_rclone(str(small), f"remote:{rclone_up}/small"),
                ),
                (
                    f"ssh {SMALL_FILES} x 16 KiB download",
                    fluke_small_down,
                    sftp(f"get -r {sftp_up}/small {sftp_down}/small\n"),
                    via_rclone(f"remote:{rclone_up}/small", str(down["rclone"] / "small")),
                ),
            ]
            for label, fluke_call, sftp_call, rclone_call in cases:
                fluke_seconds, sftp_seconds = best_of(2, fluke_call, sftp_call)
                anchors: dict[str, float | str] = {"sftp": sftp_seconds}
                if rclone_call is not None:
                    anchors["rclone"] = rclone_call()
                rows.append(compare(label, fluke_seconds, anchors))
            if old_python is not None and server.password is not None:  # root: a password
                login = [server.host, str(server.port), server.username]
                secret = {"FLUKE_BENCH_SSH_PASSWORD": server.password}
                remote_old = str(up["old"] / old_big.name)
                for direction, fluke_call, args in (
                    ("up", lambda: fluke_file_up(old_big), [str(old_big), str(up["old"])]),
                    ("down", lambda: fluke_file_down(old_big.name), [remote_old, str(down["old"])]),
                ):
                    (fluke_seconds,) = best_of(2, fluke_call)
                    old_seconds = run_old_fluke(
                        old_python, OLD_FLUKE_SCRIPT, [*login, direction, *args], secret
                    )
                    label = f"ssh 1 x {OLD_MIB} MiB {direction}load"
                    rows.append(compare(label, fluke_seconds, {"fluke 0.5.0": old_seconds}))
            for path in up.values():
                shutil.rmtree(path, ignore_errors=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return rows


if __name__ == "__main__":
    print_rows(main())
