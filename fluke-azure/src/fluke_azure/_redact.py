"""Keeping secrets (account keys, SAS signatures, client secrets) out of text.

Every message Fluke builds from an Azure error goes through :func:`redact`,
and the exceptions raised here never chain the SDK's original exception
(whose text could quote a signature).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from fluke.exceptions import FlukeError

MASK = "***"

_PATTERNS = [
    re.compile(r"(?i)(\bsig=)[^&\s'\";]+"),
    re.compile(r"(?i)(AccountKey=)[^;\s'\"]+"),
    re.compile(r"(?i)(SharedAccessSignature=)[^;\s'\"]+"),
    re.compile(r"(?i)(client_secret=)[^&\s'\";]+"),
    re.compile(r"(?i)(Authorization['\"]?\s*[:=]\s*['\"]?)[^'\"\r\n]+"),
    re.compile(r"(?i)(signature found in the HTTP request ')[^']*"),
    re.compile(r"(?i)(server used following string to sign: ')[^']*"),
]


class RedactedValueError(FlukeError, ValueError):
    """Bad Azure settings (connection string, URL...); the message hides secrets."""


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with every known secret and every signature-like value masked."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda match: match.group(1) + MASK, text)
    return text


class RedactingFilter(logging.Filter):
    """Masks signatures and keys in records of loggers outside Fluke's control.

    urllib3 logs every request line at DEBUG level, query string included,
    which for SAS authentication contains the signature.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message with secrets masked; never drop it."""
        try:
            message = record.getMessage()
        except Exception:  # pragma: no cover - a malformed record: leave it alone
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True


_FILTERED_LOGGERS = ("urllib3.connectionpool",)
_filter = RedactingFilter()


def install_log_filter() -> None:
    """Attach :class:`RedactingFilter` to the HTTP loggers (idempotent)."""
    for name in _FILTERED_LOGGERS:
        target = logging.getLogger(name)
        if _filter not in target.filters:
            target.addFilter(_filter)
