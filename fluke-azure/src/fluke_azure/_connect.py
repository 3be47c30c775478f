"""Bounded connects: a dead or mistyped endpoint fails within seconds, not minutes.

With the SDK's defaults, nothing listening at an endpoint took about 84 s
to fail: the storage ``ExponentialRetry`` retries a failed connect three
times after 15, 18 and 24 s (± 3 s), and a custom transport waits up to
300 s for each TCP connect. Every client Fluke builds instead

* waits at most :data:`CONNECT_TIMEOUT` seconds to connect (reads keep the
  transport's long timeout: big blocks take time);
* retries a failed connect :data:`CONNECT_RETRIES` time(s), after
  :data:`CONNECT_BACKOFF` seconds, since no byte was sent;
* keeps the SDK's retries, with their long back-off, for everything that
  happens after a connection was made (resets, 5xx, throttling).

The final failure becomes :class:`~fluke_azure._errors.EndpointUnreachableError`
(see :func:`fluke_azure._errors.convert`), which names the endpoint.
"""

from __future__ import annotations

from typing import Any

from azure.core.exceptions import ServiceRequestError
from azure.storage.blob import ExponentialRetry as BlobExponentialRetry
from azure.storage.queue import ExponentialRetry as QueueExponentialRetry

__all__ = [
    "CONNECT_BACKOFF",
    "CONNECT_RETRIES",
    "CONNECT_TIMEOUT",
    "BlobRetry",
    "QueueRetry",
    "connect_backoff",
]

#: Seconds to wait for a TCP connection.
CONNECT_TIMEOUT = 4.0
#: Extra attempts after a failed connect (safe: nothing was sent).
CONNECT_RETRIES = 1
#: Seconds before the first connect retry (doubled for each further one).
CONNECT_BACKOFF = 0.5


def connect_backoff(settings: dict[str, Any]) -> float | None:
    """The short back-off after a failed connect, or ``None`` after any other failure.

    :param settings: the storage retry policy's per-request state; its
        ``history`` holds one entry per failed attempt.
    """
    history = settings.get("history") or []
    if not history or not isinstance(getattr(history[-1], "error", None), ServiceRequestError):
        return None
    failed_connects = sum(
        1 for entry in history if isinstance(getattr(entry, "error", None), ServiceRequestError)
    )
    return float(CONNECT_BACKOFF * 2 ** (failed_connects - 1))


class BlobRetry(BlobExponentialRetry):
    """The Blob SDK's exponential retry, with few and quick retries of failed connects."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("retry_connect", CONNECT_RETRIES)
        super().__init__(**kwargs)

    def get_backoff_time(self, settings: dict[str, Any]) -> float:
        """:func:`connect_backoff` after a failed connect, else the SDK's back-off."""
        quick = connect_backoff(settings)
        return quick if quick is not None else float(super().get_backoff_time(settings))


class QueueRetry(QueueExponentialRetry):
    """The Queue SDK's exponential retry, with few and quick retries of failed connects."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("retry_connect", CONNECT_RETRIES)
        super().__init__(**kwargs)

    def get_backoff_time(self, settings: dict[str, Any]) -> float:
        """:func:`connect_backoff` after a failed connect, else the SDK's back-off."""
        quick = connect_backoff(settings)
        return quick if quick is not None else float(super().get_backoff_time(settings))
