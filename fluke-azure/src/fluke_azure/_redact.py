"""Keeping secrets (account keys, SAS signatures, client secrets) out of text.

Every message Fluke builds from an Azure error goes through :func:`redact`,
and the exceptions raised here never chain the SDK's original exception
(whose text could quote a signature).
"""

from __future__ import annotations

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
