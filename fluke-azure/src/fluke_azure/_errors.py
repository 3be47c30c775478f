"""Turning Azure SDK exceptions into Fluke exceptions with redacted messages.

:data:`ERROR_CODES` is the one table from Azure Storage's error codes to
Fluke's exceptions. The SDK's own exception is not chained: its text can
carry a request signature or a SAS token. What it said that is safe to show
(the HTTP status and the error code) is kept on the Fluke exception instead
(``status_code``, ``error_code``), which is always an
:class:`AzureStorageError` for failed requests.
"""

from __future__ import annotations

import errno
import os
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager

from azure.core.exceptions import (
    AzureError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)

from fluke.exceptions import (
    AuthenticationError,
    ContainerNotFoundError,
    FlukeError,
    PathNotFoundError,
    PermissionDeniedError,
)
from fluke_azure._redact import redact

__all__ = [
    "ERROR_CODES",
    "AzureAuthenticationError",
    "AzurePermissionDeniedError",
    "AzureStorageError",
    "EndpointUnreachableError",
    "QueueNotFoundError",
    "endpoint_of",
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


class EndpointUnreachableError(AzureStorageError):
    """Nothing answers at the service endpoint (refused, unresolvable, connect timed out).

    Raised after the client's one quick connect retry (see
    :mod:`fluke_azure._connect`). Transient, as on GCS: the transfer engine's
    own short retries apply to it (a dead endpoint found when a ``Dir`` or
    ``Queue`` is first used fails at once).

    :param message: what failed, naming the endpoint (already redacted).
    :param endpoint: ``scheme://host:port`` of the endpoint, or ``None`` if unknown.
    :param reason: why no connection could be made.
    """

    def __init__(self, message: str, endpoint: str | None, reason: str) -> None:
        self.endpoint = endpoint
        self.reason = reason
        super().__init__(message, transient=True)


class AzurePermissionDeniedError(AzureStorageError, PermissionDeniedError):
    """Azure refused a request: the credentials lack a right (or the network rule).

    Both an :class:`AzureStorageError` and a
    :class:`~fluke.exceptions.PermissionDeniedError` (a ``PermissionError``).

    :param message: what failed, already redacted.
    :param path: what the request was for (a URI, a container), redacted.
    :param status_code: the HTTP status.
    :param error_code: Azure's error code (``AuthorizationPermissionMismatch``...).
    """

    def __init__(
        self, message: str, path: str, status_code: int | None, error_code: str | None
    ) -> None:
        # Not AzureStorageError.__init__: its super() is PermissionDeniedError's.
        self.status_code = status_code
        self.error_code = error_code
        self.transient = False
        OSError.__init__(self, message)
        self.path = path
        self.reason = error_code
        self.errno, self.strerror, self.filename = errno.EACCES, os.strerror(errno.EACCES), path


class AzureAuthenticationError(AzurePermissionDeniedError, AuthenticationError):
    """Azure refused the credentials: a wrong account key, an expired SAS or token.

    Both an :class:`AzureStorageError` and an
    :class:`~fluke.exceptions.AuthenticationError` (so a ``PermissionError``).
    """


class QueueNotFoundError(FlukeError, LookupError):
    """An Azure Storage queue does not exist or cannot be accessed."""

    def __init__(self, queue: str) -> None:
        self.queue = queue
        super().__init__(f"Queue {queue!r} does not exist or cannot be accessed.")


#: Azure Storage's error codes and the Fluke exception each becomes.
ERROR_CODES: Mapping[str, type[FlukeError]] = {
    "ContainerNotFound": ContainerNotFoundError,
    "BlobNotFound": PathNotFoundError,
    "QueueNotFound": QueueNotFoundError,
    "AuthenticationFailed": AuthenticationError,
    "InvalidAuthenticationInfo": AuthenticationError,
    "NoAuthenticationInformation": AuthenticationError,
    "AuthorizationFailure": PermissionDeniedError,
    "AuthorizationPermissionMismatch": PermissionDeniedError,
    "AuthorizationProtocolMismatch": PermissionDeniedError,
    "AuthorizationResourceTypeMismatch": PermissionDeniedError,
    "AuthorizationServiceMismatch": PermissionDeniedError,
    "AuthorizationSourceIPMismatch": PermissionDeniedError,
    "InsufficientAccountPermissions": PermissionDeniedError,
    "AccountIsDisabled": PermissionDeniedError,
}


def kind_of(error: BaseException) -> type[FlukeError] | None:
    """What :data:`ERROR_CODES` says ``error`` is (a bare 401/403: a refusal)."""
    kind = ERROR_CODES.get(error_code(error) or "")
    if kind is None and _status(error) in (401, 403):
        return AuthenticationError if _status(error) == 401 else PermissionDeniedError
    return kind


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


def endpoint_of(url: str) -> str | None:
    """``scheme://host:port`` of ``url``: never user-info, a path or a query."""
    try:
        parts = urllib.parse.urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not host or parts.scheme not in ("http", "https"):
        return None
    if ":" in host:
        host = f"[{host}]"
    if port is None:
        port = 443 if parts.scheme == "https" else 80
    return f"{parts.scheme}://{host}:{port}"


def _causes(error: BaseException) -> Iterator[BaseException]:
    """``error`` and what it wraps: causes, contexts, ``inner_exception``, ``reason``, args."""
    pending: list[object] = [error]
    seen: set[int] = set()
    while pending:
        item = pending.pop(0)
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        pending.extend(
            [
                getattr(item, "inner_exception", None),
                getattr(item, "reason", None),
                item.__cause__,
                item.__context__,
                *item.args,
            ]
        )


def _connect_failure(error: BaseException) -> tuple[str | None, str | None]:
    """The endpoint (when the error knows it) and why a connect failed.

    The reason is ``None`` when ``error`` is no connection failure (the SDK
    also raises ``ServiceRequestError`` for, e.g., a token over plain HTTP).
    """
    import requests.exceptions
    import urllib3.exceptions

    from fluke_azure._connect import CONNECT_TIMEOUT

    endpoint: str | None = None
    reason: str | None = None
    connection_failed = False
    for cause in _causes(error):
        if endpoint is None and isinstance(cause, urllib3.exceptions.PoolError):
            pool = cause.pool
            scheme, host, port = (getattr(pool, name, None) for name in ("scheme", "host", "port"))
            if isinstance(scheme, str) and isinstance(host, str):
                endpoint = endpoint_of(f"{scheme}://{host}" + (f":{port}" if port else ""))
        if reason is not None:
            continue
        # urllib3 2 makes NewConnectionError a ConnectTimeoutError: test it first.
        if isinstance(cause, urllib3.exceptions.NameResolutionError):
            reason = "the host name does not resolve"
        elif isinstance(cause, urllib3.exceptions.NewConnectionError):
            connection_failed = True
        elif isinstance(cause, urllib3.exceptions.ConnectTimeoutError):
            reason = f"no connection within {CONNECT_TIMEOUT:g} s"
        elif isinstance(cause, urllib3.exceptions.SSLError):
            reason = "the TLS handshake failed"
        elif isinstance(cause, ConnectionRefusedError):
            reason = "connection refused"
        elif isinstance(cause, OSError) and cause.strerror:
            reason = str(cause.strerror).lower()
        elif isinstance(cause, requests.exceptions.ConnectionError):
            connection_failed = True
    if reason is None and connection_failed:
        reason = "the connection failed"
    return endpoint, reason


def _unreachable(
    error: ServiceRequestError, what: str, secrets: Iterable[str | None], endpoint: str | None
) -> EndpointUnreachableError | None:
    found, reason = _connect_failure(error)
    if reason is None:
        return None
    where = endpoint_of(endpoint) if endpoint else None
    where = where or found
    target = f"the endpoint {where!r}" if where else "the service endpoint"
    message = redact(f"{what} failed: cannot connect to {target}: {reason}.", secrets)
    return EndpointUnreachableError(message, where, reason)


def convert(
    error: AzureError,
    what: str,
    secrets: Iterable[str | None] = (),
    *,
    endpoint: str | None = None,
    path: str | None = None,
) -> AzureStorageError:
    """An :class:`AzureStorageError` for ``error``; its text is redacted.

    A refusal (:data:`ERROR_CODES`: a wrong key, a missing right, a bare 401
    or 403) is an :class:`AzureAuthenticationError` or an
    :class:`AzurePermissionDeniedError` naming ``path`` (or ``what``): a
    built-in ``PermissionError``, never "not found".

    A failed connect (``ServiceRequestError``: nothing was sent) becomes
    :class:`EndpointUnreachableError`, naming ``endpoint`` (the service URL;
    only its scheme, host and port are shown) or, without one, the host the
    error names.
    """
    if isinstance(error, ServiceRequestError):
        unreachable = _unreachable(error, what, secrets, endpoint)
        if unreachable is not None:
            return unreachable
    status = error.status_code if isinstance(error, HttpResponseError) else None
    code = error_code(error)
    where = f" (HTTP {status}{', ' + code if code else ''})" if status else ""
    kind = kind_of(error)
    if kind is AuthenticationError or kind is PermissionDeniedError:
        refused = (
            AzureAuthenticationError
            if kind is AuthenticationError
            else (AzurePermissionDeniedError)
        )
        advice = (
            "authentication failed: check the credentials"
            if refused is AzureAuthenticationError
            else "permission denied"
        )
        message = redact(f"{what} failed{where}: {advice}.", secrets)
        return refused(message, redact(path or what, secrets), status, code)
    first_line = str(getattr(error, "message", None) or error).splitlines()[0:1]
    detail = first_line[0] if first_line else type(error).__name__
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
