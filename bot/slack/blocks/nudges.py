"""The nudge DM, its modals, `/enabler why`, and the ledger on App Home. Pure: data in, dicts out.

Tone: a colleague's aside, not an audit. The DM names what happened and links to it, asks one
question, offers a concrete alternative, and explains itself ("Why?") in one quiet line.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.domain.calendar import zone
from bot.domain.scoring import TeamAggregate, WeekPoint
from bot.services.ledger import HomeSection, NudgesHome, TeamView
from bot.services.nudging import (
    MAX_COACHING_CHARS,
    MAX_NOTE_CHARS,
    MAX_REFLECTION_CHARS,
    NEEDED_REASONS,
    CoachForm,
    NudgeCard,
    WhyView,
)
from bot.services.outbox import Message
from bot.slack import ids
from bot.slack.blocks.common import (
    Block,
    actions,
    button,
    context,
    divider,
    header,
    overflow,
    plain,
    section,
)
from bot.slack.forms import Form, metadata

COACH_BLOCK = "nudge_questions"
COACH_INPUT = "questions"
NEEDED_BLOCK = "nudge_reason"
NEEDED_INPUT = "reason"
NOTE_BLOCK = "nudge_note"
NOTE_INPUT = "note"
REFLECT_BLOCK = "nudge_reflection"
REFLECT_INPUT = "reflection"

_TYPE_LABELS = {
    "thread_takeover": "thread takeover",
    "thread_close": "thread close",
    "call_join": "call join",
    "deal_commitment": "deal commitment",
    "coaching_question": "coaching question",
    "hand_back": "hand-back",
}
_REASON_LABELS = {
    "ok": "sent",
    "opted_out": "nudges off",
    "snoozed": "snoozed",
    "channel_muted": "channel muted",
    "cooldown_append": "added to the previous nudge",
    "quiet_hours": "quiet hours",
    "non_working_day": "non-working day",
    "holiday": "holiday",
    "daily_cap": "daily limit reached",
    "weekly_cap": "weekly limit reached",
    "low_weight": "you've said this kind of moment was needed",
}
_ACTION_DONE = {
    "coach_instead": "coached instead",
    "hand_back": "handed back",
    "justified": "it was needed",
    "reflect": "reflected",
    "debrief": "added to 1:1",
    "snooze_today": "snoozed",
    "snooze_week": "snoozed",
    "mute_channel": "muted channel",
}


def escape(text: str) -> str:
    """Slack mrkdwn control characters (names and channel names are plain text)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def type_label(signal_type: str) -> str:
    return _TYPE_LABELS.get(signal_type, signal_type.replace("_", " "))


def reason_label(reason: str) -> str:
    return _REASON_LABELS.get(reason, reason.replace("_", " "))


def _linked(label: str, url: str | None) -> str:
    return f"<{url}|{label}>" if url else label


def _channel(card: NudgeCard) -> str:
    # A "<#C…>" mention is already markup; a "#name" label is plain text.
    return card.channel_label if card.channel_label.startswith("<#") else escape(card.channel_label)


# --------------------------------------------------------------------------------------------
# The DM


def build_nudge_blocks(card: NudgeCard) -> list[Block]:
    value = str(card.nudge_id)
    rep = escape(card.rep_name)
    blocks: list[Block] = [
        section(
            f":wave: *{escape(card.headline)}* · {_linked('see the message', card.permalink)}",
            block_id="nudge_what",
        )
    ]
    # Other types found in the same message are part of the headline moment (the Why? line
    # names their rules); "since then" lists only later moments.
    first_link = card.lines[0].permalink if card.lines else None
    more = [line for line in card.lines[1:] if line.permalink != first_link or not first_link]
    if more:
        listed = "\n".join(
            f"• {_linked(type_label(line.type), line.permalink)} at {line.at_label}"
            for line in more[:8]
        )
        extra = f"\n…and {card.later - 8} more" if card.later > 8 else ""
        blocks.append(section(f"*Also since then:*\n{listed}{extra}", block_id="nudge_more"))
    blocks.append(section(f"> _{escape(card.reflection)}_", block_id="nudge_question"))
    questions = "\n".join(f"• {escape(q)}" for q in card.questions)
    blocks.append(
        section(
            f"*Try instead:* {escape(card.alternative)}\n"
            f"Questions you could ask {rep}:\n{questions}",
            block_id="nudge_alternative",
        )
    )
    for done in card.done:
        blocks.append(context(f":white_check_mark: {escape(done.text)}"))
    main: list[dict[str, Any]] = []
    if not card.resolved and card.can_post_in_thread:
        main.append(button("Coach instead", ids.ACTION_NUDGE_COACH, value=value, style="primary"))
        main.append(button("Hand back", ids.ACTION_NUDGE_HAND_BACK, value=value))
    if not card.resolved:
        main.append(button("It was needed", ids.ACTION_NUDGE_NEEDED, value=value))
    if not card.did("reflect"):
        main.append(button("Reflect", ids.ACTION_NUDGE_REFLECT, value=value))
    if main:
        blocks.append(actions(*main, block_id="nudge_actions"))
    more_actions: list[dict[str, Any]] = []
    if card.rep_id and not card.did("debrief"):
        more_actions.append(
            button(f"Add to {card.rep_name}'s next 1:1", ids.ACTION_NUDGE_DEBRIEF, value=value)
        )
    # Taking a break is one menu away, so the DM leads with the enabling choices.
    options: list[tuple[str, str]] = []
    if not (card.did("snooze_today") or card.did("snooze_week")):
        options.append(("Snooze nudges today", ids.ACTION_NUDGE_SNOOZE_TODAY))
        options.append(("Snooze nudges this week", ids.ACTION_NUDGE_SNOOZE_WEEK))
    if not card.did("mute_channel"):
        label = card.channel_label if card.channel_label.startswith("#") else "this channel"
        options.append((f"Mute {label}", ids.ACTION_NUDGE_MUTE))
    if options:
        more_actions.append(
            overflow(ids.ACTION_NUDGE_MORE, [(text, f"{key}:{value}") for text, key in options])
        )
    if more_actions:
        blocks.append(actions(*more_actions, block_id="nudge_more_actions"))
    rules = (
        ", ".join(sorted({f"`{rule}` ({type_label(kind)})" for rule, kind in card.rules}))
        or "`" + card.signal_type + "`"
    )
    first = card.lines[0].at_label if card.lines else ""
    blocks.append(
        context(
            f"*Why?* Rule {rules} in {_channel(card)}"
            + (f" at {first}" if first else "")
            + ". Only you can see this nudge. `/enabler why` shows the details; "
            "`/enabler snooze 3d` or `/enabler nudges off` if you need a break."
        )
    )
    return blocks


def nudge_text(card: NudgeCard) -> str:
    """The notification text (no Block Kit): what happened and the question."""
    return f"{card.headline}. {card.reflection}"[:3000]


class SlackNudgeMessages:
    """Implements bot.services.nudging.NudgeMessages with the builders above."""

    def nudge(self, card: NudgeCard) -> Message:
        return Message(text=nudge_text(card), blocks=build_nudge_blocks(card))


NUDGE_MESSAGES = SlackNudgeMessages()


# --------------------------------------------------------------------------------------------
# Modals


def _meta(nudge_id: int) -> str:
    return json.dumps({"nudge": nudge_id})


def coach_modal(form: CoachForm) -> dict[str, Any]:
    card = form.card
    return {
        "type": "modal",
        "callback_id": ids.VIEW_NUDGE_COACH,
        "private_metadata": _meta(card.nudge_id),
        "title": plain("Coach instead"),
        "submit": plain("Post in thread"),
        "close": plain("Cancel"),
        "blocks": [
            section(
                f"Ask {escape(card.rep_name)} a few questions in the thread instead of doing the "
                "next step yourself. Edit them as you like, one per line."
            ),
            {
                "type": "input",
                "block_id": COACH_BLOCK,
                "label": plain("Your questions"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": COACH_INPUT,
                    "multiline": True,
                    "max_length": MAX_COACHING_CHARS,
                    "initial_value": "\n".join(form.questions),
                },
            },
            context(
                f"Posted in {_channel(card)} as *you (via Enabler)*, mentioning "
                f"{escape(card.rep_name)}. It counts as enabling in your ledger."
            ),
        ],
    }


def needed_modal(card: NudgeCard) -> dict[str, Any]:
    options = [{"text": plain(label), "value": code} for code, label in NEEDED_REASONS.items()]
    return {
        "type": "modal",
        "callback_id": ids.VIEW_NUDGE_NEEDED,
        "private_metadata": _meta(card.nudge_id),
        "title": plain("It was needed"),
        "submit": plain("Save"),
        "close": plain("Cancel"),
        "blocks": [
            section(
                "Sometimes stepping in is the right call. What made this one needed? "
                "It helps Enabler nudge you less about moments like this."
            ),
            {
                "type": "input",
                "block_id": NEEDED_BLOCK,
                "label": plain("Reason"),
                "element": {"type": "radio_buttons", "action_id": NEEDED_INPUT, "options": options},
            },
            {
                "type": "input",
                "block_id": NOTE_BLOCK,
                "optional": True,
                "label": plain("Note (needed for “Other”)"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": NOTE_INPUT,
                    "max_length": MAX_NOTE_CHARS,
                },
            },
            context(":lock: Only you see this; it shows in your own weekly digest as a count."),
        ],
    }


def reflect_modal(card: NudgeCard) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": ids.VIEW_NUDGE_REFLECT,
        "private_metadata": _meta(card.nudge_id),
        "title": plain("Reflect"),
        "submit": plain("Save"),
        "close": plain("Cancel"),
        "blocks": [
            section(f"*{escape(card.reflection)}*"),
            {
                "type": "input",
                "block_id": REFLECT_BLOCK,
                "label": plain("Your reflection"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": REFLECT_INPUT,
                    "multiline": True,
                    "max_length": MAX_REFLECTION_CHARS,
                    "placeholder": plain("A sentence or two is plenty."),
                },
            },
            context(
                ":lock: Private: only you will ever see this — not your manager, not sales ops."
            ),
        ],
    }


def nudge_id_of(view: Mapping[str, Any]) -> int | None:
    value = metadata(view).get("nudge")
    return value if isinstance(value, int) else None


def text_value(view: Mapping[str, Any], block_id: str, action_id: str) -> str:
    return Form(view).text(block_id, action_id)


def coach_value(view: Mapping[str, Any]) -> str:
    return text_value(view, COACH_BLOCK, COACH_INPUT)


def reflect_value(view: Mapping[str, Any]) -> str:
    return text_value(view, REFLECT_BLOCK, REFLECT_INPUT)


def needed_values(view: Mapping[str, Any]) -> tuple[str, str]:
    form = Form(view)
    reason = form.selected(NEEDED_BLOCK, NEEDED_INPUT) or ""
    return reason, form.text(NOTE_BLOCK, NOTE_INPUT)


# --------------------------------------------------------------------------------------------
# /enabler why


def why_blocks(why: WhyView) -> list[Block]:
    blocks: list[Block] = []
    if why.headline is None:
        blocks.append(
            section(
                "You haven't had a nudge yet. When you step into a rep's deal, Enabler sends "
                "you a private note here with the rule that noticed it."
            )
        )
    else:
        lines = "\n".join(
            f"• {_linked(type_label(line.type), line.permalink)} — rule `{line.rule}`, "
            f"{line.at_label}" + (" _(you said it was needed)_" if line.justified else "")
            for line in why.lines[:20]
        )
        blocks.append(
            section(
                f"*Your last nudge* ({why.sent_label}): {escape(why.headline)}\n"
                f"{lines or '_Its signals were withdrawn (messages edited or deleted)._'}"
            )
        )
    if why.quiet_since:
        quiet = ", ".join(
            f"{n} × {reason_label(reason)}" for reason, n in sorted(why.quiet_since.items())
        )
        blocks.append(
            context(f"Noticed since without a nudge: {quiet}. They still count in your ledger.")
        )
    state = []
    if not why.enabled:
        state.append("nudges are *off* (`/enabler nudges on` to resume)")
    if why.snoozed_until_label:
        state.append(f"snoozed until {why.snoozed_until_label} (`/enabler snooze off`)")
    if why.muted_channels:
        muted = ", ".join(f"<#{c}>" for c in why.muted_channels[:10])
        state.append(f"muted: {muted} (`/enabler nudges unmute`)")
    blocks.append(
        context(
            ("Right now: " + "; ".join(state) + ". " if state else "") + "Only you can see this."
        )
    )
    return blocks


# --------------------------------------------------------------------------------------------
# App Home


def _share(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)}%"


def _bar(point: WeekPoint) -> str:
    total = point.doing_count + point.enabling_count
    if total == 0:
        return "·"
    enabling = round(8 * point.enabling_count / total)
    return "🟩" * enabling + "🟧" * (8 - enabling)


def _when(at: datetime, tz: str) -> str:
    local = at.astimezone(zone(tz))
    return f"{local:%a} {local.day} {local:%b}"


def own_ledger_blocks(own: NudgesHome) -> list[Block]:
    week = own.week
    blocks: list[Block] = [
        divider(),
        header("Doing vs enabling"),
        section(
            f"*This week:* {week.enabling_count} enabling · {week.doing_count} doing"
            + (f" · {week.justified_count} needed" if week.justified_count else "")
            + f"\nEnabling share: *{_share(week.enabling_share)}*",
            block_id="ledger_week",
        ),
    ]
    trend = "\n".join(
        f"`{p.week_start:%d %b}` {_bar(p)}  {p.enabling_count} enabling · {p.doing_count} doing"
        for p in own.trend
    )
    blocks.append(section(f"*Last {len(own.trend)} weeks* (🟩 enabling, 🟧 doing)\n{trend}"))
    if own.recent:
        lines = []
        for nudge in own.recent:
            status = (
                _ACTION_DONE.get(nudge.first_action or "", "no action yet")
                if nudge.status == "sent"
                else f"not sent: {reason_label(nudge.reason)}"
            )
            lines.append(
                f"• {_when(nudge.at, own.tz)} — "
                f"{_linked(escape(nudge.headline), nudge.permalink)} _({status})_"
            )
        blocks.append(section("*Recent nudges*\n" + "\n".join(lines), block_id="ledger_nudges"))
    state = []
    if not own.enabled:
        state.append("nudges are off")
    if own.snoozed_until is not None:
        state.append(f"snoozed until {_when(own.snoozed_until, own.tz)}")
    if own.muted_count:
        state.append(f"{own.muted_count} channel(s) muted")
    blocks.append(
        context(
            ":lock: Only you see this."
            + (" " + ", ".join(state).capitalize() + "." if state else "")
            + " `/enabler why` explains your last nudge."
        )
    )
    return blocks


def _team_line(team: TeamAggregate) -> str:
    if team.suppressed or team.counts is None:
        size = team.group_size
        who = "1 manager" if size == 1 else f"{size} managers"
        return f"• *{escape(team.team_id)}*: not shown, only {who} (teams of 5 or more are shown)"
    counts = team.counts
    return (
        f"• *{escape(team.team_id)}* ({team.group_size} managers): {counts.enabling} enabling · "
        f"{counts.doing} doing · {counts.justified} needed — {_share(counts.enabling_share)} "
        "enabling"
    )


def team_blocks(team: TeamView) -> list[Block]:
    lines = "\n".join(_team_line(t) for t in team.teams) or "_No first-line managers yet._"
    return [
        divider(),
        header("Teams: doing vs enabling"),
        section(f"*Last {team.days} days*, counts only\n{lines}", block_id="ledger_teams"),
        context(
            "Totals per team of at least 5 managers; never names, messages, nudges or reflections."
        ),
    ]


def home_sections(data: HomeSection | None) -> list[Block]:
    if data is None:
        return []
    blocks: list[Block] = []
    if data.own is not None:
        blocks.extend(own_ledger_blocks(data.own))
    if data.team is not None:
        blocks.extend(team_blocks(data.team))
    return blocks
