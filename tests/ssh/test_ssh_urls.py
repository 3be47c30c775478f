"""``sftp://`` URLs: credentials from the URL, ~/.ssh/config and known_hosts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from servers import SSHServer

import fluke
from fluke_ssh.storage import RemoteDir


@pytest.fixture
def home(tmp_path: Path, sshd: SSHServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A HOME whose ~/.ssh knows the test server and holds a key for it."""
    ssh = tmp_path / ".ssh"
    ssh.mkdir(mode=0o700)
    shutil.copy(sshd.known_hosts, ssh / "known_hosts")
    (ssh / "config").write_text(
        f"Host 127.0.0.1\n  IdentityFile {sshd.client_keys['ed25519']}\n  User {sshd.username}\n"
    )
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    return tmp_path


def test_sftp_url_with_ssh_config(home: Path, sshd: SSHServer, area: str) -> None:
    with fluke.dir(f"sftp://127.0.0.1:{sshd.port}{area}/new", create_if_missing=True) as made:
        assert isinstance(made, RemoteDir)
        assert made.get_path() == f"{area}/new/"
        assert made.get_uri().startswith("sftp://127.0.0.1")


def test_sftp_url_with_password(home: Path, sshd: SSHServer, area: str) -> None:
    if sshd.password is None:
        pytest.skip("password login needs root to create the test account")
    url = f"sftp://{sshd.username}:{sshd.password}@127.0.0.1:{sshd.port}{area}"
    with fluke.dir(url) as directory:
        assert directory.count() == 0
        assert sshd.password not in repr(directory) + directory.get_uri()


def test_sftp_url_to_unknown_host_is_refused(
    tmp_path: Path, sshd: SSHServer, area: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(Exception, match="(?i)unknown|not.*known"):
        fluke.dir(f"sftp://{sshd.username}@127.0.0.1:{sshd.port}{area}")
