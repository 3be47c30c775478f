"""The plugin module named by the ``fluke`` entry point: declarations only.

Importing this module imports no Azure SDK; the modules named below are
imported when a user first touches one of the names.
"""

from __future__ import annotations

from collections.abc import Mapping

from fluke import hookimpl


@hookimpl
def fluke_storage_classes() -> Mapping[str, str]:
    """Declare ``AzureBlobFile`` and ``AzureBlobDir`` in :mod:`fluke.storage`."""
    return {
        "AzureBlobFile": "fluke_azure.storage:AzureBlobFile",
        "AzureBlobDir": "fluke_azure.storage:AzureBlobDir",
    }


@hookimpl
def fluke_queue_classes() -> Mapping[str, str]:
    """Declare ``AzureStorageQueue`` in :mod:`fluke.queues`."""
    return {"AzureStorageQueue": "fluke_azure.queue:AzureStorageQueue"}


@hookimpl
def fluke_auth_classes() -> Mapping[str, str]:
    """Declare ``AzureAuth`` in :mod:`fluke.auth`."""
    return {"AzureAuth": "fluke_azure.auth:AzureAuth"}


@hookimpl
def fluke_url_schemes() -> Mapping[str, str]:
    """Declare ``abfss://``, ``abfs://``, ``az://`` and ``azq://`` / ``azure-queue://``."""
    return {
        "abfss": "fluke_azure._urls:open_blob",
        "abfs": "fluke_azure._urls:open_blob",
        "az": "fluke_azure._urls:open_blob",
        "azq": "fluke_azure._urls:open_queue",
        "azure-queue": "fluke_azure._urls:open_queue",
    }
