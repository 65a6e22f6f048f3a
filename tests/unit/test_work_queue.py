"""The event work queue lets acks go first, but never holds work past its deadline."""

from __future__ import annotations

import threading

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
