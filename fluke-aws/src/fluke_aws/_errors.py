"""Reading botocore errors and turning them into Fluke's exceptions.

:data:`ERROR_CODES` is the one table from S3's error codes to Fluke's
exceptions (as s3fs's ``ERROR_CODE_TO_EXCEPTION``); :func:`s3_errors` applies
it around a request. The botocore error stays the ``__cause__`` (its text
names the operation and the code, never a credential).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from botocore.exceptions import (  # type: ignore[import-untyped,unused-ignore]
    ClientError,
    HTTPClientError,
    NoCredentialsError,
)
from botocore.exceptions import (
    ConnectionError as BotocoreConnectionError,
)

from fluke.exceptions import (
    AuthenticationError,
    BucketNotFoundError,
    FlukeError,
    PathNotFoundError,
    PermissionDeniedError,
    SourceChangedError,
)

__all__ = [
    "ERROR_CODES",
    "error_code",
    "http_status",
    "is_not_found",
    "is_precondition_failed",
    "is_transient",
    "raise_for",
    "raise_for_head",
    "s3_errors",
    "source_errors",
    "translate",
]

#: S3's error codes (and the bare statuses of body-less HEAD answers) and the
#: Fluke exception each becomes. A 403 is never "not found".
ERROR_CODES: Mapping[str, type[FlukeError]] = {
    "NoSuchKey": PathNotFoundError,
    "NotFound": PathNotFoundError,
    "404": PathNotFoundError,
    "NoSuchBucket": BucketNotFoundError,
    "AccessDenied": PermissionDeniedError,
    "AllAccessDisabled": PermissionDeniedError,
    "AccountProblem": PermissionDeniedError,
    "403": PermissionDeniedError,  # HEAD: no body, so no code (wrong key or no right)
    "InvalidAccessKeyId": AuthenticationError,
    "SignatureDoesNotMatch": AuthenticationError,
    "ExpiredToken": AuthenticationError,
    "TokenRefreshRequired": AuthenticationError,
    "InvalidToken": AuthenticationError,
    "InvalidSecurity": AuthenticationError,
}

_MISSING_KEY = frozenset(code for code, kind in ERROR_CODES.items() if kind is PathNotFoundError)
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


def _where(bucket: str, key: str | None) -> str:
    return f"s3://{bucket}/{key}" if key else f"s3://{bucket}"


def translate(
    error: BaseException, bucket: str, key: str | None = None, *, missing_key: bool = False
) -> FlukeError | None:
    """The Fluke exception :data:`ERROR_CODES` maps ``error`` to, or ``None``.

    :param bucket: the bucket of the request (named by a missing bucket).
    :param key: the key of the request, named by refusals (and, with
        ``missing_key``, by :class:`PathNotFoundError`).
    :param missing_key: a "not found" answer means the key is missing;
        otherwise it is left untranslated (a HEAD of a prefix, a DELETE).
    """
    if isinstance(error, NoCredentialsError):
        return AuthenticationError(_where(bucket, key), "no AWS credentials found")
    if not isinstance(error, ClientError):
        return None
    code = error_code(error)
    kind = ERROR_CODES.get(code)
    if kind is None and http_status(error) == 403:
        kind, code = PermissionDeniedError, "403"
    if kind is BucketNotFoundError:
        return BucketNotFoundError(bucket)
    if kind is PathNotFoundError:
        return PathNotFoundError(key) if missing_key and key is not None else None
    if kind is PermissionDeniedError or kind is AuthenticationError:
        reason = "HTTP 403: wrong credentials or no permission" if code == "403" else code
        return kind(_where(bucket, key), reason)
    return None


def raise_for(
    error: BaseException, bucket: str, key: str | None = None, *, missing_key: bool = False
) -> None:
    """Raise :func:`translate`'s exception for ``error`` (with it as cause), if any."""
    translated = translate(error, bucket, key, missing_key=missing_key)
    if translated is not None:
        raise translated from error


def raise_for_head(
    error: ClientError, bucket: str, key: str | None, ask_again: Callable[[], object]
) -> None:
    """Raise the Fluke exception of a HEAD's failure, learning a 403's code first.

    A HEAD answer has no body, so a 403 does not say whether the credentials
    are wrong or lack a right. ``ask_again`` makes the same request with a
    body (a one-byte GET, a one-key listing); its error code decides. Only
    failures take this extra request.
    """
    if http_status(error) == 403 and error_code(error) in ("403", "Forbidden", ""):
        try:
            ask_again()
        except ClientError as detailed:
            if error_code(detailed) in ERROR_CODES and error_code(detailed) != "403":
                raise_for(detailed, bucket, key)
    raise_for(error, bucket, key)


@contextmanager
def s3_errors(bucket: str, path: str | None = None, *, key: str | None = None) -> Iterator[None]:
    """Translate S3 errors inside the block through :data:`ERROR_CODES`.

    :param path: a key that must exist: a missing key is :class:`PathNotFoundError`.
    :param key: a key named by refusals only (a write, a listing prefix).
    :raises BucketNotFoundError: the bucket does not exist.
    :raises PathNotFoundError: the key ``path`` does not exist.
    :raises PermissionDeniedError: the credentials may not do this.
    :raises AuthenticationError: the credentials are wrong or expired.
    """
    try:
        yield
    except (ClientError, NoCredentialsError) as error:
        raise_for(error, bucket, path or key, missing_key=path is not None)
        raise


@contextmanager
def source_errors(bucket: str, path: str, uri: str, version: str | None) -> Iterator[None]:
    """:func:`s3_errors` for reading the source ``path``, conditional on ``version``.

    Without ``version``, a missing key is :class:`PathNotFoundError`. With it,
    a refused precondition (412) or a key that is gone means the source is no
    longer what was listed.

    :raises SourceChangedError: ``version`` given and the object has another
        version or no longer exists (named by ``uri``).
    """
    try:
        with s3_errors(bucket, path if version is None else None, key=path):
            yield
    except ClientError as error:
        if version is not None and is_precondition_failed(error):
            raise SourceChangedError(uri) from None
        if version is not None and is_not_found(error):
            raise SourceChangedError(uri, "was removed during the transfer") from None
        raise
