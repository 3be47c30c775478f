"""URLs opened through the plugin's schemes, on Azurite."""

from __future__ import annotations

from typing import Any

import pytest

import fluke
from fluke.exceptions import InvalidPathError
from fluke_azure.auth import AzureAuth
from fluke_azure.queue import AzureStorageQueue
from fluke_azure.storage import AzureBlobDir, AzureBlobFile


def test_abfss_uri_round_trip(auth: AzureAuth, container: str, container_client: Any) -> None:
    container_client.upload_blob("dir/file.txt", b"hello")
    with fluke.dir(f"abfss://{container}@devstoreaccount1.dfs.core.windows.net/", auth=auth) as d:
        assert isinstance(d, AzureBlobDir)
        uri = d.get_file("dir/file.txt").get_uri()
    with fluke.file(uri, auth=auth) as file:
        assert isinstance(file, AzureBlobFile)
        assert file.read() == b"hello"
    with fluke.dir(f"abfs://{container}@devstoreaccount1.dfs.core.windows.net/dir", auth=auth) as d:
        assert d.get_contents() == ["file.txt"]


def test_az_scheme_with_env_connection_string(
    conn_string: str, container: str, container_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    container_client.upload_blob("x/y.txt", b"y")
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", conn_string)
    with fluke.dir(f"az://{container}/x/") as directory:
        assert directory.get_contents() == ["y.txt"]
    with fluke.dir(f"az://{container}/new/", create_if_missing=True) as made:
        assert made.get_path() == "new/"


def test_wrong_account_and_kinds(auth: AzureAuth, container: str) -> None:
    with pytest.raises(InvalidPathError, match="otheraccount"):
        fluke.dir(f"abfss://{container}@otheraccount.dfs.core.windows.net/", auth=auth)
    with pytest.raises(InvalidPathError, match="not a queue"):
        fluke.queue(f"az://{container}", auth=auth)
    with pytest.raises(InvalidPathError, match="not storage"):
        fluke.dir("azq://some-queue", auth=auth)


def test_queue_url(auth: AzureAuth, queue_name: str) -> None:
    with fluke.queue(f"azq://{queue_name}", auth=auth) as queue:
        assert isinstance(queue, AzureStorageQueue)
        assert queue.push("via url", suppress_output=True)
        assert queue.peek() == ["via url"]
