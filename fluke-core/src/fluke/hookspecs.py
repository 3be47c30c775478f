"""The hooks a Fluke plugin implements.

A plugin is a module (or object) whose functions are marked with
:data:`fluke.hookimpl` and whose distribution declares it as an entry point
in group ``fluke``::

    [project.entry-points.fluke]
    memory = "fluke_memory.plugin"

Every hook returns *declarations*: plain strings of the form
``"package.module:attribute"``. Discovering plugins therefore imports no
cloud SDK; the module named by a declaration is imported only when a user
first touches that name (``from fluke.storage import AmazonS3Dir``).

Writing a backend
-----------------

1. Subclass :class:`fluke.backend.StorageBackend` (or
   :class:`fluke.backend.QueueBackend`) and implement its few primitives.
2. Subclass :class:`fluke.storage.File` / :class:`fluke.storage.Dir` (or
   :class:`fluke.queues.Queue`) with a constructor that builds your backend
   and hands it to ``self._attach(backend, path, ...)`` (a queue:
   ``self._attach(backend)``; do not call
   ``super().__init__``: the base classes have no constructor of their own);
   the whole user API comes from the core. See ``examples/fluke-memory``.
3. Raise the exceptions of :mod:`fluke.exceptions`: a missing path is
   ``InvalidPathError(path)`` (a :class:`~fluke.exceptions.PathNotFoundError`,
   also a ``FileNotFoundError``), a refusal is
   :class:`~fluke.exceptions.PermissionDeniedError` or
   :class:`~fluke.exceptions.AuthenticationError` (``PermissionError``s),
   with the SDK's error as ``__cause__`` and no secret in the message.
4. Declare the public names in the hooks below and the module in the
   ``fluke`` entry-point group.
5. Run the conformance suites of :mod:`fluke.testing` against a real server:
   :class:`~fluke.testing.StorageBackendSuite` for the protocol itself, and
   :class:`~fluke.testing.StorageSuite` (or its capability mixins) for the
   user API.
"""

from __future__ import annotations

from collections.abc import Mapping

import pluggy

PROJECT_NAME = "fluke"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def fluke_storage_classes() -> Mapping[str, str]:
    """Declare the File/Dir classes this plugin adds to :mod:`fluke.storage`.

    :return: public name -> ``"module:attribute"``, e.g.
        ``{"AmazonS3Dir": "fluke_aws.storage:AmazonS3Dir"}``.
    """
    raise NotImplementedError


@hookspec
def fluke_queue_classes() -> Mapping[str, str]:
    """Declare the Queue classes this plugin adds to :mod:`fluke.queues`.

    :return: public name -> ``"module:attribute"``.
    """
    raise NotImplementedError


@hookspec
def fluke_auth_classes() -> Mapping[str, str]:
    """Declare the auth classes this plugin adds to :mod:`fluke.auth`.

    :return: public name -> ``"module:attribute"``.
    """
    raise NotImplementedError


@hookspec
def fluke_url_schemes() -> Mapping[str, str]:
    """Declare the URL schemes this plugin opens (``s3``, ``sftp``, ...).

    :return: scheme -> ``"module:attribute"`` of a callable
        ``opener(url: urllib.parse.SplitResult, kind: str, auth: object | None,
        options: Mapping[str, Any])`` returning a Dir, File or Queue for
        ``kind`` ``"dir"``, ``"file"`` or ``"queue"``. ``auth`` is ``None``
        unless the user passed one: then use the provider's default
        credential chain. ``options`` may hold ``create_if_missing`` and
        ``cache``. Raise :class:`~fluke.exceptions.InvalidPathError` for a
        URL of the wrong kind. The scheme ``"*"`` declares a *fallback*
        opener, called for any scheme that no plugin declares (fluke-fsspec
        routes those to fsspec); native plugins always win.
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def fluke_transfer_executor(executor: object) -> object | None:
    """Adapt the ``executor=`` object a user passed to ``transfer_to``.

    Called only when that object is neither ``None`` nor ``"threads"`` (the
    in-process thread pool, the default). Return ``None`` when the object is
    not yours (check its type by name: importing your SDK here for nothing
    slows every transfer down); otherwise return an object with the
    ``run_transfer(files, job, record)`` method of
    :class:`fluke.transfer.TransferExecutor`. ``fluke-dask`` adapts a
    ``dask.distributed.Client`` this way; a Ray executor could do the same.

    :param executor: the user's object.
    :return: a transfer executor, or ``None``.
    """
    raise NotImplementedError
