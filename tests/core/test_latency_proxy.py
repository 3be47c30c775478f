"""The benchmarks' latency proxy (tests/latency_proxy.py): it adds the delay, bytes pass intact.

Timing assertions are lower bounds only (a loaded machine is slower, never faster).
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from latency_proxy import LatencyProxy, parse_rtt, proxy_process


@pytest.fixture
def echo_server() -> Iterator[tuple[str, int]]:
    """A TCP server that sends back everything it receives, per connection."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve(conn: socket.socket) -> None:
        with conn:
            while data := conn.recv(65536):
                conn.sendall(data)

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    yield listener.getsockname()[:2]
    listener.close()


def _roundtrips(port: int, count: int) -> float:
    """Seconds per request/answer of one byte, over ``count`` exchanges on one connection."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(b"x")
        assert sock.recv(1) == b"x"  # past the handshake
        started = time.perf_counter()
        for _ in range(count):
            sock.sendall(b"y")
            assert sock.recv(1) == b"y"
        return (time.perf_counter() - started) / count


def _echo_all(port: int, payload: bytes) -> bytes:
    received = bytearray()
    with socket.create_connection(("127.0.0.1", port)) as sock:

        def send() -> None:
            sock.sendall(payload)
            sock.shutdown(socket.SHUT_WR)

        sender = threading.Thread(target=send)
        sender.start()
        while data := sock.recv(1 << 20):
            received += data
        sender.join()
    return bytes(received)


def test_parse_rtt() -> None:
    assert parse_rtt("20ms") == pytest.approx(0.02)
    assert parse_rtt("0.08s") == pytest.approx(0.08)
    assert parse_rtt("0") == 0.0
    for bad in ("fast", "-5ms", "nan"):
        with pytest.raises(ValueError, match="round-trip time"):
            parse_rtt(bad)


@pytest.mark.parametrize("rtt", [0.0, 0.03])
def test_bytes_pass_intact(echo_server: tuple[str, int], rtt: float) -> None:
    payload = os.urandom(3 * 1024 * 1024 + 17)
    with LatencyProxy(echo_server, rtt=rtt) as proxy:
        echoed = _echo_all(proxy.port, payload)
    assert hashlib.sha256(echoed).digest() == hashlib.sha256(payload).digest()


def test_adds_the_round_trip_time(echo_server: tuple[str, int]) -> None:
    rtt = 0.04
    with LatencyProxy(echo_server, rtt=rtt) as proxy:
        measured = _roundtrips(proxy.port, 5)
    assert measured >= 0.8 * rtt


def test_connection_pays_a_handshake(echo_server: tuple[str, int]) -> None:
    rtt = 0.04
    with LatencyProxy(echo_server, rtt=rtt) as proxy:
        started = time.perf_counter()
        with socket.create_connection(("127.0.0.1", proxy.port)) as sock:
            sock.sendall(b"x")
            assert sock.recv(1) == b"x"
        first = time.perf_counter() - started
    # the first bytes reach the server one rtt after the connect (the handshake),
    # the answer half an rtt later: 1.5 rtt, where a warm connection takes 1
    assert first >= 0.95 * 1.5 * rtt


def test_bandwidth_cap(echo_server: tuple[str, int]) -> None:
    rate = 4 * 1024 * 1024  # bytes/s per direction
    payload = os.urandom(2 * 1024 * 1024)
    with LatencyProxy(echo_server, bandwidth=rate) as proxy:
        started = time.perf_counter()
        assert _echo_all(proxy.port, payload) == payload
        seconds = time.perf_counter() - started
    assert seconds >= 0.8 * len(payload) / rate


def test_late_target_and_url(echo_server: tuple[str, int]) -> None:
    proxy = LatencyProxy()
    proxy.set_target(*echo_server)
    host, port = echo_server
    assert proxy.url_for(f"http://{host}:{port}/x") == f"http://127.0.0.1:{proxy.port}/x"
    with pytest.raises(ValueError, match="does not name"):
        proxy.url_for("http://example.com/")
    with proxy:
        assert _echo_all(proxy.port, b"hello") == b"hello"


def test_a_proxy_process_relays_with_the_delay_and_stops_with_its_block(
    echo_server: tuple[str, int],
) -> None:
    payload = os.urandom(256 * 1024)
    with proxy_process(echo_server, rtt=0.05) as port:
        assert _echo_all(port, payload) == payload
        assert _roundtrips(port, 3) >= 0.045
    with pytest.raises(OSError):  # the process is gone, and its port with it
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
