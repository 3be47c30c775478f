"""Fixtures: a real OpenSSH ``sshd`` on 127.0.0.1 at a random port.

Each pytest(-xdist) worker starts its own sshd (``sshd -D -e -f <config>``)
with a host key and a config generated in a private temporary directory. When
running as root (CI), a dedicated account ``fluketest`` (no login shell; the
server forces ``internal-sftp``) logs in by password and by key; its password
is random, generated once per machine and kept in a root-only file. When not
root, sshd runs as the current user and only key login is possible (password
tests are skipped).
"""

from __future__ import annotations

import fcntl
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from fluke._dir import Dir
from fluke._file import File
from fluke.auth import RemoteAuth
from fluke.storage import RemoteDir, RemoteFile
from fluke.testing import StorageTarget
from fluke_ssh.backend import SFTPBackend

TEST_USER = "fluketest"
STATE_DIR = Path(tempfile.gettempdir()) / "fluke-ssh-tests"


def _sshd_binary() -> str:
    for candidate in (shutil.which("sshd"), "/usr/sbin/sshd"):
        if candidate and os.path.exists(candidate):
            return candidate
    pytest.skip("OpenSSH sshd is not installed (apt-get install openssh-server)")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _keygen(path: Path, key_type: str, passphrase: str = "", bits: int | None = None) -> None:
    args = ["ssh-keygen", "-q", "-t", key_type, "-N", passphrase, "-f", str(path)]
    if bits is not None:
        args += ["-b", str(bits)]
    subprocess.run(args, check=True, capture_output=True)


def _ensure_test_user() -> tuple[str, str]:
    """Create the ``fluketest`` account once per machine; return (user, password)."""
    STATE_DIR.mkdir(mode=0o700, exist_ok=True)
    with open(STATE_DIR / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            pwd.getpwnam(TEST_USER)
        except KeyError:
            shell = "/usr/sbin/nologin" if os.path.exists("/usr/sbin/nologin") else "/bin/false"
            subprocess.run(
                ["useradd", "-m", "-s", shell, TEST_USER], check=True, capture_output=True
            )
        password_file = STATE_DIR / "password"
        if password_file.exists():
            password = password_file.read_text().strip()
        else:
            password = secrets.token_urlsafe(18)
            password_file.write_text(password)
            password_file.chmod(0o600)
        subprocess.run(
            ["chpasswd"],
            input=f"{TEST_USER}:{password}\n",
            text=True,
            check=True,
            capture_output=True,
        )
        # a locked/expired account would refuse password logins
        subprocess.run(["usermod", "-U", TEST_USER], capture_output=True)
    return TEST_USER, password


@dataclass
class SSHServer:
    """A running sshd and what tests need to log in to it."""

    host: str
    port: int
    username: str
    password: str | None
    home: str
    key_dir: Path
    host_keys: dict[str, str]  # key type -> base64 public key
    client_keys: dict[str, Path]  # name -> private key file
    key_passphrase: str
    known_hosts: Path  # a known_hosts file listing this server
    uid: int
    gid: int

    def public_key(self, key_type: str = "ssh-ed25519") -> str:
        """The server's base64 host public key of ``key_type``."""
        return self.host_keys[key_type]


def _write_config(workdir: Path, port: int, user: str, root: bool) -> Path:
    lines = [
        f"Port {port}",
        "ListenAddress 127.0.0.1",
        f"HostKey {workdir / 'ssh_host_ed25519_key'}",
        f"HostKey {workdir / 'ssh_host_rsa_key'}",
        f"HostKey {workdir / 'ssh_host_ecdsa_key'}",
        f"PidFile {workdir / 'sshd.pid'}",
        f"AuthorizedKeysFile {workdir / 'authorized_keys'}",
        "PubkeyAuthentication yes",
        f"PasswordAuthentication {'yes' if root else 'no'}",
        "PermitEmptyPasswords no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "StrictModes no",
        "PermitRootLogin no",
        f"AllowUsers {user}",
        "MaxAuthTries 20",
        "MaxSessions 64",
        "MaxStartups 64:30:128",
        "LogLevel VERBOSE",
        "Subsystem sftp internal-sftp",
        "ForceCommand internal-sftp",
        "AllowTcpForwarding no",
        "X11Forwarding no",
        "UseDNS no",
    ]
    config = workdir / "sshd_config"
    config.write_text("\n".join(lines) + "\n")
    return config


def _wait_ready(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"sshd exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                if sock.recv(64).startswith(b"SSH-"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"sshd did not start:\n{log.read_text()}")


@pytest.fixture(scope="session")
def sshd() -> Iterator[SSHServer]:
    """A real sshd for this worker, torn down at the end of the session."""
    binary = _sshd_binary()
    root = os.geteuid() == 0
    if root:
        user, password = _ensure_test_user()
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation dir
    else:
        user, password = pwd.getpwuid(os.geteuid()).pw_name, None
    entry = pwd.getpwnam(user)
    workdir = Path(tempfile.mkdtemp(prefix="fluke-sshd-"))
    workdir.chmod(0o755)  # sshd reads authorized_keys as the test user
    for key_type, bits in (("ed25519", None), ("rsa", 2048), ("ecdsa", 256)):
        _keygen(workdir / f"ssh_host_{key_type}_key", key_type, bits=bits)
    host_keys: dict[str, str] = {}
    for pub in workdir.glob("ssh_host_*_key.pub"):
        key_type, blob = pub.read_text().split()[:2]
        host_keys[key_type] = blob
    passphrase = secrets.token_urlsafe(12)
    key_dir = Path(tempfile.mkdtemp(prefix="fluke-ssh-client-"))
    client_keys: dict[str, Path] = {}
    authorized = []
    for name, key_type, bits, phrase in (
        ("ed25519", "ed25519", None, ""),
        ("rsa", "rsa", 2048, ""),
        ("ecdsa", "ecdsa", 256, ""),
        ("ed25519-encrypted", "ed25519", None, passphrase),
        ("rsa-encrypted", "rsa", 2048, passphrase),
    ):
        path = key_dir / f"id_{name}"
        _keygen(path, key_type, phrase, bits)
        client_keys[name] = path
        authorized.append(Path(f"{path}.pub").read_text().strip())
    (workdir / "authorized_keys").write_text("\n".join(authorized) + "\n")
    (workdir / "authorized_keys").chmod(0o644)
    port = _free_port()
    known_hosts = key_dir / "known_hosts"
    known_hosts.write_text(
        "".join(f"[127.0.0.1]:{port} {kt} {blob}\n" for kt, blob in sorted(host_keys.items()))
    )
    config = _write_config(workdir, port, user, root)
    log = workdir / "sshd.log"
    with open(log, "wb") as log_handle:
        proc = subprocess.Popen(
            [binary, "-D", "-e", "-f", str(config)], stdout=log_handle, stderr=log_handle
        )
    try:
        _wait_ready(port, proc, log)
        yield SSHServer(
            host="127.0.0.1",
            port=port,
            username=user,
            password=password,
            home=entry.pw_dir,
            key_dir=key_dir,
            host_keys=host_keys,
            client_keys=client_keys,
            key_passphrase=passphrase,
            known_hosts=known_hosts,
            uid=entry.pw_uid,
            gid=entry.pw_gid,
        )
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree(key_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def sftp_root(sshd: SSHServer) -> Iterator[str]:
    """A private directory on the server (in the test user's home) for this worker."""
    path = os.path.join(sshd.home, f"fluke-{uuid.uuid4().hex[:12]}")
    os.makedirs(path)
    os.chown(path, sshd.uid, sshd.gid)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def area(sftp_root: str, sshd: SSHServer) -> str:
    """A fresh empty directory on the server for one test (absolute path, no '/')."""
    path = os.path.join(sftp_root, uuid.uuid4().hex[:12])
    os.mkdir(path)
    os.chown(path, sshd.uid, sshd.gid)
    return path


def make_auth(sshd: SSHServer, **overrides: object) -> RemoteAuth:
    """Key auth for the test account, host pinned to the test server's known_hosts."""
    options: dict[str, object] = {
        "port": sshd.port,
        "known_hosts": str(sshd.known_hosts),
        "ssh_config": False,
    }
    options.update(overrides)
    return RemoteAuth.from_key(
        sshd.host,
        sshd.username,
        str(sshd.client_keys["ed25519"]),
        **options,  # type: ignore[arg-type]
    )


class SFTPTarget(StorageTarget):
    """A fresh directory on the test sshd."""

    uri_scheme = "sftp"

    def __init__(self, auth: RemoteAuth, area: str) -> None:
        self._auth = auth
        self._area = area.rstrip("/") + "/"
        self._seeder: SFTPBackend | None = None

    def write(self, path: str, data: bytes, metadata: dict[str, str] | None = None) -> None:
        """Seed a file through one connection kept for the whole test."""
        if self._seeder is None:
            self._seeder = SFTPBackend(self._auth)
        with self._seeder.open_writer(self.full_path(path), metadata=metadata) as writer:
            writer.write(data)

    def close(self) -> None:
        if self._seeder is not None:
            self._seeder.close()

    def dir(self, path: str = "", *, cache: bool = False, create_if_missing: bool = False) -> Dir:
        return RemoteDir(
            self._auth, self._area + path, cache=cache, create_if_missing=create_if_missing
        )

    def file(self, path: str, *, cache: bool = False) -> File:
        return RemoteFile(self._auth, self._area + path, cache=cache)

    def full_path(self, path: str) -> str:
        return self._area + path


@pytest.fixture
def auth_factory(sshd: SSHServer) -> Callable[..., RemoteAuth]:
    """``make_auth`` bound to this worker's sshd: ``auth_factory(known_hosts=...)``."""
    return lambda **overrides: make_auth(sshd, **overrides)


@pytest.fixture
def auth(sshd: SSHServer) -> RemoteAuth:
    """Key login to the test sshd, host key checked against a temp known_hosts."""
    return make_auth(sshd)


@pytest.fixture
def sftp_target(auth: RemoteAuth, area: str) -> Iterator[SFTPTarget]:
    """A :class:`SFTPTarget` on a fresh directory."""
    target = SFTPTarget(auth, area)
    yield target
    target.close()
