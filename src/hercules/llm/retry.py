"""One retry policy shared by every backend and the summarizer (exponential back-off)."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` tries in all; waits ``base_delay * factor**i`` (capped, with jitter)."""

    attempts: int = 3
    base_delay: float = 0.5
    factor: float = 2.0
    max_delay: float = 20.0
    jitter: float = 0.1

    def delay(self, attempt: int) -> float:
        wait = min(self.max_delay, self.base_delay * self.factor**attempt)
        return wait * (1.0 + self.jitter * random.random())

    def run(
        self,
        fn: Callable[[], T],
        *,
        retry_on: tuple[type[BaseException], ...] = (Exception,),
        give_up_on: tuple[type[BaseException], ...] = (),
        what: str = "call",
        sleep: Callable[[float], None] = time.sleep,
    ) -> T:
        """Call ``fn`` until it returns; re-raise the last error after ``attempts`` failures.

        Errors in ``give_up_on`` are re-raised at once (retrying cannot change them).
        """
        if self.attempts < 1:
            raise ValueError(f"RetryPolicy.attempts must be >= 1, got {self.attempts}.")
        for attempt in range(self.attempts):
            try:
                return fn()
            except retry_on as exc:
                if attempt + 1 >= self.attempts or isinstance(exc, give_up_on):
                    raise
                wait = self.delay(attempt)
                logger.info(
                    "%s failed (%s: %s); retry %d/%d in %.1fs",
                    what,
                    type(exc).__name__,
                    exc,
                    attempt + 1,
                    self.attempts - 1,
                    wait,
                )
                sleep(wait)
        raise AssertionError("unreachable")
