"""The whole coaching flow over HTTP: request -> reminder -> accept -> session -> rating -> 1:1
-> action item reminder -> App Homes of rep, manager and second-line.

The app runs for real behind signed requests; the outbox worker sends what the app queued to
the Slack emulator, and the reminder timer's function is called with a fixed clock (tests never
wait for timers). Assertions are on what reached "Slack" and on database rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.clock import FixedClock
from bot.db.rows import ActionItemRow, CoachingRequestRow, DeliveryRow, OneOnOneRow
from bot.devtools.emulator import Message
from bot.devtools.harness import Harness, wait_for
from bot.domain import coaching as domain
from bot.services import coaching, one_on_ones
from bot.slack import ids
from bot.slack.blocks.coaching import SlackCoachingMessages
from tests.e2e.conftest import rostered_harness

REP, SAM, MANAGER, VP = "U0REP1", "U0REP2", "U0MGR1", "U0VP"


# A Monday, 09:00 in New York: the working-hours maths below depends on the weekday.
START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def harness(sqlite_url: str, clock: FixedClock) -> Iterator[Harness]:
    with rostered_harness(sqlite_url, clock=clock) as h:
        yield h


def _deliver(h: Harness) -> None:
    h.runtime.worker.drain()


def _last_view(h: Harness) -> dict[str, Any]:
    """The modal opened last, as Slack stored it (id, hash, private_metadata...)."""
    return h.emulator.open_views()[-1]


def _dm(h: Harness, user_id: str, contains: str) -> Message:
    found = [m for m in h.emulator.dm_messages(user_id) if contains in json.dumps(m.to_api(""))]
    assert found, f"no DM to {user_id} containing {contains!r}"
    return found[-1]


def _click(h: Harness, user_id: str, message: Message, action_id: str) -> str:
    """Click a button in a DM; returns the response_url the app may answer on."""
    response_url = h.emulator.new_response_url()
    resp = h.sender.block_action(
        user_id,
        action_id,
        message=message.to_api(h.team_id),
        channel_id=message.channel,
        response_url=response_url,
    )
    assert resp.status_code == 200
    return response_url


def _modal(h: Harness, callback_id: str, *, after: int = 0) -> dict[str, Any]:
    """Wait for the app to open a modal (it does so after the ack, on another thread)."""
    return wait_for(
        lambda: next(
            (v for v in h.emulator.open_views()[after:] if v["callback_id"] == callback_id), None
        )
    )


def _submit(h: Harness, user_id: str, view: dict[str, Any], values: dict[str, Any]) -> Any:
    resp = h.sender.view_submission(user_id, view, values)
    assert resp.status_code == 200
    return resp.json() if resp.content else None


def _request(h: Harness) -> CoachingRequestRow:
    with h.runtime.deps.uow() as tx:
        row = tx.session.scalars(select(CoachingRequestRow)).one()
        tx.session.expunge(row)
        return row


def _home(h: Harness, user_id: str) -> str:
    return json.dumps(h.open_home(user_id)["blocks"])


def _sweep(h: Harness, clock: FixedClock) -> coaching.SweepResult:
    """What bootstrap's coaching_reminders timer runs on every tick."""
    return coaching.sweep_all(h.runtime.deps.uow, clock=clock, messages=SlackCoachingMessages())


def test_coaching_flow_end_to_end(harness: Harness, clock: FixedClock) -> None:
    h = harness
    start = clock.now()

    # 1. The rep asks for coaching with /enabler coach; the modal is real Block Kit.
    assert h.sender.command(REP, "coach").status_code == 200
    view = _last_view(h)
    assert view["callback_id"] == ids.VIEW_COACH_REQUEST
    # "Other" without a note is refused in the modal itself.
    errors = _submit(
        h,
        REP,
        view,
        {"skill": {"skill": {"type": "static_select", "selected_option": {"value": "other"}}}},
    )
    assert errors["response_action"] == "errors"
    assert "note" in errors["errors"]
    assert (
        _submit(
            h,
            REP,
            view,
            {
                "skill": {
                    "skill": {"type": "static_select", "selected_option": {"value": "discovery"}}
                },
                "context": {"context": {"type": "plain_text_input", "value": "Acme renewal"}},
                "urgency": {
                    "urgency": {"type": "radio_buttons", "selected_option": {"value": "high"}}
                },
                "preferred_times": {
                    "preferred_times": {"type": "plain_text_input", "value": "Tue pm"}
                },
                "note": {
                    "note": {"type": "plain_text_input", "value": "They keep asking for a discount"}
                },
            },
        )
        is None
    )
    _deliver(h)
    request_dm = _dm(h, MANAGER, "would like coaching")
    assert "Acme renewal" in json.dumps(request_dm.blocks)
    _dm(h, REP, "is with Maya Patel")
    # 24 working hours in New York from Monday 09:00: Wednesday 17:00 (22:00 UTC).
    assert _request(h).response_deadline == start + timedelta(days=2, hours=8)

    # 2. Nobody answered: Thursday the timer reminds the manager, once.
    clock.set(start + timedelta(days=3, hours=1))
    assert _sweep(h, clock).manager_reminders == 1
    assert _sweep(h, clock).manager_reminders == 0
    _deliver(h)
    _dm(h, MANAGER, "gentle reminder")

    # 3. The manager accepts from the original DM, picking a time in the past first.
    _click(h, MANAGER, request_dm, ids.ACTION_COACH_ACCEPT)
    accept = _modal(h, ids.VIEW_COACH_ACCEPT)
    past = int((clock.now() - timedelta(hours=2)).timestamp())
    errors = _submit(
        h,
        MANAGER,
        accept,
        {
            "scheduled_for": {
                "scheduled_for": {"type": "datetimepicker", "selected_date_time": past}
            }
        },
    )
    assert errors == {
        "response_action": "errors",
        "errors": {"scheduled_for": "That time has passed. Pick a time in the future."},
    }
    session_at = clock.now() + timedelta(days=1)
    assert (
        _submit(
            h,
            MANAGER,
            accept,
            {
                "scheduled_for": {
                    "scheduled_for": {
                        "type": "datetimepicker",
                        "selected_date_time": int(session_at.timestamp()),
                    }
                }
            },
        )
        is None
    )
    _deliver(h)
    _dm(h, REP, "accepted your coaching request")
    updated = _dm(h, MANAGER, "Log the session")  # the original DM, edited in place
    assert updated.ts == request_dm.ts
    assert updated.edited_ts is not None
    # A second click on the stale Accept button is explained, not applied.
    stale = _click(h, MANAGER, request_dm, ids.ACTION_COACH_ACCEPT)
    answer = wait_for(lambda: h.emulator.responses(stale))
    assert "already" in answer[-1]["text"] or "scheduled" in answer[-1]["text"]
    assert _request(h).state == "accepted"

    # 4. After the session the manager logs it; the rep gets one question.
    clock.set(session_at + timedelta(hours=1))
    _click(h, MANAGER, updated, ids.ACTION_COACH_LOG_OUTCOME)
    outcome = _modal(h, ids.VIEW_COACH_OUTCOME)
    assert (
        _submit(
            h,
            MANAGER,
            outcome,
            {
                "worked_on": {
                    "worked_on": {"type": "plain_text_input", "value": "Discount pushback"}
                },
                "next_steps": {"next_steps": {"type": "plain_text_input", "value": "Role-play"}},
            },
        )
        is None
    )
    _deliver(h)
    question = _dm(h, REP, "was it helpful?")

    # 5. The rep rates it 4; the question turns into a thank-you in place.
    _click(h, REP, question, f"{ids.ACTION_COACH_RATE_PREFIX}4")
    wait_for(lambda: _request(h).state == "rated")
    _deliver(h)
    thanked = _dm(h, REP, "You rated your coaching session")
    assert thanked.ts == question.ts
    row = _request(h)
    assert (row.state, row.rating, row.outcome) == ("rated", 4, "Discount pushback")
    assert row.responded_at is not None
    assert row.responded_at > row.response_deadline  # answered late: it counts as such

    # 6. A takeover debrief lands on the next 1:1 agenda (the nudges flow calls this).
    with h.runtime.deps.uow() as tx:
        one_on_ones.add_debrief_item(tx, h.team_id, MANAGER, REP, "Acme", now=clock.now())
        tx.commit()

    # 7. The manager logs a 1:1 with /enabler 1on1 @rep.
    assert h.sender.command(MANAGER, f"1on1 <@{REP}|jordan>").status_code == 200
    form = _last_view(h)
    assert form["callback_id"] == ids.VIEW_ONE_ON_ONE
    assert "Acme: what would you do next time?" in json.dumps(form["blocks"])
    today = clock.now().astimezone(coaching.tz_of("America/New_York")).date()
    due = today + timedelta(days=4)
    errors = _submit(
        h,
        MANAGER,
        form,
        {
            "rep": {"one_on_one_rep": {"type": "users_select", "selected_user": REP}},
            "held_on": {"held_on": {"type": "datepicker", "selected_date": str(today)}},
            "notes": {"notes": {"type": "plain_text_input", "value": "  "}},
            "action_item_0_due": {
                "action_item_0_due": {
                    "type": "datepicker",
                    "selected_date": str(today - timedelta(days=1)),
                }
            },
            "action_item_0_text": {
                "action_item_0_text": {"type": "plain_text_input", "value": "Send recap"}
            },
            "action_item_0_owner": {
                "action_item_0_owner": {"type": "users_select", "selected_user": REP}
            },
        },
    )
    assert set(errors["errors"]) == {"notes", "action_item_0_due"}
    values = {
        "rep": {"one_on_one_rep": {"type": "users_select", "selected_user": REP}},
        "held_on": {"held_on": {"type": "datepicker", "selected_date": str(today)}},
        "notes": {"notes": {"type": "plain_text_input", "value": "Talked through Acme pricing"}},
        "sharing": {"sharing": {"type": "radio_buttons", "selected_option": {"value": "shared"}}},
        "skills_focus": {
            "skills_focus": {
                "type": "multi_static_select",
                "selected_options": [{"value": "negotiation"}],
            }
        },
        "action_item_0_text": {
            "action_item_0_text": {"type": "plain_text_input", "value": "Send Acme the recap"}
        },
        "action_item_0_owner": {
            "action_item_0_owner": {"type": "users_select", "selected_user": REP}
        },
        "action_item_0_due": {
            "action_item_0_due": {"type": "datepicker", "selected_date": str(due)}
        },
        "next_meeting": {
            "next_meeting": {
                "type": "datepicker",
                "selected_date": str(today + timedelta(days=14)),
            }
        },
    }
    assert _submit(h, MANAGER, form, values) is None
    # Saving re-publishes the manager's home (after the ack): let that land first.
    wait_for(lambda: h.emulator.home_view(MANAGER))
    _deliver(h)
    recap = _dm(h, REP, "logged your 1:1")
    assert "Talked through Acme pricing" in json.dumps(recap.blocks)  # shared with the rep

    # 8. The day before it is due, at 09:00 the owner's time, the item reminds its owner.
    clock.set(clock.now() + timedelta(days=1))
    assert _sweep(h, clock).item_reminders == 0
    reminder_at = datetime(due.year, due.month, due.day, 14, tzinfo=UTC) - timedelta(days=1)
    clock.set(reminder_at)
    assert _sweep(h, clock).item_reminders == 1
    _deliver(h)
    nudge = _dm(h, REP, "Send Acme the recap")
    assert "Mark done" in json.dumps(nudge.blocks)

    # 9. The homes, a day after Sam's first 1:1 fell due: each role sees its own part only.
    clock.set(START + timedelta(days=8))
    rep_home = _home(h, REP)
    assert "Your coaching requests" in rep_home
    assert "Discovery" in rep_home
    assert "Send Acme the recap" in rep_home
    assert "Talked through Acme pricing" in rep_home  # shared notes

    manager_home = _home(h, MANAGER)
    assert "Open action items: 1" in manager_home
    # Sam has never had a 1:1 and is overdue: listed before Jordan, whose next one is agreed.
    assert manager_home.index("Sam Rivera") < manager_home.index("Jordan Lee")
    assert "1:1 overdue (1d)" in manager_home
    assert "next 1:1 Fri 20 Mar" in manager_home

    vp_home = _home(h, VP)
    assert "Maya Patel" in vp_home
    assert "1:1s within cadence: 1/2" in vp_home
    assert "answered on time: 0/1" in vp_home
    for private in ("Talked through Acme pricing", "Discount pushback", "Send Acme the recap"):
        assert private not in vp_home

    with h.runtime.deps.uow() as tx:
        meeting = tx.session.scalars(select(OneOnOneRow)).one()
        item = tx.session.scalars(select(ActionItemRow)).one()
        kinds = [d.kind for d in tx.session.scalars(select(DeliveryRow))]
        assert meeting.shared
        assert meeting.skills_focus == ["negotiation"]
        assert item.owner_id == REP
        assert item.reminded_at is not None
        assert {"coaching_request", "coaching_reminder", "coaching_rating"} <= set(kinds)
        assert all(d.status == "sent" for d in tx.session.scalars(select(DeliveryRow))), (
            "every queued message was delivered"
        )


def test_a_rep_cannot_log_a_one_on_one_and_a_manager_only_with_their_own_rep(
    harness: Harness,
) -> None:
    body = harness.sender.command(REP, "1on1").json()
    assert "is for" in body["text"]
    body = harness.sender.command(VP, f"1on1 <@{REP}>").json()
    assert "Only Jordan Lee's manager can log a 1:1 with Jordan Lee." in body["text"]
    assert harness.emulator.calls_to("views.open") == []


def test_privacy_command_lists_what_is_stored(harness: Harness) -> None:
    body = harness.sender.command(REP, "privacy").json()
    assert body["response_type"] == "ephemeral"
    text = json.dumps(body["blocks"])
    assert "What Enabler stores about you" in text
    assert "Roster" in text


def test_global_shortcut_opens_the_request_modal(harness: Harness) -> None:
    assert harness.sender.global_shortcut(REP, ids.SHORTCUT_REQUEST_COACHING).status_code == 200
    wait_for(lambda: harness.emulator.calls_to("views.open"))
    assert _last_view(harness)["callback_id"] == ids.VIEW_COACH_REQUEST
    # Vera has no manager on the roster: told so kindly, in a small modal.
    harness.sender.global_shortcut(VP, ids.SHORTCUT_REQUEST_COACHING)
    wait_for(lambda: len(harness.emulator.calls_to("views.open")) == 2)
    assert "don't have a manager" in json.dumps(_last_view(harness)["blocks"])


def test_message_shortcut_opens_the_one_on_one_modal_for_the_author(harness: Harness) -> None:
    message = {"type": "message", "user": REP, "text": "Lost Acme :(", "ts": "1700000000.000100"}
    resp = harness.sender.message_shortcut(
        MANAGER, ids.SHORTCUT_LOG_ONE_ON_ONE, channel_id="C0ACME", message=message
    )
    assert resp.status_code == 200
    wait_for(lambda: harness.emulator.calls_to("views.open"))
    view = _last_view(harness)
    assert view["callback_id"] == ids.VIEW_ONE_ON_ONE
    assert "Lost Acme" in json.dumps(view["blocks"])


def test_app_home_buttons_plan_cadence_item_done_and_defaults(
    harness: Harness, clock: FixedClock
) -> None:
    h = harness
    deps = h.runtime.deps
    with deps.uow() as tx:
        result = one_on_ones.log_one_on_one(
            tx,
            workspace_id=h.team_id,
            manager_id=MANAGER,
            form=one_on_ones.OneOnOneForm(
                rep_id=REP,
                held_on=clock.now().date(),
                notes="Kick-off",
                action_items=(domain.ActionItemInput("Update the forecast", REP, None),),
            ),
            now=clock.now(),
            messages=SlackCoachingMessages(),
        )
        assert result.errors == {}
        tx.commit()

    # The manager rates Jordan's skills from App Home.
    _home(h, MANAGER)
    home = h.emulator.home_view(MANAGER)
    h.sender.block_action(MANAGER, f"{ids.ACTION_PLAN_EDIT}:{REP}", view=home)
    plan_view = _modal(h, ids.VIEW_PLAN)
    rating = {"type": "static_select", "selected_option": {"value": "3"}}
    errors = _submit(
        h,
        MANAGER,
        plan_view,
        {
            "rating_discovery_manager": {"rating_discovery_manager": rating},
            "goal_0_text": {"goal_0_text": {"type": "plain_text_input", "value": "Own a demo"}},
            "goal_0_target": {
                "goal_0_target": {"type": "datepicker", "selected_date": "2026-01-01"}
            },
        },
    )
    assert errors["errors"] == {"goal_0_target": "That date has passed. Pick today or later."}
    assert (
        _submit(
            h,
            MANAGER,
            plan_view,
            {
                "rating_discovery_manager": {"rating_discovery_manager": rating},
                "rating_discovery_rep": {
                    "rating_discovery_rep": {
                        "type": "static_select",
                        "selected_option": {"value": "4"},
                    }
                },
                "goal_0_text": {"goal_0_text": {"type": "plain_text_input", "value": "Own a demo"}},
            },
        )
        is None
    )
    # Saving re-publishes the manager's home with the plan on Jordan's row.
    wait_for(lambda: "Discovery 3/4" in json.dumps(h.emulator.home_view(MANAGER)))

    # Cadence from the rep's row.
    home = h.emulator.home_view(MANAGER)
    h.sender.block_action(
        MANAGER,
        f"{ids.ACTION_SET_CADENCE}:{REP}",
        view=home,
        selected_option={"value": "14"},
    )
    wait_for(lambda: one_on_ones_cadence(h) == 14)

    # Jordan ticks the action item off on their own home.
    _home(h, REP)
    rep_home = h.emulator.home_view(REP)
    assert rep_home is not None
    done_button = next(
        b["accessory"]["action_id"]
        for b in rep_home["blocks"]
        if b.get("accessory", {}).get("action_id", "").startswith(ids.ACTION_ITEM_DONE)
    )
    h.sender.block_action(REP, done_button, view=rep_home)
    wait_for(lambda: "All clear" in json.dumps(h.emulator.home_view(REP)))

    # Sales ops change the defaults from their home.
    _home(h, "U0OPS")
    ops_home = h.emulator.home_view("U0OPS")
    h.sender.block_action("U0OPS", ids.ACTION_EDIT_COACHING_DEFAULTS, view=ops_home)
    defaults_view = _modal(h, ids.VIEW_COACHING_DEFAULTS)

    def number(name: str, value: str) -> dict[str, Any]:
        return {name: {name: {"type": "number_input", "value": value}}}

    skills = "discovery: Discovery\nmutual_plan: Mutual action plan"
    assert (
        _submit(
            h,
            "U0OPS",
            defaults_view,
            number("cadence_days", "14")
            | number("response_hours", "16")
            | number("escalate_after_hours", "8")
            | number("item_reminder_days", "2")
            | {"skills": {"skills": {"type": "plain_text_input", "value": skills}}},
        )
        is None
    )
    with deps.uow() as tx:
        saved = coaching.get_defaults(tx, h.team_id)
    assert (saved.cadence_days, saved.response_hours, saved.item_reminder_days) == (14, 16, 2)
    assert [s.label for s in saved.skills] == ["Discovery", "Mutual action plan"]
    # A manager pressing the same button is told it is for sales ops.
    h.sender.block_action(MANAGER, ids.ACTION_EDIT_COACHING_DEFAULTS, view=home)
    refused = _modal(h, "enabler_info")
    assert "Only sales ops" in json.dumps(refused["blocks"])


def one_on_ones_cadence(h: Harness) -> int:
    with h.runtime.deps.uow() as tx:
        return one_on_ones.cadence_for(tx, h.team_id, REP)
