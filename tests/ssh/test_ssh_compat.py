"""What Fluke 0.5.0 users rely on from ``RemoteAuth`` (issue 16)."""

from __future__ import annotations

from pathlib import Path

from fluke.auth import RemoteAuth

_PIN = RemoteAuth.PublicKey.generate_ssh_ed25519_key(
    "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
)


def test_password_credentials_are_0_5_0s() -> None:
    """0.5.0's dict for a password login: no ``pkey``/``passphrase`` keys."""
    auth = RemoteAuth.from_password("example.org", "ann", "s3cret", verify_host=False)
    credentials = auth.get_credentials()
    assert credentials == {
        "hostname": "example.org",
        "username": "ann",
        "password": "s3cret",
        "port": 22,
        "public_key": None,
        "verify_host": False,
    }
    assert list(credentials) == [
        "hostname", "username", "password", "port", "public_key", "verify_host"
    ]  # fmt: skip


def test_key_credentials_are_0_5_0s(tmp_path: Path) -> None:
    """0.5.0's dict for a key login: ``passphrase`` is kept (0.5.0 had it) even if None."""
    key = tmp_path / "id_ed25519"
    key.write_text("not parsed before connecting\n")
    auth = RemoteAuth.from_key("example.org", "ann", str(key), port=2222, public_key=_PIN)
    assert auth.get_credentials() == {
        "hostname": "example.org",
        "username": "ann",
        "pkey": str(key),
        "passphrase": None,
        "port": 2222,
        "public_key": _PIN,
        "verify_host": True,
    }
    with_passphrase = RemoteAuth.from_key("example.org", "ann", str(key), passphrase="pp")
    credentials = with_passphrase.get_credentials()
    assert credentials["passphrase"] == "pp" and "password" not in credentials
