"""A small in-process work queue: events are acked at once and processed on these threads.

Bolt's own listener threads are then free for commands and button clicks, and a burst of
events cannot starve the ack path. Nothing is lost if the process dies with work queued: the
work lives in the database (the inbox), and the sweeper replays whatever was not processed.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from bot.observability import get_logger

log = get_logger(__name__)

_STOP = object()


class WorkQueue:
    def __init__(self, handler: Callable[[str], object], *, threads: int = 1, name: str = "work"):
        self._handler = handler
        self._queue: queue.Queue[object] = queue.Queue()
        self._threads = [
            threading.Thread(target=self._run, name=f"{name}-{i}", daemon=True)
            for i in range(threads)
        ]
        self._started = False
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if not self._started:
                for thread in self._threads:
                    thread.start()
                self._started = True

    def put(self, item: str) -> None:
        self._queue.put(item)

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
                if item is _STOP:
                    return
                self._handler(str(item))
            except Exception:  # the inbox keeps the work; the sweeper will retry it
                log.exception("work_item_failed")
            finally:
                self._queue.task_done()
