"""The plugin module named by the ``fluke`` entry point: imports no Dask until needed."""

from __future__ import annotations

from fluke import hookimpl


@hookimpl
def fluke_transfer_executor(executor: object) -> object | None:
    """Adapt a ``dask.distributed.Client`` (recognised by its type's module, no import)."""
    kind = type(executor)
    if kind.__module__.split(".")[0] != "distributed" or kind.__name__ != "Client":
        return None
    from fluke_dask._executor import DaskExecutor

    return DaskExecutor(executor)
