"""Coaching requests, one-on-ones, plans, coverage, privacy and export on SQLite and PostgreSQL.

Real databases, real services, the real Slack message renderer (pure functions); each test runs
in a transaction rolled back at the end.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.clock import FixedClock
from bot.db.repositories.coaching import CoachingRepo
from bot.db.rows import (
    ActionItemRow,
    CoachingRequestRow,
    DeliveryRow,
    OneOnOneRow,
    PersonRow,
)
from bot.db.unit_of_work import UnitOfWork, UnitOfWorkFactory
from bot.domain import coaching as domain
from bot.domain.permissions import PermissionDenied
from bot.services import coaching, export, one_on_ones, plans, privacy, roster
from bot.services.org import load_org
from bot.slack.blocks.coaching import SlackCoachingMessages
from tests.integration.conftest import ROSTER

WS = "T0COACH"
OTHER_WS = "T0OTHER"
# Monday 2 March 2026, 09:00 in New York.
START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
MESSAGES = SlackCoachingMessages()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def org_uow(uow: UnitOfWorkFactory, clock: FixedClock) -> UnitOfWorkFactory:
    roster.import_roster(uow=uow, clock=clock, workspace_id=WS, csv_text=ROSTER)
    return uow


def _request(tx: UnitOfWork, now: datetime, *, rep: str = "UR1", skill: str = "discovery") -> int:
    result = coaching.request_coaching(
        tx,
        workspace_id=WS,
        requester_id=rep,
        form=coaching.RequestForm(skill=skill, context="Acme", note="Discount pressure"),
        now=now,
        messages=MESSAGES,
    )
    assert result.errors == {}
    assert result.id is not None
    return result.id


def _deliveries(tx: UnitOfWork) -> list[DeliveryRow]:
    return list(tx.session.scalars(select(DeliveryRow).order_by(DeliveryRow.id)))


# --------------------------------------------------------------------------------------------
# Coaching requests
# --------------------------------------------------------------------------------------------


def test_request_lifecycle_queues_every_message_and_edits_the_managers_dm(
    org_uow: UnitOfWorkFactory,
) -> None:
    with org_uow() as tx:
        rid = _request(tx, START)
        row = CoachingRepo(tx.session, WS).request(rid)
        assert row is not None
        assert (row.manager_id, row.state) == ("UM1", "requested")
        # 24 working hours, 09:00-17:00 New York, from Monday 09:00: Wednesday 17:00.
        assert row.response_deadline == START + timedelta(days=2, hours=8)
        first = [(d.kind, d.recipient_user_id, d.operation) for d in _deliveries(tx)]
        assert first == [
            ("coaching_request", "UM1", "post"),
            ("coaching_request", "UR1", "post"),
        ]

        when = START + timedelta(days=1)
        accepted = coaching.respond(
            tx,
            workspace_id=WS,
            actor_id="UM1",
            request_id=rid,
            event=domain.Accept(when),
            now=START + timedelta(hours=1),
            messages=MESSAGES,
        )
        assert accepted.errors == {}
        edit = _deliveries(tx)[-2]
        assert (edit.operation, edit.update_of) == ("update", row.manager_message_id)
        assert "Log the session" in json.dumps(edit.payload["blocks"])
        assert _deliveries(tx)[-1].recipient_user_id == "UR1"

        coaching.log_outcome(
            tx,
            workspace_id=WS,
            actor_id="UM1",
            request_id=rid,
            worked_on="Pricing objections",
            next_steps="Role-play Friday",
            now=when + timedelta(hours=1),
            messages=MESSAGES,
        )
        question = _deliveries(tx)[-1]
        assert question.kind == "coaching_rating"
        view = coaching.rate(
            tx,
            workspace_id=WS,
            actor_id="UR1",
            request_id=rid,
            rating=5,
            now=when + timedelta(hours=2),
            messages=MESSAGES,
        )
        assert (view.state, view.rating) == ("rated", 5)
        thanks = _deliveries(tx)[-1]
        assert (thanks.operation, thanks.update_of) == ("update", question.id)
        assert row.responded_at == START + timedelta(hours=1)


@pytest.mark.parametrize(
    ("actor", "action"),
    [
        ("UM2", "accept"),  # another team's manager
        ("UVP", "accept"),  # the manager's manager: counts only, never answers
        ("UR2", "rate"),  # a teammate
        ("UM1", "rate"),  # the manager cannot rate their own session
    ],
)
def test_only_the_people_involved_can_answer_or_rate(
    org_uow: UnitOfWorkFactory, actor: str, action: str
) -> None:
    with org_uow() as tx:
        rid = _request(tx, START)
        if action == "rate":
            row = CoachingRepo(tx.session, WS).request(rid)
            assert row is not None
            row.state = "completed"
        if action == "accept":
            with pytest.raises(PermissionDenied):
                coaching.respond(
                    tx,
                    workspace_id=WS,
                    actor_id=actor,
                    request_id=rid,
                    event=domain.Accept(START + timedelta(days=1)),
                    now=START,
                    messages=MESSAGES,
                )
        else:
            with pytest.raises(PermissionDenied):
                coaching.rate(
                    tx,
                    workspace_id=WS,
                    actor_id=actor,
                    request_id=rid,
                    rating=3,
                    now=START,
                    messages=MESSAGES,
                )


# --------------------------------------------------------------------------------------------
# One-on-ones
# --------------------------------------------------------------------------------------------


def _form(**overrides: object) -> one_on_ones.OneOnOneForm:
    base: dict[str, object] = {
        "rep_id": "UR1",
        "held_on": date(2026, 3, 2),
        "notes": "Pipeline review",
        "shared": False,
        "skills_focus": ("negotiation",),
        "next_meeting": date(2026, 3, 9),
        "action_items": (
            domain.ActionItemInput("Send recap", "UR1", date(2026, 3, 5)),
            domain.ActionItemInput("Intro to legal", "UM1", None),
        ),
    }
    base.update(overrides)
    return one_on_ones.OneOnOneForm(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"rep_id": "UR3"}, {"rep"}),  # Omar's rep, not Maya's
        ({"rep_id": None}, {"rep"}),
        ({"held_on": date(2026, 3, 3)}, {"held_on"}),  # tomorrow
        ({"notes": "   "}, {"notes"}),
        ({"next_meeting": date(2026, 3, 1)}, {"next_meeting"}),
        (
            {"action_items": (domain.ActionItemInput("Call", "UR1", date(2026, 3, 1)),)},
            {"action_item_0_due"},
        ),
        (
            {"action_items": (domain.ActionItemInput("Call", "UR2", None),)},
            {"action_item_0_owner"},
        ),
    ],
)
def test_one_on_one_validation(
    org_uow: UnitOfWorkFactory, overrides: dict[str, object], fields: set[str]
) -> None:
    with org_uow() as tx:
        result = one_on_ones.log_one_on_one(
            tx,
            workspace_id=WS,
            manager_id="UM1",
            form=_form(**overrides),
            now=START,
            messages=MESSAGES,
        )
        assert set(result.errors) == fields
        assert tx.session.scalars(select(OneOnOneRow)).all() == []


def test_undone_items_carry_over_and_debriefs_join_the_agenda(org_uow: UnitOfWorkFactory) -> None:
    with org_uow() as tx:
        first = one_on_ones.log_one_on_one(
            tx, workspace_id=WS, manager_id="UM1", form=_form(), now=START, messages=MESSAGES
        )
        assert first.errors == {}
        assert one_on_ones.add_debrief_item(tx, WS, "UM1", "UR1", "Acme", now=START) is not None
        assert one_on_ones.add_debrief_item(tx, WS, "UM1", "UR1", "Acme", now=START) is None
        with pytest.raises(PermissionDenied):
            one_on_ones.add_debrief_item(tx, WS, "UM2", "UR1", "Acme", now=START)
        later = START + timedelta(days=7)
        agenda = one_on_ones.agenda(tx, workspace_id=WS, manager_id="UM1", rep_id="UR1", now=later)
        assert [i.text for i in agenda.carried] == ["Send recap", "Intro to legal"]
        assert agenda.debriefs == ("Acme: what would you do next time?",)
        recap = agenda.carried[0]
        second = one_on_ones.log_one_on_one(
            tx,
            workspace_id=WS,
            manager_id="UM1",
            form=_form(
                held_on=date(2026, 3, 9),
                next_meeting=None,
                action_items=(),
                done_item_ids=frozenset({recap.id}),
            ),
            now=later,
            messages=MESSAGES,
        )
        items = {i.text: i for i in tx.session.scalars(select(ActionItemRow))}
        assert items["Send recap"].done
        assert (items["Intro to legal"].done, items["Intro to legal"].carried_over) == (False, 1)
        assert (
            one_on_ones.agenda(
                tx, workspace_id=WS, manager_id="UM1", rep_id="UR1", now=later
            ).debriefs
            == ()
        )
        assert second.id is not None
        # Notes stayed private: the rep's DM lists items, not the notes.
        last_dm = _deliveries(tx)[-1]
        assert last_dm.recipient_user_id == "UR1"
        assert "Pipeline review" not in json.dumps(last_dm.payload)
        assert "Intro to legal" in json.dumps(last_dm.payload)


def test_action_item_reminder_the_day_before_at_nine_local_and_done_cancels(
    org_uow: UnitOfWorkFactory,
) -> None:
    with org_uow() as tx:
        one_on_ones.log_one_on_one(
            tx, workspace_id=WS, manager_id="UM1", form=_form(), now=START, messages=MESSAGES
        )
        # Due Thursday 5 March; reminder Wednesday 09:00 New York = 14:00 UTC.
        before = datetime(2026, 3, 4, 13, 59, tzinfo=UTC)
        assert (
            coaching.sweep(tx, workspace_id=WS, now=before, messages=MESSAGES).item_reminders == 0
        )
        at = datetime(2026, 3, 4, 14, 0, tzinfo=UTC)
        assert coaching.sweep(tx, workspace_id=WS, now=at, messages=MESSAGES).item_reminders == 1
        assert coaching.sweep(tx, workspace_id=WS, now=at, messages=MESSAGES).item_reminders == 0
        reminder = _deliveries(tx)[-1]
        assert (reminder.kind, reminder.recipient_user_id) == ("action_item_reminder", "UR1")
        item = tx.session.scalars(
            select(ActionItemRow).where(ActionItemRow.owner_id == "UR1")
        ).one()
        with pytest.raises(PermissionDenied):
            one_on_ones.mark_item_done(
                tx, workspace_id=WS, actor_id="UR2", item_id=item.id, now=at, messages=MESSAGES
            )
        one_on_ones.mark_item_done(
            tx, workspace_id=WS, actor_id="UR1", item_id=item.id, now=at, messages=MESSAGES
        )
        assert item.done
        # Not sent yet, so the queued reminder is simply cancelled.
        assert reminder.status == "cancelled"


def test_cadence_and_manager_home_rows(org_uow: UnitOfWorkFactory) -> None:
    with org_uow() as tx:
        one_on_ones.log_one_on_one(
            tx,
            workspace_id=WS,
            manager_id="UM1",
            form=_form(next_meeting=None),
            now=START,
            messages=MESSAGES,
        )
        with pytest.raises(PermissionDenied):
            one_on_ones.set_cadence(
                tx, workspace_id=WS, actor_id="UM2", rep_id="UR1", cadence_days=14, now=START
            )
        one_on_ones.set_cadence(
            tx, workspace_id=WS, actor_id="UM1", rep_id="UR1", cadence_days=14, now=START
        )
        org = load_org(tx, WS)
        rows = one_on_ones.reps_for_manager(
            tx, workspace_id=WS, manager_id="UM1", org=org, today=date(2026, 3, 12)
        )
        assert [r.rep_id for r in rows] == ["UR2", "UR1"]  # Sam is overdue: first
        sam, jordan = rows
        assert (sam.overdue, sam.last_held) == (True, None)
        assert (jordan.overdue, jordan.next_due, jordan.cadence_days) == (
            False,
            date(2026, 3, 16),
            14,
        )
        assert len(jordan.open_items) == 2


# --------------------------------------------------------------------------------------------
# Development plans
# --------------------------------------------------------------------------------------------


def test_plans_keep_history_and_each_side_rates_their_own(org_uow: UnitOfWorkFactory) -> None:
    with org_uow() as tx:
        saved = plans.save_plan(
            tx,
            workspace_id=WS,
            actor_id="UM1",
            rep_id="UR1",
            ratings={"discovery": (2, 3), "closing": (3, None)},
            goals=[plans.GoalForm("Run 5 discovery calls", date(2026, 4, 1))],
            now=START,
        )
        assert saved.errors == {}
        # A month later the rep rates themselves; the manager's numbers are theirs to change.
        plans.save_plan(
            tx,
            workspace_id=WS,
            actor_id="UR1",
            rep_id="UR1",
            ratings={"discovery": (5, 4)},
            goals=[plans.GoalForm("Run 5 discovery calls", date(2026, 4, 1), done=True)],
            now=START + timedelta(days=30),
        )
        plans.save_plan(
            tx,
            workspace_id=WS,
            actor_id="UM1",
            rep_id="UR1",
            ratings={"discovery": (4, 4), "closing": (3, None)},
            goals=[plans.GoalForm("Run 5 discovery calls", date(2026, 4, 1), done=True)],
            now=START + timedelta(days=31),
        )
        view = plans.get_plan(
            tx, workspace_id=WS, actor_id="UR1", rep_id="UR1", now=START + timedelta(days=31)
        )
        by_skill = {r.skill: r for r in view.ratings}
        assert (by_skill["discovery"].by_manager, by_skill["discovery"].by_rep) == (4, 4)
        progress = view.progress["discovery"]
        assert progress.by_manager is not None
        assert progress.by_rep is not None
        assert (progress.by_manager.first, progress.by_manager.last) == (2, 4)
        assert (progress.by_rep.first, progress.by_rep.last) == (3, 4)
        assert view.current
        assert view.goals_done == 1
        # The second-line leader sees counts on their home, never the plan.
        with pytest.raises(PermissionDenied):
            plans.get_plan(tx, workspace_id=WS, actor_id="UVP", rep_id="UR1", now=START)
        with pytest.raises(PermissionDenied):
            plans.save_plan(
                tx,
                workspace_id=WS,
                actor_id="UR2",
                rep_id="UR1",
                ratings={},
                goals=[],
                now=START,
            )
        bad = plans.save_plan(
            tx,
            workspace_id=WS,
            actor_id="UM1",
            rep_id="UR1",
            ratings={"discovery": (7, None)},
            goals=[plans.GoalForm("Old goal", date(2026, 1, 1))],
            now=START,
        )
        assert set(bad.errors) == {"rating_discovery_manager", "goal_0_target"}


# --------------------------------------------------------------------------------------------
# Coverage, privacy, export, workspace isolation
# --------------------------------------------------------------------------------------------


def test_second_line_coverage_is_counts_per_first_line_manager(org_uow: UnitOfWorkFactory) -> None:
    with org_uow() as tx:
        logged = one_on_ones.log_one_on_one(
            tx,
            workspace_id=WS,
            manager_id="UM1",
            form=_form(held_on=date(2026, 3, 8), next_meeting=None, action_items=()),
            now=START + timedelta(days=6),
            messages=MESSAGES,
        )
        assert logged.errors == {}
        rid = _request(tx, START)
        coaching.respond(
            tx,
            workspace_id=WS,
            actor_id="UM1",
            request_id=rid,
            event=domain.Accept(START + timedelta(days=1)),
            now=START + timedelta(hours=2),
            messages=MESSAGES,
        )
        _request(tx, START, rep="UR3")  # Omar never answers
        plans.save_plan(
            tx,
            workspace_id=WS,
            actor_id="UM1",
            rep_id="UR1",
            ratings={"discovery": (3, 3)},
            goals=[],
            now=START,
        )
        org = load_org(tx, WS)
        now = START + timedelta(days=8)
        rows = one_on_ones.coverage(
            tx, workspace_id=WS, leader_id="UVP", org=org, now=now, today=now.date()
        )
        by_manager = {r.manager_id: r.coverage for r in rows}
        assert set(by_manager) == {"UM1", "UM2"}
        maya, omar = by_manager["UM1"], by_manager["UM2"]
        assert (maya.reps, maya.reps_within_cadence, maya.reps_with_current_plan) == (2, 1, 1)
        assert (maya.requests_decided, maya.requests_on_time) == (1, 1)
        assert (omar.requests_decided, omar.requests_overdue_open) == (1, 1)
        # A first-line manager is not above anyone's manager: nothing to show.
        assert (
            one_on_ones.coverage(
                tx, workspace_id=WS, leader_id="UM1", org=org, now=now, today=now.date()
            )
            == []
        )


def test_privacy_summary_export_and_erase_keep_counts(org_uow: UnitOfWorkFactory) -> None:
    with org_uow() as tx:
        one_on_ones.log_one_on_one(
            tx, workspace_id=WS, manager_id="UM1", form=_form(), now=START, messages=MESSAGES
        )
        rid = _request(tx, START)
        coaching.respond(
            tx,
            workspace_id=WS,
            actor_id="UM1",
            request_id=rid,
            event=domain.Accept(START + timedelta(days=1)),
            now=START + timedelta(hours=2),
            messages=MESSAGES,
        )
        summary = privacy.summary(tx, workspace_id=WS, user_id="UR1")
        text = "\n".join(summary.lines)
        assert "1 request" in text
        assert "notes are private to them" in text
        assert "Pipeline review" not in text

        data = privacy.export(tx, workspace_id=WS, user_id="UR1")
        assert data["one_on_ones"][0]["notes"] is None  # private to Maya: withheld
        assert data["coaching_requests"][0]["note"] == "Discount pressure"
        assert json.loads(json.dumps(data)) == data  # JSON-ready
        with pytest.raises(PermissionDenied):
            privacy.export(tx, workspace_id=WS, user_id="UR1", actor_id="UM1")

        org = load_org(tx, WS)
        now = START + timedelta(days=3)
        before = one_on_ones.coverage(
            tx, workspace_id=WS, leader_id="UVP", org=org, now=now, today=now.date()
        )
        report = privacy.erase(tx, workspace_id=WS, user_id="UR1", now=now, actor_id="UOPS")
        assert (report.coaching_requests, report.one_on_ones, report.action_items) == (1, 1, 2)
        request = tx.session.get(CoachingRequestRow, rid)
        assert request is not None
        assert (request.requester_id, request.note, request.context) == (report.pseudonym, "", "")
        assert request.state == "accepted"  # the count and timing survive
        meeting = tx.session.scalars(select(OneOnOneRow)).one()
        assert (meeting.rep_id, meeting.notes) == (report.pseudonym, "")
        person = tx.session.get(PersonRow, (WS, "UR1"))
        assert person is not None
        assert (person.active, person.name) == (False, None)
        assert all(
            "Discount pressure" not in json.dumps(d.payload)
            for d in _deliveries(tx)
            if d.recipient_user_id == "UR1"
        )
        after = one_on_ones.coverage(
            tx, workspace_id=WS, leader_id="UVP", org=load_org(tx, WS), now=now, today=now.date()
        )
        maya_before = next(r.coverage for r in before if r.manager_id == "UM1")
        maya_after = next(r.coverage for r in after if r.manager_id == "UM1")
        assert maya_after.requests_on_time == maya_before.requests_on_time == 1
        with pytest.raises(PermissionDenied):
            privacy.erase(tx, workspace_id=WS, user_id="UR2", now=now, actor_id="UM1")


def test_export_is_aggregate_and_hides_small_rating_groups(org_uow: UnitOfWorkFactory) -> None:
    with org_uow() as tx:
        one_on_ones.log_one_on_one(
            tx, workspace_id=WS, manager_id="UM1", form=_form(), now=START, messages=MESSAGES
        )
        rid = _request(tx, START)
        row = CoachingRepo(tx.session, WS).request(rid)
        assert row is not None
        row.state, row.rating, row.responded_at = "rated", 2, START
        seen: list[tuple[int, int]] = []
        result = export.export(
            tx,
            workspace_id=WS,
            what="coaching",
            now=START,
            progress=lambda done, total: seen.append((done, total)),
        )
        assert seen[-1] == (2, 2)  # Maya and Omar
        maya = next(r for r in result.rows if r["manager_id"] == "UM1")
        assert (maya["requests"], maya["answered_on_time"], maya["ratings"]) == (1, 1, 1)
        assert maya["average_rating"] == ""  # one rating: not shown
        assert result.notes
        flat = json.dumps(result.rows)
        assert "Discount pressure" not in flat
        assert "UR1" not in flat

        meetings = export.export(tx, workspace_id=WS, what="one_on_ones", now=START)
        assert meetings.rows == [
            {
                "manager_id": "UM1",
                "manager": "Maya Patel",
                "month": "2026-03",
                "team_size": 2,
                "one_on_ones": 1,
                "reps_met": 1,
                "notes_shared": 0,
                "action_items_created": 2,
                "action_items_done": 0,
                "action_items_carried_over": 0,
            }
        ]
        plan_rows = export.export(tx, workspace_id=WS, what="plans", now=START).rows
        assert {r["manager_id"] for r in plan_rows} == {"UM1", "UM2"}
        signals = export.export(tx, workspace_id=WS, what="signals", now=START)
        # Until the signals feature lands in this database: a clean note, no rows.
        assert signals.rows == []
        assert signals.notes[0].startswith("signals:")
        with pytest.raises(PermissionDenied):
            export.export(tx, workspace_id=WS, what="plans", now=START, actor_id="UM1")


def test_everything_is_scoped_by_workspace(org_uow: UnitOfWorkFactory, clock: FixedClock) -> None:
    roster.import_roster(
        uow=org_uow, clock=clock, workspace_id=OTHER_WS, csv_text=ROSTER.replace("UR1", "UX1")
    )
    with org_uow() as tx:
        rid = _request(tx, START)
        with pytest.raises(coaching.CoachingError):
            coaching.get_request(tx, workspace_id=OTHER_WS, actor_id="UM1", request_id=rid)
        assert CoachingRepo(tx.session, OTHER_WS).requests() == []
        assert coaching.requests_for(tx, workspace_id=OTHER_WS, requester_id="UR1") == []
        assert export.export(tx, workspace_id=OTHER_WS, what="coaching", now=START).rows == []


def test_defaults_are_for_sales_ops(org_uow: UnitOfWorkFactory) -> None:
    with org_uow() as tx:
        with pytest.raises(PermissionDenied):
            coaching.set_defaults(tx, workspace_id=WS, now=START, actor_id="UM1", cadence_days=14)
        updated = coaching.set_defaults(
            tx,
            workspace_id=WS,
            now=START,
            actor_id="UOPS",
            cadence_days=14,
            skills=coaching.parse_skills("discovery: Discovery\nmutual_plan: Mutual action plan"),
        )
        assert updated.cadence_days == 14
        tx.commit()
    with org_uow() as tx:
        stored = coaching.get_defaults(tx, WS)
        assert stored.cadence_days == 14
        assert [s.id for s in stored.skills] == ["discovery", "mutual_plan"]
        assert one_on_ones.cadence_for(tx, WS, "UR1") == 14
        # A request on a topic no longer in the taxonomy is refused in the modal.
        result = coaching.request_coaching(
            tx,
            workspace_id=WS,
            requester_id="UR1",
            form=coaching.RequestForm(skill="closing"),
            now=START,
            messages=MESSAGES,
        )
        assert set(result.errors) == {"skill"}
