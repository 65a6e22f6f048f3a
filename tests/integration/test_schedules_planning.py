"""The reflection planner against real SQLite and PostgreSQL (each test rolled back).

Every schedule-level guarantee of issue 5 has a test here: exactly one occurrence and one
outbox row per (schedule, recipient, occurrence) however often and wherever the planner runs;
late delivery within the grace and "skipped: late" beyond it; DST days in both hemispheres;
holidays, weekends, snooze and out-of-office skips, each with its reason.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.clock import FixedClock
from bot.db.repositories.core import WorkspaceRepo
from bot.db.rows import DeliveryRow, PromptOccurrenceRow, ScheduleRow
from bot.db.unit_of_work import UnitOfWorkFactory
from bot.services import reflection, roster
from bot.services import schedules as svc
from bot.services.schedules import PlannerState, ScheduleSpec
from bot.slack.blocks.reflection import PROMPT_MESSAGES

TEAM = "T0PLAN"
ROSTER = """user_id,role,manager_id,name,team,timezone
U0VP,manager,,Vera Vance,Leadership,America/Chicago
U0NY,manager,U0VP,Maya Patel,East,America/New_York
U0LON,manager,U0VP,Liam Hart,EMEA,Europe/London
U0SYD,manager,U0VP,Ken Sato,APAC,Australia/Sydney
U0REP1,rep,U0NY,Jordan Lee,East,America/New_York
U0REP2,rep,U0NY,Sam Rivera,East,America/New_York
U0OPS,sales_ops,,Olu Ops,Ops,Europe/London
"""
# Monday 2 March 2026, 06:00 UTC: before 09:00 anywhere in the Americas and Europe.
MONDAY = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


def setup(uow: UnitOfWorkFactory, clock: FixedClock, **spec: object) -> int:
    roster.import_roster(uow=uow, clock=clock, workspace_id=TEAM, csv_text=ROSTER)
    values: dict[str, object] = {"name": "Monday reflection", "days": "mon", "at": "09:00"}
    values.update(spec)
    summary = svc.create_schedule(
        uow=uow,
        clock=clock,
        workspace_id=TEAM,
        spec=ScheduleSpec(**values),  # type: ignore[arg-type]
    )
    return summary.id


def plan(uow: UnitOfWorkFactory, clock: FixedClock, **kw: object) -> svc.PlanResult:
    return svc.plan_due(uow=uow, clock=clock, messages=PROMPT_MESSAGES, **kw)  # type: ignore[arg-type]


def occurrences(uow: UnitOfWorkFactory, user_id: str | None = None) -> list[PromptOccurrenceRow]:
    with uow() as tx:
        stmt = select(PromptOccurrenceRow).where(PromptOccurrenceRow.workspace_id == TEAM)
        if user_id:
            stmt = stmt.where(PromptOccurrenceRow.user_id == user_id)
        return list(tx.session.scalars(stmt.order_by(PromptOccurrenceRow.occurs_at)))


def deliveries(uow: UnitOfWorkFactory, kind: str = "prompt") -> list[DeliveryRow]:
    with uow() as tx:
        return list(
            tx.session.scalars(
                select(DeliveryRow)
                .where(DeliveryRow.workspace_id == TEAM, DeliveryRow.kind == kind)
                .order_by(DeliveryRow.id)
            )
        )


def at_local(day: date, hour: int, minute: int, tz: str) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(tz)).astimezone(UTC)


# --------------------------------------------------------------------------------------------
# exactly once


def test_running_the_planner_again_and_again_plans_each_occurrence_once(
    uow: UnitOfWorkFactory,
) -> None:
    clock = FixedClock(MONDAY)
    schedule_id = setup(uow, clock)
    clock.set(at_local(date(2026, 3, 2), 9, 0, "America/New_York"))
    first = plan(uow, clock)
    after_first = len(occurrences(uow)), len(deliveries(uow))
    again = [plan(uow, clock) for _ in range(3)]
    clock.advance(timedelta(minutes=30))
    plan(uow, clock)

    ny = occurrences(uow, "U0NY")
    assert [(o.occurrence_key, o.status) for o in ny] == [("2026-03-02", "planned")]
    assert [d.dedupe_key for d in deliveries(uow) if d.recipient_user_id == "U0NY"] == [
        f"prompt:{schedule_id}:U0NY:2026-03-02"
    ]
    assert first.planned == after_first[1]
    assert all(r.planned == 0 and not r.skipped for r in again)
    assert (len(occurrences(uow)), len(deliveries(uow))) == after_first


def test_a_restarted_process_with_a_fresh_state_does_not_duplicate(uow: UnitOfWorkFactory) -> None:
    clock = FixedClock(MONDAY)
    setup(uow, clock)
    clock.set(at_local(date(2026, 3, 2), 9, 0, "Europe/London"))
    before = PlannerState()
    plan(uow, clock, state=before)
    counted = len(occurrences(uow)), len(deliveries(uow))
    # "Restart": a new process has a new, empty state and looks back over the whole window.
    for _ in range(2):
        plan(uow, clock, state=PlannerState())
    plan(uow, clock)
    assert (len(occurrences(uow)), len(deliveries(uow))) == counted
    assert counted[0] >= 1


def test_outbox_row_carries_the_schedule_key_due_time_and_expiry(uow: UnitOfWorkFactory) -> None:
    clock = FixedClock(MONDAY)
    schedule_id = setup(uow, clock)
    nine = at_local(date(2026, 3, 2), 9, 0, "America/New_York")
    clock.set(nine - timedelta(seconds=30))  # within the lookahead: queued ahead, due at 09:00
    plan(uow, clock)
    (row,) = [d for d in deliveries(uow) if d.recipient_user_id == "U0NY"]
    assert row.dedupe_key == f"prompt:{schedule_id}:U0NY:2026-03-02"
    assert (row.due_at, row.expires_at) == (nine, nine + timedelta(hours=2))
    assert row.status == "pending"
    (occ,) = occurrences(uow, "U0NY")
    assert occ.delivery_id == row.id
    assert occ.prompt_id
    assert occ.prompt_text
    assert occ.prompt_text in str(row.payload["blocks"])


def test_nothing_is_planned_before_its_time_beyond_the_lookahead(uow: UnitOfWorkFactory) -> None:
    clock = FixedClock(MONDAY)
    setup(uow, clock)
    clock.set(at_local(date(2026, 3, 2), 8, 50, "America/New_York"))
    plan(uow, clock)
    assert occurrences(uow, "U0NY") == []


# --------------------------------------------------------------------------------------------
# missed while down


@pytest.mark.parametrize(
    ("down_for", "status", "reason", "queued"),
    [
        (timedelta(minutes=5), "planned", None, True),
        (timedelta(hours=1, minutes=59), "planned", None, True),
        (timedelta(hours=2), "planned", None, True),  # the grace is inclusive
        (timedelta(hours=2, minutes=1), "skipped", "late", False),
        (timedelta(hours=18), "skipped", "late", False),  # never at 3 a.m.
    ],
)
def test_an_occurrence_missed_while_down_is_sent_late_within_grace_else_skipped(
    uow: UnitOfWorkFactory,
    down_for: timedelta,
    status: str,
    reason: str | None,
    queued: bool,
) -> None:
    clock = FixedClock(MONDAY)
    setup(uow, clock)
    nine = at_local(date(2026, 3, 2), 9, 0, "America/New_York")
    clock.set(nine + down_for)  # the first tick after the outage
    plan(uow, clock)
    (occ,) = occurrences(uow, "U0NY")
    assert (occ.status, occ.reason) == (status, reason)
    rows = [d for d in deliveries(uow) if d.recipient_user_id == "U0NY"]
    assert bool(rows) is queued
    if queued:
        assert rows[0].due_at == nine
        assert rows[0].expires_at == nine + timedelta(hours=2)


def test_occurrences_before_the_schedule_existed_are_not_reported(uow: UnitOfWorkFactory) -> None:
    clock = FixedClock(at_local(date(2026, 3, 2), 10, 0, "America/New_York"))
    setup(uow, clock)  # created at 10:00 New York: today's 09:00 there was never due
    plan(uow, clock)
    assert occurrences(uow, "U0NY") == []


# --------------------------------------------------------------------------------------------
# DST


@pytest.mark.parametrize(
    ("tz", "day", "expected_utc"),
    [
        ("America/New_York", date(2026, 3, 8), datetime(2026, 3, 8, 13, 0, tzinfo=UTC)),  # spring
        ("America/New_York", date(2026, 11, 1), datetime(2026, 11, 1, 14, 0, tzinfo=UTC)),
        ("Europe/London", date(2026, 3, 29), datetime(2026, 3, 29, 8, 0, tzinfo=UTC)),
        ("Europe/London", date(2026, 10, 25), datetime(2026, 10, 25, 9, 0, tzinfo=UTC)),
        ("Australia/Sydney", date(2026, 4, 5), datetime(2026, 4, 4, 23, 0, tzinfo=UTC)),  # autumn
        ("Australia/Sydney", date(2026, 10, 4), datetime(2026, 10, 3, 22, 0, tzinfo=UTC)),
    ],
)
def test_nine_local_fires_once_at_nine_local_on_dst_days(
    uow: UnitOfWorkFactory, tz: str, day: date, expected_utc: datetime
) -> None:
    user = {"America/New_York": "U0NY", "Europe/London": "U0LON", "Australia/Sydney": "U0SYD"}[tz]
    clock = FixedClock(datetime.combine(day - timedelta(days=1), datetime.min.time(), UTC))
    setup(
        uow,
        clock,
        name="Sunday reflection",
        days="sun",
        audience="people",
        audience_values=(user,),
        start_date=day - timedelta(days=1),
    )
    state = PlannerState()
    # Tick every 10 minutes across two days around the change, in one process.
    end = clock.now() + timedelta(days=2)
    while clock.now() < end:
        plan(uow, clock, state=state)
        clock.advance(timedelta(minutes=10))
    (occ,) = occurrences(uow, user)
    assert occ.occurs_at == expected_utc
    assert occ.occurs_at.astimezone(ZoneInfo(tz)).strftime("%H:%M") == "09:00"
    assert occ.occurrence_key == day.isoformat()
    assert len([d for d in deliveries(uow) if d.recipient_user_id == user]) == 1


# --------------------------------------------------------------------------------------------
# skips


def test_weekends_and_holidays_are_skipped_with_their_reason(uow: UnitOfWorkFactory) -> None:
    # Friday 2026-07-03 is the observed Independence Day holiday in the US.
    clock = FixedClock(datetime(2026, 7, 2, 0, 0, tzinfo=UTC))
    setup(
        uow,
        clock,
        name="Daily",
        days="daily",
        skip_weekends=True,
        audience="people",
        audience_values=("U0NY",),
    )
    with uow() as tx:
        WorkspaceRepo(tx.session).ensure(TEAM, now=clock.now()).holiday_countries = ["US"]
        tx.commit()
    state = PlannerState()
    end = datetime(2026, 7, 7, 0, 0, tzinfo=UTC)
    while clock.now() < end:
        plan(uow, clock, state=state)
        clock.advance(timedelta(minutes=30))
    got = {o.occurrence_key: (o.status, o.reason) for o in occurrences(uow, "U0NY")}
    assert got == {
        "2026-07-02": ("planned", None),
        "2026-07-03": ("skipped", "holiday: Independence Day (observed)"),
        "2026-07-04": ("skipped", "weekend"),
        "2026-07-05": ("skipped", "weekend"),
        "2026-07-06": ("planned", None),
    }
    assert len(deliveries(uow)) == 2


def test_a_snoozed_person_is_skipped_until_the_snooze_ends(uow: UnitOfWorkFactory) -> None:
    clock = FixedClock(MONDAY)
    setup(uow, clock, days="mon,tue")
    reflection.set_snooze(
        uow=uow,
        clock=clock,
        workspace_id=TEAM,
        user_id="U0NY",
        until=datetime(2026, 3, 3, 0, 0, tzinfo=UTC),
    )
    state = PlannerState()
    while clock.now() < datetime(2026, 3, 4, tzinfo=UTC):
        plan(uow, clock, state=state)
        clock.advance(timedelta(minutes=20))
    got = [(o.occurrence_key, o.status, o.reason) for o in occurrences(uow, "U0NY")]
    assert got == [("2026-03-02", "skipped", "snoozed"), ("2026-03-03", "planned", None)]
    # Everyone else was not affected by one person's snooze.
    assert {o.status for o in occurrences(uow, "U0LON")} == {"planned"}


def test_someone_out_of_office_is_skipped_and_only_they_are_asked_about(
    uow: UnitOfWorkFactory,
) -> None:
    clock = FixedClock(MONDAY)
    setup(uow, clock)
    asked: list[str] = []

    def away(workspace_id: str, user_id: str) -> bool:
        asked.append(user_id)
        return user_id == "U0LON"

    clock.set(at_local(date(2026, 3, 2), 9, 5, "Europe/London"))
    plan(uow, clock, is_out_of_office=away)
    (lon,) = occurrences(uow, "U0LON")
    assert (lon.status, lon.reason) == ("skipped", "out_of_office")
    assert not [d for d in deliveries(uow) if d.recipient_user_id == "U0LON"]
    plan(uow, clock, is_out_of_office=away)
    assert asked.count("U0LON") == 1  # decided once, then it has its row


def test_a_failing_status_check_does_not_lose_the_prompt(uow: UnitOfWorkFactory) -> None:
    clock = FixedClock(MONDAY)
    setup(uow, clock)
    clock.set(at_local(date(2026, 3, 2), 9, 0, "Europe/London"))

    def broken(workspace_id: str, user_id: str) -> bool:
        raise TimeoutError("users.info timed out")

    plan(uow, clock, is_out_of_office=broken)
    (lon,) = occurrences(uow, "U0LON")
    assert lon.status == "planned"


# --------------------------------------------------------------------------------------------
# audience, reminders, changes without restart


@pytest.mark.parametrize(
    ("audience", "values", "expected"),
    [
        # Sydney's Monday 09:00 was Sunday 22:00 UTC, before the schedule was created.
        ("managers", (), {"U0VP", "U0NY", "U0LON"}),
        ("second_line", (), {"U0VP"}),
        ("team", ("east",), {"U0NY"}),
        ("people", ("U0REP1", "U0LON"), {"U0REP1", "U0LON"}),
    ],
)
def test_audience_is_resolved_from_the_roster(
    uow: UnitOfWorkFactory, audience: str, values: tuple[str, ...], expected: set[str]
) -> None:
    clock = FixedClock(MONDAY)
    setup(uow, clock, audience=audience, audience_values=values)
    clock.set(datetime(2026, 3, 2, 16, 0, tzinfo=UTC))  # 09:00 in Chicago, after the rest
    plan(uow, clock)
    assert {o.user_id for o in occurrences(uow)} == expected


def test_follow_up_is_queued_for_n_hours_later_and_cancelled_when_they_answer(
    uow: UnitOfWorkFactory,
) -> None:
    clock = FixedClock(MONDAY)
    schedule_id = setup(uow, clock, reminder_hours=4, audience="people", audience_values=("U0NY",))
    nine = at_local(date(2026, 3, 2), 9, 0, "America/New_York")
    clock.set(nine)
    plan(uow, clock)
    (follow,) = deliveries(uow, "prompt_followup")
    assert follow.dedupe_key == f"prompt-followup:{schedule_id}:U0NY:2026-03-02"
    assert follow.due_at == nine + timedelta(hours=4)
    (occ,) = occurrences(uow, "U0NY")
    prompt_row = deliveries(uow)[0]
    _mark_sent(uow, prompt_row.id, clock)
    reflection.answer(
        uow=uow,
        clock=clock,
        messages=PROMPT_MESSAGES,
        workspace_id=TEAM,
        user_id="U0NY",
        occurrence_id=occ.id,
        message_key=prompt_row.dedupe_key,
        text="I'll let Sam run Thursday's call.",
    )
    (follow,) = deliveries(uow, "prompt_followup")
    assert follow.status == "cancelled"


def test_edits_reach_the_planner_on_its_next_tick_without_a_restart(
    uow: UnitOfWorkFactory,
) -> None:
    clock = FixedClock(datetime(2026, 3, 2, 0, 0, tzinfo=UTC))
    setup(uow, clock, audience="people", audience_values=("U0NY",))
    clock.set(MONDAY)
    state = PlannerState()
    plan(uow, clock, state=state)  # this process now remembers it covered up to 06:01 UTC
    summary = svc.get_schedule(uow=uow, workspace_id=TEAM, ref="Monday reflection")
    svc.update_schedule(  # e.g. from the CLI, while the server keeps running
        uow=uow,
        clock=clock,
        workspace_id=TEAM,
        ref=summary.id,
        spec=replace(summary.spec, at="01:30"),  # 06:30 UTC
    )
    clock.set(datetime(2026, 3, 2, 6, 30, tzinfo=UTC))
    plan(uow, clock, state=state)
    (occ,) = occurrences(uow, "U0NY")
    assert (occ.status, occ.occurs_at) == ("planned", datetime(2026, 3, 2, 6, 30, tzinfo=UTC))
    # Moving it back to 09:00 does not send a second one for the same day.
    svc.update_schedule(uow=uow, clock=clock, workspace_id=TEAM, ref=summary.id, spec=summary.spec)
    clock.set(at_local(date(2026, 3, 2), 9, 0, "America/New_York"))
    plan(uow, clock, state=state)
    assert len(occurrences(uow, "U0NY")) == 1
    assert len(deliveries(uow)) == 1


def test_pause_withdraws_queued_prompts_and_resume_does_not_replay_the_gap(
    uow: UnitOfWorkFactory,
) -> None:
    clock = FixedClock(MONDAY)
    setup(uow, clock, days="mon,tue", audience="people", audience_values=("U0NY",))
    nine = at_local(date(2026, 3, 2), 9, 0, "America/New_York")
    clock.set(nine - timedelta(seconds=20))
    plan(uow, clock)
    svc.set_paused(uow=uow, clock=clock, workspace_id=TEAM, ref="Monday reflection", paused=True)
    (occ,) = occurrences(uow, "U0NY")
    assert (occ.status, occ.reason) == ("skipped", "paused")
    assert deliveries(uow)[0].status == "cancelled"
    clock.set(nine + timedelta(hours=1))
    plan(uow, clock)
    svc.set_paused(uow=uow, clock=clock, workspace_id=TEAM, ref="Monday reflection", paused=False)
    plan(uow, clock)
    assert len(occurrences(uow, "U0NY")) == 1
    clock.set(at_local(date(2026, 3, 3), 9, 0, "America/New_York"))
    plan(uow, clock)
    assert [o.status for o in occurrences(uow, "U0NY")] == ["skipped", "planned"]


def test_delete_withdraws_everything_unsent(uow: UnitOfWorkFactory) -> None:
    clock = FixedClock(MONDAY)
    setup(uow, clock, reminder_hours=2, audience="people", audience_values=("U0NY",))
    clock.set(at_local(date(2026, 3, 2), 9, 0, "America/New_York"))
    plan(uow, clock)
    _mark_sent(uow, deliveries(uow)[0].id, clock)
    name = svc.delete_schedule(uow=uow, clock=clock, workspace_id=TEAM, ref="monday reflection")
    assert name == "Monday reflection"
    assert occurrences(uow) == []
    assert [d.status for d in deliveries(uow, "prompt_followup")] == ["cancelled"]
    with uow() as tx:
        assert tx.session.scalar(select(func.count()).select_from(ScheduleRow)) == 0


# --------------------------------------------------------------------------------------------
# settling from the outbox, validation


def test_outbox_outcomes_are_copied_onto_occurrences(uow: UnitOfWorkFactory) -> None:
    clock = FixedClock(MONDAY)
    setup(
        uow,
        clock,
        reminder_hours=3,
        audience="people",
        audience_values=("U0NY", "U0REP1", "U0VP"),
    )
    clock.set(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))  # 10:00 New York, 09:00 Chicago
    plan(uow, clock)
    by_user = {d.recipient_user_id: d for d in deliveries(uow)}
    with uow() as tx:
        for user, (status, error) in {
            "U0NY": ("sent", None),
            "U0REP1": ("failed", "account_inactive"),
            "U0VP": ("cancelled", "expired"),
        }.items():
            row = tx.session.get(DeliveryRow, by_user[user].id)
            assert row is not None
            row.status, row.last_error = status, error
        tx.commit()
    result = plan(uow, clock)
    assert result.settled == 3
    got = {o.user_id: (o.status, o.reason) for o in occurrences(uow)}
    assert got["U0NY"] == ("sent", None)
    assert got["U0REP1"] == ("failed", "account_inactive")
    assert got["U0VP"] == ("skipped", "late")
    followups = {d.recipient_user_id: d.status for d in deliveries(uow, "prompt_followup")}
    assert followups["U0REP1"] == followups["U0VP"] == "cancelled"
    assert followups["U0NY"] == "pending"
    with uow() as tx:
        _, failures = svc.ops_overview(tx, TEAM)
    assert [(f.user_id, f.error) for f in failures] == [("U0REP1", "account_inactive")]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "  "}, "name"),
        ({"days": "funday"}, "days"),
        ({"at": "25:00"}, "time"),
        ({"days": None, "at": None, "cron": "0 9 * *"}, "cron"),
        ({"cron": "0 9 * * 1"}, "days"),  # both days and cron
        ({"every_weeks": 0}, "every_weeks"),
        ({"end_date": date(2026, 1, 1)}, "end_date"),
        ({"audience": "team", "audience_values": ("Narnia",)}, "team"),
        ({"audience": "people", "audience_values": ("U0NOBODY",)}, "people"),
        ({"prompt_mode": "tag", "prompt_tag": "astrology"}, "prompts"),
        ({"prompt_mode": "fixed", "prompt_ids": ("no-such-prompt",)}, "prompts"),
        ({"reminder_hours": 0}, "reminder_hours"),
    ],
)
def test_invalid_schedules_are_refused_field_by_field(
    uow: UnitOfWorkFactory, changes: dict[str, object], field: str
) -> None:
    clock = FixedClock(MONDAY)
    roster.import_roster(uow=uow, clock=clock, workspace_id=TEAM, csv_text=ROSTER)
    values: dict[str, object] = {"name": "Weekly", "days": "mon", "at": "09:00"}
    values.update(changes)
    with pytest.raises(svc.ScheduleInvalid) as caught:
        svc.create_schedule(
            uow=uow,
            clock=clock,
            workspace_id=TEAM,
            spec=ScheduleSpec(**values),  # type: ignore[arg-type]
        )
    assert field in caught.value.problems
    assert caught.value.problems[field].endswith(".")


def test_names_are_unique_per_workspace_ignoring_case(uow: UnitOfWorkFactory) -> None:
    clock = FixedClock(MONDAY)
    setup(uow, clock)
    with pytest.raises(svc.ScheduleInvalid) as caught:
        svc.create_schedule(
            uow=uow,
            clock=clock,
            workspace_id=TEAM,
            spec=ScheduleSpec(name="monday REFLECTION", days="tue", at="10:00"),
        )
    assert "already a schedule" in caught.value.problems["name"]


def test_only_sales_ops_may_manage_schedules_from_slack(uow: UnitOfWorkFactory) -> None:
    from bot.domain.permissions import PermissionDenied

    clock = FixedClock(MONDAY)
    roster.import_roster(uow=uow, clock=clock, workspace_id=TEAM, csv_text=ROSTER)
    spec = ScheduleSpec(name="Mine", days="mon", at="09:00")
    for user in ("U0REP1", "U0NY", "U0VP", "U0STRANGER"):
        with pytest.raises(PermissionDenied):
            svc.create_schedule(uow=uow, clock=clock, workspace_id=TEAM, spec=spec, actor=user)
    made = svc.create_schedule(uow=uow, clock=clock, workspace_id=TEAM, spec=spec, actor="U0OPS")
    with pytest.raises(PermissionDenied):
        svc.delete_schedule(uow=uow, clock=clock, workspace_id=TEAM, ref=made.id, actor="U0NY")


def _mark_sent(uow: UnitOfWorkFactory, delivery_id: int, clock: FixedClock) -> None:
    """What the outbox worker records after chat.postMessage (tested in test_outbox.py)."""
    with uow() as tx:
        row = tx.session.get(DeliveryRow, delivery_id)
        assert row is not None
        row.status, row.sent_ts, row.sent_channel, row.sent_at = (
            "sent",
            "1700000000.000100",
            "D0NY",
            clock.now(),
        )
        tx.commit()
