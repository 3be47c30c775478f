"""fluke-core's own plugin: local disk and the local queue.

Registered through the same hooks as any third-party plugin.
"""

from __future__ import annotations

from collections.abc import Mapping

from fluke.hookspecs import hookimpl


@hookimpl
def fluke_storage_classes() -> Mapping[str, str]:
    """Declare ``LocalFile`` and ``LocalDir``."""
    return {"LocalFile": "fluke.local:LocalFile", "LocalDir": "fluke.local:LocalDir"}


@hookimpl
def fluke_queue_classes() -> Mapping[str, str]:
    """Declare ``LocalQueue``."""
    return {"LocalQueue": "fluke.localqueue:LocalQueue"}


@hookimpl
def fluke_url_schemes() -> Mapping[str, str]:
    """Declare ``file://`` and ``local-queue://``."""
    return {"file": "fluke._urls:open_local", "localq": "fluke._urls:open_local_queue"}
