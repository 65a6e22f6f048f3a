"""Block Kit for reflection prompts and schedules: valid for Slack, and round-trips the form."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.devtools.blockkit import validate_message_blocks, validate_view
from bot.services.reflection import (
    PastReflection,
    PromptCard,
    ReflectionError,
    looks_out_of_office,
    parse_button_value,
)
from bot.services.schedules import DeliveryFailure, PromptsHome, ScheduleSpec, ScheduleSummary
from bot.slack import ids
from bot.slack.blocks.reflection import (
    PROMPT_MESSAGES,
    build_reflection_modal,
    reflection_value,
)
from bot.slack.blocks.schedules import (
    build_schedule_modal,
    form_errors,
    home_sections,
    not_allowed_modal,
    parse_schedule_form,
)

CARD = PromptCard(
    occurrence_id=7,
    message_key="prompt:3:U0MGR1:2026-03-02",
    prompt_text="You joined 3 of Sam's calls this week — what would it take for Sam to run "
    "<the> next one & more?",
    schedule_name="Monday reflection",
)


@pytest.mark.parametrize("kind", ["prompt", "followup", "later"])
def test_prompt_dm_is_valid_and_carries_the_occurrence_and_key(kind: str) -> None:
    card = PromptCard(**{**CARD.__dict__, "kind": kind})
    message = PROMPT_MESSAGES.prompt(card)
    assert message.blocks is not None
    assert validate_message_blocks(message.blocks) == []
    buttons = [e for b in message.blocks if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == [
        ids.ACTION_PROMPT_ANSWER,
        ids.ACTION_PROMPT_SKIP,
        ids.ACTION_PROMPT_LATER,
    ]
    assert {b["value"] for b in buttons} == {"7|prompt:3:U0MGR1:2026-03-02"}
    assert "&lt;the&gt; next one &amp; more" in str(message.blocks)
    assert message.text.startswith("Time to reflect:")


@pytest.mark.parametrize(
    ("outcome", "detail", "expected"),
    [
        ("answered", None, "Reflected — thank you"),
        ("skipped", None, "Skipped — no problem"),
        ("later", "11:30", "bring this back at 11:30"),
    ],
)
def test_confirmations_replace_the_buttons(outcome: Any, detail: str | None, expected: str) -> None:
    message = PROMPT_MESSAGES.closed(CARD, outcome, detail)
    assert message.blocks is not None
    assert validate_message_blocks(message.blocks) == []
    assert expected in str(message.blocks)
    assert not [b for b in message.blocks if b["type"] == "actions"]


def test_reflection_modal_is_valid_and_its_submission_reads_back() -> None:
    view = build_reflection_modal(CARD, previous_text="Earlier answer")
    assert validate_view(view) == []
    assert view["callback_id"] == ids.VIEW_REFLECTION
    submitted = {
        **view,
        "state": {"values": {"reflection": {"reflection_text": {"value": "  Let Sam lead.  "}}}},
    }
    value, text = reflection_value(submitted)
    assert parse_button_value(value) == (7, "prompt:3:U0MGR1:2026-03-02")
    assert text == "  Let Sam lead.  "


@pytest.mark.parametrize("value", ["", "x|y", "12", "|key"])
def test_garbled_button_values_get_a_readable_error(value: str) -> None:
    with pytest.raises(ReflectionError, match="older version"):
        parse_button_value(value)


@pytest.mark.parametrize(
    ("text", "emoji", "away"),
    [
        ("Vacationing", ":palm_tree:", True),
        ("", ":palm_tree:", True),
        ("Out sick", ":face_with_thermometer:", True),
        ("OOO until Monday", "", True),
        ("out of office", "", True),
        ("On holiday in Lisbon", "", True),
        ("PTO", "", True),
        ("parental leave", ":baby:", True),
        ("In a meeting", ":spiral_calendar_pad:", False),
        ("Commuting", ":bus:", False),
        ("Booking my vacations for next year", "", False),
        ("Looking at the photo album", "", False),
        ("", "", False),
    ],
)
def test_out_of_office_statuses(text: str, emoji: str, away: bool) -> None:
    assert looks_out_of_office(text, emoji) is away


def summary(**changes: Any) -> ScheduleSummary:
    spec = ScheduleSpec(
        name="Monday reflection",
        audience="team",
        audience_values=("East",),
        days="mon,thu",
        at="09:30",
        every_weeks=2,
        start_date=date(2026, 3, 2),
        end_date=date(2026, 6, 30),
        skip_weekends=True,
        skip_holidays=False,
        prompt_mode="tag",
        prompt_tag="hiring",
        reminder_hours=4,
    )
    base: dict[str, Any] = {
        "id": 3,
        "name": spec.name,
        "spec": spec,
        "audience": "managers in East",
        "cadence": "every 2 weeks on Mon, Thu at 09:30",
        "prompts": "theme “hiring”",
        "reminder": "follow-up after 4h",
        "paused": False,
        "recipients": 2,
        "counts": {"sent": 5, "skipped": 1},
        "version": 2,
    }
    base.update(changes)
    return ScheduleSummary(**base)


def as_submitted(view: dict[str, Any]) -> dict[str, Any]:
    """What Slack sends back when the person just presses Save on a prefilled modal."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        state: dict[str, Any] = {"type": element["type"]}
        kind = element["type"]
        if kind == "plain_text_input":
            state["value"] = element.get("initial_value")
        elif kind == "static_select":
            state["selected_option"] = element.get("initial_option")
        elif kind in ("checkboxes", "multi_static_select"):
            state["selected_options"] = element.get("initial_options", [])
        elif kind == "multi_users_select":
            state["selected_users"] = element.get("initial_users", [])
        elif kind == "timepicker":
            state["selected_time"] = element.get("initial_time")
        elif kind == "datepicker":
            state["selected_date"] = element.get("initial_date")
        values[block["block_id"]] = {element["action_id"]: state}
    return {**view, "state": {"values": values}}


def test_edit_modal_is_valid_and_saving_it_unchanged_gives_the_same_schedule() -> None:
    original = summary()
    view = build_schedule_modal(today=date(2026, 3, 1), teams=["East", "West"], summary=original)
    assert validate_view(view) == []
    ref, spec = parse_schedule_form(as_submitted(view))
    assert ref == 3
    assert spec == original.spec


@pytest.mark.parametrize("teams", [[], ["East"]])
def test_new_schedule_modal_defaults_to_monday_nine(teams: list[str]) -> None:
    view = build_schedule_modal(today=date(2026, 3, 1), teams=teams)
    assert validate_view(view) == []
    ref, spec = parse_schedule_form(as_submitted(view))
    assert ref is None
    assert (spec.days, spec.at, spec.audience, spec.prompt_mode) == (
        "mon",
        "09:00",
        "managers",
        "rotation",
    )
    assert spec.start_date == date(2026, 3, 1)
    assert spec.reminder_hours is None
    assert any(b.get("block_id") == "team" for b in view["blocks"]) is bool(teams)


def test_form_errors_land_on_blocks_that_exist() -> None:
    errors = form_errors(
        {"time": "Choose a time.", "team": "No team.", "grace_minutes": "Too long."},
        has_team_block=False,
    )
    assert errors == {"time": "Choose a time.", "audience": "No team.", "name": "Too long."}


def test_sales_ops_home_lists_schedules_with_unique_buttons_and_failures() -> None:
    home = PromptsHome(
        audience="sales_ops",
        schedules=[summary(), summary(id=4, name="Friday", paused=True)],
        failures=[
            DeliveryFailure("U0GONE", "prompt", "user_not_found", datetime(2026, 3, 2, tzinfo=UTC))
        ],
    )
    blocks = home_sections(home)
    view = {"type": "home", "blocks": blocks}
    assert validate_view(view) == []
    action_ids = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert "schedule_edit:3" in action_ids
    assert "schedule_pause:3" in action_ids
    assert "schedule_resume:4" in action_ids
    assert ids.ACTION_SCHEDULE_NEW in action_ids
    assert "user_not_found" in str(blocks)


@pytest.mark.parametrize(
    ("audience", "reflections", "shown"),
    [
        ("manager", [], "Nothing here yet"),
        ("second_line", [], "Nothing here yet"),
        (
            "manager",
            [PastReflection("Q?", "My answer", datetime(2026, 3, 2, tzinfo=UTC))],
            "> My answer",
        ),
        ("rep", [], None),
        ("unknown", [], None),
    ],
)
def test_own_reflections_on_home(
    audience: str, reflections: list[PastReflection], shown: str | None
) -> None:
    blocks = home_sections(PromptsHome(audience=audience, reflections=reflections))
    assert validate_view({"type": "home", "blocks": blocks}) == []
    if shown is None:
        assert blocks == []
    else:
        assert shown in str(blocks)


def test_not_allowed_modal_is_valid() -> None:
    assert validate_view(not_allowed_modal("Only sales ops can change schedules.")) == []
