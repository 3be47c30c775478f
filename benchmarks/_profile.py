"""Where the time goes: ``run.py --profile``.

With profiling on, every call :func:`_common.timed` measures (and every
Fluke 0.5.0 / "fluke before" script :func:`_common.run_old_fluke` runs) also
records a :class:`Usage`: wall seconds, then CPU seconds split by who spent
them:

- ``client``: this process (``RUSAGE_SELF``: Fluke or the SDK in process)
  less the latency proxy's threads, plus the child processes that ended
  during the call (``RUSAGE_CHILDREN``: rclone, sftp, awscli, ``fluke ...``),
  or, for the self-timing 0.5.0 / "fluke before" scripts, the CPU the
  script reports for its timed part (interpreter start left out, like its
  wall time);
- ``server``: the long-lived servers (this process's live children, found
  recursively with psutil; a server's reaped children count through its
  ``children_user``/``children_system``, so sshd's sessions are in);
- ``proxy``: the in-process latency proxy's threads (named ``proxy-*``),
  polled every 20 ms from ``/proc/self/task/<tid>/schedstat`` while the call
  runs, so a connection's threads that end with it are counted up to their
  last poll.

``wait`` is the wall time no CPU above accounts for (latency, the disk,
sleeping); a negative one means the CPUs overlapped (2 cores: client and
server at once) and is printed as ``overlap``.

:func:`compare_note` keeps a line per row; when Fluke is slower than the
row's best anchor, it runs Fluke's call once more under a sampler
(``py-spy record --nonblocking`` on this process when it is installed,
else a ``sys._current_frames`` sampler) and adds its hottest functions by
own samples, all threads but the proxy's, idle frames left out.
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
from collections.abc import Callable, Iterable
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
#: Row label -> what the profile says about it
_NOTES: dict[str, str] = {}


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


def _server_cpu() -> float:
    """CPU seconds of this process's live descendants (and of the children they reaped)."""
    import psutil

    total = 0.0
    for process in psutil.Process().children(recursive=True):
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


def _thread_cpu(native_id: int) -> float | None:
    """CPU seconds of one thread of this process, or None once it is gone."""
    task = f"/proc/self/task/{native_id}"
    try:
        with open(f"{task}/schedstat") as stat:
            return int(stat.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        pass
    try:
        with open(f"{task}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


class _ProxyMeter:
    """Polls the CPU of the proxy's threads (``proxy-*``) while a call runs."""

    def __init__(self, interval: float = 0.02) -> None:
        self._interval = interval
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="bench-profile")
        self.own = 0.0  #: the poller's own CPU seconds

    def _poll(self, first: bool) -> None:
        for thread in threading.enumerate():
            if not thread.name.startswith("proxy-") or thread.native_id is None:
                continue
            seconds = _thread_cpu(thread.native_id)
            if seconds is None:
                continue
            if first:
                self._first[thread.native_id] = seconds
            self._last[thread.native_id] = seconds

    def _run(self) -> None:
        started = time.thread_time()
        while not self._stop.wait(self._interval):
            self._poll(first=False)
        self._poll(first=False)
        self.own = time.thread_time() - started

    def __enter__(self) -> _ProxyMeter:
        self._poll(first=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def seconds(self) -> float:
        """CPU seconds the proxy's threads spent since the meter started."""
        return sum(last - self._first.get(tid, 0.0) for tid, last in self._last.items())


def _rusage(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def measure(function: Callable[[], object]) -> tuple[float, Usage]:
    """Call ``function``; its wall seconds and :class:`Usage`."""
    server = _server_cpu()
    with _ProxyMeter() as proxy:
        own, children = _rusage(resource.RUSAGE_SELF), _rusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        function()
        wall = time.perf_counter() - started
        own = _rusage(resource.RUSAGE_SELF) - own
        children = _rusage(resource.RUSAGE_CHILDREN) - children
    server = _server_cpu() - server
    client = max(0.0, own - proxy.seconds - proxy.own) + children
    return wall, Usage(wall, client, server, proxy.seconds, children)


def record(seconds: float, usage: Usage, function: Callable[[], object] | None = None) -> None:
    """Remember what the call that took ``seconds`` spent (and the call, to sample it)."""
    _CALLS[seconds] = (usage, function)


def recorded(seconds: float | str) -> tuple[Usage, Callable[[], object] | None] | None:
    """What :func:`record` kept for ``seconds``, if anything."""
    return _CALLS.get(seconds) if isinstance(seconds, float) else None


def note(label: str) -> str | None:
    """What the profile says about the row labelled ``label``."""
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
    text = "; ".join(parts)
    best = min((s for s in anchors.values() if isinstance(s, float)), default=None)
    fluke = recorded(fluke_seconds)
    if best is not None and best < fluke_seconds and fluke is not None:
        usage, function = fluke
        if function is None or usage.child > usage.client / 2:
            text += " | fluke runs in a child process: not sampled"
        else:
            text += " | fluke's hot functions: " + hot_frames(function)
    _NOTES[label] = text


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
