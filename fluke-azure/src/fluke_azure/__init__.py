"""Fluke plugin for Azure: Blob storage, Storage Queues and ``AzureAuth``.

Use the public names through Fluke's modules (``from fluke.storage import
AzureBlobDir``, ``from fluke.queues import AzureStorageQueue``, ``from
fluke.auth import AzureAuth``). Importing this package imports no Azure SDK.
"""

__all__: list[str] = []
