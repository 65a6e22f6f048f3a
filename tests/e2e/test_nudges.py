"""Nudges end to end over HTTP: takeover message -> nudge DM -> Coach instead -> modal ->
questions posted in the rep's thread -> enabling signal recorded -> ledger on App Home.

The real app serves signed requests; the outbox worker sends what the app queued to the Slack
emulator, which rejects anything Slack would (every call and Block Kit payload is checked).
Time is a FixedClock so quiet hours and working days are deterministic.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.clock import FixedClock
from bot.db.rows import InboxEventRow, NudgeActionRow, NudgeRow, SignalRow
from bot.devtools.emulator import Message
from bot.devtools.harness import Harness, wait_for
from bot.services import roster
from bot.slack import ids
from bot.slack.blocks import nudges as nudge_blocks
from tests.e2e.conftest import ROSTER, rostered_harness

MANAGER, REP, SAM, VP = "U0MGR1", "U0REP1", "U0REP2", "U0VP"
TAKEOVER = "Leave it with me, I'll send the contract to their CFO tonight"
# Tuesday 3 March 2026, 10:00 in New York: inside Maya's working hours.
START = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def h(sqlite_url: str, clock: FixedClock) -> Iterator[Harness]:
    with rostered_harness(
        sqlite_url, clock=clock, channels=[("C0ACME", "deal-acme")], deal_pattern="deal-*"
    ) as harness:
        yield harness


def _ts(clock: FixedClock, n: int) -> str:
    return f"{clock.now().timestamp() - 2:.0f}.{n:06d}"


def _post(h: Harness, user: str, text: str, ts: str, *, thread_ts: str | None = None) -> None:
    event: dict[str, Any] = {
        "type": "message",
        "channel": "C0ACME",
        "channel_type": "channel",
        "user": user,
        "text": text,
        "ts": ts,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    assert h.sender.event(event).status_code == 200
    event_id = h.sender.last_event_id

    def processed() -> bool:
        with h.runtime.deps.uow() as tx:
            row = tx.session.get(InboxEventRow, event_id)
            return row is not None and row.processed_at is not None

    wait_for(processed)


def _rows(h: Harness, row_type: Any, **where: Any) -> list[Any]:
    with h.runtime.deps.uow() as tx:
        stmt = select(row_type).order_by(row_type.id)
        for key, value in where.items():
            stmt = stmt.where(getattr(row_type, key) == value)
        rows = list(tx.session.scalars(stmt))
        for row in rows:
            tx.session.expunge(row)
        return rows


def _nudge_dm(h: Harness) -> Message:
    found = [m for m in h.emulator.dm_messages(MANAGER) if "You took over" in m.text]
    assert len(found) == 1, "exactly one nudge DM"
    return found[0]


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _click(h: Harness, message: Message, action_id: str, user: str = MANAGER) -> str:
    """Click; returns the response_url, where ephemeral answers to the clicker go."""
    response_url = h.emulator.new_response_url()
    resp = h.sender.block_action(
        user,
        action_id,
        message=message.to_api(h.team_id),
        channel_id=message.channel,
        response_url=response_url,
    )
    assert resp.status_code == 200
    return response_url


def _choose(h: Harness, message: Message, option_key: str, user: str = MANAGER) -> str:
    """Pick an item of the nudge's "More" menu; returns the response_url."""
    blocks = message.to_api(h.team_id)["blocks"]
    menu = next(
        e
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["type"] == "overflow"
    )
    option = next(o for o in menu["options"] if o["value"].startswith(option_key + ":"))
    response_url = h.emulator.new_response_url()
    resp = h.sender.block_action(
        user,
        ids.ACTION_NUDGE_MORE,
        selected_option=option,
        message=message.to_api(h.team_id),
        channel_id=message.channel,
        response_url=response_url,
    )
    assert resp.status_code == 200
    return response_url


def _home(h: Harness, user_id: str) -> str:
    return _dump(h.open_home(user_id)["blocks"])


def test_takeover_to_coaching_questions_in_the_thread(h: Harness, clock: FixedClock) -> None:
    root = _ts(clock, 100)
    _post(h, REP, "Acme wants 20% off, call with their CFO tomorrow", root)
    _post(h, MANAGER, TAKEOVER, _ts(clock, 200), thread_ts=root)

    # 1. One private DM to Maya, and to nobody else.
    h.runtime.worker.drain()
    dm = _nudge_dm(h)
    text = _dump(dm.to_api(h.team_id))
    assert "You took over Jordan's Acme thread" in text
    assert "Is it more important that I do the work, or that the work gets done?" in text
    assert "takeover.leave_with_me" in text
    for other in (REP, SAM, VP, "U0OPS"):
        assert h.emulator.dm_messages(other) == []
    [nudge] = _rows(h, NudgeRow)
    assert (nudge.status, nudge.manager_id) == ("sent", MANAGER)

    # 2. Coach instead opens a modal with suggested, editable questions.
    _click(h, dm, ids.ACTION_NUDGE_COACH)
    view = wait_for(
        lambda: next(
            (v for v in h.emulator.open_views() if v["callback_id"] == ids.VIEW_NUDGE_COACH),
            None,
        )
    )
    prefilled = view["blocks"][1]["element"]["initial_value"]
    assert len(prefilled.splitlines()) == 3

    # An empty submission is refused next to the field.
    resp = h.sender.view_submission(
        MANAGER,
        view,
        {nudge_blocks.COACH_BLOCK: {nudge_blocks.COACH_INPUT: {"type": "plain_text_input"}}},
    )
    assert resp.json()["response_action"] == "errors"

    questions = "What's your plan for the CFO call?\nWhat would you offer instead of 20%?"
    resp = h.sender.view_submission(
        MANAGER,
        view,
        {
            nudge_blocks.COACH_BLOCK: {
                nudge_blocks.COACH_INPUT: {"type": "plain_text_input", "value": questions}
            }
        },
    )
    assert resp.status_code == 200
    assert not resp.content or "errors" not in resp.json()

    # 3. The questions land in Jordan's thread, attributed to Maya.
    h.runtime.worker.drain()
    thread = h.emulator.thread("C0ACME", root)
    posted = [m for m in thread if m.username == "Maya Patel (via Enabler)"]
    assert len(posted) == 1
    assert posted[0].text.startswith(f"<@{REP}> ")
    assert "• What's your plan for the CFO call?" in posted[0].text
    assert "• What would you offer instead of 20%?" in posted[0].text

    # 4. Recorded as enabling, and the click is remembered.
    [enabling] = _rows(h, SignalRow, kind="enabling")
    assert (enabling.type, enabling.rule, enabling.manager_id, enabling.rep_id) == (
        "coaching_question",
        "nudge.coach_instead",
        MANAGER,
        REP,
    )
    assert [a.action for a in _rows(h, NudgeActionRow)] == ["coach_instead"]

    # 5. The nudge was confirmed in place (chat.update of the same DM, no new DM).
    updates = h.emulator.calls_to("chat.update")
    assert updates, "the nudge DM was edited"
    confirmed = _nudge_dm(h)
    assert confirmed.ts == dm.ts
    assert "counts as enabling" in _dump(confirmed.to_api(h.team_id))
    assert ids.ACTION_NUDGE_COACH not in _dump(confirmed.to_api(h.team_id))

    # 6. App Home shows the ledger: one enabling; one doing moment this week (the takeover
    # message also read as a deal commitment, and is counted once), and the nudge.
    assert len(_rows(h, SignalRow, kind="doing")) == 2
    home = _home(h, MANAGER)
    assert "Doing vs enabling" in home
    assert "*This week:* 1 enabling · 1 doing" in home
    assert "You took over Jordan's Acme thread" in home
    assert "(coached instead)" in home
    # Jordan's home shows none of it.
    assert "Doing vs enabling" not in _home(h, REP)


def test_cool_down_appends_and_buttons_act_in_place(h: Harness, clock: FixedClock) -> None:
    root = _ts(clock, 100)
    _post(h, REP, "Acme wants 20% off", root)
    _post(h, MANAGER, "Leave it with me, I'll handle it", _ts(clock, 200), thread_ts=root)
    h.runtime.worker.drain()
    dm = _nudge_dm(h)

    # A second takeover 30 minutes later edits the same DM instead of sending another.
    clock.advance(timedelta(minutes=30))
    _post(h, MANAGER, "I'll call their CFO myself", _ts(clock, 300), thread_ts=root)
    h.runtime.worker.drain()
    dm = _nudge_dm(h)
    assert "Also since then" in _dump(dm.to_api(h.team_id))

    # Hand back posts in the thread as Maya.
    _click(h, dm, ids.ACTION_NUDGE_HAND_BACK)
    wait_for(lambda: _rows(h, NudgeActionRow))
    h.runtime.worker.drain()
    posted = [m for m in h.emulator.thread("C0ACME", root) if m.username]
    assert [m.text for m in posted] == [
        f"<@{REP}> owns next steps here; I'm available to prep with you."
    ]

    # Someone else clicking Maya's button (a forged payload) is refused and changes nothing.
    refused = _choose(h, _nudge_dm(h), ids.ACTION_NUDGE_MUTE, user=VP)
    answer = wait_for(lambda: h.emulator.responses(refused))
    assert answer[0]["text"] == "Only Maya Patel can act on this nudge."
    # Snooze for this week: confirmed in place.
    _choose(h, _nudge_dm(h), ids.ACTION_NUDGE_SNOOZE_WEEK)
    wait_for(lambda: len(_rows(h, NudgeActionRow)) == 2)
    h.runtime.worker.drain()
    assert "Nudges snoozed until Mon 9 Mar, 00:00" in _dump(_nudge_dm(h).to_api(h.team_id))
    assert [a.action for a in _rows(h, NudgeActionRow)] == ["hand_back", "snooze_week"]

    # While snoozed, a takeover is recorded but not nudged.
    clock.advance(timedelta(hours=5))
    _post(h, MANAGER, "Leave it with me", _ts(clock, 400), thread_ts=root)
    h.runtime.worker.drain()
    assert len([m for m in h.emulator.dm_messages(MANAGER) if "You took over" in m.text]) == 1
    assert [n.reason for n in _rows(h, NudgeRow)] == ["ok", "snoozed"]


def _command(h: Harness, user: str, text: str) -> dict[str, Any]:
    resp = h.sender.command(user, text, channel_id="C0GENERAL")
    assert resp.status_code == 200
    body: dict[str, Any] = resp.json()
    assert body["response_type"] == "ephemeral"
    return body


def test_commands_snooze_nudges_and_why(h: Harness, clock: FixedClock) -> None:
    assert "haven't had a nudge yet" in _dump(_command(h, MANAGER, "why"))
    assert "couldn't read “3x” as a snooze" in _command(h, MANAGER, "snooze 3x")["text"]
    assert "Snoozed until Fri 6 Mar, 10:00" in _command(h, MANAGER, "snooze 3d")["text"]
    assert "Snooze lifted" in _command(h, MANAGER, "snooze off")["text"]
    assert "Nudges are off" in _command(h, MANAGER, "nudges off")["text"]
    assert "didn't understand" in _command(h, MANAGER, "nudges maybe")["text"]

    root = _ts(clock, 100)
    _post(h, REP, "Acme wants 20% off", root)
    _post(h, MANAGER, "Leave it with me, I'll handle it", _ts(clock, 200), thread_ts=root)
    h.runtime.worker.drain()
    assert h.emulator.dm_messages(MANAGER) == [], "nudges are off"
    assert "Nudges are on" in _command(h, MANAGER, "nudges on")["text"]

    clock.advance(timedelta(minutes=5))
    _post(h, MANAGER, "I'll call their CFO myself", _ts(clock, 300), thread_ts=root)
    h.runtime.worker.drain()
    _nudge_dm(h)
    why = _dump(_command(h, MANAGER, "why"))
    assert "You took over Jordan's Acme thread" in why
    assert "takeover.first_person_contact" in why
    assert "https://enabler-demo.slack.com/archives/C0ACME/p" in why
    assert "Noticed since without a nudge" not in why, "the quiet one came before this nudge"

    # Reps don't get nudges; the command says who it is for.
    assert "is for" in _command(h, REP, "why")["text"]


def test_the_running_server_sends_the_nudge_by_itself(sqlite_url: str, clock: FixedClock) -> None:
    """With the timers running (as `enabler serve` does), nobody drains the outbox by hand:
    the hook wakes the worker after the event commits."""
    with Harness(sqlite_url, clock=clock, timers=True, tick_seconds=30) as harness:
        harness.emulator.add_user(MANAGER, name="maya", real_name="Maya Patel")
        harness.emulator.add_user(REP, name="jordan", real_name="Jordan Lee")
        harness.emulator.add_channel("C0ACME", name="deal-acme")
        deps = harness.runtime.deps
        roster.import_roster(
            uow=deps.uow, clock=deps.clock, workspace_id=harness.team_id, csv_text=ROSTER
        )
        roster.add_deal_channel(
            uow=deps.uow, clock=deps.clock, workspace_id=harness.team_id, pattern="deal-*"
        )
        root = _ts(clock, 100)
        _post(harness, REP, "Acme wants 20% off", root)
        _post(harness, MANAGER, TAKEOVER, _ts(clock, 200), thread_ts=root)
        # The tick is 30 s: a DM here came from the wake-up, not from the timer.
        dm = wait_for(lambda: [m for m in harness.emulator.dm_messages(MANAGER) if m.blocks])
        assert "You took over Jordan's Acme thread" in dm[0].text
        assert harness.emulator.problems == []
