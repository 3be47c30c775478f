"""URL openers: ``abfss://``, ``abfs://``, ``az://`` storage and ``azq://`` queues.

* ``abfss://container@account.dfs.core.windows.net/key`` (what ``get_uri()``
  returns) and ``abfs://...`` alike;
* ``az://container/key``;
* ``azq://queue-name`` and ``azure-queue://queue-name``.

Credentials: the ``auth`` given (an :class:`~fluke_azure.auth.AzureAuth`),
else ``$AZURE_STORAGE_CONNECTION_STRING``, else ``DefaultAzureCredential``
for the account named in an ``abfss://`` URL.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import SplitResult, unquote

from fluke._urls import redact_url, reject_userinfo
from fluke.exceptions import InvalidPathError

__all__ = ["open_blob", "open_queue"]

ENV_CONN_STRING = "AZURE_STORAGE_CONNECTION_STRING"


def _auth(auth: object | None, account: str | None, url: str) -> Any:
    from fluke_azure.auth import AzureAuth

    if auth is not None:
        if not isinstance(auth, AzureAuth):
            raise TypeError(f"auth must be an AzureAuth, not {type(auth).__name__}")
        if account and account != auth.get_account_name():
            raise InvalidPathError(
                url, f"names account {account!r}, but the auth is for {auth.get_account_name()!r}"
            )
        return auth
    conn_string = os.environ.get(ENV_CONN_STRING)
    if conn_string:
        return AzureAuth.from_conn_string(conn_string)
    if account:
        return AzureAuth.from_default_credential(f"https://{account}.blob.core.windows.net")
    raise InvalidPathError(url, f"names no account: pass auth= or set ${ENV_CONN_STRING}")


def open_blob(
    parts: SplitResult, kind: str, auth: object | None, options: Mapping[str, Any]
) -> Any:
    """``abfss://container@account.dfs.core.windows.net/key`` or ``az://container/key``."""
    from fluke_azure.storage import AzureBlobDir, AzureBlobFile

    url = redact_url(parts.geturl())
    if parts.scheme.lower() in ("abfs", "abfss"):
        if parts.password is not None:
            raise InvalidPathError(
                redact_url(parts.geturl(), keep_user=False),
                f"has a password; {parts.scheme}:// URLs take container@account, "
                "and credentials come from auth= or the environment",
            )
        container = unquote(parts.username or "")
        host = parts.hostname or ""
        account = host.split(".", 1)[0] if host else None
    else:
        reject_userinfo(parts, "az://container/key")
        container, account = parts.netloc, None
    if not container:
        raise InvalidPathError(url, "names no container")
    key = unquote(parts.path)[1:]  # drop the '/' between the authority and the key
    resolved = _auth(auth, account, url)
    cache = bool(options.get("cache", False))
    if kind == "dir":
        create = bool(options.get("create_if_missing", False))
        return AzureBlobDir(resolved, container, key or None, cache=cache, create_if_missing=create)
    if kind == "file":
        return AzureBlobFile(resolved, container, key, cache=cache)
    raise InvalidPathError(url, "is a storage URL, not a queue")


def open_queue(
    parts: SplitResult, kind: str, auth: object | None, options: Mapping[str, Any]
) -> Any:
    """``azq://queue-name`` (or ``azure-queue://queue-name``)."""
    from fluke_azure.queue import AzureStorageQueue

    url = redact_url(parts.geturl())
    reject_userinfo(parts, "azq://queue-name")
    if kind != "queue":
        raise InvalidPathError(url, "is a queue URL, not storage")
    name = parts.netloc or unquote(parts.path).strip("/")
    if not name or "/" in name:
        raise InvalidPathError(url, "names no queue (azq://queue-name)")
    extra = {k: options[k] for k in ("visibility_timeout", "create_if_missing") if k in options}
    return AzureStorageQueue(_auth(auth, None, url), name, **extra)
