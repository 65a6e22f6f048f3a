"""Detection over HTTP: Slack events in, signals recorded once, explainably, privately."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from bot.db.rows import InboxEventRow, SignalRow
from bot.devtools.harness import Harness, wait_for
from bot.services import roster

TAKEOVER = "Leave it with me, I'll send the contract to their CFO tonight"


@pytest.fixture
def deal(harness: Harness) -> Harness:
    deps = harness.runtime.deps
    roster.add_deal_channel(
        uow=deps.uow, clock=deps.clock, workspace_id=harness.team_id, pattern="deal-*"
    )
    return harness


def _post(
    h: Harness,
    user: str,
    text: str,
    ts: str,
    *,
    thread_ts: str | None = None,
    channel: str = "C0ACME",
    channel_type: str = "channel",
) -> None:
    event = {
        "type": "message",
        "channel": channel,
        "channel_type": channel_type,
        "user": user,
        "text": text,
        "ts": ts,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    assert h.sender.event(event).status_code == 200
    _await_processed(h)


def _await_processed(h: Harness) -> None:
    event_id = h.sender.last_event_id

    def done() -> bool:
        with h.runtime.deps.uow() as tx:
            row = tx.session.get(InboxEventRow, event_id)
            return row is not None and row.processed_at is not None

    wait_for(done)


def _signals(h: Harness, **where: object) -> list[SignalRow]:
    with h.runtime.deps.uow() as tx:
        stmt = select(SignalRow).order_by(SignalRow.id)
        for key, value in where.items():
            stmt = stmt.where(getattr(SignalRow, key) == value)
        return list(tx.session.scalars(stmt))


def _active(h: Harness) -> list[tuple[str, str]]:
    return [(s.type, s.kind) for s in _signals(h, status="active")]


def test_takeover_in_a_reps_thread_is_recorded_once_with_a_link_and_no_text(deal: Harness) -> None:
    _post(deal, "U0REP1", "Acme wants 20% off, call with their CFO tomorrow", "1700000000.000100")
    _post(deal, "U0MGR1", TAKEOVER, "1700000100.000200", thread_ts="1700000000.000100")
    signals = _signals(deal, status="active")
    assert {(s.type, s.kind) for s in signals} == {
        ("thread_takeover", "doing"),
        ("deal_commitment", "doing"),
    }
    takeover = next(s for s in signals if s.type == "thread_takeover")
    assert (takeover.manager_id, takeover.rep_id, takeover.channel_id) == (
        "U0MGR1",
        "U0REP1",
        "C0ACME",
    )
    assert takeover.rule == "takeover.leave_with_me"
    assert takeover.permalink == (
        "https://enabler-demo.slack.com/archives/C0ACME/p1700000100000200"
        "?thread_ts=1700000000.000100&cid=C0ACME"
    )
    assert takeover.text is None, "message text is not stored by default"
    assert takeover.span_length > 0

    # Slack retries the same delivery: nothing new.
    event = {
        "type": "message",
        "channel": "C0ACME",
        "channel_type": "channel",
        "user": "U0MGR1",
        "text": TAKEOVER,
        "ts": "1700000100.000200",
        "thread_ts": "1700000000.000100",
    }
    deal.sender.event(event, event_id=deal.sender.last_event_id, retry_num=1)
    assert len(_signals(deal)) == 2

    # The channel was told, once, that Enabler watches it.
    deal.runtime.worker.drain()
    notices = [m for m in deal.emulator.messages("C0ACME") if "Enabler is now watching" in m.text]
    assert len(notices) == 1


@pytest.mark.parametrize(
    ("author", "root_author", "channel", "channel_type"),
    [
        ("U0REP2", "U0REP1", "C0ACME", "channel"),  # a rep saying it
        ("U0MGR1", "U0MGR1", "C0ACME", "channel"),  # the manager's own thread
        ("U0MGR1", "U0REP1", "C0GENERAL", "channel"),  # not a deal channel
        ("U0MGR1", "U0REP1", "D0DM", "im"),  # a DM
    ],
)
def test_not_doing_outside_a_managers_move_in_a_reps_deal(
    deal: Harness, author: str, root_author: str, channel: str, channel_type: str
) -> None:
    _post(
        deal,
        root_author,
        "Acme pricing thread",
        "1700000000.000100",
        channel=channel,
        channel_type=channel_type,
    )
    _post(
        deal,
        author,
        TAKEOVER,
        "1700000100.000200",
        thread_ts="1700000000.000100",
        channel=channel,
        channel_type=channel_type,
    )
    assert _active(deal) == []


def test_edit_re_evaluates_and_delete_withdraws(deal: Harness) -> None:
    _post(deal, "U0REP1", "Acme thread", "1700000000.000100")
    _post(deal, "U0MGR1", TAKEOVER, "1700000100.000200", thread_ts="1700000000.000100")
    assert len(_active(deal)) == 2
    deal.sender.event(
        {
            "type": "message",
            "subtype": "message_changed",
            "channel": "C0ACME",
            "channel_type": "channel",
            "hidden": True,
            "ts": "1700000200.000300",
            "message": {
                "type": "message",
                "user": "U0MGR1",
                "text": "Happy to help if you want?",
                "ts": "1700000100.000200",
                "thread_ts": "1700000000.000100",
            },
            "previous_message": {
                "type": "message",
                "user": "U0MGR1",
                "text": TAKEOVER,
                "ts": "1700000100.000200",
            },
        }
    )
    _await_processed(deal)
    assert _active(deal) == []

    _post(
        deal,
        "U0MGR1",
        "What do you think their CFO needs to hear before Friday?",
        "1700000300.000400",
        thread_ts="1700000000.000100",
    )
    assert _active(deal) == [("coaching_question", "enabling")]
    deal.sender.event(
        {
            "type": "message",
            "subtype": "message_deleted",
            "channel": "C0ACME",
            "channel_type": "channel",
            "hidden": True,
            "deleted_ts": "1700000300.000400",
            "ts": "1700000400.000500",
        }
    )
    _await_processed(deal)
    assert _active(deal) == []


def test_reply_before_root_resolves_when_the_root_arrives(deal: Harness) -> None:
    _post(deal, "U0MGR1", TAKEOVER, "1700000100.000200", thread_ts="1700000000.000100")
    assert [s.status for s in _signals(deal)] == ["pending_owner", "pending_owner"]
    _post(deal, "U0REP1", "Acme wants 20% off", "1700000000.000100")
    signals = _signals(deal, status="active")
    assert len(signals) == 2
    assert {s.rep_id for s in signals} == {"U0REP1"}


def test_closing_reaction_on_a_reps_root(deal: Harness) -> None:
    _post(deal, "U0REP1", "Acme: can we agree the final price?", "1700000000.000100")
    deal.sender.event(
        {
            "type": "reaction_added",
            "user": "U0MGR1",
            "reaction": "white_check_mark",
            "item_user": "U0REP1",
            "item": {"type": "message", "channel": "C0ACME", "ts": "1700000000.000100"},
            "event_ts": "1700000050.000100",
        }
    )
    _await_processed(deal)
    assert _active(deal) == [("thread_close", "doing")]
    deal.sender.event(
        {
            "type": "reaction_removed",
            "user": "U0MGR1",
            "reaction": "white_check_mark",
            "item_user": "U0REP1",
            "item": {"type": "message", "channel": "C0ACME", "ts": "1700000000.000100"},
            "event_ts": "1700000060.000100",
        }
    )
    _await_processed(deal)
    assert _active(deal) == []


def test_manager_joining_a_reps_huddle(deal: Harness) -> None:
    room = {"id": "R0HUDDLE", "created_by": "U0REP1", "participants": ["U0REP1"]}
    deal.sender.event(
        {
            "type": "message",
            "subtype": "huddle_thread",
            "channel": "C0ACME",
            "channel_type": "channel",
            "user": "U0REP1",
            "text": "",
            "ts": "1700000000.000100",
            "room": room,
        }
    )
    _await_processed(deal)
    joined = {**room, "participants": ["U0REP1", "U0MGR1"]}
    deal.sender.event(
        {
            "type": "message",
            "subtype": "message_changed",
            "channel": "C0ACME",
            "channel_type": "channel",
            "hidden": True,
            "ts": "1700000060.000100",
            "message": {
                "type": "message",
                "subtype": "huddle_thread",
                "user": "U0REP1",
                "ts": "1700000000.000100",
                "room": joined,
            },
            "previous_message": {
                "type": "message",
                "subtype": "huddle_thread",
                "user": "U0REP1",
                "ts": "1700000000.000100",
                "room": room,
            },
        }
    )
    _await_processed(deal)
    signals = _signals(deal, status="active")
    assert [(s.type, s.manager_id, s.rep_id) for s in signals] == [
        ("call_join", "U0MGR1", "U0REP1")
    ]


def test_bot_and_own_messages_are_ignored(deal: Harness) -> None:
    _post(deal, "U0REP1", "Acme thread", "1700000000.000100")
    deal.sender.event(
        {
            "type": "message",
            "subtype": "bot_message",
            "bot_id": "B0OTHER",
            "channel": "C0ACME",
            "channel_type": "channel",
            "text": TAKEOVER,
            "ts": "1700000100.000200",
            "thread_ts": "1700000000.000100",
        }
    )
    _await_processed(deal)
    assert _active(deal) == []


def test_sales_ops_try_the_live_rules_from_slack(harness: Harness) -> None:
    """`/enabler rules test …`: acked at once (a workspace's rules may take seconds to compile
    after a change), answered on the response_url; sales ops only; bad flags explained."""
    from bot.services import detection

    def rules_test(user: str, text: str) -> list[dict[str, Any]]:
        url = harness.emulator.new_response_url()
        resp = harness.sender.command(user, f"rules test {text}", response_url=url)
        assert (resp.status_code, resp.content) == (200, b"")  # an empty ack; the answer follows
        return wait_for(lambda: harness.emulator.responses(url) or None)

    [answer] = rules_test("U0OPS", '"Leave it with me, I\'ll call their CFO"')
    assert answer["response_type"] == "ephemeral"
    assert "*thread_takeover* (doing) — rule `takeover." in json.dumps(answer, ensure_ascii=False)
    [quiet] = rules_test("U0OPS", '"Leave it with me" --author-role rep')
    assert "No signal" in json.dumps(quiet)
    [bad] = rules_test("U0OPS", '"Leave it with me" --author-role boss')
    assert "`boss` is not a role" in bad["text"]

    # A workspace's own phrasing is live for its rules test (and for detection).
    deps = harness.runtime.deps
    with deps.uow() as tx:
        detection.set_rule_overrides(
            tx,
            workspace_id=harness.team_id,
            overrides={"rules": {"takeover.leave_with_me": {"add_phrases": ["bagsy this one"]}}},
            now=deps.clock.now(),
        )
        tx.commit()
    [own] = rules_test("U0OPS", '"bagsy this one"')
    assert "takeover.leave_with_me" in json.dumps(own)

    refused = harness.sender.command("U0MGR1", 'rules test "Leave it with me"').json()
    assert "is for sales ops" in refused["text"]


def test_storing_text_is_opt_in(sqlite_url: str) -> None:
    from tests.e2e.conftest import ROSTER

    with Harness(sqlite_url, store_message_text=True) as h:
        h.emulator.add_channel("C0ACME", name="deal-acme")
        deps = h.runtime.deps
        roster.import_roster(
            uow=deps.uow, clock=deps.clock, workspace_id=h.team_id, csv_text=ROSTER
        )
        roster.add_deal_channel(
            uow=deps.uow, clock=deps.clock, workspace_id=h.team_id, pattern="C0ACME"
        )
        _post(h, "U0REP1", "Acme", "1700000000.000100")
        _post(h, "U0MGR1", TAKEOVER, "1700000100.000200", thread_ts="1700000000.000100")
        assert {s.text for s in _signals(h)} == {TAKEOVER}
