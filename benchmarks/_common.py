"""What every benchmark shares: the servers, timing, the original Fluke, rows.

The servers are the ones the tests use (``tests/servers.py``: moto, Azurite,
fake-gcs-server, sshd), imported from here as ``servers``. Every comparison is
measured side by side in one run and reported as Fluke's speed relative to
the anchor (``anchor seconds / Fluke seconds``; higher is better).

Every server is reached through a :class:`~latency_proxy.LatencyProxy`
(``tests/latency_proxy.py``) that adds the round-trip time of the table
being measured (:func:`set_network`, from ``run.py --rtt``): Fluke and every
anchor go through the same proxy, so they see the same network. The proxy
runs in a process of its own, so that its threads do not take turns with
in-process Fluke and SDK anchors for the interpreter lock. At 0 ms with no
bandwidth cap the servers are reached directly (loopback).

The original Fluke 0.5.0 (``fluke-api==0.5.0``) runs in its own virtualenv,
built once under ``~/.cache/fluke-bench-0.5.0``. ``FLUKE_BENCH_OLD_FLUKE``
chooses it: ``auto`` (the default: build or reuse the cache), a python
executable with ``fluke-api==0.5.0`` installed, or ``off``.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

import _profile  # noqa: E402
import servers  # noqa: E402
from latency_proxy import proxy_process  # noqa: E402

__all__ = [
    "BIG_MIB",
    "MiB",
    "Mover",
    "Row",
    "SMALL_FILES",
    "SMALL_SIZE",
    "best_of",
    "BEFORE",
    "azurite_server",
    "before_mover",
    "compare",
    "gcs_server",
    "moto_server",
    "network",
    "set_network",
    "ssh_server",
    "fluke_mover",
    "pool_map",
    "up_down_rows",
    "many_download_row",
    "old_fluke_dir_script",
    "old_fluke_python",
    "print_rows",
    "run_old_fluke",
    "servers",
    "timed",
    "write_big",
    "write_small",
]

MiB = 1024 * 1024
SMALL_FILES = 500
SMALL_SIZE = 16 * 1024
#: The big file of the upload/download rows (``FLUKE_BENCH_BIG_MIB`` shrinks it).
BIG_MIB = int(os.environ.get("FLUKE_BENCH_BIG_MIB", "256"))
OLD_FLUKE_HOME = Path.home() / ".cache" / "fluke-bench-0.5.0"

#: (round-trip seconds, bytes/s per connection or None) of the table being measured
_NETWORK: list[tuple[float, float | None]] = [(0.0, None)]


def set_network(rtt: float, bandwidth: float | None = None) -> None:
    """The latency (and bandwidth cap) every server is reached through from now on."""
    _NETWORK[0] = (rtt, bandwidth)


def network() -> tuple[float, float | None]:
    """``(rtt seconds, bandwidth bytes/s or None)`` of the table being measured."""
    return _NETWORK[0]


def _needs_proxy() -> bool:
    rtt, bandwidth = network()
    return rtt > 0 or bandwidth is not None


@contextmanager
def _proxy_to(host: str, port: int, listen: int = 0) -> Iterator[int]:
    """A latency proxy to ``host:port`` in its own process (see ``proxy_process``); its port."""
    rtt, bandwidth = network()
    with proxy_process((host, port), rtt=rtt, bandwidth=bandwidth, port=listen) as proxy_port:
        yield proxy_port


@contextmanager
def _proxied(url: str) -> Iterator[str]:
    """``url`` (``http://127.0.0.1:PORT...``), through a proxy when the network needs one."""
    if not _needs_proxy():
        yield url
        return
    host, port = url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
    with _proxy_to(host, int(port)) as proxy_port:
        yield url.replace(f"{host}:{port}", f"127.0.0.1:{proxy_port}", 1)


@contextmanager
def moto_server() -> Iterator[str]:
    """moto, reached through the current network; yields the endpoint URL to use."""
    with servers.moto() as url, _proxied(url) as reached:
        yield reached


@contextmanager
def azurite_server(location: Path) -> Iterator[servers.Azurite]:
    """Azurite, its Blob and Queue endpoints reached through the current network."""
    with (
        servers.azurite(location) as azurite,
        _proxied(azurite.blob) as blob,
        _proxied(azurite.queue) as queue,
    ):
        yield servers.Azurite(blob, queue)


@contextmanager
def gcs_server() -> Iterator[str]:
    """fake-gcs-server reached through the current network.

    The server is told the proxy's address as its public host, so that the
    URLs it hands out (resumable upload sessions) go through the proxy too.
    """
    if not _needs_proxy():
        with servers.fake_gcs() as url:
            yield url
        return
    [public] = servers.free_ports(1)
    with servers.fake_gcs(public_port=public) as url:
        host, port = url.split("//", 1)[1].rsplit(":", 1)
        with _proxy_to(host, int(port), listen=public) as proxy_port:
            yield url.replace(f"{host}:{port}", f"127.0.0.1:{proxy_port}", 1)


@contextmanager
def ssh_server() -> Iterator[servers.SSHServer]:
    """sshd, reached through the current network (its port and known_hosts point there)."""
    with servers.sshd() as server:
        if not _needs_proxy():
            yield server
            return
        with _proxy_to(server.host, server.port) as proxy_port:
            known = server.known_hosts.with_name("known_hosts_proxy")
            known.write_text(
                server.known_hosts.read_text().replace(f":{server.port} ", f":{proxy_port} ")
            )
            yield dataclasses.replace(server, port=proxy_port, known_hosts=known)


Row = tuple[str, str]
#: ``(direction, prefix, local dir)`` -> the call that moves it (None: not available)
Mover = Callable[[str, str, Path], Callable[[], Any]]


def timed(function: Callable[[], object]) -> float:
    """Wall seconds of one call (with ``--profile``, what it spent is recorded too)."""
    if _profile.enabled():
        seconds, usage = _profile.measure(function)
        _profile.record(seconds, usage, function)
        return seconds
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def best_of(repeat: int, *functions: Callable[[], object]) -> list[float]:
    """Each function's best wall time over ``repeat`` rounds, run alternately."""
    best = [float("inf")] * len(functions)
    for _ in range(repeat):
        for index, function in enumerate(functions):
            best[index] = min(best[index], timed(function))
    return best


def compare(label: str, fluke_seconds: float, anchors: dict[str, float | str]) -> Row:
    """One row: Fluke's time, each anchor's time, and Fluke's speed relative to it.

    An anchor given as a string (instead of seconds) is reported as is
    (``"failed: ..."``).
    """
    times = [f"fluke {fluke_seconds:.2f}s"]
    ratios = []
    for name, seconds in anchors.items():
        if isinstance(seconds, str):
            ratios.append(f"{name} {seconds}")
            continue
        times.append(f"{name} {seconds:.2f}s")
        ratios.append(f"{seconds / fluke_seconds:.2f}x {name}")
    row = f"{label}: {', '.join(times)}", ", ".join(ratios)
    if _profile.enabled():
        _profile.compare_note(row[0], fluke_seconds, anchors)
    return row


def fluke_mover(remote: Callable[..., Any]) -> Mover:
    """Fluke's upload (local dir -> prefix) and download (prefix -> local dir).

    ``remote(prefix, create_if_missing=...)`` opens the remote Dir.
    """
    from fluke.storage import LocalDir

    def up(src: Path, prefix: str) -> None:
        with LocalDir(str(src)) as source, remote(prefix, create_if_missing=True) as dst:
            assert source.transfer_to(dst, overwrite=True, suppress_output=True)

    def down(prefix: str, dst: Path) -> None:
        with remote(prefix) as source, LocalDir(str(dst), create_if_missing=True) as local:
            assert source.transfer_to(local, overwrite=True, suppress_output=True)

    def move(direction: str, prefix: str, local: Path) -> Callable[[], None]:
        if direction == "up":
            return lambda: up(local, prefix)
        return lambda: down(prefix, local)

    return move


def pool_map(function: Callable[[str], object], items: Iterable[str], threads: int = 16) -> None:
    """``function`` on every item from a pool of ``threads`` (the SDK anchors' way)."""
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(function, items))


def up_down_rows(
    tag: str,
    tmp: Path,
    fluke: Mover,
    sdk: tuple[str, Mover],
    once: dict[str, Mover | None],
) -> list[Row]:
    """Upload then download of ``tmp/small`` (500 x 16 KiB) and ``tmp/big`` (one file).

    Each mover gets ``(direction, prefix, local)``: ``up`` or ``down``,
    ``small/`` or ``big/``, and the local source directory (up) or a fresh
    destination directory (down). Fluke and the SDK: best of two alternating
    runs; the ``once`` anchors (rclone, Fluke 0.5.0) run once and return their
    seconds, or why they failed.
    """
    rows: list[Row] = []
    for prefix, what in (("small/", f"{SMALL_FILES} x 16 KiB"), ("big/", f"1 x {BIG_MIB} MiB")):
        for direction in ("up", "down"):

            def local(tool: str, direction: str = direction, prefix: str = prefix) -> Path:
                if direction == "up":
                    return tmp / prefix
                path = tmp / f"{tool}-down-{prefix.rstrip('/')}".replace(" ", "-")
                path.mkdir(parents=True, exist_ok=True)
                return path

            sdk_name, sdk_mover = sdk
            fluke_call = fluke(direction, prefix, local("fluke"))
            sdk_call = sdk_mover(direction, prefix, local(sdk_name))
            fluke_seconds, sdk_seconds = best_of(2, fluke_call, sdk_call)
            anchors: dict[str, float | str] = {sdk_name: sdk_seconds}
            for name, mover in once.items():
                call = None if mover is None else mover(direction, prefix, local(name))
                if call is not None:
                    anchors[name] = call()
                    if name == BEFORE and not isinstance(anchors[name], str):
                        second = call()  # the same code as Fluke's: best of two as well
                        anchors[name] = min(anchors[name], second, key=_seconds)
            rows.append(compare(f"{tag} {what} {direction}load", fluke_seconds, anchors))
    return rows


def _seconds(value: float | str) -> float:
    return value if isinstance(value, float) else float("inf")


#: The anchor name of Fluke at an earlier commit (``FLUKE_BENCH_BEFORE``).
BEFORE = "fluke before"

BEFORE_SCRIPT = textwrap.dedent(
    """
    import sys, time
    {imports}
    from fluke.storage import LocalDir
    local_path, prefix, direction = sys.argv[1:4]
    started = time.perf_counter()
    with LocalDir(local_path, create_if_missing=True) as local, {remote} as remote:
        source, target = (local, remote) if direction == "up" else (remote, local)
        report = source.transfer_to(target, overwrite=True, suppress_output=True)
    if not report:
        sys.exit("fluke before: a failed transfer")
    print(time.perf_counter() - started)
    """
)


def before_mover(imports: str, remote: str, env: dict[str, str] | None = None) -> Mover | None:
    """Fluke at an earlier commit as an anchor, or ``None`` when none is set.

    ``FLUKE_BENCH_BEFORE`` names a checkout of this repository (a ``git
    worktree`` of the commit to compare with); its packages' ``src``
    directories go first on ``PYTHONPATH`` of a child interpreter, which
    times itself like the Fluke 0.5.0 scripts. ``remote`` is an expression
    for the remote Dir, with ``prefix`` and ``direction`` in scope.
    """
    checkout = os.environ.get("FLUKE_BENCH_BEFORE")
    if not checkout:
        return None
    paths = [str(Path(checkout, package, "src")) for package in PACKAGES]
    child_env = {**(env or {}), "PYTHONPATH": os.pathsep.join(paths)}
    script = BEFORE_SCRIPT.format(imports=imports, remote=remote)

    def move(direction: str, prefix: str, local: Path) -> Callable[[], float | str]:
        args = [str(local), prefix, direction]
        return lambda: run_old_fluke(sys.executable, script, args, child_env)

    return move


PACKAGES = ["fluke-core", "fluke-aws", "fluke-azure", "fluke-gcp", "fluke-ssh"]


def print_rows(rows: Iterable[Row]) -> None:
    """The table: label, then value, one row a line (and, profiled, where the time went)."""
    for label, value in rows:
        print(f"{label:78} {value}", flush=True)
        note = _profile.note(label)
        if note:
            print(f"    {note[0]}", flush=True)
            if note[1]:
                print(f"    fluke's hot functions: {note[1]}", flush=True)


def write_small(folder: Path, count: int = SMALL_FILES, size: int = SMALL_SIZE) -> list[str]:
    """``count`` files of ``size`` random bytes in ``folder``; their sorted names."""
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        (folder / f"f{index:04d}.bin").write_bytes(os.urandom(size))
    return sorted(os.listdir(folder))


def write_big(path: Path, mib: int = BIG_MIB) -> Path:
    """A file of ``mib`` MiB (random blocks: nothing compresses it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    block = os.urandom(MiB)
    with open(path, "wb") as handle:
        for index in range(mib):
            handle.write(block[index % 97 :] + block[: index % 97])
    return path


def old_fluke_python() -> str | None:
    """A python with ``fluke-api==0.5.0`` (built once in a cache venv), or ``None``."""
    choice = os.environ.get("FLUKE_BENCH_OLD_FLUKE", "auto")
    if choice.lower() in ("", "0", "off", "no", "false"):
        return None
    if choice != "auto":
        return choice
    python = OLD_FLUKE_HOME / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(OLD_FLUKE_HOME)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "fluke-api==0.5.0"], check=True)
    return str(python)


def old_fluke_dir_script(auth_class: str, dir_class: str, auth: str, options: str = "") -> str:
    """A Fluke 0.5.0 script: copy local ``argv[1]`` up to, or down from, a bucket's prefix.

    Its arguments: local directory, bucket, prefix, ``up`` or ``down``, then
    what the ``auth`` expression reads (``sys.argv[5:]``). ``options`` go to
    the remote Dir's constructor.
    """
    return textwrap.dedent(
        f"""
        import sys, time
        from fluke.auth import {auth_class}
        from fluke.storage import {dir_class}, LocalDir
        src, bucket, prefix, direction = sys.argv[1:5]
        auth = {auth}
        started = time.perf_counter()
        local = LocalDir(src)
        with {dir_class}(auth, bucket, prefix{options}) as remote:
            if direction == "up":
                ok = local.transfer_to(remote, recursively=True, suppress_output=True)
            else:
                ok = remote.transfer_to(local, recursively=True, suppress_output=True)
        if ok is False:
            sys.exit("fluke 0.5.0 reported a failed transfer")
        print(time.perf_counter() - started)
        """
    )


def run_old_fluke(
    python: str, script: str, args: Sequence[str], env: dict[str, str] | None = None
) -> float | str:
    """Run ``script`` under the original Fluke; the seconds it prints, or why it failed.

    The scripts time themselves from just before they open their Dirs, so
    the interpreter's start (about 1 s, importing every SDK) is not counted.
    With ``--profile`` they also print the CPU seconds of that timed part.
    """
    profile = _profile.enabled()
    if profile:  # every script starts its clock and prints it with these lines
        script = script.replace(
            "started = time.perf_counter()",
            "started, _cpu = time.perf_counter(), time.process_time()",
        ).replace(
            "print(time.perf_counter() - started)",
            "print(time.perf_counter() - started, time.process_time() - _cpu)",
        )
    outcome: list[subprocess.CompletedProcess[str]] = []

    def run() -> None:
        outcome.append(
            subprocess.run(
                [python, "-c", script, *args],
                env={**os.environ, **(env or {})},
                capture_output=True,
                text=True,
            )
        )

    usage = _profile.measure(run)[1] if profile else None
    if usage is None:
        run()
    result = outcome[0]
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        return f"failed ({lines[-1][:80] if lines else result.returncode})"
    seconds, *cpu = (float(part) for part in result.stdout.strip().splitlines()[-1].split())
    if usage is not None:
        own = usage.client - usage.child  # this process, waiting
        child = cpu[0] if cpu else usage.child  # the timed part's, else the whole child's
        usage = dataclasses.replace(usage, wall=seconds, client=own + child, child=child)
        _profile.record(seconds, usage)
    return seconds


#: Files and MiB of the many-files download row (more files than are copied at once).
MANY_FILES = int(os.environ.get("FLUKE_BENCH_MANY_FILES", "32"))
MANY_MIB = 16


def many_download_row(tag: str, tmp: Path, fluke: Mover, before: Mover | None) -> Row:
    """Download of ``MANY_FILES`` files of 16 MiB: Fluke against "fluke before".

    More files than the engine copies at once: the later files are read as
    one stream or in ranged parts by what the first ones measured (issue 15;
    a single big file is always read in ranges first). Each tool uploads the
    files to its own bucket first (untimed); then best of two, alternating.
    """
    local = tmp / "many"
    for index in range(MANY_FILES):
        write_big(local / f"m{index:03d}.bin", MANY_MIB)
    fluke("up", "many/", local)()
    fluke_down = fluke("down", "many/", tmp / "fluke-down-many")
    before_down = None
    if before is not None:
        before("up", "many/", local)()
        before_down = before("down", "many/", tmp / "before-down-many")
    anchors: dict[str, float | str] = {}
    best = float("inf")
    for _ in range(2):
        best = min(best, timed(fluke_down))
        if before_down is not None:
            seconds = before_down()
            previous = anchors.get(BEFORE, float("inf"))
            anchors[BEFORE] = min(previous, seconds, key=_seconds)
    return compare(f"{tag} {MANY_FILES} x {MANY_MIB} MiB download", best, anchors)
