"""``gs://`` URLs through fluke.dir/fluke.file, with credentials from the environment."""

from __future__ import annotations

import pytest

import fluke
from fluke.exceptions import BucketNotFoundError, InvalidPathError
from fluke_gcp.auth import GCPAuth
from fluke_gcp.storage import GCPStorageDir


def test_gs_urls_use_the_emulator_from_the_environment(
    gcs_endpoint: str, bucket: str, gcp_auth: GCPAuth, monkeypatch: pytest.MonkeyPatch
) -> None:
    with GCPStorageDir(gcp_auth, bucket, "data/", create_if_missing=True) as data:
        with data._session.backend.open_writer("data/x.txt") as writer:
            writer.write(b"x")
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_endpoint)
    with fluke.dir(f"gs://{bucket}/data") as directory:
        assert isinstance(directory, GCPStorageDir)
        assert directory.get_path() == "data/"
    with fluke.dir(f"gs://{bucket}/new/", create_if_missing=True) as made:
        assert made.count() == 0
    with pytest.raises(BucketNotFoundError):
        fluke.dir("gs://no-such-bucket-for-fluke/")
    with pytest.raises(InvalidPathError, match="not a queue"):
        fluke.queue(f"gs://{bucket}/q")
    with fluke.dir(f"gs://{bucket}/", auth=gcp_auth) as explicit:
        assert explicit.get_name() is None
