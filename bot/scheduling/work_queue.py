"""A small in-process work queue: events are acked at once and processed on these threads.

Bolt's own listener threads are then free for commands and button clicks, and a burst of
events cannot starve the ack path. Nothing is lost if the process dies with work queued: the
work lives in the database (the inbox), and the sweeper replays whatever was not processed.

Acks go first. Slack gives each request three seconds and retries (then disables the app) when
they are missed; processing an event has no such deadline. Python threads share one
interpreter lock, so processing running flat out slows every ack. So while requests are being
answered (`busy()`), a worker waits before taking its next item, but never longer than
`max_defer` after that item was queued: under sustained load the queue still drains.

Past that deadline, while requests are still coming, the workers take turns at a measured pace:
after an item has used c seconds of CPU, the next one starts no sooner than c x (1 - share) /
share later, so processing takes at most `busy_share` of the interpreter while acks are being
answered. Without that pace a burst longer than `max_defer` fed on itself: overdue processing
slowed the acks, which made the burst longer and more items overdue (on SQLite, whose single
write lock processing then held nearly all the time, acks waited seconds).
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Callable

from bot.observability import get_logger

log = get_logger(__name__)

_STOP = object()
_POLL_SECONDS = 0.025


class WorkQueue:
    def __init__(
        self,
        handler: Callable[[str], object],
        *,
        threads: int = 1,
        name: str = "work",
        busy: Callable[[], bool] = lambda: False,
        max_defer: float = 5.0,
        busy_share: float = 0.1,
        cpu_clock: Callable[[], float] = time.thread_time,
    ):
        if not 0 < busy_share <= 1:
            raise ValueError("busy_share must be in (0, 1]")
        self._handler = handler
        self._busy = busy
        self._max_defer = max_defer
        self._rest_per_cpu_second = (1 - busy_share) / busy_share
        self._cpu_clock = cpu_clock
        self._queue: queue.Queue[tuple[str, float] | object] = queue.Queue()
        self._threads = [
            threading.Thread(target=self._run, name=f"{name}-{i}", daemon=True)
            for i in range(threads)
        ]
        self._started = False
        self._lock = threading.Lock()
        # When the next overdue item may start while requests are in flight (monotonic seconds;
        # infinity while one such item runs: one turn at a time, whichever thread takes it).
        self._next_turn = 0.0
        self._turn_lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if not self._started:
                for thread in self._threads:
                    thread.start()
                self._started = True

    def put(self, item: str) -> None:
        self._queue.put((item, time.monotonic()))

    def join(self) -> None:
        """Wait until everything queued so far has been handled (tests, benchmarks)."""
        self._queue.join()

    def stop(self) -> None:
        with self._lock:
            if not self._started:
                return
            for _ in self._threads:
                self._queue.put(_STOP)
        for thread in self._threads:
            thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if not isinstance(item, tuple):
                    return  # _STOP
                work, queued_at = item
                if self._yield_to_acks(queued_at):
                    self._take_turn(work)
                else:
                    self._handler(work)
            except Exception:  # the inbox keeps the work; the sweeper will retry it
                log.exception("work_item_failed")
            finally:
                self._queue.task_done()

    def _yield_to_acks(self, queued_at: float) -> bool:
        """Wait while requests are being answered, up to the item's deadline; past it, wait for
        a turn. True when the item is to run as a turn (requests are still in flight)."""
        deadline = queued_at + self._max_defer
        while self._busy():
            now = time.monotonic()
            if now >= deadline:
                with self._turn_lock:
                    if now >= self._next_turn:
                        self._next_turn = math.inf
                        return True
            time.sleep(_POLL_SECONDS)
        return False

    def _take_turn(self, work: str) -> None:
        started = self._cpu_clock()
        try:
            self._handler(work)
        finally:
            used = max(0.0, self._cpu_clock() - started)
            with self._turn_lock:
                self._next_turn = time.monotonic() + used * self._rest_per_cpu_second
