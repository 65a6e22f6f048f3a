"""Sales ops' schedule modal and the schedules section of their App Home. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from bot.domain.calendar import DAY_NAMES, parse_weekdays
from bot.services.reflection import PastReflection
from bot.services.schedules import (
    AUDIENCES,
    PROMPT_MODES,
    DeliveryFailure,
    PromptsHome,
    ScheduleSpec,
    ScheduleSummary,
)
from bot.slack import ids
from bot.slack.blocks.common import (
    Block,
    actions,
    button,
    context,
    divider,
    header,
    plain,
    section,
)
from bot.slack.blocks.reflection import escape
from bot.slack.forms import Form

# block_id == the ScheduleSpec / ScheduleInvalid field it edits, so errors map 1:1.
FIELDS = (
    "name",
    "audience",
    "team",
    "people",
    "days",
    "time",
    "every_weeks",
    "cron",
    "start_date",
    "end_date",
    "prompts",
    "prompt_value",
    "reminder_hours",
    "options",
)
_DAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_REMINDERS = (
    ("none", "No follow-up"),
    ("2", "After 2 hours"),
    ("4", "After 4 hours"),
    ("8", "After 8 hours"),
    ("24", "After a day"),
)
_EVERY = (
    ("1", "Every week"),
    ("2", "Every 2 weeks"),
    ("3", "Every 3 weeks"),
    ("4", "Every 4 weeks"),
)


def _option(value: str, label: str) -> dict[str, Any]:
    return {"text": plain(label), "value": value}


def _input(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    optional: bool = False,
    hint: str | None = None,
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label),
        "element": {**element, "action_id": f"sched_{block_id}"},
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint)
    return block


def _select(options: Sequence[tuple[str, str]], initial: str | None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "static_select",
        "options": [_option(v, label) for v, label in options],
    }
    chosen = next(((v, label) for v, label in options if v == initial), None)
    if chosen is not None:
        element["initial_option"] = _option(*chosen)
    return element


def _text(initial: str | None, placeholder: str, *, max_length: int = 150) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "placeholder": plain(placeholder),
        "max_length": max_length,
    }
    if initial:
        element["initial_value"] = initial
    return element


def build_schedule_modal(
    *,
    today: date,
    teams: Sequence[str],
    summary: ScheduleSummary | None = None,
) -> dict[str, Any]:
    """New schedule (summary None) or edit an existing one, prefilled."""
    spec = (
        summary.spec
        if summary is not None
        else ScheduleSpec(name="", days="mon", at="09:00", start_date=today)
    )
    day_set = sorted(parse_weekdays(spec.days)) if spec.days else []
    day_options = [_option(DAY_NAMES[i], _DAY_LABELS[i]) for i in range(7)]
    days_element: dict[str, Any] = {"type": "checkboxes", "options": day_options}
    if day_set:
        days_element["initial_options"] = [day_options[i] for i in day_set]
    blocks: list[Block] = [
        _input("name", "Name", _text(spec.name, "Monday reflection", max_length=100)),
        _input("audience", "Who gets it", _select(list(AUDIENCES.items()), spec.audience)),
    ]
    if teams:
        team_options = [_option(t[:150], t[:75]) for t in teams[:100]]
        team_element: dict[str, Any] = {
            "type": "multi_static_select",
            "options": team_options,
            "placeholder": plain("Choose teams"),
        }
        chosen = [o for o in team_options if o["value"] in spec.audience_values]
        if spec.audience == "team" and chosen:
            team_element["initial_options"] = chosen
        blocks.append(
            _input(
                "team", "Team", team_element, optional=True, hint="For “The managers of a team”."
            )
        )
    people_element: dict[str, Any] = {
        "type": "multi_users_select",
        "placeholder": plain("Choose people"),
    }
    if spec.audience == "people" and spec.audience_values:
        people_element["initial_users"] = list(spec.audience_values)
    blocks += [
        _input("people", "People", people_element, optional=True, hint="For “Named people”."),
        _input("days", "Days", days_element, optional=True),
        _input(
            "time",
            "Time (each person's own time zone)",
            {"type": "timepicker", **({"initial_time": spec.at} if spec.at else {})},
            optional=True,
        ),
        _input("every_weeks", "How often", _select(_EVERY, str(spec.every_weeks))),
        _input(
            "cron",
            "Or a cron expression",
            _text(spec.cron, "0 9 * * 1-5", max_length=100),
            optional=True,
            hint="Instead of days and time, e.g. 0 9 * * 1-5 is 09:00 Monday to Friday.",
        ),
        _input(
            "start_date",
            "Starts",
            {"type": "datepicker", "initial_date": (spec.start_date or today).isoformat()},
        ),
        _input(
            "end_date",
            "Ends",
            {
                "type": "datepicker",
                **({"initial_date": spec.end_date.isoformat()} if spec.end_date else {}),
            },
            optional=True,
        ),
        _input("prompts", "Prompts", _select(list(PROMPT_MODES.items()), spec.prompt_mode)),
        _input(
            "prompt_value",
            "Theme or prompt ids",
            _text(
                spec.prompt_tag or ", ".join(spec.prompt_ids) or None,
                "coaching_vs_telling",
                max_length=1000,
            ),
            optional=True,
            hint="A tag for “One theme”, or prompt ids separated by commas for “A fixed list” "
            "(see `enabler prompts list`).",
        ),
        _input(
            "reminder_hours",
            "Follow up with people who haven't answered",
            _select(_REMINDERS, str(spec.reminder_hours) if spec.reminder_hours else "none"),
        ),
    ]
    option_list = [
        _option("skip_weekends", "Skip weekends"),
        _option("skip_holidays", "Skip public holidays"),
    ]
    chosen_options = [
        o for o, on in zip(option_list, (spec.skip_weekends, spec.skip_holidays), strict=True) if on
    ]
    options_element: dict[str, Any] = {"type": "checkboxes", "options": option_list}
    if chosen_options:
        options_element["initial_options"] = chosen_options
    blocks.append(_input("options", "Skip", options_element, optional=True))
    blocks.append(
        context(
            "Prompts arrive as a DM at this time in each person's own time zone. Missed by more "
            "than 2 hours (say, during an outage)? Then it's skipped, never sent at night."
        )
    )
    return {
        "type": "modal",
        "callback_id": ids.VIEW_SCHEDULE,
        "private_metadata": str(summary.id) if summary is not None else "",
        "title": plain("Edit schedule" if summary is not None else "New schedule"),
        "submit": plain("Save"),
        "close": plain("Cancel"),
        "blocks": blocks,
    }


def parse_schedule_form(view: Mapping[str, Any]) -> tuple[int | None, ScheduleSpec]:
    """(schedule id or None for a new one, what was entered) from a submitted modal."""
    values = Form(view, action_id=lambda block_id: f"sched_{block_id}")
    audience = values.selected("audience") or "managers"
    audience_values: list[str] = []
    if audience == "team":
        audience_values = values.selected_many("team")
    elif audience == "people":
        audience_values = [str(u) for u in values.state("people").get("selected_users") or []]
    mode = values.selected("prompts") or "rotation"
    prompt_value = values.text("prompt_value").strip()
    reminder = values.selected("reminder_hours")
    every = values.selected("every_weeks") or "1"
    days = values.selected_many("days")
    options = set(values.selected_many("options"))
    metadata = str(view.get("private_metadata") or "")
    spec = ScheduleSpec(
        name=values.text("name"),
        audience=audience,
        audience_values=tuple(audience_values),
        days=",".join(days) or None,
        at=values.state("time").get("selected_time") or None,
        every_weeks=int(every) if every.isdigit() else 1,
        cron=values.text("cron").strip() or None,
        start_date=values.day("start_date"),
        end_date=values.day("end_date"),
        skip_weekends="skip_weekends" in options,
        skip_holidays="skip_holidays" in options,
        prompt_mode=mode,
        prompt_tag=prompt_value if mode == "tag" else None,
        prompt_ids=tuple(p.strip() for p in prompt_value.split(",") if p.strip())
        if mode == "fixed"
        else (),
        reminder_hours=int(reminder) if reminder and reminder.isdigit() else None,
    )
    return (int(metadata) if metadata.isdigit() else None), spec


def form_errors(problems: Mapping[str, str], *, has_team_block: bool) -> dict[str, str]:
    """ScheduleInvalid.problems -> Slack's {block_id: message}; unknown fields go to `name`."""
    errors: dict[str, str] = {}
    for field_name, message in problems.items():
        block = field_name
        if field_name == "team" and not has_team_block:
            block = "audience"
        if field_name == "grace_minutes" or block not in FIELDS:
            block = "name"
        errors[block] = (errors[block] + " " + message) if block in errors else message
    return errors


def not_allowed_modal(reason: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": plain("Schedules"),
        "close": plain("OK"),
        "blocks": [section(f":lock: {escape(reason)}")],
    }


# --------------------------------------------------------------------------------------------
# App Home (sales ops)


def schedule_home_blocks(
    schedules: Sequence[ScheduleSummary], failures: Sequence[DeliveryFailure]
) -> list[Block]:
    blocks: list[Block] = [
        header("Reflection schedules"),
        actions(
            button("New schedule", ids.ACTION_SCHEDULE_NEW, style="primary"),
            block_id="schedules_new",
        ),
    ]
    if not schedules:
        blocks.append(
            section(
                "_No schedules yet._ A weekly prompt gives managers a couple of quiet minutes "
                "to think about how they enable their reps. Start with “Monday reflection”."
            )
        )
    for s in schedules[:20]:
        state = ":double_vertical_bar: paused" if s.paused else ":large_green_circle: active"
        sent = s.counts.get("sent", 0)
        skipped = s.counts.get("skipped", 0)
        failed = s.counts.get("failed", 0)
        blocks.append(
            section(
                f"*{escape(s.name)}* · {state}\n"
                f"{escape(s.cadence)} · to {s.audience} ({s.recipients}) · {escape(s.prompts)} · "
                f"{s.reminder}\n"
                f"_{sent} sent, {skipped} skipped, {failed} failed_",
                block_id=f"schedule_{s.id}",
            )
        )
        toggle = (
            button("Resume", f"{ids.ACTION_SCHEDULE_RESUME}:{s.id}", value=str(s.id))
            if s.paused
            else button("Pause", f"{ids.ACTION_SCHEDULE_PAUSE}:{s.id}", value=str(s.id))
        )
        delete = button(
            "Delete", f"{ids.ACTION_SCHEDULE_DELETE}:{s.id}", value=str(s.id), style="danger"
        )
        delete["confirm"] = {
            "title": plain("Delete this schedule?"),
            "text": plain(
                f"“{s.name[:100]}” stops for everyone. Reflections already written are kept "
                "by their authors."
            ),
            "confirm": plain("Delete"),
            "deny": plain("Keep it"),
            "style": "danger",
        }
        blocks.append(
            actions(
                button("Edit", f"{ids.ACTION_SCHEDULE_EDIT}:{s.id}", value=str(s.id)),
                toggle,
                delete,
                block_id=f"schedule_actions_{s.id}",
            )
        )
    if failures:
        lines = [
            f"• {f'<@{f.user_id}>' if f.user_id else 'a channel'}: `{escape(f.error)}` "
            f"({f.kind}, {f.when:%b %d %H:%M} UTC)"
            for f in failures[:10]
        ]
        blocks.append(
            section(
                "*Messages Slack refused* (not retried):\n"
                + "\n".join(lines)
                + "\n_user_not_found / account_inactive usually mean someone left: "
                "update the roster._"
            )
        )
    return blocks


def reflection_blocks(reflections: Sequence[PastReflection], *, show_empty: bool) -> list[Block]:
    """The viewer's own reflections. Built only from the viewer's data (see the service)."""
    if not reflections and not show_empty:
        return []
    blocks: list[Block] = [header("Your reflections")]
    if not reflections:
        blocks.append(
            section(
                "_Nothing here yet._ When a reflection prompt arrives in your DMs, your answers "
                "collect here — visible only to you."
            )
        )
        return blocks
    for r in reflections:
        answer = escape(r.text if len(r.text) <= 600 else r.text[:599] + "…")
        quoted = "\n".join(f"> {line}" for line in answer.splitlines() or [""])
        blocks.append(section(f"*{escape(r.prompt_text)}*\n{quoted}"))
        blocks.append(context(f"{r.written_at:%a %d %b %Y}"))
    blocks.append(context(":lock: Only you can see your reflections."))
    return blocks


def home_sections(prompts: PromptsHome | None) -> list[Block]:
    """What issue 5 adds to an App Home tab (see bot/slack/blocks/home.py)."""
    if prompts is None or prompts.audience == "unknown":
        return []
    blocks: list[Block] = []
    if prompts.audience == "sales_ops":
        blocks.append(divider())
        blocks += schedule_home_blocks(prompts.schedules, prompts.failures)
    show_empty = prompts.audience in ("manager", "second_line")
    mine = reflection_blocks(prompts.reflections, show_empty=show_empty)
    if mine:
        blocks.append(divider())
        blocks += mine
    return blocks
