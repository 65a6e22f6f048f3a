"""Block Kit for nudges: valid for Slack in every state, buttons that match what was done,
modals that round-trip, `/enabler why` and the App Home ledger."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.devtools.blockkit import validate_message_blocks, validate_view
from bot.domain.scoring import Counts, TeamAggregate, WeekPoint, ledger
from bot.services.ledger import HomeSection, NudgesHome, RecentNudge, TeamView
from bot.services.nudging import CoachForm, Done, NudgeCard, SignalLine, WhyView, deal_name
from bot.slack import ids
from bot.slack.blocks import nudges as blocks

LINK = "https://acme.slack.com/archives/C0ACME/p1772550000000100?thread_ts=1&cid=C0ACME"
CARD = NudgeCard(
    nudge_id=42,
    manager_id="UM1",
    rep_id="UR1",
    rep_name="Jordan",
    channel_id="C0ACME",
    channel_label="#deal-acme",
    signal_type="thread_takeover",
    headline="You took over Jordan's Acme thread",
    reflection="Is it more important that I do the work, or that the work gets done?",
    alternative="Let Jordan lead; you observe and debrief afterwards.",
    questions=("What outcome do you want?", "What's your plan?", "What do you need from me?"),
    permalink=LINK,
    lines=(SignalLine("thread_takeover", "takeover.leave_with_me", LINK, "Tue 3 Mar, 10:00"),),
    rules=(("takeover.leave_with_me", "thread_takeover"),),
)


def _action_ids(blocks_: list[dict[str, Any]]) -> list[str]:
    return [
        element["action_id"]
        for block in blocks_
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _menu(blocks_: list[dict[str, Any]]) -> list[str]:
    """The keys of the "More" menu's options (values are "<key>:<nudge id>")."""
    return [
        option["value"].split(":")[0]
        for block in blocks_
        if block["type"] == "actions"
        for element in block["elements"]
        if element["type"] == "overflow"
        for option in element["options"]
    ]


# Buttons, then the options of the "More" menu (an overflow with action_id ACTION_NUDGE_MORE).
ALL_BUTTONS = [
    ids.ACTION_NUDGE_COACH,
    ids.ACTION_NUDGE_HAND_BACK,
    ids.ACTION_NUDGE_NEEDED,
    ids.ACTION_NUDGE_REFLECT,
    ids.ACTION_NUDGE_DEBRIEF,
    ids.ACTION_NUDGE_SNOOZE_TODAY,
    ids.ACTION_NUDGE_SNOOZE_WEEK,
    ids.ACTION_NUDGE_MUTE,
]
MENU = {ids.ACTION_NUDGE_SNOOZE_TODAY, ids.ACTION_NUDGE_SNOOZE_WEEK, ids.ACTION_NUDGE_MUTE}


@pytest.mark.parametrize(
    ("card", "buttons"),
    [
        (CARD, ALL_BUTTONS),
        # Answered by coaching: the three "answer" buttons go, the rest stay.
        (
            replace(CARD, done=(Done("coach_instead", "You asked Jordan…"),)),
            [b for b in ALL_BUTTONS if b not in ALL_BUTTONS[:3]],
        ),
        (
            replace(CARD, done=(Done("justified", "Noted"), Done("reflect", "Saved"))),
            [b for b in ALL_BUTTONS if b not in ALL_BUTTONS[:4]],
        ),
        (
            replace(CARD, done=(Done("snooze_week", "Snoozed"), Done("mute_channel", "Muted"))),
            ALL_BUTTONS[:5],
        ),
        # No rep known (a reaction on a message we never saw): nothing to post or add to a 1:1.
        (
            replace(CARD, rep_id=None, rep_name="your rep", can_post_in_thread=False),
            [
                ids.ACTION_NUDGE_NEEDED,
                ids.ACTION_NUDGE_REFLECT,
                ids.ACTION_NUDGE_SNOOZE_TODAY,
                ids.ACTION_NUDGE_SNOOZE_WEEK,
                ids.ACTION_NUDGE_MUTE,
            ],
        ),
    ],
)
def test_nudge_message_is_valid_and_offers_what_is_left_to_do(
    card: NudgeCard, buttons: list[str]
) -> None:
    message = blocks.NUDGE_MESSAGES.nudge(card)
    assert message.blocks is not None
    assert validate_message_blocks(message.blocks) == []
    expected_buttons = [b for b in buttons if b not in MENU]
    expected_menu = [b for b in buttons if b in MENU]
    assert _action_ids(message.blocks) == expected_buttons + (
        [ids.ACTION_NUDGE_MORE] if expected_menu else []
    )
    assert _menu(message.blocks) == expected_menu
    values = {
        element.get("value") or option["value"].split(":")[1]
        for block in message.blocks
        if block["type"] == "actions"
        for element in block["elements"]
        for option in (element.get("options") or [{}])
    }
    assert values == {"42"}
    for done in card.done:
        assert done.text in _text(message.blocks)


def test_nudge_says_what_happened_asks_and_offers_an_alternative() -> None:
    message = blocks.NUDGE_MESSAGES.nudge(CARD)
    text = _text(message.blocks)
    assert message.text.startswith("You took over Jordan's Acme thread.")
    assert f"<{LINK}|see the message>" in text
    assert "_Is it more important that I do the work, or that the work gets done?_" in text
    assert "*Try instead:* Let Jordan lead" in text
    assert "• What's your plan?" in text
    assert "*Why?* Rule `takeover.leave_with_me` (thread takeover) in #deal-acme" in text
    assert "Tue 3 Mar, 10:00" in text
    assert "Only you can see this nudge" in text
    assert "Mute #deal-acme" in text


def test_appended_signals_are_listed_and_names_are_escaped() -> None:
    lines = tuple(
        SignalLine("call_join", "call.huddle_join", None, f"Tue 3 Mar, 11:{i:02d}")
        for i in range(12)
    )
    card = replace(
        CARD,
        rep_name="<Jo & Co>",
        lines=CARD.lines + lines,
        later=12,
        rules=(*CARD.rules, ("call.huddle_join", "call_join")),
    )
    message = blocks.NUDGE_MESSAGES.nudge(card)
    assert message.blocks is not None
    assert validate_message_blocks(message.blocks) == []
    text = _text(message.blocks)
    assert "Also since then" in text
    assert "…and 4 more" in text
    assert "call.huddle_join" in text
    # A card only holds its first signals; the count covers all of them.
    assert "…and 49 more" in _text(blocks.NUDGE_MESSAGES.nudge(replace(card, later=57)).blocks)
    mrkdwn = _text([b["text"]["text"] for b in message.blocks if b["type"] == "section"])
    assert "&lt;Jo &amp; Co&gt;" in mrkdwn
    assert "<Jo & Co>" not in mrkdwn, "mrkdwn is escaped (plain_text buttons need not be)"


def test_coach_modal_prefills_editable_questions_and_round_trips() -> None:
    view = blocks.coach_modal(CoachForm(card=CARD, questions=CARD.questions))
    assert validate_view(view) == []
    assert view["callback_id"] == ids.VIEW_NUDGE_COACH
    element = view["blocks"][1]["element"]
    assert element["initial_value"] == "\n".join(CARD.questions)
    submitted = {
        **view,
        "state": {"values": {blocks.COACH_BLOCK: {blocks.COACH_INPUT: {"value": "What's next?"}}}},
    }
    assert blocks.nudge_id_of(submitted) == 42
    assert blocks.coach_value(submitted) == "What's next?"


def test_needed_modal_offers_the_reasons_and_round_trips() -> None:
    view = blocks.needed_modal(CARD)
    assert validate_view(view) == []
    options = view["blocks"][1]["element"]["options"]
    assert [o["value"] for o in options] == [
        "exec_asked",
        "rep_out",
        "teaching",
        "escalation",
        "other",
    ]
    submitted = {
        **view,
        "state": {
            "values": {
                blocks.NEEDED_BLOCK: {
                    blocks.NEEDED_INPUT: {"selected_option": {"value": "rep_out"}}
                },
                blocks.NOTE_BLOCK: {blocks.NOTE_INPUT: {"value": "Jordan was on leave"}},
            }
        },
    }
    assert blocks.needed_values(submitted) == ("rep_out", "Jordan was on leave")
    assert blocks.needed_values({**view, "state": {"values": {}}}) == ("", "")


def test_reflect_modal_is_private_and_round_trips() -> None:
    view = blocks.reflect_modal(CARD)
    assert validate_view(view) == []
    assert "only you will ever see this" in _text(view)
    submitted = {
        **view,
        "state": {"values": {blocks.REFLECT_BLOCK: {blocks.REFLECT_INPUT: {"value": "Hm."}}}},
    }
    assert blocks.reflect_value(submitted) == "Hm."


@pytest.mark.parametrize(
    "metadata", ["", "not json", json.dumps({"nudge": "42"}), json.dumps([1]), "{}"]
)
def test_unreadable_modal_metadata_gives_no_nudge(metadata: str) -> None:
    assert blocks.nudge_id_of({"private_metadata": metadata}) is None


@pytest.mark.parametrize(
    ("why", "expected"),
    [
        (
            WhyView(None, None, (), {}, True, None, ()),
            ["You haven't had a nudge yet"],
        ),
        (
            WhyView(
                CARD.headline,
                "Tue 3 Mar, 10:00",
                (*CARD.lines, replace(CARD.lines[0], justified=True)),
                {"quiet_hours": 2, "channel_muted": 1},
                False,
                "Mon 9 Mar, 00:00",
                ("C0GLOBEX",),
            ),
            [
                "*Your last nudge* (Tue 3 Mar, 10:00): You took over Jordan's Acme thread",
                "rule `takeover.leave_with_me`",
                "(you said it was needed)",
                "1 × channel muted, 2 × quiet hours",
                "nudges are *off*",
                "snoozed until Mon 9 Mar, 00:00",
                "<#C0GLOBEX>",
            ],
        ),
    ],
)
def test_why_blocks(why: WhyView, expected: list[str]) -> None:
    built = blocks.why_blocks(why)
    assert validate_message_blocks(built) == []
    text = _text(built)
    for fragment in expected:
        assert fragment in text


def _week(start: date, doing: int, enabling: int) -> WeekPoint:
    total = doing + enabling
    return WeekPoint(
        start,
        doing,
        float(doing),
        enabling,
        float(enabling),
        0,
        None if not total else enabling / total,
    )


def test_home_ledger_trend_and_recent_nudges() -> None:
    now = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
    week = ledger([], start=now, end=now)
    own = NudgesHome(
        week=week,
        trend=[_week(date(2026, 2, 23), 3, 1), _week(date(2026, 3, 2), 1, 3)],
        recent=[
            RecentNudge(
                1, "You took over Jordan's Acme thread", now, "sent", "ok", "hand_back", LINK
            ),
            RecentNudge(
                2, "You joined Sam's Globex call", now, "suppressed", "quiet_hours", None, None
            ),
        ],
        snoozed_until=now,
        tz="America/New_York",
    )
    built = blocks.home_sections(HomeSection(own=own))
    assert validate_message_blocks(built) == []
    text = _text(built)
    assert "Doing vs enabling" in text
    assert "🟩🟩🟧🟧🟧🟧🟧🟧" in text
    assert "🟩🟩🟩🟩🟩🟩🟧🟧" in text
    assert "(handed back)" in text
    assert "not sent: quiet hours" in text
    assert "Only you see this" in text


def test_home_team_totals_show_counts_only_and_hide_small_teams() -> None:
    team = TeamView(
        days=28,
        teams=[
            TeamAggregate(
                "East", 6, suppressed=False, counts=Counts(doing=4, enabling=12, justified=1)
            ),
            TeamAggregate("West", 2, suppressed=True, counts=None),
        ],
    )
    built = blocks.home_sections(HomeSection(team=team))
    assert validate_message_blocks(built) == []
    text = _text(built)
    assert "*East* (6 managers): 12 enabling · 4 doing · 1 needed — 75% enabling" in text
    assert "*West*: not shown, only 2 managers (teams of 5 or more are shown)" in text
    assert blocks.home_sections(None) == []


@pytest.mark.parametrize(
    ("channel", "deal"),
    [
        ("deal-acme", "Acme"),
        ("deal-acme-renewal", "Acme Renewal"),
        ("deals_globex", "Globex"),
        ("opp-IBM", "IBM"),
        ("general", None),
        (None, None),
    ],
)
def test_deal_names_from_channel_names(channel: str | None, deal: str | None) -> None:
    assert deal_name(channel) == deal
