"""Reflection prompts end to end: the real app over HTTP, the Slack emulator, a fixed clock.

The planner tick and the outbox worker are driven by hand (the same functions the timers call),
so time moves only when the test says so.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.clock import FixedClock
from bot.db.rows import DeliveryRow, PromptOccurrenceRow, ReflectionRow
from bot.devtools.emulator import Message
from bot.devtools.harness import Harness, wait_for
from bot.services import schedules as svc
from bot.services.schedules import ScheduleSpec
from bot.slack import ids
from bot.slack.listeners.reflection import prompt_planner
from tests.e2e.conftest import rostered_harness

# Monday 2 March 2026, 09:00 in New York.
NINE_NY = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


@pytest.fixture
def h(sqlite_url: str) -> Iterator[Harness]:
    clock = FixedClock(NINE_NY - timedelta(hours=8))
    with rostered_harness(sqlite_url, clock=clock) as harness:
        yield harness


def clock(h: Harness) -> FixedClock:
    assert isinstance(h.clock, FixedClock)
    return h.clock


def make_schedule(h: Harness, **changes: Any) -> int:
    values: dict[str, Any] = {
        "name": "Monday reflection",
        "days": "mon",
        "at": "09:00",
        "audience": "people",
        "audience_values": ("U0MGR1",),
        "reminder_hours": 4,
    }
    values.update(changes)
    return svc.create_schedule(
        uow=h.runtime.deps.uow,
        clock=clock(h),
        workspace_id=h.team_id,
        spec=ScheduleSpec(**values),
    ).id


def tick(h: Harness) -> None:
    """One timer tick of this process: plan, then send what is due."""
    prompt_planner(h.runtime.deps)()
    h.runtime.worker.drain()


def prompt_dm(h: Harness, user: str = "U0MGR1") -> Message:
    return wait_for(lambda: next(iter(h.emulator.dm_messages(user)), None))


def click(h: Harness, user: str, action_id: str, message: Message) -> str:
    """Click a button in a DM; returns the response_url the app may answer on."""
    url = h.emulator.new_response_url()
    response = h.sender.block_action(
        user,
        action_id,
        message=message.to_api(h.team_id),
        channel_id=message.channel,
        response_url=url,
    )
    assert response.status_code == 200
    return url


def dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def rows(h: Harness, model: Any) -> list[Any]:
    with h.runtime.deps.uow() as tx:
        return list(tx.session.scalars(select(model)))


def modal(h: Harness, callback_id: str) -> dict[str, Any]:
    return wait_for(
        lambda: next((v for v in h.emulator.open_views() if v["callback_id"] == callback_id), None)
    )


def test_prompt_dm_arrives_once_at_nine_local_and_answering_saves_privately(h: Harness) -> None:
    make_schedule(h)
    clock(h).set(NINE_NY - timedelta(minutes=5))
    tick(h)
    assert h.emulator.dm_messages("U0MGR1") == []  # not before its time
    clock(h).set(NINE_NY)
    tick(h)
    tick(h)  # a second tick (or a second server) sends nothing more
    message = prompt_dm(h)
    assert len(h.emulator.dm_messages("U0MGR1")) == 1
    assert message.metadata is not None  # the outbox tags each message with its delivery id
    (occurrence,) = rows(h, PromptOccurrenceRow)
    assert occurrence.prompt_text in dump(message.blocks)

    click(h, "U0MGR1", ids.ACTION_PROMPT_ANSWER, message)
    view = modal(h, ids.VIEW_REFLECTION)
    assert occurrence.prompt_text.replace("&", "&amp;")[:40] in dump(view["blocks"])

    empty = h.sender.view_submission(
        "U0MGR1",
        view,
        {"reflection": {"reflection_text": {"type": "plain_text_input", "value": "  "}}},
    )
    assert empty.json()["response_action"] == "errors"
    assert "Write a few words" in empty.json()["errors"]["reflection"]
    assert rows(h, ReflectionRow) == []

    typed = "Sam is ready to run Thursday's call. I'll join only to listen."
    saved = h.sender.view_submission(
        "U0MGR1",
        view,
        {"reflection": {"reflection_text": {"type": "plain_text_input", "value": typed}}},
    )
    assert saved.status_code == 200
    assert saved.text in ("", "null")
    (reflection,) = rows(h, ReflectionRow)
    assert (reflection.user_id, reflection.text, reflection.status) == ("U0MGR1", typed, "answered")

    h.runtime.worker.drain()
    updated = wait_for(
        lambda: next(
            (
                m
                for m in h.emulator.dm_messages("U0MGR1")
                if m.edited_ts and "Reflected" in dump(m.blocks)
            ),
            None,
        )
    )
    assert updated.ts == message.ts
    assert "prompt_actions" not in dump(updated.blocks)  # buttons gone
    followups = [d for d in rows(h, DeliveryRow) if d.kind == "prompt_followup"]
    assert [d.status for d in followups] == ["cancelled"]
    clock(h).advance(timedelta(hours=5))
    tick(h)
    assert len(h.emulator.dm_messages("U0MGR1")) == 1  # no follow-up after answering

    # The reflection shows in the author's App Home, and only there.
    h.sender.event({"type": "app_home_opened", "user": "U0MGR1", "channel": "D0X", "tab": "home"})
    home = wait_for(lambda: h.emulator.home_view("U0MGR1"))
    assert "Sam is ready to run" in dump(home["blocks"])
    for other in ("U0VP", "U0OPS", "U0REP1"):
        h.sender.event({"type": "app_home_opened", "user": other, "channel": "D0X", "tab": "home"})
        other_home = wait_for(lambda o=other: h.emulator.home_view(o))  # type: ignore[misc]
        assert "Sam is ready to run" not in dump(other_home["blocks"])


def test_someone_else_cannot_answer_your_prompt(h: Harness) -> None:
    make_schedule(h)
    clock(h).set(NINE_NY)
    tick(h)
    message = prompt_dm(h)
    url = click(h, "U0VP", ids.ACTION_PROMPT_ANSWER, message)
    said = wait_for(lambda: h.emulator.responses(url) or None)
    assert "only answer reflection prompts sent to you" in said[0]["text"]
    assert said[0]["response_type"] == "ephemeral"
    assert [v for v in h.emulator.open_views() if v["callback_id"] == ids.VIEW_REFLECTION] == []


def test_skip_confirms_in_place_and_stops_the_follow_up(h: Harness) -> None:
    make_schedule(h)
    clock(h).set(NINE_NY)
    tick(h)
    message = prompt_dm(h)
    click(h, "U0MGR1", ids.ACTION_PROMPT_SKIP, message)
    wait_for(lambda: [r for r in rows(h, ReflectionRow) if r.status == "skipped"])
    h.runtime.worker.drain()
    edited = wait_for(
        lambda: next((m for m in h.emulator.dm_messages("U0MGR1") if m.edited_ts), None)
    )
    assert "Skipped — no problem" in dump(edited.blocks)
    clock(h).advance(timedelta(hours=4, minutes=1))
    tick(h)
    assert len(h.emulator.dm_messages("U0MGR1")) == 1


def test_remind_me_in_two_hours_brings_it_back_once(h: Harness) -> None:
    make_schedule(h, reminder_hours=None)
    clock(h).set(NINE_NY)
    tick(h)
    message = prompt_dm(h)
    click(h, "U0MGR1", ids.ACTION_PROMPT_LATER, message)
    click(h, "U0MGR1", ids.ACTION_PROMPT_LATER, message)  # an impatient double click
    wait_for(lambda: [d for d in rows(h, DeliveryRow) if d.dedupe_key.endswith(":later1")])
    h.runtime.worker.drain()
    edited = wait_for(
        lambda: next((m for m in h.emulator.dm_messages("U0MGR1") if m.edited_ts), None)
    )
    assert "bring this back at 11:00" in dump(edited.blocks)
    clock(h).advance(timedelta(hours=1, minutes=59))
    tick(h)
    assert len(h.emulator.dm_messages("U0MGR1")) == 1
    clock(h).advance(timedelta(minutes=1))
    tick(h)
    later = wait_for(lambda: h.emulator.dm_messages("U0MGR1")[1:] or None)
    assert len(later) == 1
    assert "Here it is again" in dump(later[0].blocks)
    # Answering from the reminder works like answering from the original.
    click(h, "U0MGR1", ids.ACTION_PROMPT_ANSWER, later[0])
    view = modal(h, ids.VIEW_REFLECTION)
    h.sender.view_submission(
        "U0MGR1",
        view,
        {"reflection": {"reflection_text": {"type": "plain_text_input", "value": "Done."}}},
    )
    assert [r.text for r in rows(h, ReflectionRow)] == ["Done."]


def test_out_of_office_status_skips_the_prompt(h: Harness) -> None:
    make_schedule(h)
    h.emulator.set_status("U0MGR1", "Vacationing", ":palm_tree:")
    clock(h).set(NINE_NY)
    tick(h)
    (occurrence,) = rows(h, PromptOccurrenceRow)
    assert (occurrence.status, occurrence.reason) == ("skipped", "out_of_office")
    assert h.emulator.dm_messages("U0MGR1") == []


def test_a_refused_dm_is_recorded_and_shown_to_sales_ops(h: Harness) -> None:
    make_schedule(h)
    h.emulator.deactivate_user("U0MGR1")
    clock(h).set(NINE_NY)
    tick(h)
    tick(h)  # the next tick copies the outbox's outcome onto the occurrence
    (occurrence,) = rows(h, PromptOccurrenceRow)
    assert occurrence.status == "failed"
    assert occurrence.reason
    h.sender.event({"type": "app_home_opened", "user": "U0OPS", "channel": "D0X", "tab": "home"})
    home = wait_for(lambda: h.emulator.home_view("U0OPS"))
    assert occurrence.reason in dump(home["blocks"])


# --------------------------------------------------------------------------------------------
# sales ops in App Home


def open_home(h: Harness, user: str) -> dict[str, Any]:
    h.sender.event({"type": "app_home_opened", "user": user, "channel": "D0X", "tab": "home"})
    return wait_for(lambda: h.emulator.home_view(user))


def form_values(**overrides: Any) -> dict[str, Any]:
    def v(block: str, state: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return block, {f"sched_{block}": state}

    def opt(value: str) -> dict[str, Any]:
        return {"value": value, "text": {"type": "plain_text", "text": value}}

    values = dict(
        [
            v("name", {"type": "plain_text_input", "value": "Thursday coaching check"}),
            v("audience", {"type": "static_select", "selected_option": opt("team")}),
            v("team", {"type": "multi_static_select", "selected_options": [opt("East")]}),
            v("people", {"type": "multi_users_select", "selected_users": []}),
            v("days", {"type": "checkboxes", "selected_options": [opt("thu")]}),
            v("time", {"type": "timepicker", "selected_time": "16:30"}),
            v("every_weeks", {"type": "static_select", "selected_option": opt("1")}),
            v("cron", {"type": "plain_text_input", "value": None}),
            v("start_date", {"type": "datepicker", "selected_date": "2026-03-02"}),
            v("end_date", {"type": "datepicker", "selected_date": None}),
            v("prompts", {"type": "static_select", "selected_option": opt("tag")}),
            v("prompt_value", {"type": "plain_text_input", "value": "coaching_vs_telling"}),
            v("reminder_hours", {"type": "static_select", "selected_option": opt("24")}),
            v("options", {"type": "checkboxes", "selected_options": [opt("skip_holidays")]}),
        ]
    )
    for block, state in overrides.items():
        values[block] = {f"sched_{block}": state}
    return values


def test_sales_ops_creates_a_schedule_from_app_home(h: Harness) -> None:
    home = open_home(h, "U0OPS")
    assert "Reflection schedules" in dump(home["blocks"])
    h.sender.block_action("U0OPS", ids.ACTION_SCHEDULE_NEW, view=home)
    view = modal(h, ids.VIEW_SCHEDULE)

    bad = h.sender.view_submission(
        "U0OPS",
        view,
        form_values(
            days={"type": "checkboxes", "selected_options": []},
            time={"type": "timepicker", "selected_time": None},
        ),
    )
    assert bad.json()["response_action"] == "errors"
    assert set(bad.json()["errors"]) == {"days", "time"}

    ok = h.sender.view_submission("U0OPS", view, form_values())
    assert ok.status_code == 200
    assert ok.text in ("", "null")
    (made,) = svc.list_schedules(uow=h.runtime.deps.uow, workspace_id=h.team_id)
    assert (made.name, made.cadence, made.audience, made.recipients) == (
        "Thursday coaching check",
        "Thursdays at 16:30",
        "managers in East",
        1,
    )
    assert made.spec.reminder_hours == 24
    republished = wait_for(
        lambda: (
            (v := h.emulator.home_view("U0OPS"))
            and "Thursday coaching check" in dump(v["blocks"])
            and v
        )
    )
    # Pause from App Home, then delete (the button carries a confirm dialog).
    h.sender.block_action("U0OPS", f"{ids.ACTION_SCHEDULE_PAUSE}:{made.id}", view=republished)
    wait_for(lambda: svc.list_schedules(uow=h.runtime.deps.uow, workspace_id=h.team_id)[0].paused)
    h.sender.block_action("U0OPS", f"{ids.ACTION_SCHEDULE_DELETE}:{made.id}", view=republished)
    wait_for(lambda: not svc.list_schedules(uow=h.runtime.deps.uow, workspace_id=h.team_id))


def test_sales_ops_edits_a_schedule_in_its_modal(h: Harness) -> None:
    schedule_id = make_schedule(h)
    home = open_home(h, "U0OPS")
    h.sender.block_action("U0OPS", f"{ids.ACTION_SCHEDULE_EDIT}:{schedule_id}", view=home)
    view = modal(h, ids.VIEW_SCHEDULE)
    assert view["private_metadata"] == str(schedule_id)
    values = form_values(
        name={"type": "plain_text_input", "value": "Monday reflection"},
        audience={"type": "static_select", "selected_option": {"value": "managers"}},
        days={"type": "checkboxes", "selected_options": [{"value": "mon"}]},
        time={"type": "timepicker", "selected_time": "10:00"},
    )
    assert h.sender.view_submission("U0OPS", view, values).status_code == 200
    (changed,) = svc.list_schedules(uow=h.runtime.deps.uow, workspace_id=h.team_id)
    assert (changed.id, changed.cadence, changed.version) == (schedule_id, "Mondays at 10:00", 2)


@pytest.mark.parametrize("user", ["U0REP1", "U0MGR1", "U0VP"])
def test_anyone_but_sales_ops_is_refused(h: Harness, user: str) -> None:
    home = open_home(h, user)
    assert ids.ACTION_SCHEDULE_NEW not in dump(home["blocks"])
    # A forged click on the button they don't have:
    h.sender.block_action(user, ids.ACTION_SCHEDULE_NEW, view=home)
    refusal = wait_for(
        lambda: next((v for v in h.emulator.open_views() if "sales ops" in dump(v)), None)
    )
    assert "Only sales ops can change schedules." in dump(refusal["blocks"])
    # And a forged submission of the modal:
    forged = {
        "id": "V0FORGED",
        "type": "modal",
        "callback_id": ids.VIEW_SCHEDULE,
        "private_metadata": "",
        "blocks": [],
    }
    answer = h.sender.view_submission(user, forged, form_values())
    assert answer.json()["response_action"] == "errors"
    assert "Only sales ops" in answer.json()["errors"]["name"]
    assert svc.list_schedules(uow=h.runtime.deps.uow, workspace_id=h.team_id) == []
