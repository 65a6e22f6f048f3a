"""Several planners on one database: two "replicas" (two engines, two threads), a process that
dies half-way through a fan-out, and the unique key racing on PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from bot.clock import FixedClock
from bot.db.engine import make_engine, make_session_factory
from bot.db.repositories.schedules import OccurrenceRepo
from bot.db.rows import DeliveryRow, PromptOccurrenceRow
from bot.db.unit_of_work import UnitOfWorkFactory
from bot.services import roster
from bot.services import schedules as svc
from bot.services.outbox import Message
from bot.services.reflection import Closed, PromptCard
from bot.services.schedules import PlannerState, ScheduleSpec
from bot.slack.blocks.reflection import PROMPT_MESSAGES

TEAM = "T0REPL"
ZONES = ["America/New_York", "America/Chicago", "Europe/London", "Europe/Berlin", "Asia/Kolkata"]
MANAGERS = 40
START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


def roster_csv() -> str:
    lines = ["user_id,role,manager_id,name,team,timezone"]
    for i in range(MANAGERS):
        lines.append(f"U0M{i:03d},manager,,Manager {i},T,{ZONES[i % len(ZONES)]}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def engines(fresh_url: str) -> Iterator[tuple[Engine, Engine]]:
    a, b = make_engine(fresh_url), make_engine(fresh_url)
    yield a, b
    a.dispose()
    b.dispose()


def factory(engine: Engine) -> UnitOfWorkFactory:
    return UnitOfWorkFactory(make_session_factory(engine))


def prepare(uow: UnitOfWorkFactory, clock: FixedClock) -> int:
    roster.import_roster(uow=uow, clock=clock, workspace_id=TEAM, csv_text=roster_csv())
    return svc.create_schedule(
        uow=uow,
        clock=clock,
        workspace_id=TEAM,
        spec=ScheduleSpec(name="Daily", days="daily", at="09:00", reminder_hours=2),
    ).id


def counts(uow: UnitOfWorkFactory) -> tuple[Counter[tuple[str, str]], Counter[str]]:
    with uow() as tx:
        occ = Counter(
            (str(u), str(k))
            for u, k in tx.session.execute(
                select(PromptOccurrenceRow.user_id, PromptOccurrenceRow.occurrence_key)
            )
        )
        keys = Counter(str(k) for k in tx.session.scalars(select(DeliveryRow.dedupe_key)))
    return occ, keys


def test_two_replicas_ticking_together_plan_every_occurrence_exactly_once(
    engines: tuple[Engine, Engine],
) -> None:
    uow_a, uow_b = factory(engines[0]), factory(engines[1])
    clock = FixedClock(START)
    prepare(uow_a, clock)
    # Two days of ticks every 15 minutes; both replicas tick at the same instants.
    instants = [START + timedelta(minutes=15 * i) for i in range(4 * 48)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def replica(uow: UnitOfWorkFactory) -> None:
        state = PlannerState()
        try:
            for instant in instants:
                barrier.wait(timeout=30)
                svc.plan_due(
                    uow=uow,
                    clock=FixedClock(instant),
                    messages=PROMPT_MESSAGES,
                    state=state,
                )
        except BaseException as exc:  # reported below, with the thread's traceback
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=replica, args=(u,)) for u in (uow_a, uow_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    occ, keys = counts(uow_a)
    # Everyone got a row for both days (Kolkata's third morning may fall inside the window).
    assert all(n == 1 for n in occ.values()), [k for k, n in occ.items() if n > 1]
    assert all(n == 1 for n in keys.values())
    per_user = Counter(u for u, _ in occ)
    assert set(per_user) == {f"U0M{i:03d}" for i in range(MANAGERS)}
    assert all(n >= 2 for n in per_user.values())
    with uow_a() as tx:
        planned = tx.session.scalars(
            select(PromptOccurrenceRow).where(PromptOccurrenceRow.status == "planned")
        ).all()
        prompt_keys = {k for k in keys if k.startswith("prompt:")}
    assert len(planned) == len(prompt_keys)  # one DM per planned occurrence, no more, no less


class DiesAfter:
    """A message builder that kills the "process" after `n` prompts, mid fan-out."""

    def __init__(self, n: int) -> None:
        self.left = n

    def prompt(self, card: PromptCard) -> Message:
        if self.left == 0:
            raise SystemExit("kill -9")
        self.left -= 1
        return PROMPT_MESSAGES.prompt(card)

    def closed(self, card: PromptCard, outcome: Closed, detail: str | None) -> Message:
        return PROMPT_MESSAGES.closed(card, outcome, detail)


def test_a_planner_dying_mid_fan_out_loses_nothing_and_duplicates_nothing(
    engines: tuple[Engine, Engine],
) -> None:
    uow = factory(engines[0])
    clock = FixedClock(START)
    schedule_id = prepare(uow, clock)
    # 09:00 Chicago, 10:00 New York (both sent), the rest already past their grace (skipped).
    clock.set(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))
    with pytest.raises(SystemExit):
        svc.plan_due(uow=uow, clock=clock, messages=DiesAfter(13), batch=5)
    half_occ, half_keys = counts(uow)
    assert half_keys
    # Batches of 5 committed before the crash survive whole; the batch it died in left nothing.
    assert 0 < len(half_keys) < 2 * MANAGERS
    # The other replica (a new engine, a fresh process) takes over on its next tick.
    svc.plan_due(uow=factory(engines[1]), clock=clock, messages=PROMPT_MESSAGES, batch=5)
    occ, keys = counts(uow)
    assert all(n == 1 for n in occ.values())
    assert all(n == 1 for n in keys.values())
    assert set(half_occ) <= set(occ)
    assert {u for u, _ in occ} == {f"U0M{i:03d}" for i in range(MANAGERS)}
    with uow() as tx:
        rows = tx.session.scalars(
            select(PromptOccurrenceRow).where(PromptOccurrenceRow.schedule_id == schedule_id)
        ).all()
    planned = [r for r in rows if r.status == "planned"]
    assert all(r.delivery_id is not None for r in planned)
    assert len({r.delivery_id for r in planned}) == len(planned)


@pytest.mark.postgres
def test_the_unique_key_settles_a_race_on_postgres(pg_url: str) -> None:
    """Replica B inserts the same occurrence while A's insert is uncommitted: B waits, then
    loses cleanly (its transaction stays usable), and exactly one row exists."""
    from tests.conftest import drop_pg_schema, new_pg_schema_url

    url, schema = new_pg_schema_url()
    a_engine, b_engine = make_engine(url), make_engine(url)
    try:
        from bot.db import migrate

        migrate.upgrade(a_engine)
        uow_a, uow_b = factory(a_engine), factory(b_engine)
        clock = FixedClock(START)
        schedule_id = prepare(uow_a, clock)

        def row() -> PromptOccurrenceRow:
            return PromptOccurrenceRow(
                workspace_id=TEAM,
                schedule_id=schedule_id,
                user_id="U0M000",
                occurrence_key="2026-03-02",
                occurs_at=datetime(2026, 3, 2, 14, 0, tzinfo=UTC),
                timezone="America/New_York",
                status="planned",
                reminder_keys=[],
                created_at=START,
                updated_at=START,
            )

        outcome: dict[str, bool] = {}
        b_started = threading.Event()

        def replica_b() -> None:
            with uow_b() as tx:
                b_started.set()
                outcome["b"] = OccurrenceRepo(tx.session, TEAM).add_once(row())
                tx.commit()

        with uow_a() as tx:
            outcome["a"] = OccurrenceRepo(tx.session, TEAM).add_once(row())
            tx.flush()
            thread = threading.Thread(target=replica_b)
            thread.start()
            b_started.wait(timeout=10)
            thread.join(timeout=0.5)
            assert thread.is_alive(), "B should be waiting on A's uncommitted row"
            tx.commit()
        thread.join(timeout=10)
        assert outcome == {"a": True, "b": False}
        with uow_a() as tx:
            assert len(tx.session.scalars(select(PromptOccurrenceRow)).all()) == 1
    finally:
        a_engine.dispose()
        b_engine.dispose()
        drop_pg_schema(schema)
