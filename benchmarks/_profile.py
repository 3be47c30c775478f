"""Where the time goes: ``run.py --profile``.

With profiling on, every call :func:`_common.timed` measures (and every
Fluke 0.5.0 / "fluke before" script :func:`_common.run_old_fluke` runs) also
records a :class:`Usage`: wall seconds, then CPU seconds split by who spent
them:

- ``client``: this process (``RUSAGE_SELF``: Fluke or the SDK in process)
  plus the child processes that ended during the call (``RUSAGE_CHILDREN``:
  rclone, sftp, awscli, ``fluke ...``), or, for the self-timing 0.5.0 /
  "fluke before" scripts, the CPU the script reports for its timed part
  (interpreter start left out, like its wall time);
- ``server``: the long-lived servers (this process's live children, found
  recursively with psutil every 50 ms while the call runs: an sshd session
  that ends during the call counts up to its last look, the rest through
  its parent's ``children_user``/``children_system`` if it was reaped);
- ``proxy``: the latency proxies (``tests/latency_proxy.py``, processes of
  their own), counted like the servers.

``wait`` is the wall time no CPU above accounts for (latency, the disk,
sleeping); a negative one means the CPUs overlapped (2 cores: client and
server at once) and is printed as ``overlap``.

:func:`compare_note` keeps a line per row; when Fluke is slower than the
row's best anchor, it runs Fluke's call once more under a sampler
(``py-spy record --nonblocking`` on this process when it is installed,
else a ``sys._current_frames`` sampler) and adds its hottest functions by
own samples, all threads, idle frames left out.
"""

from __future__ import annotations

import collections
import logging
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import types
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "Usage",
    "compare_note",
    "enable",
    "enabled",
    "hot_frames",
    "measure",
    "note",
    "record",
    "recorded",
]

logger = logging.getLogger(__name__)

#: Sampling rate (per second) and how many functions a row shows.
RATE = 200
TOP = 6
#: Leaf functions that are waiting, not working (lock, select, sleep, queue).
#: (A Python frame calling a blocking C function: ``_worker`` waits in its queue's get.)
IDLE = {"wait", "_wait_for_tstate_lock", "select", "accept", "_worker"}

_STATE = {"on": False}
#: A timed call's wall seconds -> (its usage, the call)
_CALLS: dict[float, tuple[Usage, Callable[[], object] | None]] = {}
#: Row label -> (where its time went, Fluke's hot functions or "")
_NOTES: dict[str, tuple[str, str]] = {}


def enable() -> None:
    """Profile every timed call from now on."""
    _STATE["on"] = True


def enabled() -> bool:
    """Whether ``--profile`` is on."""
    return _STATE["on"]


@dataclass(frozen=True)
class Usage:
    """Wall and CPU seconds of one call (see the module's docstring)."""

    wall: float
    client: float
    server: float
    proxy: float
    child: float = 0.0  #: the part of ``client`` spent in child processes

    def render(self, name: str) -> str:
        """``fluke 3.68 s = client 1.10 + server 1.40 + wait 1.18 (proxy 0.20)``."""
        rest = self.wall - self.client - self.server - self.proxy
        child = f" (child {self.child:.2f})" if self.child >= 0.01 else ""
        tail = f"+ wait {rest:.2f}" if rest >= 0 else f"- overlap {-rest:.2f}"
        proxy = f" (proxy {self.proxy:.2f})" if self.proxy >= 0.01 else ""
        return (
            f"{name} {self.wall:.2f} s = client {self.client:.2f}{child} "
            f"+ server {self.server:.2f} {tail}{proxy}"
        )


#: pid -> (its kind: "proxy" or "server", own CPU, CPU of the children it reaped, parent pid)
_Snapshot = dict[int, tuple[str, float, float, int]]
_KINDS: dict[int, str] = {}


def _snapshot(servers: Collection[int] | None = None) -> _Snapshot:
    """CPU seconds of the servers (this process's children in ``servers``, and theirs).

    ``servers``: the children that were running when the call started (by
    default, all): a child started during the call (rclone, sftp) is the
    client's, counted by ``RUSAGE_CHILDREN``.
    """
    import psutil

    found: _Snapshot = {}
    for root in psutil.Process().children():
        if servers is not None and root.pid not in servers:
            continue
        try:
            if root.pid not in _KINDS:
                proxy = any("latency_proxy" in part for part in root.cmdline())
                _KINDS[root.pid] = "proxy" if proxy else "server"
            tree = [root, *root.children(recursive=True)]
        except psutil.Error:
            continue
        for process in tree:
            try:
                times = process.cpu_times()
                reaped = times.children_user + times.children_system
                own = times.user + times.system
                found[process.pid] = (_KINDS[root.pid], own, reaped, process.ppid())
            except psutil.Error:
                continue
    return found


class _ServerMeter:
    """Snapshots the servers every ``interval`` seconds while a call runs.

    A server's process that ends during the call (an sshd session) is
    counted up to its last snapshot, then through its parent's reaped
    children if the parent reaped it.
    """

    def __init__(self, interval: float = 0.05) -> None:
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="bench-profile")
        self.first = _snapshot()
        self.last = dict(self.first)
        self.own = 0.0  #: this meter's CPU seconds (in this process: not the client's)
        self.gone: set[int] = set()  #: the processes that ended during the call

    def _poll(self) -> None:
        self.last.update(_snapshot(self.first.keys()))

    def _run(self) -> None:
        started = time.thread_time()
        while not self._stop.wait(self._interval):
            self._poll()
        self.own = time.thread_time() - started

    def __enter__(self) -> _ServerMeter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        end = _snapshot(self.first.keys())
        self.gone = self.last.keys() - end.keys()
        self.last.update(end)

    def spent(self) -> dict[str, float]:
        """CPU seconds per kind from the first snapshot to the last.

        A process's growth is its own CPU plus its reaped children's, less
        what its children that ended had spent by their last snapshot
        (counted already), clamped at 0.
        """
        owed: dict[int, float] = collections.defaultdict(float)
        for pid in self.gone:
            _, own, reaped, parent = self.last[pid]
            owed[parent] += own + reaped
        spent: dict[str, float] = collections.defaultdict(float)
        for pid, (kind, own, reaped, _) in self.last.items():
            _, own0, reaped0, _ = self.first.get(pid, (kind, 0.0, 0.0, 0))
            spent[kind] += own - own0 + max(0.0, reaped - reaped0 - owed.get(pid, 0.0))
        return dict(spent)


def _rusage(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def measure(function: Callable[[], object]) -> tuple[float, Usage]:
    """Call ``function``; its wall seconds and :class:`Usage`."""
    with _ServerMeter() as meter:
        own, children = _rusage(resource.RUSAGE_SELF), _rusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        function()
        wall = time.perf_counter() - started
        own = _rusage(resource.RUSAGE_SELF) - own
        children = _rusage(resource.RUSAGE_CHILDREN) - children
    spent = meter.spent()
    client = max(0.0, own - meter.own) + children
    return wall, Usage(wall, client, spent.get("server", 0.0), spent.get("proxy", 0.0), children)


def record(seconds: float, usage: Usage, function: Callable[[], object] | None = None) -> None:
    """Remember what the call that took ``seconds`` spent (and the call, to sample it)."""
    _CALLS[seconds] = (usage, function)


def recorded(seconds: float | str) -> tuple[Usage, Callable[[], object] | None] | None:
    """What :func:`record` kept for ``seconds``, if anything."""
    return _CALLS.get(seconds) if isinstance(seconds, float) else None


def note(label: str) -> tuple[str, str] | None:
    """Where the time of the row labelled ``label`` went, and Fluke's hot functions (or "")."""
    return _NOTES.get(label)


def compare_note(label: str, fluke_seconds: float, anchors: dict[str, float | str]) -> None:
    """Keep the row's breakdown; sample Fluke's call when it is behind its best anchor."""
    parts = []
    for name, seconds in {"fluke": fluke_seconds, **anchors}.items():
        found = recorded(seconds)
        if found is not None:
            parts.append(found[0].render(name))
    if not parts:
        return
    hot = ""
    best = min((s for s in anchors.values() if isinstance(s, float)), default=None)
    fluke = recorded(fluke_seconds)
    if best is not None and best < fluke_seconds and fluke is not None:
        usage, function = fluke
        if function is None or usage.child > usage.client / 2:
            hot = "fluke runs in a child process: not sampled"
        else:
            hot = hot_frames(function)
    _NOTES[label] = ("; ".join(parts), hot)


def hot_frames(function: Callable[[], object]) -> str:
    """Run ``function`` once under a sampler; its top functions by own samples, as text."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    spy = shutil.which("py-spy", path=path)
    counts, tool = None, "py-spy"
    if spy is not None:
        counts = _py_spy(spy, function)
    if counts is None:
        counts, tool = _frames_sampler(function), "sys._current_frames"
    total = sum(counts.values())
    if not total:
        return f"no samples ({tool})"
    top = ", ".join(f"{n * 100 / total:.0f}% {where}" for where, n in counts.most_common(TOP))
    return f"{top} ({tool}, {total} samples ~ {total / RATE:.2f} busy thread-s)"


_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>.*):\d+\)$")


def _short(path: str) -> str:
    """``.../site-packages/botocore/auth.py`` -> ``botocore/auth.py``; stdlib: the file name."""
    for marker in ("site-packages/", "/src/", "/benchmarks/", "/tests/"):
        if marker in path:
            return path.rsplit(marker, 1)[1]
    return Path(path).name


def _tally(stacks: Iterable[tuple[list[str], int]]) -> collections.Counter[str]:
    """Own samples per ``file:function`` of the leaf frames, proxy and idle frames left out."""
    counts: collections.Counter[str] = collections.Counter()
    for frames, count in stacks:
        if not frames or any("latency_proxy" in frame for frame in frames):
            continue
        match = _FRAME.match(frames[-1])
        if match is None:
            continue
        function = match["function"].rsplit(".", 1)[-1]
        if function in IDLE:
            continue
        counts[f"{_short(match['file'])}:{match['function']}"] += count
    return counts


def _py_spy(spy: str, function: Callable[[], object]) -> collections.Counter[str] | None:
    """Samples of this process while ``function`` runs, by py-spy; None if it cannot attach."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp, "raw.txt")
        command = [spy, "record", "--pid", str(os.getpid()), "--format", "raw", "--rate",
                   str(RATE), "--nonblocking", "--full-filenames", "-o", str(out)]  # fmt: skip
        spying = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(0.5)  # attached and sampling
        if spying.poll() is not None:
            logger.warning("py-spy cannot attach: %s", spying.communicate()[1].decode()[-300:])
            return None
        try:
            function()
        finally:
            spying.send_signal(signal.SIGINT)
            spying.communicate(timeout=60)
        if not out.exists():
            return None
        stacks = []
        for line in out.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if stack and count.isdigit():
                stacks.append((stack.split(";"), int(count)))
        return _tally(stacks)


def _frames_sampler(function: Callable[[], object]) -> collections.Counter[str]:
    """Samples of every thread's Python stack while ``function`` runs (stdlib only).

    Coarser than py-spy: a thread inside a C call (``time.sleep``, a socket
    read) shows its caller's frame, and the sampler needs the GIL to look.
    """
    stacks: list[tuple[list[str], int]] = []
    stop = threading.Event()

    def sample() -> None:
        me = threading.get_ident()
        while not stop.wait(1 / RATE):
            for ident, frame in sys._current_frames().items():
                if ident == me:
                    continue
                frames = []
                walker: types.FrameType | None = frame
                while walker is not None:
                    code = walker.f_code
                    frames.append(f"{code.co_qualname} ({code.co_filename}:0)")
                    walker = walker.f_back
                stacks.append((frames[::-1], 1))

    sampler = threading.Thread(target=sample, daemon=True, name="bench-sampler")
    sampler.start()
    try:
        function()
    finally:
        stop.set()
        sampler.join()
    return _tally(stacks)
