"""Turning Google Cloud Storage errors into Fluke's exceptions.

:data:`ERROR_STATUSES` is the one table from the HTTP statuses GCS answers
with (its JSON API has no finer error codes that matter here) to Fluke's
exceptions; :func:`gcs_errors` applies it around requests. The SDK's error
stays the ``__cause__``: google-api-core's text names the request and the
service's message, never a credential (tokens travel in headers).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from fluke.exceptions import AuthenticationError, FlukeError, PermissionDeniedError
from fluke_gcp._sdk import api_exceptions, auth_exceptions

__all__ = ["ERROR_STATUSES", "gcs_errors", "translate"]

#: HTTP statuses of GCS answers and the Fluke exception each becomes. A 403
#: is never "bucket not found". (404 and 412 depend on the request: a
#: missing object, bucket or a changed source; the backend decides those.)
ERROR_STATUSES: Mapping[int, type[PermissionDeniedError]] = {
    401: AuthenticationError,  # no, wrong or expired credentials
    403: PermissionDeniedError,  # valid credentials without the right
}


def _status(error: BaseException) -> int | None:
    code = getattr(error, "code", None)
    return code if isinstance(code, int) else None


def translate(error: BaseException, where: str) -> FlukeError | None:
    """The Fluke exception for ``error`` on ``where`` (a ``gs://`` URI), or ``None``.

    Credentials that cannot be refreshed (a revoked or expired refresh
    token, a malformed service-account key) are an
    :class:`~fluke.exceptions.AuthenticationError` too.
    """
    if isinstance(error, auth_exceptions.RefreshError):
        return AuthenticationError(where, "the credentials cannot be refreshed")
    if isinstance(error, auth_exceptions.DefaultCredentialsError):
        return AuthenticationError(where, "no Google credentials found")
    if not isinstance(error, api_exceptions.GoogleAPICallError):
        return None
    status = _status(error)
    kind = ERROR_STATUSES.get(status) if status is not None else None
    if kind is None:
        return None
    reason = getattr(error, "reason", None) or f"HTTP {status}"
    return kind(where, str(reason))


@contextmanager
def gcs_errors(where: str) -> Iterator[None]:
    """Re-raise refusals inside the block as :data:`ERROR_STATUSES` says.

    :param where: the ``gs://`` URI of the bucket or object the requests are for.
    :raises AuthenticationError: the credentials were refused (401) or
        cannot be refreshed.
    :raises PermissionDeniedError: the credentials lack the right (403).
    """
    try:
        yield
    except (api_exceptions.GoogleAPICallError, auth_exceptions.GoogleAuthError) as error:
        translated = translate(error, where)
        if translated is None:
            raise
        raise translated from error
