"""Block Kit for coaching requests, one-on-ones and development plans. Pure: data in, dicts out.

Modal input ``block_id``s are the field names the domain validators use, so their error dicts
go back to Slack unchanged as ``response_action: errors``. Times are written with Slack's
``<!date^…>`` syntax so every reader sees them in their own time zone.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from bot.domain import coaching as domain
from bot.services.coaching import (
    CoachingDefaults,
    ItemView,
    OneOnOneSummary,
    RequestView,
)
from bot.services.home import CoachingHome
from bot.services.one_on_ones import AgendaView, CoverageRow, RepRow
from bot.services.outbox import Message
from bot.services.plans import PlanView
from bot.services.privacy import PrivacySummary
from bot.slack import ids
from bot.slack.blocks.common import (
    Block,
    actions,
    button,
    context,
    divider,
    header,
    mrkdwn,
    plain,
    section,
    user,
)

MAX_ITEM_ROWS = 3
URGENCY_LABELS = {"low": "Low: whenever suits", "normal": "Normal", "high": "High: this week"}
CADENCES = ((7, "Weekly"), (14, "Every two weeks"), (30, "Monthly"))

# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def when(instant: datetime | None) -> str:
    """A time every reader sees in their own zone (Slack renders the token)."""
    if instant is None:
        return "—"
    ts = int(instant.timestamp())
    fallback = instant.strftime("%a %d %b %Y %H:%M UTC")
    return f"<!date^{ts}^{{date_short_pretty}} at {{time}}|{fallback}>"


def day(value: date | None) -> str:
    return value.strftime("%a %d %b") if value else "—"


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text[:75]), "value": value[:150]}


def _input(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    optional: bool = False,
    hint: str | None = None,
    dispatch: bool = False,
) -> Block:
    element.setdefault("action_id", block_id)
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint)
    if dispatch:
        block["dispatch_action"] = True
    return block


def _text_input(
    *, multiline: bool = False, initial: str = "", placeholder: str = ""
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "multiline": multiline,
        "max_length": domain.MAX_TEXT,
    }
    if initial:
        element["initial_value"] = initial[: domain.MAX_TEXT]
    if placeholder:
        element["placeholder"] = plain(placeholder)
    return element


def _date_input(initial: date | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "datepicker"}
    if initial is not None:
        element["initial_date"] = initial.isoformat()
    return element


def _modal(
    callback_id: str,
    title: str,
    blocks: list[Block],
    *,
    submit: str | None = "Save",
    metadata: dict[str, Any] | None = None,
    close: str = "Cancel",
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title[:24]),
        "close": plain(close[:24]),
        "blocks": blocks[:100],
    }
    if submit:
        view["submit"] = plain(submit[:24])
    if metadata is not None:
        view["private_metadata"] = json.dumps(metadata)
    return view


def _skill_options(skills: Sequence[domain.Skill]) -> list[dict[str, Any]]:
    return [_option(s.label, s.id) for s in skills[:100]]


def info_modal(title: str, text: str) -> dict[str, Any]:
    """For a shortcut that cannot go on (no manager, not on the roster...)."""
    return _modal("enabler_info", title, [section(text)], submit=None, close="OK")


# --------------------------------------------------------------------------------------------
# Modals
# --------------------------------------------------------------------------------------------


def request_modal(manager_label: str, skills: Sequence[domain.Skill]) -> dict[str, Any]:
    blocks: list[Block] = [
        section(
            f"Your request goes to *{manager_label}*, who can accept, suggest another time or "
            "say why not now. You'll hear back in a DM."
        ),
        _input(
            "skill",
            "What would you like coaching on?",
            {"type": "static_select", "options": _skill_options(skills)},
        ),
        _input(
            "context",
            "Which deal or channel is it about?",
            _text_input(placeholder="e.g. Acme renewal, #deal-acme"),
            optional=True,
        ),
        _input(
            "urgency",
            "How urgent is it?",
            {
                "type": "radio_buttons",
                "options": [_option(t, v) for v, t in URGENCY_LABELS.items()],
                "initial_option": _option(URGENCY_LABELS["normal"], "normal"),
            },
        ),
        _input(
            "preferred_times",
            "When suits you?",
            _text_input(placeholder="e.g. Tue or Wed afternoon"),
            optional=True,
        ),
        _input(
            "note",
            "Anything your manager should know?",
            _text_input(multiline=True, placeholder="What you've tried, what you're stuck on"),
            optional=True,
            hint="Needed when the topic is “Other”.",
        ),
    ]
    return _modal(ids.VIEW_COACH_REQUEST, "Request coaching", blocks, submit="Send request")


def _request_summary(request: RequestView) -> str:
    lines = [f"*Topic:* {request.skill_label}"]
    if request.context:
        lines.append(f"*About:* {request.context}")
    lines.append(f"*Urgency:* {URGENCY_LABELS.get(request.urgency, request.urgency)}")
    if request.preferred_times:
        lines.append(f"*Suits them:* {request.preferred_times}")
    if request.note:
        lines.append(f"*Note:* {request.note}")
    return "\n".join(lines)


def accept_modal(request: RequestView, now: datetime) -> dict[str, Any]:
    blocks: list[Block] = [
        section(f"Coaching for *{request.requester_label}*\n{_request_summary(request)}"),
        _input(
            "scheduled_for",
            "When will you meet?",
            {"type": "datetimepicker"},
            hint="Shown to you in your time zone; the rep sees it in theirs.",
        ),
    ]
    return _modal(
        ids.VIEW_COACH_ACCEPT,
        "Accept request",
        blocks,
        submit="Accept",
        metadata={"id": request.id},
    )


def propose_modal(request: RequestView) -> dict[str, Any]:
    blocks: list[Block] = [
        section(f"Suggest another time to *{request.requester_label}*."),
        _input("proposed_for", "What time suits you?", {"type": "datetimepicker"}),
        _input(
            "note",
            "A word for the rep",
            _text_input(multiline=True, placeholder="e.g. I'm travelling Tuesday"),
            optional=True,
        ),
    ]
    return _modal(
        ids.VIEW_COACH_PROPOSE,
        "Propose a time",
        blocks,
        submit="Propose",
        metadata={"id": request.id},
    )


def decline_modal(request: RequestView) -> dict[str, Any]:
    blocks: list[Block] = [
        section(
            f"Let *{request.requester_label}* know why not now, and what they could try "
            "instead. They'll see your note."
        ),
        _input("note", "Your note", _text_input(multiline=True)),
    ]
    return _modal(
        ids.VIEW_COACH_DECLINE,
        "Decline request",
        blocks,
        submit="Decline",
        metadata={"id": request.id},
    )


def outcome_modal(request: RequestView) -> dict[str, Any]:
    blocks: list[Block] = [
        section(f"How did the session with *{request.requester_label}* go?"),
        _input("worked_on", "What did you work on?", _text_input(multiline=True)),
        _input("next_steps", "Next steps", _text_input(multiline=True), optional=True),
        context(f"{request.requester_label} will be asked one question: was it helpful?"),
    ]
    return _modal(ids.VIEW_COACH_OUTCOME, "Log the session", blocks, metadata={"id": request.id})


def one_on_one_modal(
    *,
    rep_id: str | None,
    today: date,
    skills: Sequence[domain.Skill],
    agenda: AgendaView | None,
    notes: str = "",
) -> dict[str, Any]:
    rep_element: dict[str, Any] = {
        "type": "users_select",
        "action_id": ids.ACTION_ONE_ON_ONE_REP,
        "placeholder": plain("Pick the rep"),
    }
    if rep_id:
        rep_element["initial_user"] = rep_id
    blocks: list[Block] = [
        _input("rep", "Who did you meet?", rep_element, dispatch=True),
        _input("held_on", "When?", _date_input(today)),
    ]
    if agenda is not None:
        blocks.extend(_agenda_blocks(agenda))
    blocks += [
        _input(
            "notes",
            "Notes",
            _text_input(multiline=True, initial=notes, placeholder="What you talked about"),
        ),
        _input(
            "sharing",
            "Who sees the notes?",
            {
                "type": "radio_buttons",
                "options": [
                    _option("Only me", "private"),
                    _option("Me and the rep", "shared"),
                ],
                "initial_option": _option("Only me", "private"),
            },
        ),
        _input(
            "skills_focus",
            "Skills in focus",
            {"type": "multi_static_select", "options": _skill_options(skills)},
            optional=True,
        ),
    ]
    for i in range(MAX_ITEM_ROWS):
        owner: dict[str, Any] = {"type": "users_select", "placeholder": plain("Owner")}
        if rep_id:
            owner["initial_user"] = rep_id
        blocks += [
            _input(
                f"action_item_{i}_text",
                f"Action item {i + 1}",
                _text_input(placeholder="What will be done"),
                optional=True,
            ),
            _input(f"action_item_{i}_owner", "Owner", owner, optional=True),
            _input(f"action_item_{i}_due", "Due", _date_input(), optional=True),
        ]
    suggested = agenda.suggested_next if agenda is not None else None
    blocks.append(_input("next_meeting", "Next 1:1", _date_input(suggested), optional=True))
    return _modal(ids.VIEW_ONE_ON_ONE, "Log a 1:1", blocks, metadata={"rep": rep_id or ""})


def _agenda_blocks(agenda: AgendaView) -> list[Block]:
    blocks: list[Block] = []
    if agenda.debriefs:
        lines = "\n".join(f"• {q}" for q in agenda.debriefs[:10])
        blocks.append(section(f"*To debrief*\n{lines}"))
    if agenda.carried:
        options = [
            {
                "text": plain(_shorten(item.text, 75)),
                "value": str(item.id),
                "description": mrkdwn(_item_detail(item)),
            }
            for item in agenda.carried[:10]
        ]
        blocks.append(
            _input(
                "carried",
                "Carried over: tick what's done",
                {"type": "checkboxes", "options": options},
                optional=True,
                hint="Anything not ticked carries over to the next 1:1.",
            )
        )
    return blocks


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _item_detail(item: ItemView) -> str:
    due = f" · due {day(item.due)}" if item.due else ""
    carried = f" · carried {item.carried_over}×" if item.carried_over else ""
    return f"{user(item.owner_id)}{due}{carried}"


def _item_line(item: ItemView) -> str:
    return f"{item.text} ({_item_detail(item)})"


def plan_modal(
    *,
    rep_id: str,
    rep_label: str,
    editor_is_rep: bool,
    plan: PlanView | None,
    skills: Sequence[domain.Skill],
) -> dict[str, Any]:
    current = {r.skill: r for r in (plan.ratings if plan else ())}
    scores = [_option(str(n), str(n)) for n in range(1, 6)]
    blocks: list[Block] = [
        section(
            f"Development plan for *{rep_label}*. Rate each skill 1 (just starting) to 5 "
            "(could teach it); leave blank what doesn't apply."
        )
    ]
    sides = ("rep",) if editor_is_rep else ("manager", "rep")
    for skill in [s for s in skills if s.id != "other"][:20]:
        for side in sides:
            rating = current.get(skill.id)
            value = (rating.by_manager if side == "manager" else rating.by_rep) if rating else None
            element: dict[str, Any] = {
                "type": "static_select",
                "options": scores,
                "placeholder": plain("–"),
            }
            if value is not None:
                element["initial_option"] = _option(str(value), str(value))
            who = "rep" if side == "rep" else "manager"
            blocks.append(
                _input(
                    f"rating_{skill.id}_{side}",
                    f"{skill.label}: {who}'s rating",
                    element,
                    optional=True,
                )
            )
    goals = list(plan.goals) if plan else []
    for i in range(MAX_ITEM_ROWS):
        goal = goals[i] if i < len(goals) else None
        blocks.append(
            _input(
                f"goal_{i}_text",
                f"Goal {i + 1}",
                _text_input(initial=goal.text if goal else ""),
                optional=True,
            )
        )
        blocks.append(
            _input(
                f"goal_{i}_target",
                "Target date",
                _date_input(goal.target if goal else None),
                optional=True,
            )
        )
        done: dict[str, Any] = {"type": "checkboxes", "options": [_option("Done", "done")]}
        if goal is not None and goal.done:
            done["initial_options"] = [_option("Done", "done")]
        blocks.append(_input(f"goal_{i}_done", "Status", done, optional=True))
    return _modal(ids.VIEW_PLAN, "Development plan", blocks[:100], metadata={"rep": rep_id})


def defaults_modal(defaults: CoachingDefaults) -> dict[str, Any]:
    skills_text = "\n".join(f"{s.id}: {s.label}" for s in defaults.skills)
    blocks: list[Block] = [
        _input(
            "cadence_days",
            "Default 1:1 cadence (days)",
            {
                "type": "number_input",
                "is_decimal_allowed": False,
                "min_value": "1",
                "max_value": "365",
                "initial_value": str(defaults.cadence_days),
            },
        ),
        _input(
            "response_hours",
            "Remind managers after (working hours)",
            {
                "type": "number_input",
                "is_decimal_allowed": False,
                "min_value": "1",
                "max_value": "720",
                "initial_value": str(defaults.response_hours),
            },
            hint="An unanswered coaching request reminds the manager after this long.",
        ),
        _input(
            "escalate_after_hours",
            "Then tell their manager after",
            {
                "type": "number_input",
                "is_decimal_allowed": False,
                "min_value": "1",
                "max_value": "720",
                "initial_value": str(defaults.escalate_after_hours),
            },
            hint="More working hours; their manager sees a count, never the request.",
        ),
        _input(
            "item_reminder_days",
            "Remind action items (days before due)",
            {
                "type": "number_input",
                "is_decimal_allowed": False,
                "min_value": "0",
                "max_value": "30",
                "initial_value": str(defaults.item_reminder_days),
            },
        ),
        _input(
            "skills",
            "Skills taxonomy",
            _text_input(multiline=True, initial=skills_text),
            hint="One per line, as id: Label. Old requests keep their topic.",
        ),
    ]
    return _modal(ids.VIEW_COACHING_DEFAULTS, "Coaching defaults", blocks)


# --------------------------------------------------------------------------------------------
# Messages (the CoachingMessages port)
# --------------------------------------------------------------------------------------------

_STATE_LINE = {
    "requested": ":hourglass_flowing_sand: Waiting for your answer",
    "proposed": ":calendar: You proposed {proposed}; waiting for {rep}",
    "accepted": ":white_check_mark: Accepted for {scheduled}",
    "declined": ":no_entry_sign: Declined",
    "completed": ":trophy: Session logged. Thank you for coaching!",
    "rated": ":trophy: Session logged. Thank you for coaching!",
}


class SlackCoachingMessages:
    """The Slack rendering of every coaching message (implements services' CoachingMessages)."""

    def request_for_manager(self, request: RequestView) -> Message:
        rid = str(request.id)
        blocks: list[Block] = [
            section(
                f":raising_hand: *{request.requester_label}* would like coaching.\n"
                f"{_request_summary(request)}"
            )
        ]
        state = _STATE_LINE[request.state].format(
            proposed=when(request.proposed_for),
            scheduled=when(request.scheduled_for),
            rep=request.requester_label,
        )
        blocks.append(context(state))
        if request.state in ("requested", "proposed"):
            blocks.append(
                actions(
                    button("Accept", ids.ACTION_COACH_ACCEPT, value=rid, style="primary"),
                    button("Propose another time", ids.ACTION_COACH_PROPOSE, value=rid),
                    button("Decline", ids.ACTION_COACH_DECLINE, value=rid),
                    block_id=f"coach_request_{rid}",
                )
            )
        elif request.state == "accepted":
            blocks.append(
                actions(
                    button("Log the session", ids.ACTION_COACH_LOG_OUTCOME, value=rid),
                    block_id=f"coach_request_{rid}",
                )
            )
        return Message(
            text=f"{request.requester_label} would like coaching on {request.skill_label}",
            blocks=blocks,
        )

    def request_sent(self, request: RequestView) -> Message:
        text = (
            f":raising_hand: Your request for coaching on *{request.skill_label}* is with "
            f"{request.manager_label}. I'll let you know as soon as they answer."
        )
        return Message(text=_strip(text), blocks=[section(text)])

    def outcome_for_rep(self, request: RequestView) -> Message:
        rid = str(request.id)
        topic = request.skill_label
        manager = request.manager_label
        blocks: list[Block]
        if request.state == "accepted":
            text = (
                f":white_check_mark: {manager} accepted your coaching request on *{topic}*: "
                f"{when(request.scheduled_for)}."
            )
            blocks = [section(text)]
        elif request.state == "proposed":
            text = (
                f":calendar: {manager} would like to coach you on *{topic}*, and suggests "
                f"{when(request.proposed_for)}."
            )
            blocks = [section(text)]
            if request.proposal_note:
                blocks.append(context(f"“{request.proposal_note}”"))
            blocks.append(
                actions(
                    button(
                        "Take this time", ids.ACTION_COACH_TAKE_TIME, value=rid, style="primary"
                    ),
                    block_id=f"coach_proposal_{rid}",
                )
            )
            blocks.append(context("Doesn't work? Reply to your manager directly."))
        elif request.state == "declined":
            text = f"{manager} can't take your coaching request on *{topic}* right now."
            blocks = [section(text), section(f"*Their note:* {request.decline_note or ''}")]
            blocks.append(context("You can ask again any time with `/enabler coach`."))
        else:
            text = f"Your coaching request on *{topic}*: {request.state}."
            blocks = [section(text)]
        return Message(text=_strip(text), blocks=blocks)

    def time_taken_for_manager(self, request: RequestView) -> Message:
        text = (
            f":white_check_mark: {request.requester_label} took the time you proposed for "
            f"coaching on *{request.skill_label}*: {when(request.scheduled_for)}."
        )
        return Message(text=_strip(text), blocks=[section(text)])

    def manager_reminder(self, request: RequestView) -> Message:
        rid = str(request.id)
        text = (
            f":wave: A gentle reminder: {request.requester_label} asked you for coaching on "
            f"*{request.skill_label}* and is still waiting for an answer."
        )
        return Message(
            text=_strip(text),
            blocks=[
                section(text),
                actions(
                    button("Accept", ids.ACTION_COACH_ACCEPT, value=rid, style="primary"),
                    button("Propose another time", ids.ACTION_COACH_PROPOSE, value=rid),
                    button("Decline", ids.ACTION_COACH_DECLINE, value=rid),
                    block_id=f"coach_reminder_{rid}",
                ),
            ],
        )

    def skip_level_overdue(self, manager_label: str, count: int, days: int) -> Message:
        requests = "request" if count == 1 else "requests"
        text = (
            f"{manager_label} has {count} coaching {requests} from their team waiting more "
            f"than {days} working days for an answer. A quick check-in might help."
        )
        return Message(
            text=_strip(text),
            blocks=[
                section(f":hourglass: {text}"),
                context("You see the count only, never what was asked."),
            ],
        )

    def rating_question(self, request: RequestView) -> Message:
        rid = str(request.id)
        text = (
            f"{request.manager_label} logged your coaching session on *{request.skill_label}*. "
            "One question: *was it helpful?*"
        )
        blocks: list[Block] = [section(text)]
        if request.outcome:
            detail = f"*You worked on:* {request.outcome}"
            if request.next_steps:
                detail += f"\n*Next steps:* {request.next_steps}"
            blocks.append(section(detail))
        blocks.append(
            actions(
                *[
                    button(label, f"{ids.ACTION_COACH_RATE_PREFIX}{n}", value=rid)
                    for n, label in (
                        (1, "1 · not really"),
                        (2, "2"),
                        (3, "3"),
                        (4, "4"),
                        (5, "5 · very"),
                    )
                ],
                block_id=f"coach_rate_{rid}",
            )
        )
        blocks.append(context("Your answer is private: it only counts towards averages."))
        return Message(text=_strip(text), blocks=blocks)

    def rating_thanks(self, request: RequestView) -> Message:
        text = (
            f"Thanks! You rated your coaching session on *{request.skill_label}* "
            f"{request.rating}/5."
        )
        return Message(text=_strip(text), blocks=[section(f":star: {text}")])

    def one_on_one_for_rep(self, summary: OneOnOneSummary) -> Message:
        text = f"{summary.manager_label} logged your 1:1 of {day(summary.held_on)}."
        blocks: list[Block] = [section(f":spiral_note_pad: {text}")]
        if summary.shared_notes:
            blocks.append(section(f"*Notes they shared with you*\n{summary.shared_notes}"))
        if summary.skills_focus:
            blocks.append(section(f"*Skills in focus:* {', '.join(summary.skills_focus)}"))
        if summary.items:
            lines = "\n".join(f"• {_item_line(i)}" for i in summary.items[:15])
            blocks.append(section(f"*Open action items*\n{lines}"))
        if summary.next_meeting:
            blocks.append(context(f"Next 1:1: {day(summary.next_meeting)}"))
        return Message(text=_strip(text), blocks=blocks)

    def action_item_reminder(self, item: ItemView, counterpart_label: str) -> Message:
        text = f":alarm_clock: Due {day(item.due)}: {item.text}"
        return Message(
            text=_strip(text),
            blocks=[
                section(text),
                context(f"From your 1:1 with {counterpart_label}."),
                actions(
                    button("Mark done", f"{ids.ACTION_ITEM_DONE}:{item.id}", value=str(item.id)),
                    block_id=f"item_{item.id}",
                ),
            ],
        )

    def action_item_done(self, item: ItemView) -> Message:
        text = f":white_check_mark: Done: {item.text}"
        return Message(text=_strip(text), blocks=[section(text)])


def _strip(text: str) -> str:
    """Notification text: no bold markers."""
    return text.replace("*", "")


# --------------------------------------------------------------------------------------------
# App Home sections
# --------------------------------------------------------------------------------------------

_REQUEST_STATUS = {
    "requested": "waiting for an answer",
    "proposed": "new time proposed",
    "accepted": "scheduled",
    "declined": "declined",
    "completed": "done",
    "rated": "done",
}


def home_sections(home: CoachingHome | None) -> list[Block]:
    if home is None:
        return []
    builders = {
        "rep": _rep_home,
        "manager": _manager_home,
        "second_line": _second_line_home,
        "sales_ops": _sales_ops_home,
    }
    return builders[home.audience](home)


def _rep_home(home: CoachingHome) -> list[Block]:
    blocks: list[Block] = [divider(), header("Coaching")]
    if home.has_manager:
        blocks.append(
            actions(
                button("Request coaching", ids.ACTION_HOME_REQUEST_COACHING, style="primary"),
                block_id="coaching_actions",
            )
        )
    if home.my_schedule is not None:
        s = home.my_schedule
        last = day(s.last_held) if s.last_held else "none yet"
        blocks.append(context(f"Last 1:1: {last} · next: {day(s.next_due)}"))
    if home.my_requests:
        lines = [
            f"• *{r.skill_label}* with {r.manager_label}: {_REQUEST_STATUS[r.state]}"
            + (f" ({when(r.scheduled_for)})" if r.state == "accepted" else "")
            for r in home.my_requests[:5]
        ]
        blocks.append(section("*Your coaching requests*\n" + "\n".join(lines)))
    else:
        blocks.append(section("*Your coaching requests*\n_None yet._"))
    blocks.append(section("*Your action items*" + ("" if home.my_items else "\n_All clear._")))
    for item in home.my_items[:8]:
        blocks.append(
            section(
                f"• {_item_line(item)}",
                accessory=button("Done", f"{ids.ACTION_ITEM_DONE}:{item.id}", value=str(item.id)),
                block_id=f"item_{item.id}",
            )
        )
    blocks.extend(_plan_blocks(home.my_plan, "Your development plan", edit_for=None))
    if home.my_schedule is not None and home.my_schedule.shared_notes:
        held, notes = home.my_schedule.shared_notes[0]
        blocks.append(section(f"*Notes your manager shared ({day(held)})*\n{notes}"))
    return blocks


def _plan_blocks(plan: PlanView | None, title: str, *, edit_for: str | None) -> list[Block]:
    edit_value = edit_for or "me"
    edit = button("Update plan", f"{ids.ACTION_PLAN_EDIT}:{edit_value}", value=edit_value)
    if plan is None or (not plan.ratings and not plan.goals):
        return [section(f"*{title}*\n_No plan yet._", accessory=edit)]
    lines: list[str] = []
    for rating in plan.ratings[:12]:
        progress = plan.progress.get(rating.skill)
        trend = ""
        if progress and progress.by_manager and progress.by_manager.delta:
            trend = f" ({progress.by_manager.delta:+d} since {day(progress.by_manager.first_on)})"
        lines.append(
            f"{domain.skill_label(rating.skill)}: manager {rating.by_manager or '–'}/5, "
            f"rep {rating.by_rep or '–'}/5{trend}"
        )
    for goal in plan.goals[:5]:
        mark = ":white_check_mark:" if goal.done else ":dart:"
        target = f" (by {day(goal.target)})" if goal.target else ""
        lines.append(f"{mark} {goal.text}{target}")
    status = "current" if plan.current else "needs a refresh"
    return [
        section(f"*{title}*\n" + "\n".join(lines), accessory=edit),
        context(f"Updated {day(plan.updated_on)} · {status}"),
    ]


def _rating_text(rating: domain.SkillRating, progress: domain.SkillProgress | None) -> str:
    """``Discovery 4/3 (+2)``: manager's rating / rep's rating, and the manager's change."""
    change = ""
    if progress is not None and progress.by_manager is not None and progress.by_manager.delta:
        change = f" ({progress.by_manager.delta:+d})"
    return (
        f"{domain.skill_label(rating.skill)} {rating.by_manager or '–'}/{rating.by_rep or '–'}"
        f"{change}"
    )


def _plan_summary(plan: PlanView | None) -> str:
    if plan is None or (not plan.ratings and not plan.goals):
        return "Plan: none yet"
    skills = ", ".join(_rating_text(r, plan.progress.get(r.skill)) for r in plan.ratings[:4])
    more = f" +{len(plan.ratings) - 4} more" if len(plan.ratings) > 4 else ""
    goals = f"goals {plan.goals_done}/{len(plan.goals)} done"
    stale = "" if plan.current else " · _needs a refresh_"
    return f"Plan (manager/rep, 1–5): {skills or 'no ratings yet'}{more} · {goals}{stale}"


def _rep_block(row: RepRow, plan: PlanView | None, open_requests: int) -> list[Block]:
    last = day(row.last_held) if row.last_held else "never"
    if row.overdue:
        status = (
            f":red_circle: 1:1 overdue ({row.days_overdue}d)"
            if row.days_overdue
            else (":red_circle: 1:1 due")
        )
    else:
        status = f":large_green_circle: next 1:1 {day(row.next_due)}"
    parts = [f"*{row.label}* · {status}", f"Last 1:1: {last}"]
    if row.open_items:
        parts.append(f"Open action items: {len(row.open_items)}")
    if open_requests:
        parts.append(f"Open coaching requests: {open_requests}")
    if row.debriefs:
        parts.append(f"To debrief: {row.debriefs}")
    parts.append(_plan_summary(plan))
    cadence_options = [_option(label, str(days)) for days, label in CADENCES]
    current = next((o for o in cadence_options if o["value"] == str(row.cadence_days)), None)
    cadence: dict[str, Any] = {
        "type": "static_select",
        "action_id": f"{ids.ACTION_SET_CADENCE}:{row.rep_id}",
        "placeholder": plain(f"Every {row.cadence_days} days"),
        "options": cadence_options,
    }
    if current is not None:
        cadence["initial_option"] = current
    return [
        section("\n".join(parts), block_id=f"rep_{row.rep_id}"),
        actions(
            button(
                "Log 1:1",
                f"{ids.ACTION_HOME_LOG_ONE_ON_ONE}:{row.rep_id}",
                value=row.rep_id,
                style="primary" if row.overdue else None,
            ),
            button("Plan", f"{ids.ACTION_PLAN_EDIT}:{row.rep_id}", value=row.rep_id),
            cadence,
            block_id=f"rep_actions_{row.rep_id}",
        ),
    ]


def _manager_home(home: CoachingHome) -> list[Block]:
    blocks: list[Block] = [divider(), header("One-on-ones and coaching")]
    if home.open_requests:
        lines = [
            f"• {r.requester_label}: *{r.skill_label}*, {_REQUEST_STATUS[r.state]}"
            + (f" ({when(r.scheduled_for)})" if r.state == "accepted" else "")
            for r in home.open_requests[:8]
        ]
        blocks.append(section("*Coaching requests*\n" + "\n".join(lines)))
        for r in home.open_requests[:5]:
            if r.state == "accepted":
                blocks.append(
                    actions(
                        button(
                            f"Log session with {r.requester_label}"[:75],
                            f"{ids.ACTION_COACH_LOG_OUTCOME}:{r.id}",
                            value=str(r.id),
                        ),
                        block_id=f"home_request_{r.id}",
                    )
                )
    if not home.reps:
        blocks.append(section("_No one reports to you on the roster yet._"))
    requests_by_rep: dict[str, int] = {}
    for r in home.open_requests:
        requests_by_rep[r.requester_id] = requests_by_rep.get(r.requester_id, 0) + 1
    # Each rep takes two blocks; keep well under Slack's 100 with the rest of the home.
    for row in home.reps[:25]:
        blocks.extend(
            _rep_block(row, home.rep_plans.get(row.rep_id), requests_by_rep.get(row.rep_id, 0))
        )
    if len(home.reps) > 25:
        blocks.append(context(f"…and {len(home.reps) - 25} more reps."))
    return blocks


def _share(part: int, whole: int) -> str:
    return "—" if whole == 0 else f"{part}/{whole}"


def cadence_note(c: domain.ManagerCoverage) -> str:
    """What follows a 1:1 cadence share when some reps never had a 1:1: they count as covered
    (still in their first cadence), and the line says why. Shared with the demo transcript."""
    return f" ({c.reps_never_met} with no 1:1 logged yet)" if c.reps_never_met else ""


def _coverage_lines(rows: Sequence[CoverageRow]) -> list[Block]:
    blocks: list[Block] = []
    for row in rows[:30]:
        c = row.coverage
        blocks.append(
            section(
                f"*{row.label}* · {c.reps} reps\n"
                f"1:1s within cadence: {_share(c.reps_within_cadence, c.reps)}"
                + cadence_note(c)
                + " · "
                "coaching requests answered on time: "
                f"{_share(c.requests_on_time, c.requests_decided)}"
                f" · overdue now: {c.requests_overdue_open} · "
                f"current development plans: {_share(c.reps_with_current_plan, c.reps)}",
                block_id=f"coverage_{row.manager_id}",
            )
        )
    return blocks


def _second_line_home(home: CoachingHome) -> list[Block]:
    blocks: list[Block] = [divider(), header("Coaching coverage")]
    if not home.coverage:
        blocks.append(section("_No first-line managers in your organisation on the roster yet._"))
    blocks.extend(_coverage_lines(home.coverage))
    blocks.append(
        context("Counts only: you never see 1:1 notes, coaching requests or reflections.")
    )
    return blocks


def _sales_ops_home(home: CoachingHome) -> list[Block]:
    d = home.defaults or CoachingDefaults()
    skills = ", ".join(s.label for s in d.skills)
    blocks: list[Block] = [
        divider(),
        header("Coaching defaults"),
        section(
            f"*1:1 cadence:* every {d.cadence_days} days\n"
            f"*Unanswered coaching requests:* remind the manager after {d.response_hours} "
            f"working hours, then tell their manager (a count) after {d.escalate_after_hours} "
            f"more\n*Action items:* remind {d.item_reminder_days} day(s) before due\n"
            f"*Skills:* {skills}",
            accessory=button("Edit", ids.ACTION_EDIT_COACHING_DEFAULTS),
        ),
        context(
            "Also from the server: `enabler coaching defaults`, `enabler export --what "
            "one_on_ones --format csv`, `enabler privacy export USER`."
        ),
    ]
    if home.coverage:
        blocks.append(section("*Coverage by first-line manager*"))
        blocks.extend(_coverage_lines(home.coverage))
    return blocks


# --------------------------------------------------------------------------------------------
# /enabler privacy
# --------------------------------------------------------------------------------------------


def privacy_blocks(summary: PrivacySummary) -> list[Block]:
    lines = "\n".join(f"• {line}" for line in summary.lines)
    return [
        header("What Enabler stores about you"),
        section(lines or "Nothing yet."),
        context(summary.footer),
    ]
