"""``gs://bucket/key`` URLs (the scheme fluke-gcp declares)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import SplitResult

from fluke._urls import Kind, open_object_store, reject_userinfo
from fluke_gcp._bucket_name import check_bucket_name
from fluke_gcp.auth import GCPAuth
from fluke_gcp.storage import GCPStorageDir, GCPStorageFile


def default_auth() -> GCPAuth:
    """Anonymous against ``STORAGE_EMULATOR_HOST`` if set, else Application Default Credentials."""
    if os.environ.get("STORAGE_EMULATOR_HOST"):
        return GCPAuth.for_emulator()
    return GCPAuth.from_default()


def open_gcs(
    parts: SplitResult, kind: Kind, auth: object | None, options: Mapping[str, Any]
) -> Any:
    """Open ``gs://bucket/key`` as a GCS Dir or File.

    The URL is checked (no user-info, a valid bucket name) before credentials
    are looked for or any request is sent.
    """
    if auth is not None and not isinstance(auth, GCPAuth):
        raise TypeError(f"gs:// URLs take a GCPAuth, not {type(auth).__name__}")
    reject_userinfo(parts, "gs://bucket/key")
    if parts.netloc:
        check_bucket_name(parts.netloc)
    credentials = auth if auth is not None else default_auth()
    return open_object_store(
        parts,
        kind,
        options,
        make_dir=lambda bucket, path, **kw: GCPStorageDir(credentials, bucket, path, **kw),
        make_file=lambda bucket, key, **kw: GCPStorageFile(credentials, bucket, key, **kw),
    )
