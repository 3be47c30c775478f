"""Helpers of the transfer engine's end-to-end tests (imported by their conftest and modules).

- :class:`Stores`: fresh directories on local disk, S3, Azure, GCS and SFTP,
  seeded and read through the backends' own primitives, never through the
  transfer engine under test.
- :class:`FaultProxy`: a loopback HTTP reverse proxy that answers ``503`` to,
  or drops the connection of, chosen requests before they reach the server.
"""

from __future__ import annotations

import http.client
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import pytest
import servers

AWS_KEY_ID = "AKIAE2EENGINETEST001"
AWS_SECRET = "e2e-engine-secret-do-not-print"
REGION = "us-east-1"
KINDS = ("local", "s3", "azure", "gcs", "sftp")
MiB = 1024 * 1024


def unique(prefix: str) -> str:
    """A name valid for buckets, containers and directories."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def aws_auth_for(endpoint: str) -> Any:
    """Fluke's S3 credentials pointed at ``endpoint`` (moto, or a proxy in front of it)."""
    from fluke.auth import AWSAuth

    return AWSAuth(AWS_KEY_ID, AWS_SECRET, region=REGION, endpoint_url=endpoint)


def sftp_auth_for(sshd: servers.SSHServer) -> Any:
    """Key login to the test sshd, its host key checked against known_hosts."""
    from fluke.auth import RemoteAuth

    return RemoteAuth.from_key(
        sshd.host,
        sshd.username,
        str(sshd.client_keys["ed25519"]),
        port=sshd.port,
        known_hosts=str(sshd.known_hosts),
        ssh_config=False,
    )


class Stores:
    """Fresh directories on any of the five backends, and raw access to their files."""

    def __init__(self, request: pytest.FixtureRequest, tmp_path: Path) -> None:
        self._request = request
        self._tmp_path = tmp_path
        self.area = unique("area")
        self._dirs: list[Any] = []

    def dir(self, kind: str, name: str, *, endpoint: str | None = None) -> Any:
        """A new, existing directory ``name`` on backend ``kind``.

        ``endpoint`` replaces moto's URL for S3 (to go through a proxy).
        """
        fixture = self._request.getfixturevalue
        prefix = f"{self.area}/{name}"
        made: Any
        if kind == "local":
            from fluke.storage import LocalDir

            made = LocalDir(str(self._tmp_path / name), create_if_missing=True)
        elif kind == "s3":
            from fluke.storage import AmazonS3Dir

            auth = aws_auth_for(endpoint or fixture("moto_endpoint"))
            made = AmazonS3Dir(auth, fixture("s3_bucket"), prefix, create_if_missing=True)
        elif kind == "azure":
            from fluke.auth import AzureAuth
            from fluke.storage import AzureBlobDir

            auth = AzureAuth.from_conn_string(fixture("azurite").connection_string)
            made = AzureBlobDir(auth, fixture("azure_container"), prefix, create_if_missing=True)
        elif kind == "gcs":
            from fluke.auth import GCPAuth
            from fluke.storage import GCPStorageDir

            auth = GCPAuth.for_emulator(fixture("gcs_endpoint"), project_id="test")
            made = GCPStorageDir(auth, fixture("gcs_bucket"), prefix, create_if_missing=True)
        elif kind == "sftp":
            from fluke.storage import RemoteDir

            sshd: servers.SSHServer = fixture("sshd")
            area: str = fixture("sftp_area")
            made = RemoteDir(sftp_auth_for(sshd), f"{area}/{name}", create_if_missing=True)
        else:
            raise ValueError(kind)
        self._dirs.append(made)
        return made

    @staticmethod
    def write(directory: Any, relative: str, data: bytes) -> None:
        """Store ``data`` at ``relative`` inside ``directory`` with the backend's writer."""
        backend = directory._session.backend
        with backend.open_writer(directory.get_path() + relative, size_hint=len(data)) as writer:
            writer.write(data)

    @staticmethod
    def read(directory: Any, relative: str) -> bytes:
        """The bytes stored at ``relative`` inside ``directory``."""
        backend = directory._session.backend
        path = directory.get_path() + relative
        entry = backend.stat(path)
        assert entry is not None and not entry.is_dir, f"{path} is missing"
        return b"".join(backend.iter_chunks(path, MiB, entry.size))

    def close(self) -> None:
        for made in self._dirs:
            made.close()


# -- a loopback HTTP proxy that injects faults ---------------------------------

Mode = Literal["503", "drop"]
Match = Callable[[str, str], bool]
#: Headers that belong to one hop and are not forwarded.
_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "expect"}
)
_SLOW_DOWN = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>ServiceUnavailable</Code>'
    b"<Message>injected by the test proxy</Message></Error>"
)


@dataclass
class _Rule:
    remaining: int | None  # None: forever
    mode: Mode
    match: Match


@dataclass
class FaultProxy:
    """Forwards HTTP requests to ``upstream``, failing those its rule selects.

    Every request is inspected (keep-alive included): :meth:`fail` arms a rule
    ("the next ``count`` requests matching ``match`` get a ``503``, or have
    their connection dropped"); :attr:`log` records ``(method, path, action)``
    for each request; :attr:`before_forward` is called before a request is
    passed on (to act at a precise moment of a transfer).
    """

    upstream: str
    url: str = ""
    log: list[tuple[str, str, str]] = field(default_factory=list)
    before_forward: Callable[[str, str], None] | None = None
    _rule: _Rule | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    def start(self) -> str:
        """Serve on a free port of 127.0.0.1; return the proxy's URL."""
        proxy = self

        class Handler(_ProxyHandler):
            owner = proxy

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def fail(self, count: int | None, mode: Mode = "503", match: Match | None = None) -> None:
        """Fail the next ``count`` matching requests (``None``: all of them)."""
        with self._lock:
            self._rule = _Rule(count, mode, match or (lambda method, path: True))

    def failures(self, match: Match | None = None) -> int:
        """How many requests (matching ``match``) were failed so far."""
        with self._lock:
            return sum(
                1
                for method, path, action in self.log
                if action != "forward" and (match is None or match(method, path))
            )

    def _decide(self, method: str, path: str) -> str:
        with self._lock:
            rule = self._rule
            action = "forward"
            if rule is not None and rule.remaining != 0 and rule.match(method, path):
                action = rule.mode
                if rule.remaining is not None:
                    rule.remaining -= 1
            self.log.append((method, path, action))
            return action


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    owner: FaultProxy

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        pass

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        body = self._body()
        action = self.owner._decide(self.command, self.path)
        if action == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if action == "503":
            self.send_response_only(503, "Service Unavailable")
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(_SLOW_DOWN)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(_SLOW_DOWN)
            return
        if self.owner.before_forward is not None:
            self.owner.before_forward(self.command, self.path)
        target = urlsplit(self.owner.upstream)
        upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=120)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
            headers["Content-Length"] = str(len(body))
            upstream.request(self.command, self.path, body=body, headers=headers)
            response = upstream.getresponse()
            data = response.read()
        finally:
            upstream.close()
        self.send_response_only(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in _HOP and name.lower() != "content-length":
                self.send_header(name, value)
        length = response.getheader("Content-Length") if self.command == "HEAD" else None
        self.send_header("Content-Length", length or str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle
