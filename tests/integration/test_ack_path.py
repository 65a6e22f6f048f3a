"""The ack path's write: group commit of inbox rows, on real SQLite and PostgreSQL.

Many request threads store deliveries at once; every caller must learn whether its own row went
in, duplicates (a retry racing its original) must win exactly once, values must read back as the
ORM wrote them, and a database error must reach every caller of the failed batch, not hang them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, func, select

from bot.clock import FixedClock
from bot.db.engine import make_engine, make_session_factory
from bot.db.group_commit import MAX_BATCH, GroupInserter, _Pending
from bot.db.rows import InboxEventRow
from bot.db.unit_of_work import UnitOfWorkFactory
from bot.services import inbox

NOW = datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture
def factory(committing_uow: UnitOfWorkFactory) -> UnitOfWorkFactory:
    return committing_uow


def _body(event_id: str, text: str = "Leave it with me") -> dict[str, object]:
    return {
        "event_id": event_id,
        "team_id": "T0001",
        "event_time": 1_700_000_000,
        "event": {"type": "message", "text": text, "channel": "C1", "ts": "1.000001"},
    }


def _row(event_id: str, **changes: object) -> dict[str, object]:
    """An inbox row as the ack path writes it."""
    row: dict[str, object] = {
        "event_id": event_id,
        "workspace_id": "T0001",
        "event_type": "message",
        "payload": {},
        "received_at": NOW,
        "attempts": 0,
    }
    return row | changes


def _count(uow: UnitOfWorkFactory) -> int:
    with uow() as tx:
        return int(tx.session.scalar(select(func.count()).select_from(InboxEventRow)) or 0)


def test_concurrent_deliveries_each_learn_their_fate_and_duplicates_win_once(
    factory: UnitOfWorkFactory,
) -> None:
    clock = FixedClock(NOW)
    # 40 distinct events, each delivered three times (Slack's retries) from 12 threads at once.
    ids = [f"Ev{i:04d}" for i in range(40)] * 3

    def deliver(event_id: str) -> tuple[str, bool]:
        return event_id, inbox.record(uow=factory, clock=clock, body=_body(event_id))

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(deliver, ids))
    won: dict[str, int] = {}
    for event_id, inserted in results:
        won[event_id] = won.get(event_id, 0) + int(inserted)
    assert won == {f"Ev{i:04d}": 1 for i in range(40)}
    assert _count(factory) == 40
    # A later retry of a stored event is recognised too.
    assert inbox.record(uow=factory, clock=clock, body=_body("Ev0007")) is False


def test_rows_read_back_exactly_as_written(factory: UnitOfWorkFactory) -> None:
    text = "Ünïcode ✅ and \"quotes\" and 'apostrophes'"
    assert inbox.record(uow=factory, clock=FixedClock(NOW), body=_body("EvRT", text))
    with factory() as tx:
        row = tx.session.get(InboxEventRow, "EvRT")
        assert row is not None
        assert row.received_at == NOW  # aware, UTC, microseconds kept on both backends
        assert row.payload == {
            "event": {"type": "message", "text": text, "channel": "C1", "ts": "1.000001"},
            "event_time": 1_700_000_000,
        }
        assert (row.workspace_id, row.event_type, row.attempts, row.processed_at) == (
            "T0001",
            "message",
            0,
            None,
        )


def test_a_failed_batch_fails_every_caller_and_the_writer_carries_on(fresh_url: str) -> None:
    engine = make_engine(fresh_url, autocommit=True)
    inserter = GroupInserter(engine, InboxEventRow, ["event_id"])
    good = _row("EvOK")
    try:
        with pytest.raises(Exception, match=r"(?i)null|constraint"):
            inserter.insert(good | {"event_id": "EvBAD", "event_type": None})
        assert inserter.insert(good) is True  # a failed batch does not stop later ones
        assert inserter.insert(good) is False
    finally:
        inserter.close()
        engine.dispose()
    with pytest.raises(RuntimeError, match="shut down"):
        inserter.insert(good | {"event_id": "EvLATE"})


def test_the_writer_keeps_one_connection_and_replaces_it_after_a_failure(
    fresh_url: str,
) -> None:
    engine = make_engine(fresh_url, autocommit=True)
    opened: list[object] = []
    event.listen(engine, "connect", lambda conn, _record: opened.append(conn))
    inserter = GroupInserter(engine, InboxEventRow, ["event_id"])
    try:
        assert inserter.insert(_row("Ev1")) is True
        assert inserter.insert(_row("Ev2")) is True
        assert len(opened) == 1  # one connection, kept between batches
        assert engine.pool.checkedout() == 1
        with pytest.raises(Exception, match=r"(?i)null|constraint"):
            inserter.insert(_row("EvBAD") | {"event_type": None})
        assert engine.pool.checkedout() == 0  # a connection that failed is not reused
        assert inserter.insert(_row("Ev3")) is True
        assert len(opened) == 2
    finally:
        inserter.close()
    assert engine.pool.checkedout() == 0  # closing gives it back
    engine.dispose()


def _hold_writes(
    inserter: GroupInserter, record: Callable[[list[_Pending]], None]
) -> threading.Event:
    """Each write of `inserter` records its batch, then waits for the returned gate."""
    gate = threading.Event()
    original = inserter._write

    def held(batch: list[_Pending]) -> None:
        record(batch)
        gate.wait(timeout=5)
        original(batch)

    inserter._write = held  # type: ignore[method-assign]
    return gate


def test_rows_arriving_during_a_write_form_the_next_batch_one_row_per_key(
    fresh_url: str,
) -> None:
    """The first write is held up; four copies of one key queue behind it and go in as one
    batch, where the first copy wins and the others learn they were duplicates."""
    engine = make_engine(fresh_url, autocommit=True)
    inserter = GroupInserter(engine, InboxEventRow, ["event_id"])
    batches: list[int] = []
    gate = _hold_writes(inserter, lambda batch: batches.append(len(batch)))
    try:
        with ThreadPoolExecutor(max_workers=5) as pool:
            leader = pool.submit(inserter.insert, _row("EvFIRST"))
            while not batches:  # the leader is inside its write
                time.sleep(0.005)
            copies = [pool.submit(inserter.insert, _row("EvDUP")) for _ in range(4)]
            while len(inserter._queue) < 4:  # all four queued behind the write
                time.sleep(0.005)
            gate.set()
            assert leader.result() is True
            assert sorted(f.result() for f in copies) == [False, False, False, True]
        assert batches == [1, 4]
    finally:
        inserter.close()
        engine.dispose()


def _wait_until(check: Callable[[], bool]) -> None:
    for _ in range(1000):
        if check():
            return
        time.sleep(0.005)
    raise AssertionError("timed out")


def test_with_two_writers_a_second_row_is_written_at_once_and_a_third_queues(
    fresh_url: str,
) -> None:
    """The first write is held up: a second caller does not wait for it but writes on a
    connection of its own; with both writers busy the next rows queue, then go in as one batch
    handed to the first of them."""
    engine = make_engine(fresh_url, autocommit=True)
    opened: list[object] = []
    event.listen(engine, "connect", lambda conn, _record: opened.append(conn))
    inserter = GroupInserter(engine, InboxEventRow, ["event_id"], writers=2)
    batches: list[list[str]] = []
    gate = _hold_writes(
        inserter, lambda batch: batches.append(sorted(p.values["event_id"] for p in batch))
    )
    try:
        with ThreadPoolExecutor(max_workers=5) as pool:
            first = pool.submit(inserter.insert, _row("EvA"))
            _wait_until(lambda: len(batches) == 1)
            second = pool.submit(inserter.insert, _row("EvB"))
            _wait_until(lambda: len(batches) == 2)  # while the first is still held
            queued = [pool.submit(inserter.insert, _row(f"EvQ{i}")) for i in range(3)]
            _wait_until(lambda: len(inserter._queue) == 3)
            assert len(batches) == 2
            gate.set()
            assert first.result() is True
            assert second.result() is True
            assert [f.result() for f in queued] == [True, True, True]
        assert batches == [["EvA"], ["EvB"], ["EvQ0", "EvQ1", "EvQ2"]]
        assert len(opened) == 2  # a connection per writer, kept between batches
    finally:
        inserter.close()
    assert engine.pool.checkedout() == 0
    engine.dispose()


def test_two_batches_written_at_once_with_the_same_keys_do_not_deadlock(
    fresh_url: str,
) -> None:
    """A retry and its original in two batches written side by side, listed in opposite
    orders: rows go in key order, so neither waits on the other in a cycle (PostgreSQL would
    abort one with "deadlock detected"), and each key is inserted exactly once."""
    engine = make_engine(fresh_url, autocommit=True)
    inserter = GroupInserter(engine, InboxEventRow, ["event_id"], writers=2)
    try:
        for round_ in range(5):
            keys = [f"Ev{round_}-{i:03d}" for i in range(MAX_BATCH)]
            forward = [_Pending(_row(k)) for k in keys]
            backward = [_Pending(_row(k)) for k in reversed(keys)]
            start = threading.Barrier(2)

            def write(batch: list[_Pending], start: threading.Barrier = start) -> None:
                start.wait(timeout=5)
                inserter._write(batch)

            with ThreadPoolExecutor(max_workers=2) as pool:
                list(pool.map(write, [forward, backward]))
            for pending in forward + backward:
                assert pending.error is None
            wins = {k: 0 for k in keys}
            for pending in forward + backward:
                wins[str(pending.values["event_id"])] += int(bool(pending.inserted))
            assert wins == {k: 1 for k in keys}
    finally:
        inserter.close()
        engine.dispose()


@pytest.mark.parametrize("writers", [0, -1])
def test_there_is_at_least_one_writer(fresh_url: str, writers: int) -> None:
    engine = make_engine(fresh_url, autocommit=True)
    try:
        with pytest.raises(ValueError, match="writers"):
            GroupInserter(engine, InboxEventRow, ["event_id"], writers=writers)
    finally:
        engine.dispose()


def test_the_ack_engine_commits_each_statement(fresh_url: str) -> None:
    """Rows written on the autocommit engine are visible to another connection at once."""
    writer_engine, reader_engine = make_engine(fresh_url), make_engine(fresh_url)
    writer = UnitOfWorkFactory(make_session_factory(writer_engine))
    reader = UnitOfWorkFactory(make_session_factory(reader_engine))
    try:
        assert inbox.record(uow=writer, clock=FixedClock(NOW), body=_body("EvVIS"))
        assert _count(reader) == 1
    finally:
        writer.dispose()
        writer_engine.dispose()
        reader_engine.dispose()
