"""Issue 18: GCS answers become errors a user can act on.

fake-gcs-server accepts any credentials and grants every right, so 401 and
403 cannot be provoked on it: those rows of the table are checked with the
google-api-core exceptions the SDK raises for them (no request, no patching).
"""

from __future__ import annotations

import uuid

import pytest

from fluke.exceptions import (
    AuthenticationError,
    BucketNotFoundError,
    InvalidPathError,
    PathNotFoundError,
    PermissionDeniedError,
)
from fluke_gcp._errors import ERROR_STATUSES, gcs_errors, translate
from fluke_gcp._sdk import api_exceptions, auth_exceptions
from fluke_gcp.auth import GCPAuth
from fluke_gcp.storage import GCPStorageDir, GCPStorageFile


def test_a_missing_object_is_file_not_found_and_invalid_path(
    gcp_auth: GCPAuth, bucket: str
) -> None:
    with pytest.raises(FileNotFoundError, match="missing.txt") as caught:
        GCPStorageFile(gcp_auth, bucket, "missing.txt")
    assert isinstance(caught.value, InvalidPathError)
    with GCPStorageDir(gcp_auth, bucket) as root, pytest.raises(PathNotFoundError, match="nope"):
        root.get_file("nope")


def test_a_missing_bucket_is_file_not_found(gcp_auth: GCPAuth) -> None:
    name = f"absent-{uuid.uuid4().hex[:12]}"
    with pytest.raises(BucketNotFoundError, match=name) as caught:
        GCPStorageDir(gcp_auth, name)
    assert isinstance(caught.value, FileNotFoundError)


def test_the_table_maps_401_and_403_to_refusals() -> None:
    assert ERROR_STATUSES[401] is AuthenticationError
    assert ERROR_STATUSES[403] is PermissionDeniedError
    denied = translate(api_exceptions.Forbidden("no storage.objects.get"), "gs://b/k")
    assert isinstance(denied, PermissionDeniedError) and isinstance(denied, PermissionError)
    assert not isinstance(denied, (AuthenticationError, FileNotFoundError))
    assert "gs://b/k" in str(denied)
    refused = translate(api_exceptions.Unauthorized("Invalid Credentials"), "gs://b")
    assert isinstance(refused, AuthenticationError)
    expired = translate(auth_exceptions.RefreshError("token expired"), "gs://b")
    assert isinstance(expired, AuthenticationError) and "token" not in str(expired)
    assert translate(api_exceptions.NotFound("gone"), "gs://b/k") is None


def test_a_refusal_keeps_the_sdk_error_as_its_cause() -> None:
    original = api_exceptions.Forbidden("caller lacks storage.buckets.get")
    with pytest.raises(PermissionDeniedError, match="gs://bucket/key") as caught:
        with gcs_errors("gs://bucket/key"):
            raise original
    assert caught.value.__cause__ is original
