"""Bounded retries with exponential backoff and full jitter."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

logger = logging.getLogger("fluke.transfer")

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently transient errors are retried.

    :param attempts: total tries, the first included.
    :param base_delay: the first backoff ceiling, in seconds; doubles per try.
    :param max_delay: the largest backoff ceiling.
    """

    attempts: int = 5
    base_delay: float = 0.25
    max_delay: float = 8.0

    def delay(self, attempt: int) -> float:
        """Full-jitter backoff before try ``attempt + 1``."""
        ceiling = min(self.max_delay, self.base_delay * (2**attempt))
        return random.uniform(0, ceiling)


def with_retries(
    call: Callable[[], T],
    *,
    policy: RetryPolicy,
    is_transient: Callable[[BaseException], bool],
    what: str,
) -> T:
    """Run ``call``, retrying transient errors up to ``policy.attempts`` times.

    Permanent errors, and the last transient one, propagate unchanged.
    """
    attempt = 0
    while True:
        try:
            return call()
        except Exception as error:
            attempt += 1
            if attempt >= policy.attempts or not is_transient(error):
                raise
            pause = policy.delay(attempt)
            logger.info(
                "%s: transient error (%s), retry %d/%d in %.2fs",
                what,
                type(error).__name__,
                attempt,
                policy.attempts - 1,
                pause,
            )
            time.sleep(pause)
