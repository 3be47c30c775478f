"""Fluke on Dask: ``transfer_to(..., executor=client)`` with a ``dask.distributed.Client``.

Installing this package is enough: its ``fluke`` entry point adapts a Client
passed as ``executor=`` (see :class:`DaskExecutor`), and ``fluke cp --dask``
uses it.
"""

from fluke_dask._executor import DaskExecutor, connect

__all__ = ["DaskExecutor", "connect"]
