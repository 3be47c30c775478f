"""Turning SFTP status codes and SSH login failures into Fluke's exceptions.

paramiko reports an SFTP status as an ``OSError`` carrying an ``errno``
(``SSH_FX_PERMISSION_DENIED`` as ``EACCES``, ``SSH_FX_NO_SUCH_FILE`` as
``ENOENT``) and a text without the path. :data:`ERRNO_CODES` is the one table
from those codes to Fluke's exceptions; :func:`sftp_errors` applies it and
names the path. The paramiko error stays the ``__cause__``.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import paramiko

from fluke.exceptions import (
    AuthenticationError,
    FlukeError,
    PathNotFoundError,
    PermissionDeniedError,
)

__all__ = ["ERRNO_CODES", "SSHAuthenticationError", "sftp_errors", "translate"]

#: SFTP statuses (as paramiko's errno) and the Fluke exception each becomes.
ERRNO_CODES: Mapping[int, type[FlukeError]] = {
    errno.EACCES: PermissionDeniedError,  # SSH_FX_PERMISSION_DENIED
    errno.EPERM: PermissionDeniedError,
    errno.ENOENT: PathNotFoundError,  # SSH_FX_NO_SUCH_FILE
}


class SSHAuthenticationError(AuthenticationError, paramiko.AuthenticationException):
    """The SSH server refused the login (wrong password or key, unknown user).

    Both an :class:`~fluke.exceptions.AuthenticationError` (a
    ``PermissionError``) and the ``paramiko.AuthenticationException`` this
    failure always was.
    """


def translate(error: BaseException, uri: str) -> FlukeError | None:
    """The Fluke exception for ``error`` on ``uri`` (an ``sftp://`` URI), or ``None``."""
    if isinstance(error, paramiko.AuthenticationException):
        return SSHAuthenticationError(uri, "the server refused the login")
    if not isinstance(error, OSError) or isinstance(error, FlukeError):
        return None
    kind = ERRNO_CODES.get(error.errno) if error.errno is not None else None
    if kind is PermissionDeniedError:
        return PermissionDeniedError(uri, errno.errorcode.get(error.errno or 0))
    if kind is PathNotFoundError:
        return PathNotFoundError(uri)
    return None


@contextmanager
def sftp_errors(uri: str) -> Iterator[None]:
    """Re-raise SFTP refusals and missing paths inside the block, naming ``uri``.

    :raises PermissionDeniedError: the SFTP user may not do this (``EACCES``, ``EPERM``).
    :raises PathNotFoundError: the path does not exist.
    :raises SSHAuthenticationError: the login was refused.
    """
    try:
        yield
    except (OSError, paramiko.AuthenticationException) as error:
        translated = translate(error, uri)
        if translated is None:
            raise
        raise translated from error
