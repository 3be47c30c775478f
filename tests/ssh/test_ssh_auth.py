"""RemoteAuth against a real sshd: logins, host key checks, secrets never shown."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import paramiko
import pytest

from fluke.auth import RemoteAuth
from fluke.exceptions import InvalidPathError
from fluke.storage import RemoteDir
from fluke_ssh._connection import KeyFileError
from fluke_ssh.auth import HostKeyError, UnknownHostError

if TYPE_CHECKING:
    from servers import SSHServer


def _other_ed25519() -> str:
    """A valid ed25519 public key (base64) that is not the server's."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    public = Ed25519PrivateKey.generate().public_key()
    line = public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return line.decode().split()[1]


OTHER_ED25519 = _other_ed25519()


def _needs_password(sshd: SSHServer) -> str:
    if sshd.password is None:
        pytest.skip("password login needs root (a dedicated test account)")
    return sshd.password


def _works(auth: RemoteAuth, area: str) -> None:
    with RemoteDir(auth, area) as directory:
        assert directory.count() == 0
        assert directory.get_hostname() == auth.get_hostname()


# -- logging in -----------------------------------------------------------------


def test_password_login(sshd: SSHServer, area: str) -> None:
    password = _needs_password(sshd)
    auth = RemoteAuth.from_password(
        sshd.host, sshd.username, password, port=sshd.port, known_hosts=str(sshd.known_hosts)
    )
    _works(auth, area)


def test_wrong_password_is_refused_without_showing_it(sshd: SSHServer, area: str) -> None:
    _needs_password(sshd)
    secret = "not-the-password-4711"
    auth = RemoteAuth.from_password(
        sshd.host, sshd.username, secret, port=sshd.port, known_hosts=str(sshd.known_hosts)
    )
    with pytest.raises(paramiko.AuthenticationException) as caught:
        RemoteDir(auth, area)
    assert secret not in str(caught.value) and secret not in repr(caught.value)


@pytest.mark.parametrize("key", ["ed25519", "rsa", "ecdsa"])
def test_key_login(sshd: SSHServer, area: str, key: str) -> None:
    auth = RemoteAuth.from_key(
        sshd.host,
        sshd.username,
        str(sshd.client_keys[key]),
        port=sshd.port,
        known_hosts=str(sshd.known_hosts),
    )
    _works(auth, area)


@pytest.mark.parametrize("key", ["ed25519-encrypted", "rsa-encrypted"])
def test_encrypted_key_login(sshd: SSHServer, area: str, key: str) -> None:
    auth = RemoteAuth.from_key(
        sshd.host,
        sshd.username,
        str(sshd.client_keys[key]),
        passphrase=sshd.key_passphrase,
        port=sshd.port,
        known_hosts=str(sshd.known_hosts),
    )
    _works(auth, area)


def test_wrong_passphrase_is_a_clear_error(sshd: SSHServer, area: str) -> None:
    secret = "wrong-passphrase-0815"
    auth = RemoteAuth.from_key(
        sshd.host,
        sshd.username,
        str(sshd.client_keys["ed25519-encrypted"]),
        passphrase=secret,
        port=sshd.port,
        known_hosts=str(sshd.known_hosts),
    )
    with pytest.raises(KeyFileError, match="ed25519-encrypted") as caught:
        RemoteDir(auth, area)
    assert secret not in str(caught.value)


def test_missing_key_file_is_refused_before_connecting(tmp_path: Path) -> None:
    with pytest.raises(InvalidPathError, match="no-such-key"):
        RemoteAuth.from_key("127.0.0.1", "me", str(tmp_path / "no-such-key"))


# -- host keys ------------------------------------------------------------------


def test_unknown_host_is_refused(
    sshd: SSHServer, auth_factory: Callable[..., RemoteAuth], area: str, tmp_path: Path
) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    with pytest.raises(UnknownHostError, match="not a known host") as caught:
        RemoteDir(auth_factory(known_hosts=str(empty)), area)
    assert "SHA256:" in str(caught.value) and "verify_host=False" in str(caught.value)


def test_default_known_hosts_is_the_users(
    sshd: SSHServer, area: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without known_hosts=..., ~/.ssh/known_hosts decides (HOME is a temp dir here)."""
    monkeypatch.setenv("HOME", str(tmp_path))
    auth = RemoteAuth.from_key(
        sshd.host, sshd.username, str(sshd.client_keys["ed25519"]), port=sshd.port
    )
    with pytest.raises(UnknownHostError):
        RemoteDir(auth, area)
    (tmp_path / ".ssh").mkdir()
    (tmp_path / ".ssh" / "known_hosts").write_text(sshd.known_hosts.read_text())
    _works(auth, area)


def test_changed_host_key_is_refused(
    sshd: SSHServer, auth_factory: Callable[..., RemoteAuth], area: str, tmp_path: Path
) -> None:
    changed = tmp_path / "known_hosts"
    changed.write_text(f"[{sshd.host}]:{sshd.port} ssh-ed25519 {OTHER_ED25519}\n")
    with pytest.raises(paramiko.BadHostKeyException):
        RemoteDir(auth_factory(known_hosts=str(changed)), area)
    # and it was not silently re-learned
    assert changed.read_text().count("\n") == 1
    with pytest.raises(paramiko.BadHostKeyException):
        RemoteDir(auth_factory(known_hosts=str(changed)), area)


@pytest.mark.parametrize(
    ("key_type", "generate"),
    [
        ("ssh-ed25519", RemoteAuth.PublicKey.generate_ssh_ed25519_key),
        ("ssh-rsa", RemoteAuth.PublicKey.generate_ssh_rsa_key),
        ("ecdsa-sha2-nistp256", RemoteAuth.PublicKey.generate_ecdsa_sha2_nistp256_key),
    ],
)
def test_pinned_key_is_accepted(
    sshd: SSHServer,
    auth_factory: Callable[..., RemoteAuth],
    area: str,
    tmp_path: Path,
    key_type: str,
    generate: object,
) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    pinned = generate(sshd.public_key(key_type))  # type: ignore[operator]
    _works(auth_factory(known_hosts=str(empty), public_key=pinned), area)


def test_pinned_wrong_key_is_refused(
    sshd: SSHServer, auth_factory: Callable[..., RemoteAuth], area: str
) -> None:
    pinned = RemoteAuth.PublicKey.generate_ssh_ed25519_key(OTHER_ED25519)
    with pytest.raises(paramiko.BadHostKeyException):
        RemoteDir(auth_factory(public_key=pinned), area)


def test_verify_host_false_accepts_any_host(
    sshd: SSHServer, auth_factory: Callable[..., RemoteAuth], area: str, tmp_path: Path
) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    _works(auth_factory(known_hosts=str(empty), verify_host=False), area)
    assert empty.read_text() == ""  # nothing learned


def test_public_key_constructors() -> None:
    names = [
        "generate_ssh_rsa_key",
        "generate_ssh_dss_key",
        "generate_ssh_ed25519_key",
        "generate_ecdsa_sha2_nistp256_key",
        "generate_ecdsa_sha2_nistp384_key",
        "generate_ecdsa_sha2_nistp521_key",
    ]
    for name in names:
        assert callable(getattr(RemoteAuth.PublicKey, name))
    key = RemoteAuth.PublicKey.generate_ssh_ed25519_key(f"ssh-ed25519 {OTHER_ED25519} c")
    assert key.get_key_type() == "ssh-ed25519"
    with pytest.raises(HostKeyError):
        RemoteAuth.PublicKey.generate_ssh_ed25519_key("not base64 !!")
    with pytest.raises(HostKeyError):
        RemoteAuth.PublicKey.generate_ssh_rsa_key(OTHER_ED25519)  # an ed25519 blob


# -- ~/.ssh/config and secrets ----------------------------------------------------


def test_ssh_config_is_used(
    sshd: SSHServer, area: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    ssh_dir = tmp_path / ".ssh"
    ssh_dir.mkdir()
    (ssh_dir / "known_hosts").write_text(sshd.known_hosts.read_text())
    (ssh_dir / "config").write_text(
        "Host fluke-test-alias\n"
        f"  HostName {sshd.host}\n"
        f"  Port {sshd.port}\n"
        f"  User {sshd.username}\n"
        f"  IdentityFile {sshd.client_keys['rsa']}\n"
    )
    auth = RemoteAuth.from_password("fluke-test-alias", "", "not-the-password")
    with RemoteDir(auth, area) as directory:
        assert directory.count() == 0
        assert directory.get_hostname() == "fluke-test-alias"


def test_secrets_never_shown(sshd: SSHServer, area: str, caplog: pytest.LogCaptureFixture) -> None:
    password = _needs_password(sshd)
    caplog.set_level(logging.DEBUG)
    auth = RemoteAuth.from_password(
        sshd.host, sshd.username, password, port=sshd.port, known_hosts=str(sshd.known_hosts)
    )
    assert password not in repr(auth) and password not in str(auth)
    with RemoteDir(auth, area) as directory:
        assert password not in repr(directory)
        directory.count()
    assert password not in caplog.text
    credentials = auth.get_credentials()
    assert credentials["hostname"] == sshd.host and credentials["port"] == sshd.port
    assert credentials["username"] == sshd.username and credentials["password"] == password
    keyed = RemoteAuth.from_key(
        sshd.host, sshd.username, str(sshd.client_keys["rsa-encrypted"]), passphrase="pp-secret"
    )
    assert "pp-secret" not in repr(keyed)
    assert keyed.get_credentials()["pkey"] == str(sshd.client_keys["rsa-encrypted"])


def test_plugin_discovery_imports_no_paramiko() -> None:
    code = (
        "import sys, fluke.storage, fluke.auth, fluke._plugins as p\n"
        "import fluke_ssh.plugin\n"
        "p.registry()\n"
        "assert 'paramiko' not in sys.modules, 'paramiko imported'\n"
        "from fluke.storage import RemoteDir, RemoteFile\n"
        "from fluke.auth import RemoteAuth\n"
        "assert 'paramiko' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
