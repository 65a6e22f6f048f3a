"""Client-side pacing so the outbox stays inside Slack's limits instead of bouncing off 429s."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBucket:
    """`rate` calls a second on average, bursts up to `burst`. Thread-safe; `acquire` blocks."""

    def __init__(
        self,
        rate: float,
        *,
        burst: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.capacity = burst if burst is not None else max(1.0, rate / 10)
        self._tokens = self.capacity
        self._updated = monotonic()
        self._monotonic = monotonic
        self._sleep = sleep
        self._lock = threading.Lock()

    def acquire(self) -> None:
        while (wait := self._take()) > 0:
            self._sleep(wait)

    def try_acquire(self) -> bool:
        """Take a token if one is available now; never waits."""
        return self._take() == 0

    def _take(self) -> float:
        """0 when a token was taken, else the seconds until one will be available."""
        with self._lock:
            now = self._monotonic()
            self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return 0.0
            return (1.0 - self._tokens) / self.rate

    def penalise(self, seconds: float) -> None:
        """Slack said 429: nobody in this process sends for `seconds`."""
        with self._lock:
            self._tokens = min(self._tokens, 0.0) - seconds * self.rate
