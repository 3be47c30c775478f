"""Issue 18: one error model, caught by the built-ins Python users write by habit."""

from __future__ import annotations

import errno
import pickle
from pathlib import Path

import pytest

from fluke.exceptions import (
    AuthenticationError,
    BucketNotFoundError,
    ContainerNotFoundError,
    FlukeError,
    InvalidBucketNameError,
    InvalidPathError,
    OverwriteError,
    PathNotFoundError,
    PermissionDeniedError,
    SourceChangedError,
    UnsafePathError,
)
from fluke.local import LocalDir, LocalFile


def test_a_missing_path_is_also_a_file_not_found_error() -> None:
    error = InvalidPathError("dir/missing.txt")
    assert type(error) is PathNotFoundError
    assert isinstance(error, InvalidPathError) and isinstance(error, FileNotFoundError)
    assert isinstance(error, ValueError) and isinstance(error, FlukeError)
    assert str(error) == "Path 'dir/missing.txt' does not exist."
    assert error.path == error.filename == "dir/missing.txt"
    assert error.errno == errno.ENOENT


def test_a_path_that_is_not_acceptable_is_no_file_not_found_error() -> None:
    for error in (InvalidPathError("s3://", "names no bucket"), UnsafePathError("../x")):
        assert isinstance(error, InvalidPathError)
        assert not isinstance(error, FileNotFoundError)
    assert str(UnsafePathError("../x")) == "Path '../x' escapes its directory."


def test_missing_buckets_and_containers_are_file_not_found_errors() -> None:
    for error, name in ((BucketNotFoundError("b"), "b"), (ContainerNotFoundError("c"), "c")):
        assert isinstance(error, FileNotFoundError) and isinstance(error, LookupError)
        assert str(error).endswith(f"{name!r} does not exist.")
        assert error.errno == errno.ENOENT


def test_an_impossible_bucket_name_is_both_missing_bucket_and_invalid_path() -> None:
    error = InvalidBucketNameError("Bad!", "names are lowercase")
    assert isinstance(error, BucketNotFoundError) and isinstance(error, FileNotFoundError)
    assert isinstance(error, InvalidPathError) and isinstance(error, ValueError)
    assert str(error) == "Bucket 'Bad!' cannot exist: names are lowercase."
    assert error.bucket == error.path == error.filename == "Bad!"
    assert error.rule == "names are lowercase" and error.errno == errno.ENOENT


def test_refusals_are_permission_errors() -> None:
    denied = PermissionDeniedError("s3://bucket/key", "AccessDenied")
    assert isinstance(denied, PermissionError) and isinstance(denied, FlukeError)
    assert str(denied) == "Permission denied for 's3://bucket/key' (AccessDenied)."
    assert denied.errno == errno.EACCES and denied.filename == "s3://bucket/key"
    refused = AuthenticationError("container", "AuthenticationFailed")
    assert isinstance(refused, PermissionDeniedError) and isinstance(refused, PermissionError)
    assert str(refused) == (
        "Authentication failed for 'container' (AuthenticationFailed): check the credentials."
    )


@pytest.mark.parametrize(
    "error",
    [
        InvalidPathError("a/b"),
        InvalidPathError("a/b", "is bad"),
        UnsafePathError("../x"),
        PermissionDeniedError("p", "EACCES"),
        AuthenticationError("p"),
        BucketNotFoundError("b"),
        InvalidBucketNameError("B!", "names are lowercase"),
        ContainerNotFoundError("c"),
        OverwriteError("p"),
        SourceChangedError("p"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_every_error_pickles_with_its_message_and_attributes(error: FlukeError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error) and copy.args == error.args
    assert vars(copy) == vars(error)
    if isinstance(error, OSError):
        assert isinstance(copy, OSError)
        assert (copy.errno, copy.filename) == (error.errno, error.filename)


def test_local_missing_paths_are_caught_as_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        LocalFile(str(tmp_path / "nope.txt"))
    with pytest.raises(FileNotFoundError, match="nowhere"):
        LocalDir(str(tmp_path / "nowhere"))
    with LocalDir(str(tmp_path)) as here, pytest.raises(FileNotFoundError, match="zzz"):
        here.get_file("zzz")
