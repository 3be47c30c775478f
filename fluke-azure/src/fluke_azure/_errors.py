"""Turning Azure SDK exceptions into Fluke exceptions with redacted messages."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from azure.core.exceptions import (
    AzureError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)

from fluke.exceptions import FlukeError
from fluke_azure._redact import redact

__all__ = [
    "AzureStorageError",
    "QueueNotFoundError",
    "error_code",
    "is_destination_condition_failure",
    "is_source_condition_failure",
    "translated",
]


class AzureStorageError(FlukeError, RuntimeError):
    """An Azure Storage request failed.

    :param message: what failed, already redacted.
    :param status_code: the HTTP status, when there was a response.
    :param error_code: Azure's error code (``BlobNotFound``, ...), when known.
    :param transient: worth retrying (connection trouble, timeouts, throttling, 5xx).
    """

    def __init__(
        self,
        message: str,
        status_code: int | None = None,
        error_code: str | None = None,
        *,
        transient: bool = False,
    ) -> None:
        self.status_code = status_code
        self.error_code = error_code
        self.transient = transient
        super().__init__(message)


class QueueNotFoundError(FlukeError, LookupError):
    """An Azure Storage queue does not exist or cannot be accessed."""

    def __init__(self, queue: str) -> None:
        self.queue = queue
        super().__init__(f"Queue {queue!r} does not exist or cannot be accessed.")


#: HTTP statuses worth retrying.
TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})


def error_code(error: BaseException) -> str | None:
    """Azure's error code of an SDK exception (``ContainerNotFound``, ...)."""
    code = getattr(error, "error_code", None)
    if code:
        return str(getattr(code, "value", code))
    response = getattr(error, "response", None)
    headers = getattr(response, "headers", None)
    if headers is not None:
        value = headers.get("x-ms-error-code")
        if value:
            return str(value)
    return None


#: Error codes of a refused ``If-Match`` / ``If-None-Match`` on the target itself
#: (the SDK reports an ``overwrite=False`` upload's 412 as ``BlobAlreadyExists``).
DESTINATION_CONDITION_CODES = frozenset({"ConditionNotMet", "BlobAlreadyExists"})
#: Error codes of a refused ``x-ms-source-if-*`` condition of a copy.
SOURCE_CONDITION_CODES = frozenset({"SourceConditionNotMet"})


def _status(error: BaseException) -> int | None:
    status = getattr(error, "status_code", None)
    return status if isinstance(status, int) else None


def is_source_condition_failure(error: BaseException) -> bool:
    """Whether the service refused a copy's source condition (``SourceConditionNotMet``)."""
    return error_code(error) in SOURCE_CONDITION_CODES


def is_destination_condition_failure(error: BaseException) -> bool:
    """Whether the service refused a request's own condition (412, or an existing blob)."""
    code = error_code(error)
    if code in SOURCE_CONDITION_CODES:
        return False
    return code in DESTINATION_CONDITION_CODES or _status(error) == 412


def convert(error: AzureError, what: str, secrets: Iterable[str | None] = ()) -> AzureStorageError:
    """An :class:`AzureStorageError` for ``error``; its text is redacted."""
    status = error.status_code if isinstance(error, HttpResponseError) else None
    code = error_code(error)
    first_line = str(getattr(error, "message", None) or error).splitlines()[0:1]
    detail = first_line[0] if first_line else type(error).__name__
    where = f" (HTTP {status}{', ' + code if code else ''})" if status else ""
    message = redact(f"{what} failed{where}: {detail}", secrets)
    transient = isinstance(error, (ServiceRequestError, ServiceResponseError)) or (
        status in TRANSIENT_STATUS
    )
    return AzureStorageError(message, status, code, transient=transient)


@contextmanager
def translated(what: str, secrets: Iterable[str | None] = ()) -> Iterator[None]:
    """Re-raise SDK errors inside the block as :class:`AzureStorageError`.

    The SDK exception is not chained (``from None``), so tracebacks and logs
    cannot show its text.
    """
    try:
        yield
    except AzureError as error:
        raise convert(error, what, secrets) from None
