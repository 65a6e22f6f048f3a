"""The event work queue lets acks go first, but never holds work past its deadline."""

from __future__ import annotations

import itertools
import threading

import pytest

from bot.observability import InFlight
from bot.scheduling.work_queue import WorkQueue


def test_work_waits_while_requests_are_being_answered_then_runs() -> None:
    in_flight = InFlight(quiet=0.0)
    done = threading.Event()
    queue = WorkQueue(lambda _: done.set(), busy=in_flight.busy, max_defer=60.0)
    queue.start()
    try:
        with in_flight:  # a request is being answered
            queue.put("Ev1")
            assert not done.wait(0.2)  # held back while it lasts
        assert done.wait(5)  # runs once the request is answered
    finally:
        queue.stop()


def test_work_is_never_held_longer_than_max_defer() -> None:
    in_flight = InFlight(quiet=0.0)
    done = threading.Event()
    queue = WorkQueue(lambda _: done.set(), busy=in_flight.busy, max_defer=0.05)
    queue.start()
    try:
        with in_flight:  # requests never stop coming
            queue.put("Ev1")
            assert done.wait(5)
    finally:
        queue.stop()


@pytest.mark.parametrize("threads", [1, 3])
def test_overdue_work_takes_turns_at_a_bounded_share_while_requests_continue(
    threads: int,
) -> None:
    """Past the deadline, an item that used c seconds of CPU makes the next overdue one wait
    c x (1 - share) / share while requests are still in flight, whichever thread takes it."""
    in_flight = InFlight(quiet=0.0)
    seen: list[str] = []
    ran = threading.Semaphore(0)
    cpu_seconds = itertools.count(step=1000)  # each item seems to use 1000 s of CPU

    def handle(item: str) -> None:
        seen.append(item)
        ran.release()

    queue = WorkQueue(
        handle,
        threads=threads,
        busy=in_flight.busy,
        max_defer=0.0,
        busy_share=0.5,
        cpu_clock=lambda: float(next(cpu_seconds)),
    )
    queue.start()
    try:
        with in_flight:  # requests never stop coming
            queue.put("Ev1")
            queue.put("Ev2")
            assert ran.acquire(timeout=5)  # overdue: it takes a turn
            assert not ran.acquire(timeout=0.3)  # the next one rests 1000 s after it
            assert len(seen) == 1
        assert ran.acquire(timeout=5)  # the requests were answered: no reason to wait
        assert sorted(seen) == ["Ev1", "Ev2"]
    finally:
        queue.stop()


@pytest.mark.parametrize("share", [0.0, -0.5, 1.5])
def test_the_busy_share_must_be_a_fraction(share: float) -> None:
    with pytest.raises(ValueError, match="busy_share"):
        WorkQueue(lambda _: None, busy_share=share)


def test_busy_lasts_a_quiet_period_after_the_last_ack() -> None:
    in_flight = InFlight(quiet=60.0)
    assert not in_flight.busy()
    with in_flight:
        assert in_flight.busy()
        assert in_flight.count == 1
    assert in_flight.count == 0
    assert in_flight.busy()  # a burst is probably still going on
    assert not InFlight(quiet=0.0).busy()


def test_a_failing_item_does_not_stop_the_queue() -> None:
    seen: list[str] = []
    done = threading.Event()

    def handle(item: str) -> None:
        seen.append(item)
        if item == "bad":
            raise RuntimeError("boom")
        done.set()

    queue = WorkQueue(handle)
    queue.start()
    try:
        queue.put("bad")
        queue.put("good")
        assert done.wait(5)
        assert seen == ["bad", "good"]
    finally:
        queue.stop()
