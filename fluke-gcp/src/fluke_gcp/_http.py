"""The HTTP sessions fluke-gcp talks through: bounded connects, a clear error when nobody answers.

google-cloud-storage retries connection failures for up to two minutes
(``DEFAULT_RETRY``) and google-auth's token requests wait up to 120 s per
try, so a dead or mistyped endpoint used to take over a minute to fail.
Every request made through :func:`authorized_session` (the storage API and
the credentials' token requests) instead

* waits at most :data:`CONNECT_TIMEOUT` seconds to connect (reads keep the
  SDK's own, longer, timeout);
* retries a failed connect :data:`CONNECT_RETRIES` time(s), quickly;
* then raises :class:`EndpointUnreachableError`, which names the endpoint
  (scheme, host and port only: never a path, a query or user-info) and which
  the SDK does not retry.

Failures after a connection is made (resets, 5xx, throttling) are left to
the SDK's and the transfer engine's retries, as before.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

import requests
import requests.adapters
import requests.exceptions
import urllib3.exceptions
import urllib3.util

from fluke_gcp._sdk import auth_requests

__all__ = ["CONNECT_TIMEOUT", "EndpointUnreachableError", "authorized_session", "endpoint_of"]

#: seconds to wait for a TCP (and TLS) connection before giving up
CONNECT_TIMEOUT = 4.0
#: extra connect attempts (only while no byte was sent: always safe)
CONNECT_RETRIES = 1
_POOL_CONNECTIONS = 4


class EndpointUnreachableError(OSError):
    """Nothing answers at an endpoint (refused, unresolvable, or connect timed out).

    :param endpoint: ``scheme://host:port`` of the endpoint (no secret).
    :param reason: why the connection failed.
    :param what: what the endpoint is (``"the GCS endpoint"``).
    """

    def __init__(self, endpoint: str, reason: str, what: str = "the endpoint") -> None:
        self.endpoint = endpoint
        self.reason = reason
        self.what = what
        super().__init__(f"Cannot connect to {what} {endpoint!r}: {reason}.")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.endpoint, self.reason, self.what))


def endpoint_of(url: str) -> str:
    """``scheme://host:port`` of ``url``: no user-info, path or query."""
    try:
        parts = urllib.parse.urlsplit(url)
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return "<malformed URL>"
    if ":" in host:
        host = f"[{host}]"
    if port is None:
        port = 443 if parts.scheme == "https" else 80
    return f"{parts.scheme}://{host}:{port}"


def _connect_failure(error: requests.exceptions.ConnectionError) -> str | None:
    """Why no connection could be made, or ``None`` if this is another failure."""
    reason: object = error.args[0] if error.args else None
    if isinstance(reason, urllib3.exceptions.MaxRetryError):
        reason = reason.reason
    if isinstance(reason, urllib3.exceptions.NameResolutionError):
        return "the host name does not resolve"
    if isinstance(reason, urllib3.exceptions.NewConnectionError):
        cause = reason.__cause__ or reason.__context__
        strerror = getattr(cause, "strerror", None)
        return str(strerror).lower() if strerror else "the connection failed"
    if isinstance(reason, urllib3.exceptions.ConnectTimeoutError) or isinstance(
        error, requests.exceptions.ConnectTimeout
    ):
        return f"no connection within {CONNECT_TIMEOUT:g} s"
    return None


def _bounded(timeout: Any) -> Any:
    """``timeout`` as a ``(connect, read)`` pair whose connect part is at most CONNECT_TIMEOUT."""
    if isinstance(timeout, urllib3.util.Timeout):
        return timeout
    if isinstance(timeout, tuple):
        connect, read = timeout
    else:
        connect, read = timeout, timeout
    if connect is None or connect > CONNECT_TIMEOUT:
        connect = CONNECT_TIMEOUT
    return (connect, read)


class BoundedAdapter(requests.adapters.HTTPAdapter):
    """An adapter with a bounded connect (see the module docstring).

    :param what: what its endpoints are, for :class:`EndpointUnreachableError`.
    :param pool_maxsize: connections kept per host.
    """

    def __init__(self, what: str, pool_maxsize: int) -> None:
        self._what = what
        retries = urllib3.util.Retry(
            total=CONNECT_RETRIES,
            connect=CONNECT_RETRIES,
            read=False,
            redirect=False,
            status=0,
            other=0,
            backoff_factor=0.25,
            raise_on_status=False,
        )
        super().__init__(
            pool_connections=_POOL_CONNECTIONS, pool_maxsize=pool_maxsize, max_retries=retries
        )

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: dict[str, str] | None = None,
    ) -> requests.Response:
        """Send, bounding the connect; a failed connect raises EndpointUnreachableError."""
        try:
            return super().send(
                request,
                stream=stream,
                timeout=_bounded(timeout),
                verify=verify,
                cert=cert,
                proxies=proxies,
            )
        except requests.exceptions.ConnectionError as error:
            reason = _connect_failure(error)
            if reason is None:
                raise
            endpoint = endpoint_of(request.url or "")
            raise EndpointUnreachableError(endpoint, reason, self._what) from error


def authorized_session(credentials: Any, pool_maxsize: int) -> tuple[Any, requests.Session]:
    """A google-auth ``AuthorizedSession`` whose requests (token refreshes too) are bounded.

    Returns the session and the plain session its token requests go
    through; the caller closes both.
    """
    token_session = requests.Session()
    token_adapter = BoundedAdapter("the credentials' token endpoint", pool_maxsize=2)
    token_session.mount("https://", token_adapter)
    token_session.mount("http://", token_adapter)
    http = auth_requests.AuthorizedSession(
        credentials, auth_request=auth_requests.Request(token_session)
    )
    adapter = BoundedAdapter("the GCS endpoint", pool_maxsize=pool_maxsize)
    http.mount("https://", adapter)
    http.mount("http://", adapter)
    return http, token_session
