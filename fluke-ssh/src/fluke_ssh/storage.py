"""``RemoteFile`` and ``RemoteDir``: files and directories on an SFTP server."""

from __future__ import annotations

from fluke import _paths
from fluke._dir import Dir
from fluke._file import File
from fluke_ssh.auth import RemoteAuth
from fluke_ssh.backend import SFTPBackend

__all__ = ["RemoteDir", "RemoteFile"]


def _normalise(backend: SFTPBackend, path: str, *, is_dir: bool) -> str:
    """An absolute path; a relative one is taken from the login directory."""
    if isinstance(path, str) and path and not path.startswith(_paths.SEP):
        return _paths.normalise_fs_path(path, is_dir=is_dir, cwd=backend.connection.home())
    return _paths.normalise_fs_path(path, is_dir=is_dir, cwd=None)


def _check_auth(auth: object) -> RemoteAuth:
    if not isinstance(auth, RemoteAuth):
        raise TypeError(f"auth must be a RemoteAuth, not {type(auth).__name__}")
    return auth


class RemoteFile(File):
    """A file on an SFTP server.

    :param auth: how to reach and log in to the server.
    :param path: the file's path (relative paths start at the login directory).
    :param cache: remember its size until :meth:`purge`.
    :raises InvalidPathError: the path does not exist.
    :raises InvalidFileError: the path is a directory.
    """

    def __init__(self, auth: RemoteAuth, path: str, cache: bool = False) -> None:
        backend = SFTPBackend(_check_auth(auth))
        try:
            self._attach(backend, _normalise(backend, path, is_dir=False), cache=cache)
        except BaseException:
            backend.close()
            raise

    def get_hostname(self) -> str:
        """The host name given in the auth."""
        return _hostname(self)


class RemoteDir(Dir):
    """A directory on an SFTP server.

    :param auth: how to reach and log in to the server.
    :param path: the directory's path (relative paths start at the login
        directory).
    :param cache: remember listings and sizes until :meth:`purge`.
    :param create_if_missing: create it (and its parents) when missing.
    :raises InvalidPathError: it is missing and ``create_if_missing`` is false.
    :raises InvalidDirectoryError: the path is a file.
    """

    file_class = RemoteFile

    def __init__(
        self,
        auth: RemoteAuth,
        path: str,
        cache: bool = False,
        create_if_missing: bool = False,
    ) -> None:
        backend = SFTPBackend(_check_auth(auth))
        try:
            self._attach(
                backend,
                _normalise(backend, path, is_dir=True),
                cache=cache,
                create_if_missing=create_if_missing,
            )
        except BaseException:
            backend.close()
            raise

    def get_hostname(self) -> str:
        """The host name given in the auth."""
        return _hostname(self)


def _hostname(node: File | Dir) -> str:
    backend = node._session.backend
    assert isinstance(backend, SFTPBackend)
    return backend._auth.get_hostname()
