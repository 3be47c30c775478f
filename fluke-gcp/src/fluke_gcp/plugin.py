"""The fluke-gcp plugin: declarations only (importing this module imports no SDK)."""

from __future__ import annotations

from collections.abc import Mapping

from fluke import hookimpl


@hookimpl
def fluke_storage_classes() -> Mapping[str, str]:
    """Declare ``GCPStorageFile`` and ``GCPStorageDir``."""
    return {
        "GCPStorageFile": "fluke_gcp.storage:GCPStorageFile",
        "GCPStorageDir": "fluke_gcp.storage:GCPStorageDir",
    }


@hookimpl
def fluke_auth_classes() -> Mapping[str, str]:
    """Declare ``GCPAuth``."""
    return {"GCPAuth": "fluke_gcp.auth:GCPAuth"}


@hookimpl
def fluke_url_schemes() -> Mapping[str, str]:
    """Declare ``gs://bucket/key``."""
    return {"gs": "fluke_gcp._urls:open_gcs"}
