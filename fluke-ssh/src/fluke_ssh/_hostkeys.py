"""Host key verification: known_hosts by default, pinned keys, or none at all.

Three modes, chosen by :class:`~fluke_ssh.auth.RemoteAuth`:

* default: only hosts listed in the user's ``known_hosts`` are accepted; an
  unknown host raises :class:`UnknownHostError`, a changed key raises
  paramiko's :class:`~paramiko.BadHostKeyException`;
* a pinned public key: only that key is accepted (a different key raises
  :class:`~paramiko.BadHostKeyException`);
* ``verify_host=False``: any key is accepted (logged at WARNING).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
from typing import Any

import paramiko

from fluke.exceptions import FlukeError

logger = logging.getLogger("fluke.ssh")

__all__ = ["HostKeyError", "UnknownHostError", "fingerprint", "load_public_key"]

#: paramiko's class for each SSH key type name.
_KEY_CLASSES: dict[str, Any] = {
    "ssh-rsa": paramiko.RSAKey,
    "ssh-ed25519": paramiko.Ed25519Key,
    "ecdsa-sha2-nistp256": paramiko.ECDSAKey,
    "ecdsa-sha2-nistp384": paramiko.ECDSAKey,
    "ecdsa-sha2-nistp521": paramiko.ECDSAKey,
}
if hasattr(paramiko, "DSSKey"):  # removed from recent paramiko releases
    _KEY_CLASSES["ssh-dss"] = paramiko.DSSKey


class HostKeyError(FlukeError, paramiko.SSHException):
    """A host key could not be used or the host could not be verified."""


class UnknownHostError(HostKeyError):
    """The server's host key is not in ``known_hosts`` and no key was pinned."""

    def __init__(self, host: str, key: paramiko.PKey, known_hosts: str) -> None:
        self.host = host
        self.key_type = key.get_name()
        self.fingerprint = fingerprint(key)
        super().__init__(
            f"Host {host!r} is not a known host: its {self.key_type} key "
            f"({self.fingerprint}) is not in {known_hosts}. Add it to known_hosts "
            "(ssh-keyscan), pin it with RemoteAuth.PublicKey.generate_*_key(...) as "
            "public_key=..., or pass verify_host=False to skip host verification."
        )


def fingerprint(key: paramiko.PKey) -> str:
    """The OpenSSH-style ``SHA256:...`` fingerprint of ``key``."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def load_public_key(key_type: str, key: str) -> paramiko.PKey:
    """Parse a base64 public key of ``key_type`` into a paramiko key.

    ``key`` may be the bare base64 blob or a whole ``"<type> <base64> [comment]"``
    line (as in ``*.pub`` or ``known_hosts`` files).

    :raises HostKeyError: the text is not a valid key of that type.
    """
    if not isinstance(key, str) or not key.strip():
        raise HostKeyError(f"Public key {key!r} is not a non-empty string.")
    fields = key.split()
    blob = fields[0]
    if len(fields) >= 2 and fields[0] == key_type:
        blob = fields[1]
    try:
        data = base64.b64decode(blob.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError) as error:
        raise HostKeyError(f"Public key {key[:40]!r} is not valid base64.") from error
    cls = _KEY_CLASSES.get(key_type)
    if cls is None:
        raise HostKeyError(f"Key type {key_type!r} is not supported by this paramiko.")
    try:
        parsed: paramiko.PKey = cls(data=data)
    except Exception as error:  # paramiko raises several types for bad blobs
        raise HostKeyError(f"Public key {key[:40]!r} is not a valid {key_type} key.") from error
    name = parsed.get_name()
    if name != key_type and not (key_type == "ssh-rsa" and name.startswith("rsa-")):
        raise HostKeyError(f"Public key {key[:40]!r} is a {name} key, not {key_type}.")
    return parsed


class RejectUnknownPolicy(paramiko.MissingHostKeyPolicy):
    """Refuse hosts that are not known, with an error that says what to do."""

    def __init__(self, known_hosts: str) -> None:
        self._known_hosts = known_hosts

    def missing_host_key(
        self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey
    ) -> None:
        """Raise :class:`UnknownHostError`."""
        raise UnknownHostError(hostname, key, self._known_hosts)


class AcceptAnyPolicy(paramiko.MissingHostKeyPolicy):
    """Accept any host key (``verify_host=False``), logging that it did."""

    def missing_host_key(
        self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey
    ) -> None:
        """Log a warning and accept ``key`` for this connection only."""
        logger.warning(
            "host verification disabled: accepting %s key %s of %s",
            key.get_name(),
            fingerprint(key),
            hostname,
        )
