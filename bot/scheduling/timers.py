"""A local timer per process (APScheduler), calling plain functions on an interval.

Nothing durable lives here: schedules and deliveries are rows in our own tables, and every job
is safe to run in several processes at once (they claim work with leases). APScheduler's docs
say a job store must not be shared between processes, so we share none.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from bot.observability import get_logger

log = get_logger(__name__)


class Timers:
    def __init__(self, *, max_workers: int = 4) -> None:
        self._scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max_workers)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC,
        )

    def every(self, name: str, seconds: float, func: Callable[[], object]) -> None:
        def run() -> None:
            try:
                func()
            except Exception:  # a failing tick is logged and tried again next tick
                log.exception("timer_failed", timer=name)

        self._scheduler.add_job(run, "interval", seconds=seconds, id=name, name=name)

    def wake(self) -> None:
        """Run every job now (used after a change that should take effect immediately)."""
        if not self._scheduler.running:
            return
        now = datetime.now(UTC)
        for job in self._scheduler.get_jobs():
            job.modify(next_run_time=now)

    def start(self) -> None:
        if not self._scheduler.running:
            self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)
