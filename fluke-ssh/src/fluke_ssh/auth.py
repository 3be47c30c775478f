"""``RemoteAuth``: how to reach and log in to an SSH/SFTP server.

Credentials are only stored here; the connection is made lazily by the
storage backend (:mod:`fluke_ssh._connection`). Passwords and passphrases
never appear in ``repr``/``str``, logs or error messages.

Host keys: by default only hosts listed in the user's ``~/.ssh/known_hosts``
are accepted (an unknown host is refused, a changed key is refused with
paramiko's ``BadHostKeyException``). A pinned ``public_key`` replaces the
known_hosts lookup; ``verify_host=False`` is the only way to skip the check.

``~/.ssh/config`` is honoured when present (``HostName``, ``Port``, ``User``,
``IdentityFile``), and keys held by a running ssh-agent are tried too.
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass
from typing import Any

from fluke.exceptions import InvalidPathError
from fluke_ssh._hostkeys import HostKeyError, UnknownHostError, load_public_key

__all__ = ["HostKeyError", "RemoteAuth", "UnknownHostError"]

DEFAULT_PORT = 22


@dataclass(frozen=True)
class _Target:
    """Where to connect, after applying ``~/.ssh/config``."""

    hostname: str
    port: int
    username: str | None
    identity_files: tuple[str, ...]


class RemoteAuth:
    """Credentials for an SSH server (password or private key).

    Build it with :meth:`from_password` or :meth:`from_key`.
    """

    class PublicKey:
        """A server's public host key, used to pin the host.

        Create one with the ``generate_*`` constructors from the base64 text of
        the key (the second field of a ``known_hosts`` or ``.pub`` line; the
        whole line is accepted too).
        """

        class KeyType(enum.Enum):
            """The SSH host key types."""

            SSH_RSA = "ssh-rsa"
            SSH_DSS = "ssh-dss"
            SSH_ED25519 = "ssh-ed25519"
            ECDSA_SHA2_NISTP256 = "ecdsa-sha2-nistp256"
            ECDSA_SHA2_NISTP384 = "ecdsa-sha2-nistp384"
            ECDSA_SHA2_NISTP521 = "ecdsa-sha2-nistp521"

        def __init__(self, key_type: RemoteAuth.PublicKey.KeyType, key: str) -> None:
            self._key_type = key_type
            self._key = key.strip()
            # parse now so that a bad key fails here, not at connection time
            load_public_key(key_type.value, self._key)

        def get_key_type(self) -> str:
            """The SSH name of the key type (``"ssh-ed25519"``, ...)."""
            return self._key_type.value

        def get_key(self) -> str:
            """The key as given (base64)."""
            return self._key

        def to_paramiko(self) -> Any:
            """The key as a ``paramiko.PKey``."""
            return load_public_key(self._key_type.value, self._key)

        def __eq__(self, other: object) -> bool:
            if not isinstance(other, RemoteAuth.PublicKey):
                return NotImplemented
            return (self._key_type, self._key) == (other._key_type, other._key)

        def __hash__(self) -> int:
            return hash((self._key_type, self._key))

        def __repr__(self) -> str:
            return f"RemoteAuth.PublicKey({self._key_type.value!r}, {self._key[:16]!r}...)"

        @classmethod
        def generate_ssh_rsa_key(cls, key: str) -> RemoteAuth.PublicKey:
            """An ``ssh-rsa`` host key."""
            return cls(cls.KeyType.SSH_RSA, key)

        @classmethod
        def generate_ssh_dss_key(cls, key: str) -> RemoteAuth.PublicKey:
            """An ``ssh-dss`` host key (only if the installed paramiko supports DSA)."""
            return cls(cls.KeyType.SSH_DSS, key)

        @classmethod
        def generate_ssh_ed25519_key(cls, key: str) -> RemoteAuth.PublicKey:
            """An ``ssh-ed25519`` host key."""
            return cls(cls.KeyType.SSH_ED25519, key)

        @classmethod
        def generate_ecdsa_sha2_nistp256_key(cls, key: str) -> RemoteAuth.PublicKey:
            """An ``ecdsa-sha2-nistp256`` host key."""
            return cls(cls.KeyType.ECDSA_SHA2_NISTP256, key)

        @classmethod
        def generate_ecdsa_sha2_nistp384_key(cls, key: str) -> RemoteAuth.PublicKey:
            """An ``ecdsa-sha2-nistp384`` host key."""
            return cls(cls.KeyType.ECDSA_SHA2_NISTP384, key)

        @classmethod
        def generate_ecdsa_sha2_nistp521_key(cls, key: str) -> RemoteAuth.PublicKey:
            """An ``ecdsa-sha2-nistp521`` host key."""
            return cls(cls.KeyType.ECDSA_SHA2_NISTP521, key)

    def __init__(
        self,
        hostname: str,
        username: str | None,
        *,
        password: str | None = None,
        pkey: str | None = None,
        passphrase: str | None = None,
        port: int | None = None,
        public_key: RemoteAuth.PublicKey | None = None,
        verify_host: bool = True,
        known_hosts: str | None = None,
        ssh_config: str | bool = True,
    ) -> None:
        """Prefer :meth:`from_password` / :meth:`from_key`."""
        if not isinstance(hostname, str) or not hostname:
            raise ValueError(f"hostname must be a non-empty string, not {hostname!r}")
        if username is not None and not isinstance(username, str):
            raise ValueError(f"username must be a string, not {type(username).__name__}")
        if port is not None and (
            isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536
        ):
            raise ValueError(f"port must be an integer in 1..65535, not {port!r}")
        if public_key is not None and not isinstance(public_key, RemoteAuth.PublicKey):
            raise TypeError(
                "public_key must be a RemoteAuth.PublicKey (RemoteAuth.PublicKey."
                f"generate_*_key(...)), not {type(public_key).__name__}"
            )
        self._hostname = hostname
        self._username = username or None
        self._password = password
        self._pkey = pkey
        self._passphrase = passphrase
        self._port = port
        self._public_key = public_key
        self._verify_host = bool(verify_host)
        self._known_hosts = known_hosts
        self._ssh_config = ssh_config

    # -- constructors (API.md) ---------------------------------------------

    @classmethod
    def from_password(
        cls,
        hostname: str,
        username: str,
        password: str,
        port: int = DEFAULT_PORT,
        public_key: RemoteAuth.PublicKey | None = None,
        verify_host: bool = True,
        *,
        known_hosts: str | None = None,
        ssh_config: str | bool = True,
    ) -> RemoteAuth:
        """Log in with a password.

        :param hostname: the server's name or address (or a ``Host`` alias of
            ``~/.ssh/config``).
        :param username: the account (``~/.ssh/config``'s ``User`` if empty).
        :param password: the account's password (never shown or logged).
        :param port: the SSH port (``~/.ssh/config``'s ``Port`` when left at 22).
        :param public_key: pin the server's host key instead of using known_hosts.
        :param verify_host: ``False`` accepts any host key (insecure).
        :param known_hosts: a known_hosts file to use instead of ``~/.ssh/known_hosts``.
        :param ssh_config: ``False`` ignores ``~/.ssh/config``; a path uses that file.
        """
        if not isinstance(password, str):
            raise ValueError(f"password must be a string, not {type(password).__name__}")
        return cls(
            hostname,
            username,
            password=password,
            port=port,
            public_key=public_key,
            verify_host=verify_host,
            known_hosts=known_hosts,
            ssh_config=ssh_config,
        )

    @classmethod
    def from_key(
        cls,
        hostname: str,
        username: str,
        pkey: str,
        passphrase: str | None = None,
        port: int = DEFAULT_PORT,
        public_key: RemoteAuth.PublicKey | None = None,
        verify_host: bool = True,
        *,
        known_hosts: str | None = None,
        ssh_config: str | bool = True,
    ) -> RemoteAuth:
        """Log in with a private key file (RSA, ECDSA or Ed25519).

        :param pkey: path of the private key file (OpenSSH or PEM format).
        :param passphrase: the key file's passphrase, if it is encrypted.
        :raises InvalidPathError: ``pkey`` is not a readable file.

        The other parameters are those of :meth:`from_password`.
        """
        if not isinstance(pkey, (str, os.PathLike)):
            raise InvalidPathError(repr(pkey), "is not a private key file path")
        path = os.path.expanduser(os.fspath(pkey))
        if not os.path.isfile(path) or not os.access(path, os.R_OK):
            raise InvalidPathError(path, "is not a readable private key file")
        return cls(
            hostname,
            username,
            pkey=path,
            passphrase=passphrase,
            port=port,
            public_key=public_key,
            verify_host=verify_host,
            known_hosts=known_hosts,
            ssh_config=ssh_config,
        )

    # -- accessors -----------------------------------------------------------

    def get_hostname(self) -> str:
        """The host name as given (possibly a ``~/.ssh/config`` alias)."""
        return self._hostname

    def get_port(self) -> int:
        """The port as given (22 by default)."""
        return self._port or DEFAULT_PORT

    def get_username(self) -> str | None:
        """The user name as given."""
        return self._username

    def get_public_key(self) -> RemoteAuth.PublicKey | None:
        """The pinned host key, if any."""
        return self._public_key

    def verifies_host(self) -> bool:
        """Whether the server's host key is checked."""
        return self._verify_host

    def get_credentials(self) -> dict[str, Any]:
        """Everything needed to log in, as a dict: the keys Fluke 0.5.0 returned.

        A password login gives ``hostname``, ``username``, ``password``,
        ``port``, ``public_key`` (a :class:`RemoteAuth.PublicKey` or ``None``)
        and ``verify_host``; a key login gives ``pkey`` (the key file's path)
        and ``passphrase`` (or ``None``) instead of ``password``. The dict
        holds the secrets themselves: do not log it.
        """
        credentials: dict[str, Any] = {"hostname": self._hostname, "username": self._username}
        if self._pkey is not None:
            credentials["pkey"] = self._pkey
            credentials["passphrase"] = self._passphrase
        if self._password is not None:
            credentials["password"] = self._password
        credentials["port"] = self.get_port()
        credentials["public_key"] = self._public_key
        credentials["verify_host"] = self._verify_host
        return credentials

    def __repr__(self) -> str:
        method = "key" if self._pkey is not None else "password"
        return (
            f"RemoteAuth(hostname={self._hostname!r}, port={self.get_port()}, "
            f"username={self._username!r}, auth={method!r}"
            + (f", pkey={self._pkey!r}" if self._pkey is not None else "")
            + f", verify_host={self._verify_host})"
        )

    __str__ = __repr__

    # -- used by the connection ----------------------------------------------

    def _target(self) -> _Target:
        """Host, port, user and identity files after ``~/.ssh/config``."""
        hostname, port, username = self._hostname, self._port, self._username
        identities: tuple[str, ...] = ()
        config_path: str | None = None
        if self._ssh_config is True:
            config_path = os.path.expanduser("~/.ssh/config")
        elif isinstance(self._ssh_config, str):
            config_path = os.path.expanduser(self._ssh_config)
        if config_path is not None and os.path.isfile(config_path):
            import paramiko

            config = paramiko.SSHConfig.from_path(config_path).lookup(self._hostname)
            hostname = str(config.get("hostname", hostname))
            if port in (None, DEFAULT_PORT) and "port" in config:
                port = int(config["port"])
            if username is None and "user" in config:
                username = str(config["user"])
            identities = tuple(
                os.path.expanduser(p)
                for p in config.get("identityfile", [])
                if os.path.isfile(os.path.expanduser(p))
            )
        return _Target(hostname, port or DEFAULT_PORT, username, identities)
