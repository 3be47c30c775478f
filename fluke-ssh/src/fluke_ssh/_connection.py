"""One SSH connection and a small pool of SFTP channels opened on it.

A :class:`Connection` belongs to one storage backend (one owner File/Dir and
everything it hands out). It connects lazily, verifies the host key as
:class:`~fluke_ssh.auth.RemoteAuth` says, and lends SFTP channels to threads
(:meth:`Connection.sftp`): each thread transfers on its own channel, so the
core's thread pool moves several files at once over one TCP connection.

Speed: large channel windows, AES-GCM preferred (no separate MAC pass), and
SFTP requests of up to 255 KiB when the server is OpenSSH (its
``limits@openssh.com`` maximum); 32 KiB, the SFTP minimum, otherwise.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import paramiko

from fluke.exceptions import FlukeError
from fluke_ssh._errors import SSHAuthenticationError
from fluke_ssh._hostkeys import AcceptAnyPolicy, RejectUnknownPolicy
from fluke_ssh.auth import RemoteAuth

logger = logging.getLogger("fluke.ssh")

__all__ = ["Connection", "KeyFileError"]

#: Receive window of each channel: enough for many outstanding 255 KiB reads.
WINDOW_SIZE = 64 * 1024 * 1024
#: Largest SSH packet we accept: large packets cut paramiko's per-packet Python
#: work (measured on a 256 MiB download from OpenSSH: 32 KiB ~130 MiB/s,
#: 128 KiB ~175 MiB/s, 240 KiB ~220 MiB/s). Below OpenSSH's 256 KiB packet limit.
MAX_PACKET_SIZE = 240 * 1024
#: SFTP request size for OpenSSH servers (SFTP_MAX_MSG_LENGTH - 1024).
OPENSSH_REQUEST_SIZE = 255 * 1024
#: SFTP request size every server accepts.
SAFE_REQUEST_SIZE = 32 * 1024
#: At most this many channels per connection (OpenSSH's MaxSessions is 10).
MAX_CHANNELS = 8
#: Preferred ciphers, fastest first (AEAD: no separate HMAC over the data).
_FAST_CIPHERS = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "aes128-ctr")


class KeyFileError(FlukeError, paramiko.SSHException):
    """A private key file cannot be loaded (wrong passphrase, unknown format)."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        super().__init__(f"Private key file {path!r} cannot be used: {reason}.")


def _fast_transport(sock: Any, **kwargs: Any) -> paramiko.Transport:
    """A Transport with large windows and the fastest ciphers first."""
    transport = paramiko.Transport(
        sock, default_window_size=WINDOW_SIZE, default_max_packet_size=MAX_PACKET_SIZE, **kwargs
    )
    options = transport.get_security_options()
    available = list(options.ciphers)
    fast = [name for name in _FAST_CIPHERS if name in available]
    options.ciphers = fast + [name for name in available if name not in fast]
    return transport


def _load_private_key(path: str, passphrase: str | None) -> paramiko.PKey:
    # cryptography (which parses OpenSSH-format keys) wants the passphrase as bytes
    secret: Any = passphrase.encode("utf-8") if passphrase is not None else None
    try:
        return paramiko.PKey.from_path(path, secret)
    except paramiko.PasswordRequiredException as error:
        raise KeyFileError(path, "it is encrypted and no passphrase was given") from error
    except FileNotFoundError as error:
        raise KeyFileError(path, "it does not exist") from error
    except paramiko.SSHException as error:
        reason = "wrong passphrase or unsupported key format"
        raise KeyFileError(path, reason) from error
    except (ValueError, TypeError) as error:
        raise KeyFileError(path, "wrong passphrase or unsupported key format") from error


class Connection:
    """A lazily opened SSH connection with a pool of SFTP channels.

    Thread-safe: :meth:`sftp` may be called from any number of threads.
    """

    def __init__(self, auth: RemoteAuth) -> None:
        self._auth = auth
        self._lock = threading.Condition()
        self._client: paramiko.SSHClient | None = None
        self._idle: list[paramiko.SFTPClient] = []
        self._busy = 0
        self._request_size = SAFE_REQUEST_SIZE
        self._home: str | None = None

    # -- lifecycle -----------------------------------------------------------

    def is_connected(self) -> bool:
        """Whether an SSH connection is currently held."""
        with self._lock:
            return self._client is not None

    def connect(self) -> None:
        """Connect now (no-op if connected and alive)."""
        with self._lock:
            self._ensure_client()

    def close(self) -> None:
        """Close every channel and the connection (a later use reconnects)."""
        with self._lock:
            self._close_locked()

    def _close_locked(self) -> None:
        client, self._client = self._client, None
        idle, self._idle = self._idle, []
        self._busy = 0
        for channel in idle:
            try:
                channel.close()
            except Exception:  # pragma: no cover - best effort
                logger.debug("closing an SFTP channel failed", exc_info=True)
        if client is not None:
            client.close()
            logger.debug("closed SSH connection to %s", self._auth.get_hostname())
        self._lock.notify_all()

    def _ensure_client(self) -> paramiko.SSHClient:
        """The live SSHClient, (re)connecting if needed. Call with the lock held."""
        client = self._client
        if client is not None:
            transport = client.get_transport()
            if transport is not None and transport.is_active():
                return client
            logger.info("SSH connection to %s was lost; reconnecting", self._auth.get_hostname())
            self._close_locked()
        client = self._open_client()
        self._client = client
        return client

    def _open_client(self) -> paramiko.SSHClient:
        auth = self._auth
        target = auth._target()
        client = paramiko.SSHClient()
        self._configure_host_keys(client, target.hostname, target.port)
        pkey = None
        if auth._pkey is not None:
            pkey = _load_private_key(auth._pkey, auth._passphrase)
        logger.debug("connecting to %s:%d as %s", target.hostname, target.port, target.username)
        identities: Any = list(target.identity_files) or None  # the stubs say str only
        try:
            client.connect(
                target.hostname,
                port=target.port,
                username=target.username,
                password=auth._password,
                pkey=pkey,
                key_filename=identities,
                passphrase=auth._passphrase,
                allow_agent=bool(os.environ.get("SSH_AUTH_SOCK")),
                look_for_keys=False,
                timeout=30,
                banner_timeout=30,
                auth_timeout=30,
                transport_factory=_fast_transport,
            )
        except paramiko.AuthenticationException as error:
            client.close()
            where = f"sftp://{target.hostname}:{target.port}"
            raise SSHAuthenticationError(where, "the server refused the login") from error
        except BaseException:
            client.close()
            raise
        transport = client.get_transport()
        assert transport is not None
        transport.set_keepalive(30)
        remote = transport.remote_version or ""
        self._request_size = OPENSSH_REQUEST_SIZE if "OpenSSH" in remote else SAFE_REQUEST_SIZE
        logger.debug(
            "connected to %s (%s, cipher %s)",
            target.hostname,
            remote,
            getattr(transport, "remote_cipher", "?"),
        )
        return client

    def _configure_host_keys(self, client: paramiko.SSHClient, host: str, port: int) -> None:
        auth = self._auth
        if not auth.verifies_host():
            client.set_missing_host_key_policy(AcceptAnyPolicy())
            return
        pinned = auth.get_public_key()
        if pinned is not None:
            key = pinned.to_paramiko()
            name = host if port == 22 else f"[{host}]:{port}"
            client.get_host_keys().add(name, key.get_name(), key)
            client.set_missing_host_key_policy(RejectUnknownPolicy("the pinned public_key"))
            return
        if auth._known_hosts is not None:
            files = [os.path.expanduser(auth._known_hosts)]
        else:
            files = ["/etc/ssh/ssh_known_hosts", os.path.expanduser("~/.ssh/known_hosts")]
        for path in files:
            if os.path.isfile(path):
                client.load_system_host_keys(path)
        client.set_missing_host_key_policy(RejectUnknownPolicy(" or ".join(files)))

    # -- channels ------------------------------------------------------------

    @property
    def request_size(self) -> int:
        """The SFTP read/write request size for this server."""
        return self._request_size

    def home(self) -> str:
        """The login directory on the server (absolute)."""
        if self._home is None:
            with self.sftp() as sftp:
                self._home = sftp.normalize(".")
        return self._home

    def _acquire(self) -> paramiko.SFTPClient:
        with self._lock:
            while True:
                client = self._ensure_client()
                while self._idle:
                    idle = self._idle.pop()
                    if not idle.sock.closed:
                        self._busy += 1
                        return idle
                if self._busy < MAX_CHANNELS or self._busy == 0:
                    transport = client.get_transport()
                    assert transport is not None
                    channel: paramiko.SFTPClient | None
                    try:
                        channel = paramiko.SFTPClient.from_transport(
                            transport, window_size=WINDOW_SIZE, max_packet_size=MAX_PACKET_SIZE
                        )
                    except paramiko.ChannelException:
                        if self._busy == 0:
                            raise
                        channel = None  # server refused another session: wait
                    if channel is not None:
                        self._busy += 1
                        return channel
                self._lock.wait(1.0)

    def _release(self, channel: paramiko.SFTPClient) -> None:
        with self._lock:
            if self._busy > 0:
                self._busy -= 1
            client = self._client
            if (
                client is not None
                and not channel.sock.closed
                and channel.sock.get_transport() is client.get_transport()
            ):
                self._idle.append(channel)
            else:
                try:
                    channel.close()
                except Exception:  # pragma: no cover - best effort
                    logger.debug("closing an SFTP channel failed", exc_info=True)
            self._lock.notify()

    @contextmanager
    def sftp(self) -> Iterator[paramiko.SFTPClient]:
        """Borrow an SFTP channel for the duration of the ``with`` block."""
        channel = self._acquire()
        try:
            yield channel
        finally:
            self._release(channel)
