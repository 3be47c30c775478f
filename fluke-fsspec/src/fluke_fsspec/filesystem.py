"""``FlukeFileSystem``: any Fluke location as an fsspec filesystem (protocol ``fluke``).

Two ways to name files:

* **URLs** (no ``root``): paths are Fluke URLs, so pandas, pyarrow and Dask
  reach every backend with Fluke's auth objects::

      pandas.read_csv("fluke://s3://bucket/data.csv", storage_options={"auth": aws_auth})

  ``auth`` is one auth object, or a mapping from URL scheme to auth object
  (``{"s3": aws_auth, "sftp": remote_auth}``). fsspec's chaining form
  ``fluke::s3://...`` is not usable: fsspec resolves the inner ``s3``
  itself (with s3fs). Write ``fluke://s3://...`` instead.
* **A root** (a :class:`~fluke.storage.Dir`, or a URL with ``auth``): paths
  are relative to it::

      fs = FlukeFileSystem(root=bucket_dir)
      pyarrow.parquet.read_table("tables/t.parquet", filesystem=fs)

Reads go through :meth:`File.reader <fluke.storage.File.reader>` (seekable,
ranged, read-ahead, refusing to mix two versions of a file); writes through
:meth:`Dir.writer <fluke.storage.Dir.writer>` (nothing visible until the
file is closed; ``wb`` replaces, ``xb`` never does).
"""

from __future__ import annotations

import logging
import posixpath
import shutil
import threading
import weakref
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from fsspec import AbstractFileSystem  # type: ignore[import-untyped]

import fluke
from fluke import _paths
from fluke._dir import Dir
from fluke._file import File
from fluke.exceptions import InvalidPathError

__all__ = ["FlukeFileSystem"]

logger = logging.getLogger("fluke.fsspec")

_PROTOCOL = "fluke"


def _close_all(dirs: dict[str, Dir]) -> None:
    for directory in list(dirs.values()):
        try:
            directory.close()
        except Exception:  # pragma: no cover - best effort at collection
            logger.debug("closing %r failed", directory, exc_info=True)
    dirs.clear()


class FlukeFileSystem(AbstractFileSystem):  # type: ignore[misc]
    """An fsspec filesystem over Fluke Dirs and URLs.

    :param root: a Fluke :class:`~fluke.storage.Dir` (borrowed: not closed
        here) or a Fluke URL opened with ``auth`` (owned). ``None``: paths
        are Fluke URLs.
    :param auth: the auth object for ``root`` or for the URLs; or a mapping
        from URL scheme to auth object.
    :param block_size: the read buffer of each open file (bytes).
    """

    protocol = _PROTOCOL
    root_marker = ""
    cachable = False  # auth objects differ by secrets their repr hides

    def __init__(
        self,
        root: Dir | str | None = None,
        *,
        auth: object | None = None,
        block_size: int | None = None,
        **storage_options: Any,
    ) -> None:
        super().__init__(**storage_options)
        self._auth = auth
        self._block_size = block_size
        self._lock = threading.Lock()
        self._owned: dict[str, Dir] = {}
        self._finalizer = weakref.finalize(self, _close_all, self._owned)
        self._root: Dir | None
        if isinstance(root, str):
            self._root = self._open_location(root, self._auth_for(root))
        else:
            self._root = root

    def __repr__(self) -> str:
        where = self._root.get_uri() if self._root is not None else "URLs"
        return f"FlukeFileSystem({where})"

    def close(self) -> None:
        """Close the connections this filesystem opened (not a Dir it was given)."""
        with self._lock:
            _close_all(self._owned)

    # -- paths ---------------------------------------------------------------------

    @classmethod
    def _strip_protocol(cls, path: Any) -> str:
        text = str(path[0] if isinstance(path, (list, tuple)) else path)
        for prefix in (f"{_PROTOCOL}://", f"{_PROTOCOL}::"):
            if text.startswith(prefix):
                text = text[len(prefix) :]
        if "://" in text:
            scheme, _, rest = text.partition("://")
            return f"{scheme}://{rest.rstrip('/')}" if rest.strip("/") else f"{scheme}://{rest}"
        return text.rstrip("/")

    @staticmethod
    def _get_kwargs_from_urls(path: str) -> dict[str, Any]:
        return {}

    def unstrip_protocol(self, name: str) -> str:
        """``fluke://`` + ``name``."""
        return f"{_PROTOCOL}://{name}"

    def _auth_for(self, url: str) -> object | None:
        auth = self._auth
        if isinstance(auth, Mapping) and "://" in url:
            return auth.get(urlsplit(url).scheme.lower())
        return auth

    def _open_location(self, url: str, auth: object | None) -> Dir:
        with self._lock:
            found = self._owned.get(url)
            if found is None:
                found = fluke.dir(url, auth=auth)
                self._owned[url] = found
            return found

    def _locate(self, path: str) -> tuple[Dir, str]:
        """The Dir to ask and the path relative to it (``""``: the Dir itself)."""
        path = self._strip_protocol(path)
        if self._root is not None:
            relative = path.strip("/")
            return self._root, relative
        if "://" not in path:
            raise InvalidPathError(
                path, "is not a Fluke URL (give FlukeFileSystem a root= to use plain paths)"
            )
        parts = urlsplit(path)
        location = f"{parts.scheme}://{parts.netloc}/"
        root = self._open_location(location, self._auth_for(path))
        return root, path[len(location) - 1 :].strip("/")

    def _name(self, root: Dir, backend_path: str) -> str:
        """The fsspec name of a backend path of ``root``'s backend."""
        if self._root is not None:
            base = self._root.get_path()
            relative = backend_path[len(base) :] if backend_path.startswith(base) else backend_path
            return relative.strip("/")
        uri = root._session.backend.uri(backend_path)
        return uri.rstrip("/") if not uri.endswith("://") else uri

    def _full(self, root: Dir, relative: str) -> str:
        return root._resolve(relative) if relative else root.get_path()

    def _file(self, path: str) -> File:
        root, relative = self._locate(path)
        return root.get_file(relative)

    # -- metadata ----------------------------------------------------------------

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        """``name``, ``size``, ``type`` (file/directory), ``mtime`` and ``version``."""
        root, relative = self._locate(path)
        full = self._full(root, relative)
        entry = root._session.backend.stat(full.rstrip(_paths.SEP))
        if entry is None:
            raise FileNotFoundError(self._strip_protocol(path))
        return {
            "name": self._name(root, entry.path if not entry.is_dir else full),
            "size": entry.size,
            "type": "directory" if entry.is_dir else "file",
            "mtime": entry.mtime,
            "version": entry.version,
        }

    def ls(self, path: str, detail: bool = True, **kwargs: Any) -> list[Any]:
        """The entries directly inside directory ``path`` (a file lists itself)."""
        root, relative = self._locate(path)
        full = _paths.as_dir_path(self._full(root, relative))
        backend = root._session.backend
        entry = backend.stat(full.rstrip(_paths.SEP)) if full.strip("/") else None
        if entry is not None and not entry.is_dir:
            return [self.info(path)] if detail else [self._strip_protocol(path)]
        if entry is None and full.strip("/"):
            raise FileNotFoundError(self._strip_protocol(path))
        out = []
        for item in sorted(backend.list(full, False), key=lambda found: found.path):
            info = {
                "name": self._name(root, item.path),
                "size": item.size,
                "type": "directory" if item.is_dir else "file",
                "mtime": item.mtime,
                "version": item.version,
            }
            out.append(info if detail else info["name"])
        return out

    def modified(self, path: str) -> Any:
        """The modification time as a :class:`datetime.datetime` (UTC)."""
        import datetime

        mtime = self.info(path).get("mtime")
        if mtime is None:
            raise NotImplementedError(f"{path}: the backend reports no modification time")
        return datetime.datetime.fromtimestamp(mtime, tz=datetime.timezone.utc)

    # -- reading and writing -------------------------------------------------------

    def _open(
        self,
        path: str,
        mode: str = "rb",
        block_size: int | None = None,
        autocommit: bool = True,
        cache_options: Any = None,
        **kwargs: Any,
    ) -> Any:
        if mode == "rb":
            size = block_size if isinstance(block_size, int) and block_size > 0 else None
            return self._file(path).reader(buffer_size=size or self._block_size)
        if mode in ("wb", "xb"):
            root, relative = self._locate(path)
            if not relative:
                raise IsADirectoryError(self._strip_protocol(path))
            return root.writer(relative, overwrite=mode == "wb")
        raise ValueError(f"FlukeFileSystem opens files in 'rb', 'wb' or 'xb' mode, not {mode!r}")

    def cat_file(
        self, path: str, start: int | None = None, end: int | None = None, **kwargs: Any
    ) -> bytes:
        """Bytes ``[start, end)`` of a file; negative offsets count from its end."""
        file = self._file(path)
        if start is not None and start < 0 or end is not None and end < 0:
            size = file.get_size()
            start = size + start if start is not None and start < 0 else start
            end = size + end if end is not None and end < 0 else end
        return file.read_range(start, end)

    def pipe_file(self, path: str, value: bytes, mode: str = "overwrite", **kwargs: Any) -> None:
        """Write ``value`` as file ``path`` (replacing it unless ``mode="create"``)."""
        root, relative = self._locate(path)
        root.write_file(relative, bytes(value), overwrite=mode != "create")

    def rm_file(self, path: str) -> None:
        """Delete file ``path``."""
        root, relative = self._locate(path)
        root.delete_file(relative)

    def _rm(self, path: str) -> None:
        self.rm_file(path)

    def rm(self, path: Any, recursive: bool = False, maxdepth: int | None = None) -> None:
        """Delete files; with ``recursive``, directories and everything below."""
        paths = path if isinstance(path, list) else [path]
        for item in paths:
            root, relative = self._locate(item)
            full = self._full(root, relative)
            entry = root._session.backend.stat(full.rstrip(_paths.SEP))
            if entry is None:
                raise FileNotFoundError(self._strip_protocol(item))
            if not entry.is_dir:
                root.delete_file(relative)
            elif not recursive:
                raise IsADirectoryError(f"{item} is a directory (use recursive=True)")
            elif relative:
                root.get_subdir(relative).remove(recursively=True)
            else:
                root.remove(recursively=True)

    def mkdir(self, path: str, create_parents: bool = True, **kwargs: Any) -> None:
        """Create directory ``path`` (and its parents)."""
        root, relative = self._locate(path)
        if relative:
            root.mkdir(relative)

    def makedirs(self, path: str, exist_ok: bool = False) -> None:
        """Create directory ``path`` and its parents."""
        if not exist_ok and self.exists(path):
            raise FileExistsError(path)
        self.mkdir(path)

    def rmdir(self, path: str) -> None:
        """Remove empty directory ``path``."""
        root, relative = self._locate(path)
        root.get_subdir(relative).remove()

    def cp_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        """Copy a file, streamed through a reader and a writer (replaces ``path2``)."""
        with self._file(path1).reader() as source, self.open(path2, "wb") as target:
            shutil.copyfileobj(source, target, 8 * 1024 * 1024)

    def mv(self, path1: str, path2: str, recursive: bool = False, **kwargs: Any) -> None:
        """Move a file with :meth:`File.move_to <fluke.storage.File.move_to>` (replacing)."""
        source = self._file(path1)
        root, relative = self._locate(path2)
        if not relative:
            raise IsADirectoryError(self._strip_protocol(path2))
        parent, name = posixpath.split(relative)
        target = root.mkdir(parent) if parent else root
        source.move_to(target, new_name=name, overwrite=True)

    def get_file(self, rpath: str, lpath: str, **kwargs: Any) -> None:
        """Download file ``rpath`` to local ``lpath`` (written atomically, replaced)."""
        from fluke.local import LocalDir

        local = LocalDir(posixpath.dirname(str(lpath)) or ".", create_if_missing=True)
        with local, self._file(rpath).reader() as source:
            with local.writer(posixpath.basename(str(lpath)), overwrite=True) as target:
                shutil.copyfileobj(source, target, 8 * 1024 * 1024)

    def put_file(self, lpath: str, rpath: str, **kwargs: Any) -> None:
        """Upload local file ``lpath`` as ``rpath`` (replacing it)."""
        with open(lpath, "rb") as source, self.open(rpath, "wb") as target:
            shutil.copyfileobj(source, target, 8 * 1024 * 1024)
