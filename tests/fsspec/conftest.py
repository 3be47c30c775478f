"""Fixtures for fluke-fsspec: real FTP and WebDAV servers, moto, sshd.

* FTP: ``pyftpdlib`` in its own process, one user with a password, a private
  root directory per pytest worker.
* WebDAV: ``wsgidav`` (served by cheroot) in its own process, HTTP basic auth.
* fsspec's in-memory filesystem (this process).
* S3 (moto) and SFTP (sshd), from :mod:`servers`, for the data-tool tests.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fsspec
import pytest
import servers

import fluke
from fluke._dir import Dir
from fluke._file import File
from fluke.testing import StorageTarget
from fluke_fsspec import FsspecDir, FsspecFile

USER, PASSWORD = "fluke", "fluke-fsspec-password"

_FTP_SERVER = """
import sys
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import ThreadedFTPServer
port, root, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
authorizer = DummyAuthorizer()
authorizer.add_user(user, password, root, perm="elradfmwMT")
FTPHandler.authorizer = authorizer
FTPHandler.banner = "fluke test ftp"
ThreadedFTPServer(("127.0.0.1", port), FTPHandler).serve_forever()
"""

_WEBDAV_SERVER = """
import sys
from cheroot import wsgi
from wsgidav.wsgidav_app import WsgiDAVApp
port, root, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
app = WsgiDAVApp({
    "provider_mapping": {"/": root},
    "simple_dc": {"user_mapping": {"*": {user: {"password": password}}}},
    "http_authenticator": {"accept_basic": True, "accept_digest": False,
                           "default_to_digest": False},
    "verbose": 0,
    "logging": {"enable": False},
})
server = wsgi.Server(("127.0.0.1", port), app, numthreads=32, timeout=5)
server.start()
"""


@dataclass
class Server:
    """A running file server: where it listens and the directory it serves."""

    port: int
    root: Path


def _serve(script: str, name: str, banner: bytes) -> Iterator[Server]:
    (port,) = servers.free_ports()
    root = Path(tempfile.mkdtemp(prefix=f"fluke-{name}-"))
    log = root.parent / f"{root.name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(script), str(port), str(root), USER, PASSWORD],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        servers._wait(servers._answers_tcp(port, banner), process, name, log, 30)
        yield Server(port, root)
    finally:
        servers._stop(process)


@pytest.fixture(scope="session")
def ftp_server() -> Iterator[Server]:
    """pyftpdlib on a free port of 127.0.0.1 for this worker."""
    yield from _serve(_FTP_SERVER, "ftp", b"220")


@pytest.fixture(scope="session")
def webdav_server() -> Iterator[Server]:
    """wsgidav on a free port of 127.0.0.1 for this worker."""
    yield from _serve(_WEBDAV_SERVER, "webdav", b"")


class UrlTarget(StorageTarget):
    """A fresh directory of a server, opened through ``fluke.dir(URL)`` (the fallback route)."""

    def __init__(self, scheme: str, base: str, area: str, auth: Any = None) -> None:
        self.uri_scheme = scheme
        self._base = base
        self._area = area
        self._auth = auth
        self._seeder: Dir | None = None

    def write(self, path: str, data: bytes, metadata: dict[str, str] | None = None) -> None:
        """Seed through one Dir kept for the whole test (one connection)."""
        if self._seeder is None:
            self._seeder = self.dir("", create_if_missing=True)
        self._seeder.write_file(path, data, overwrite=True)

    def close(self) -> None:
        if self._seeder is not None:
            self._seeder.close()

    def dir(self, path: str = "", *, cache: bool = False, create_if_missing: bool = False) -> Dir:
        return fluke.dir(
            self._base + self.full_path(path),
            auth=self._auth,
            cache=cache,
            create_if_missing=create_if_missing,
        )

    def file(self, path: str, *, cache: bool = False) -> File:
        return fluke.file(self._base + self.full_path(path), auth=self._auth, cache=cache)

    def full_path(self, path: str) -> str:
        return self._area + path


class MemoryTarget(StorageTarget):
    """A fresh directory of fsspec's in-memory filesystem, through FsspecDir/FsspecFile."""

    uri_scheme = "memory"

    def __init__(self, area: str) -> None:
        self._fs = fsspec.filesystem("memory")
        self._area = area

    def dir(self, path: str = "", *, cache: bool = False, create_if_missing: bool = False) -> Dir:
        return FsspecDir(
            self._fs, self.full_path(path), cache=cache, create_if_missing=create_if_missing
        )

    def file(self, path: str, *, cache: bool = False) -> File:
        return FsspecFile(self._fs, self.full_path(path), cache=cache)

    def full_path(self, path: str) -> str:
        return self._area + path

    def close(self) -> None:
        self._fs.rm(self._area.rstrip("/"), recursive=True) if self._fs.exists(self._area) else None


def _area() -> str:
    return f"/t-{uuid.uuid4().hex[:12]}/"


@pytest.fixture
def ftp_target(ftp_server: Server) -> Iterator[UrlTarget]:
    """A fresh directory on the FTP server (user and password in the URL)."""
    base = f"ftp://{USER}:{PASSWORD}@127.0.0.1:{ftp_server.port}"
    target = UrlTarget("ftp", base, _area())
    yield target
    target.close()


@pytest.fixture
def webdav_target(webdav_server: Server) -> Iterator[UrlTarget]:
    """A fresh collection on the WebDAV server (basic auth as storage options)."""
    base = f"webdav://127.0.0.1:{webdav_server.port}"
    target = UrlTarget("webdav", base, _area(), auth={"auth": (USER, PASSWORD)})
    yield target
    target.close()


@pytest.fixture
def memory_target() -> Iterator[MemoryTarget]:
    """A fresh directory of fsspec's in-memory filesystem."""
    target = MemoryTarget(_area())
    yield target
    target.close()
