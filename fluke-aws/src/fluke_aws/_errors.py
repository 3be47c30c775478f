"""Reading botocore errors and turning them into Fluke's exceptions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import (  # type: ignore[import-untyped,unused-ignore]
    ClientError,
    HTTPClientError,
)
from botocore.exceptions import (
    ConnectionError as BotocoreConnectionError,
)

from fluke.exceptions import BucketNotFoundError, InvalidPathError, SourceChangedError

__all__ = [
    "error_code",
    "http_status",
    "is_not_found",
    "is_precondition_failed",
    "is_transient",
    "s3_errors",
    "source_errors",
]

_MISSING_KEY = frozenset({"NoSuchKey", "404", "NotFound"})
_MISSING_BUCKET = frozenset({"NoSuchBucket"})
_THROTTLING = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "SlowDown",
        "RequestTimeout",
        "RequestTimeoutException",
        "InternalError",
        "ServiceUnavailable",
        "ConditionalRequestConflict",  # a concurrent conditional write: try again
    }
)


def error_code(error: ClientError) -> str:
    """The service's error code (``"NoSuchKey"``, ``"404"``, ...)."""
    return str(error.response.get("Error", {}).get("Code", ""))


def http_status(error: ClientError) -> int:
    """The HTTP status of the failed request (``0`` if unknown)."""
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def is_not_found(error: ClientError) -> bool:
    """Whether ``error`` says the object (not the bucket) is missing."""
    return error_code(error) in _MISSING_KEY


def is_precondition_failed(error: BaseException) -> bool:
    """Whether ``error`` is S3's answer to a failed ``If-Match``/``If-None-Match`` (412)."""
    if not isinstance(error, ClientError):
        return False
    return http_status(error) == 412 or error_code(error) in ("PreconditionFailed", "412")


def is_transient(error: BaseException) -> bool:
    """Whether an AWS error is worth retrying: 5xx, throttling, a broken connection."""
    if isinstance(error, (BotocoreConnectionError, HTTPClientError)):
        return True
    if isinstance(error, ClientError):
        return http_status(error) >= 500 or error_code(error) in _THROTTLING
    return False


@contextmanager
def s3_errors(bucket: str, path: str | None = None) -> Iterator[None]:
    """Translate S3 errors: missing bucket, and (given ``path``) missing key.

    :raises BucketNotFoundError: the bucket does not exist.
    :raises InvalidPathError: the key ``path`` does not exist.
    """
    try:
        yield
    except ClientError as error:
        code = error_code(error)
        if code in _MISSING_BUCKET:
            raise BucketNotFoundError(bucket) from None
        if path is not None and code in _MISSING_KEY:
            raise InvalidPathError(path) from None
        raise


@contextmanager
def source_errors(bucket: str, path: str, uri: str, version: str | None) -> Iterator[None]:
    """:func:`s3_errors` for reading the source ``path``, conditional on ``version``.

    Without ``version``, a missing key is :class:`InvalidPathError`. With it,
    a refused precondition (412) or a key that is gone means the source is no
    longer what was listed.

    :raises SourceChangedError: ``version`` given and the object has another
        version or no longer exists (named by ``uri``).
    """
    try:
        with s3_errors(bucket, path if version is None else None):
            yield
    except ClientError as error:
        if version is not None and is_precondition_failed(error):
            raise SourceChangedError(uri) from None
        if version is not None and is_not_found(error):
            raise SourceChangedError(uri, "was removed during the transfer") from None
        raise
