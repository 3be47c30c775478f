"""A TCP proxy that adds round-trip time (and optionally caps bandwidth).

The benchmarks put one in front of each local server (moto, Azurite,
fake-gcs-server, sshd) so that every tool -- Fluke and its anchors alike --
sees the same network: ``rtt`` seconds between a byte sent and its answer,
as on a real cloud endpoint, instead of loopback's zero.

How the delay is made: each direction of each connection has a reader that
stamps every chunk it receives with the time it is due (arrival + rtt / 2)
and a sender that forwards the chunk when that time comes. A request and
its answer therefore take one ``rtt`` more than without the proxy, and a
new connection pays one more ``rtt`` before its first byte reaches the
server (the TCP handshake a real network charges). Data in flight per
direction is bounded (like a TCP window), so the proxy never buffers more
than :data:`WINDOW` bytes per connection and direction.

``bandwidth`` (bytes per second, per connection and direction) spaces the
chunks out so that no connection sends faster than that.

With ``rtt == 0`` and no bandwidth cap, bytes are relayed directly (one
thread per direction), which costs almost nothing over loopback.

Nothing here imports anything beyond the standard library.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import logging
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from types import TracebackType

__all__ = ["WINDOW", "LatencyProxy", "parse_rtt", "proxy_process"]

logger = logging.getLogger("fluke.bench.proxy")

#: Largest recv, in bytes.
CHUNK = 256 * 1024
#: Most bytes in flight (received, not yet forwarded) per connection and direction.
WINDOW = 16 * 1024 * 1024


def parse_rtt(text: str) -> float:
    """Seconds from ``"20ms"``, ``"0.02s"``, ``"0.02"`` or ``"0"``.

    :raises ValueError: not a non-negative duration.
    """
    raw = text.strip().lower()
    scale = 1.0
    if raw.endswith("ms"):
        raw, scale = raw[:-2], 0.001
    elif raw.endswith("s"):
        raw = raw[:-1]
    try:
        seconds = float(raw) * scale
    except ValueError:
        raise ValueError(f"{text!r} is not a round-trip time (like 20ms or 0.02s)") from None
    if not seconds >= 0 or seconds == float("inf"):
        raise ValueError(f"{text!r} is not a round-trip time (like 20ms or 0.02s)")
    return seconds


class _DelayedPipe:
    """One direction of one connection: bytes from ``src`` reach ``dst`` ``delay`` s later."""

    def __init__(
        self,
        src: socket.socket,
        dst: socket.socket,
        delay: float,
        bandwidth: float | None,
        not_before: float,
        done: threading.Event,
    ) -> None:
        self._src, self._dst = src, dst
        self._delay, self._bandwidth = delay, bandwidth
        self._not_before = not_before
        self._done = done
        self._queue: collections.deque[tuple[float, bytes | None]] = collections.deque()
        self._queued = 0
        self._cond = threading.Condition()
        self.finished = False

    def start(self) -> None:
        direct = self._delay <= 0 and self._bandwidth is None and self._not_before <= 0
        target = self._relay if direct else self._read
        threading.Thread(target=target, daemon=True, name="proxy-read").start()
        if not direct:
            threading.Thread(target=self._send, daemon=True, name="proxy-send").start()

    def _relay(self) -> None:
        """No delay: forward each chunk as it arrives."""
        try:
            while True:
                data = self._src.recv(CHUNK)
                if not data:
                    break
                self._dst.sendall(data)
            self._dst.shutdown(socket.SHUT_WR)
        except OSError:
            self._done.set()  # a reset on either side ends the whole connection
        finally:
            self._finish()

    def _read(self) -> None:
        try:
            while not self._done.is_set():
                with self._cond:
                    while self._queued >= WINDOW and not self._done.is_set():
                        self._cond.wait(0.5)
                data = self._src.recv(CHUNK)
                if not data:
                    break
                due = max(time.monotonic() + self._delay, self._not_before)
                with self._cond:
                    self._queue.append((due, data))
                    self._queued += len(data)
                    self._cond.notify_all()
        except OSError:
            self._done.set()
        finally:  # end of stream (or a reset): the sender closes its side when due
            with self._cond:
                self._queue.append((time.monotonic() + self._delay, None))
                self._cond.notify_all()

    def _send(self) -> None:
        next_free = 0.0  # when the bandwidth cap lets the next chunk go
        try:
            while True:
                with self._cond:
                    while not self._queue:
                        self._cond.wait(0.5)
                    due, data = self._queue.popleft()
                    self._queued -= len(data or b"")
                    self._cond.notify_all()
                wait = max(due, next_free) - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                if data is None:
                    self._dst.shutdown(socket.SHUT_WR)
                    return
                self._dst.sendall(data)
                if self._bandwidth is not None:
                    next_free = max(next_free, time.monotonic()) + len(data) / self._bandwidth
        except OSError:
            self._done.set()
        finally:
            self._finish()

    def _finish(self) -> None:
        with self._cond:
            self._cond.notify_all()
        self.finished = True


class LatencyProxy:
    """Listen on 127.0.0.1; relay every connection to ``target`` with added latency.

    :param target: ``(host, port)`` to relay to; may be set later with
        :meth:`set_target` (before the first connection), for servers that
        must know the proxy's port when they start.
    :param rtt: added round-trip time in seconds (``0``: none).
    :param bandwidth: bytes per second per connection and direction (``None``: no cap).
    :param port: the port to listen on (``0``: a free one).

    Use as a context manager, or :meth:`start` and :meth:`close`.
    """

    def __init__(
        self,
        target: tuple[str, int] | None = None,
        *,
        rtt: float = 0.0,
        bandwidth: float | None = None,
        port: int = 0,
    ) -> None:
        if rtt < 0:
            raise ValueError(f"rtt must be >= 0, not {rtt!r}")
        if bandwidth is not None and bandwidth <= 0:
            raise ValueError(f"bandwidth must be > 0 bytes/s, not {bandwidth!r}")
        self.target = target
        self.rtt = rtt
        self.bandwidth = bandwidth
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", port))
        self._listener.listen(128)
        self._closed = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self.connections = 0

    @property
    def port(self) -> int:
        """The port the proxy listens on (known from construction)."""
        return int(self._listener.getsockname()[1])

    @property
    def address(self) -> str:
        """``127.0.0.1:port``."""
        return f"127.0.0.1:{self.port}"

    def set_target(self, host: str, port: int) -> None:
        """Where connections go (set before clients connect)."""
        self.target = (host, port)

    def url_for(self, url: str) -> str:
        """``url`` (an ``http://127.0.0.1:PORT/...`` of the target) pointed at the proxy."""
        assert self.target is not None
        host, port = self.target
        original = f"{host}:{port}"
        if original not in url:
            raise ValueError(f"{url!r} does not name the proxied server {original}")
        return url.replace(original, self.address, 1)

    def start(self) -> LatencyProxy:
        """Start accepting connections (in a daemon thread)."""
        threading.Thread(target=self._accept, daemon=True, name="proxy-accept").start()
        return self

    def close(self) -> None:
        """Stop accepting and cut every open connection."""
        self._closed.set()
        try:
            self._listener.close()
        except OSError:
            pass
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def __enter__(self) -> LatencyProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- internals ---------------------------------------------------------

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            accepted = time.monotonic()
            threading.Thread(
                target=self._open, args=(client, accepted), daemon=True, name="proxy-open"
            ).start()

    def _open(self, client: socket.socket, accepted: float) -> None:
        if self.target is None:
            client.close()
            return
        try:
            upstream = socket.create_connection(self.target, timeout=10)
            upstream.settimeout(None)
        except OSError:
            logger.debug("cannot reach %s", self.target, exc_info=True)
            client.close()
            return
        for sock in (client, upstream):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            if self._closed.is_set():
                client.close()
                upstream.close()
                return
            self._sockets += [client, upstream]
            self.connections += 1
        done = threading.Event()
        half = self.rtt / 2
        # the handshake: the first bytes reach the server one full rtt after connecting
        handshake = accepted + self.rtt if self.rtt > 0 else 0.0
        pipes = [
            _DelayedPipe(client, upstream, half, self.bandwidth, handshake, done),
            _DelayedPipe(upstream, client, half, self.bandwidth, 0.0, done),
        ]
        for pipe in pipes:
            pipe.start()
        threading.Thread(
            target=self._reap, args=(pipes, client, upstream, done), daemon=True
        ).start()

    def _reap(
        self,
        pipes: list[_DelayedPipe],
        client: socket.socket,
        upstream: socket.socket,
        done: threading.Event,
    ) -> None:
        """Close both sockets once both directions ended (or one was reset)."""
        while not done.wait(0.2):
            if all(pipe.finished for pipe in pipes):
                break
        if done.is_set():  # a reset: cut the other side too
            for sock in (client, upstream):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        while not all(pipe.finished for pipe in pipes):
            time.sleep(0.05)
        with self._lock:
            for sock in (client, upstream):
                if sock in self._sockets:
                    self._sockets.remove(sock)
        client.close()
        upstream.close()


@contextlib.contextmanager
def proxy_process(
    target: tuple[str, int], *, rtt: float, bandwidth: float | None = None, port: int = 0
) -> Iterator[int]:
    """A :class:`LatencyProxy` to ``target`` in a process of its own; yields its port.

    The benchmarks run Fluke and the SDK anchors in their own process: a proxy
    relaying in that process would take turns with them for the interpreter
    lock (four threads per connection), and slow them down where an anchor
    running as its own process (rclone, sftp) would not be.
    """
    command = [sys.executable, __file__, f"{target[0]}:{target[1]}", "--rtt", repr(rtt)]
    if bandwidth is not None:
        command += ["--bandwidth", repr(bandwidth)]
    command += ["--port", str(port)]
    child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        if not line.strip().isdigit():
            raise RuntimeError(f"the latency proxy did not start (it said {line!r})")
        yield int(line)
    finally:
        if child.stdin is not None:
            child.stdin.close()  # the proxy's signal to stop
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def main(argv: list[str] | None = None) -> None:
    """``python latency_proxy.py HOST:PORT --rtt S``: relay until standard input closes."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("target", help="HOST:PORT to relay to")
    parser.add_argument("--rtt", type=float, required=True, help="seconds")
    parser.add_argument("--bandwidth", type=float, default=None, help="bytes/s per connection")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: free)")
    args = parser.parse_args(argv)
    host, _, port = args.target.rpartition(":")
    with LatencyProxy(
        (host, int(port)), rtt=args.rtt, bandwidth=args.bandwidth, port=args.port
    ) as proxy:
        print(proxy.port, flush=True)
        sys.stdin.read()  # until the parent closes it (or exits)


if __name__ == "__main__":
    main()
