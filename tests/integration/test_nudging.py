"""Nudges on SQLite and PostgreSQL: detection's hook deciding send / append / suppress, the
manager's actions on a nudge, the commands, the ledger and the before/after report.

Messages go through the real detection service (rules, thread ownership) with the nudging hook
plugged in as bootstrap does; the DM is rendered by the real Block Kit builders. Each test runs
in a transaction rolled back at the end.
"""

from __future__ import annotations

import itertools
import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import main
from bot.clock import FixedClock
from bot.db import migrate
from bot.db.engine import make_engine, make_session_factory
from bot.db.repositories.core import ChannelRepo, WorkspaceRepo
from bot.db.repositories.schedules import PrefsRepo
from bot.db.rows import (
    DebriefItemRow,
    DeliveryRow,
    NudgeActionRow,
    NudgeRow,
    PersonRow,
    ReflectionRow,
    SignalRow,
)
from bot.db.unit_of_work import UnitOfWork, UnitOfWorkFactory
from bot.domain.permissions import PermissionDenied
from bot.domain.policy import PolicyError
from bot.services import detection, ledger, nudging, roster
from bot.slack.blocks.nudges import SlackNudgeMessages
from tests.integration.conftest import ROSTER

WS = "T0NUDGE"
MESSAGES = SlackNudgeMessages()
# Tuesday 3 March 2026, 10:00 in New York (15:00 UTC).
START = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
TAKEOVER = "Leave it with me, I'll handle it"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def org(uow: UnitOfWorkFactory, clock: FixedClock) -> UnitOfWorkFactory:
    roster.import_roster(uow=uow, clock=clock, workspace_id=WS, csv_text=ROSTER)
    with uow() as tx:
        WorkspaceRepo(tx.session).ensure(WS, now=clock.now(), name="Acme Sales", domain="acme")
        channels = ChannelRepo(tx.session, WS)
        channels.add_pattern("deal-*", now=clock.now(), created_by=None)
        for channel_id, name in (("C0ACME", "deal-acme"), ("C0GLOBEX", "deal-globex")):
            row = channels.upsert(channel_id, now=clock.now(), name=name, bot_is_member=True)
            row.watch_notice_sent_at = clock.now()  # only nudges are queued in these tests
        tx.commit()
    return uow


class Slack:
    """Posts messages through detection with the nudging hook, as the inbox would."""

    def __init__(self, uow: UnitOfWorkFactory, clock: FixedClock) -> None:
        self.uow = uow
        self.clock = clock
        self.outcomes: list[nudging.Outcome] = []
        self._ts = itertools.count(1)

    def _hook(self, tx: UnitOfWork, rows: Any) -> None:
        self.outcomes.extend(nudging.on_signals(tx, rows, now=self.clock.now(), messages=MESSAGES))

    def post(
        self, user: str, text: str, *, thread_ts: str | None = None, channel: str = "C0ACME"
    ) -> str:
        # A message's ts is a moment before the event is processed (Slack stamps it first).
        ts = f"{self.clock.now().timestamp() - 1:.0f}.{next(self._ts):06d}"
        event: dict[str, Any] = {
            "type": "message",
            "channel": channel,
            "channel_type": "channel",
            "user": user,
            "text": text,
            "ts": ts,
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        with self.uow() as tx:
            ctx = detection.Context(
                tx=tx,
                workspace_id=WS,
                now=self.clock.now(),
                store_text=False,
                channel_name=lambda _: None,
                on_signals=self._hook,
            )
            detection.on_message(ctx, event)
            tx.commit()
        return ts

    def takeover(
        self,
        *,
        manager: str = "UM1",
        rep: str = "UR1",
        channel: str = "C0ACME",
        text: str = TAKEOVER,
    ) -> nudging.Outcome:
        root = self.post(rep, "Acme wants 20% off, call with their CFO tomorrow", channel=channel)
        before = len(self.outcomes)
        self.post(manager, text, thread_ts=root, channel=channel)
        assert len(self.outcomes) == before + 1, "one decision per takeover"
        return self.outcomes[-1]


@pytest.fixture
def slack(org: UnitOfWorkFactory, clock: FixedClock) -> Slack:
    return Slack(org, clock)


def _all(uow: UnitOfWorkFactory, row_type: Any, **where: Any) -> list[Any]:
    with uow() as tx:
        stmt = select(row_type).order_by(row_type.id)
        for key, value in where.items():
            stmt = stmt.where(getattr(row_type, key) == value)
        rows = list(tx.session.scalars(stmt))
        for row in rows:
            tx.session.expunge(row)
        return rows


def _payload_text(delivery: DeliveryRow) -> str:
    return json.dumps(delivery.payload)


def _set(uow: UnitOfWorkFactory, clock: FixedClock, user: str, **changes: Any) -> None:
    with uow() as tx:
        prefs = PrefsRepo(tx.session, WS).ensure(user, now=clock.now())
        for key, value in changes.items():
            setattr(prefs, key, value)
        tx.commit()


def _tz(uow: UnitOfWorkFactory, user: str, tz: str) -> None:
    with uow() as tx:
        person = tx.session.get(PersonRow, (WS, user))
        assert person is not None
        person.timezone = tz
        tx.commit()


# --------------------------------------------------------------------------------------------
# Deciding


def test_a_takeover_sends_one_private_dm_to_that_manager_only(
    slack: Slack, org: UnitOfWorkFactory
) -> None:
    outcome = slack.takeover(text="Leave it with me, I'll send the contract to their CFO tonight")
    assert (outcome.action, outcome.reason) == ("send", "ok")
    [nudge] = _all(org, NudgeRow)
    assert (nudge.status, nudge.manager_id, nudge.rep_id) == ("sent", "UM1", "UR1")
    assert nudge.signal_type == "thread_takeover", "the takeover leads, the deliverable explains"
    assert nudge.signal_count == 2
    signals = _all(org, SignalRow, kind="doing")
    assert {s.nudge_id for s in signals} == {nudge.id}
    [dm] = _all(org, DeliveryRow, kind="nudge")
    assert dm.id == nudge.delivery_id
    assert (dm.recipient_user_id, dm.channel_id) == ("UM1", None)
    text = _payload_text(dm)
    assert "You took over Jordan's Acme thread" in text
    assert "Is it more important that I do the work, or that the work gets done?" in text
    assert "Let Jordan lead; you observe and debrief" in text
    assert "takeover.leave_with_me" in text
    assert "deal.commit_deliverable" in text
    assert "https://acme.slack.com/archives/C0ACME/p" in text
    assert dm.expires_at is not None, "a stale nudge is dropped, not sent hours late"
    # Nobody else hears about it: no other message was queued.
    assert [d.kind for d in _all(org, DeliveryRow)] == ["nudge"]


def test_signals_within_the_cool_down_are_added_to_the_open_nudge(
    slack: Slack, org: UnitOfWorkFactory, clock: FixedClock
) -> None:
    first = slack.takeover()
    clock.advance(timedelta(minutes=40))
    second = slack.takeover(rep="UR2", channel="C0GLOBEX", text="I'll call their CFO myself")
    assert (second.action, second.reason) == ("append", "cooldown_append")
    assert second.nudge_id == first.nudge_id
    [nudge] = _all(org, NudgeRow)
    assert nudge.signal_count == 2
    assert nudge.version == 1
    [post] = _all(org, DeliveryRow, operation="post")
    [edit] = _all(org, DeliveryRow, operation="update")
    assert edit.update_of == post.id, "chat.update of the same DM, not a new DM"
    assert "takeover.first_person_contact" in _payload_text(edit)
    assert "Also since then" in _payload_text(edit)

    # After the 4 h cool-down a new nudge goes out.
    clock.advance(timedelta(hours=4))
    assert slack.takeover().action == "send"


def test_a_nudge_with_many_signals_lists_the_first_and_counts_every_one(
    slack: Slack, org: UnitOfWorkFactory, clock: FixedClock
) -> None:
    """A card is redrawn on every append, from a bounded read: its list stops at 8 but the
    count and the Why? line's rules cover every signal, including the last one."""
    first = slack.takeover()
    for i in range(24):
        clock.advance(timedelta(minutes=1))
        slack.takeover(
            text="I'll call their CFO myself" if i < 23 else "Joining your call, I'll lead"
        )
    [nudge] = _all(org, NudgeRow)
    assert nudge.id == first.nudge_id
    assert nudge.signal_count == 25
    edit = _all(org, DeliveryRow, operation="update")[-1]
    text = _payload_text(edit)
    assert "and 16 more" in text  # 24 later moments, 8 listed
    assert "takeover.first_person_contact" in text
    assert "call.joining_now" in text or "call.first_person_join" in text  # the 25th signal


def test_the_daily_cap_counts_sent_nudges_in_the_managers_day(
    slack: Slack, org: UnitOfWorkFactory, clock: FixedClock
) -> None:
    with org() as tx:
        nudging.set_policy(tx, workspace_id=WS, now=clock.now(), values={"cooldown": "1h"})
        tx.commit()
    reasons = []
    for _ in range(3):
        reasons.append(slack.takeover().reason)
        clock.advance(timedelta(hours=1, minutes=1))
    assert reasons == ["ok", "ok", "daily_cap"]
    capped = _all(org, NudgeRow)[-1]
    assert capped.status == "suppressed"
    # The next allowed nudge: 08:30 on Wednesday in New York (13:30 UTC).
    assert capped.retry_at == datetime(2026, 3, 4, 13, 30, tzinfo=UTC)
    # Signals keep counting while nudges are suppressed.
    assert len(_all(org, SignalRow, kind="doing", status="active")) == 3


@pytest.mark.parametrize(
    ("tz", "at", "expected"),
    [
        # 23:30 UTC on Tuesday: 18:30 in New York (quiet), 15:30 in Los Angeles (fine).
        ("America/New_York", datetime(2026, 3, 3, 23, 30, tzinfo=UTC), "quiet_hours"),
        ("America/Los_Angeles", datetime(2026, 3, 3, 23, 30, tzinfo=UTC), "ok"),
        # 07:00 UTC: 08:00 in Berlin (before 08:30), 16:00 in Tokyo (fine).
        ("Europe/Berlin", datetime(2026, 3, 4, 7, 0, tzinfo=UTC), "quiet_hours"),
        ("Asia/Tokyo", datetime(2026, 3, 4, 7, 0, tzinfo=UTC), "ok"),
        # Sunday afternoon in New York.
        ("America/New_York", datetime(2026, 3, 8, 18, 0, tzinfo=UTC), "non_working_day"),
        # The Monday after the US switched to summer time: 08:45 EDT is 12:45 UTC.
        ("America/New_York", datetime(2026, 3, 9, 12, 45, tzinfo=UTC), "ok"),
        ("America/New_York", datetime(2026, 3, 9, 12, 15, tzinfo=UTC), "quiet_hours"),
    ],
)
def test_quiet_hours_and_working_days_are_the_managers_own(
    slack: Slack, org: UnitOfWorkFactory, clock: FixedClock, tz: str, at: datetime, expected: str
) -> None:
    _tz(org, "UM1", tz)
    clock.set(at)
    outcome = slack.takeover()
    assert outcome.reason == expected
    assert outcome.action == ("send" if expected == "ok" else "suppress")
    # Suppressed or not, the signal counts.
    assert len(_all(org, SignalRow, kind="doing", status="active")) == 1


def test_holidays_come_from_the_workspace(
    slack: Slack, org: UnitOfWorkFactory, clock: FixedClock
) -> None:
    with org() as tx:
        ws = WorkspaceRepo(tx.session).get(WS)
        assert ws is not None
        ws.holiday_countries = ["US"]
        tx.commit()
    clock.set(datetime(2026, 1, 19, 15, 0, tzinfo=UTC))  # Martin Luther King Jr. Day, Monday
    outcome = slack.takeover()
    assert (outcome.action, outcome.reason) == ("suppress", "holiday")
    [nudge] = _all(org, NudgeRow)
    assert nudge.detail is not None
    assert "Martin Luther King" in nudge.detail


@pytest.mark.parametrize(
    ("prefs", "reason"),
    [
        ({"nudges_enabled": False}, "opted_out"),
        ({"snoozed_until": START + timedelta(days=1)}, "snoozed"),
        ({"muted_channels": ["C0ACME"]}, "channel_muted"),
        ({"muted_channels": ["C0GLOBEX"]}, "ok"),
        ({"snoozed_until": START - timedelta(minutes=1)}, "ok"),
    ],
)
def test_the_managers_own_wishes(
    slack: Slack, org: UnitOfWorkFactory, clock: FixedClock, prefs: dict[str, Any], reason: str
) -> None:
    _set(org, clock, "UM1", **prefs)
    outcome = slack.takeover()
    assert outcome.reason == reason
    deliveries = _all(org, DeliveryRow, kind="nudge")
    assert len(deliveries) == (1 if reason == "ok" else 0)
    [nudge] = _all(org, NudgeRow)
    assert nudge.status == ("sent" if reason == "ok" else "suppressed")
    assert nudge.reason == reason


def test_enabling_signals_never_nudge_but_count(
    slack: Slack, org: UnitOfWorkFactory, clock: FixedClock
) -> None:
    root = slack.post("UR1", "Acme wants 20% off")
    slack.post("UM1", "What's your plan for the CFO call?", thread_ts=root)
    assert slack.outcomes == []
    assert _all(org, NudgeRow) == []
    with org() as tx:
        home = ledger.manager_ledger(
            tx, workspace_id=WS, manager_id="UM1", viewer_id="UM1", now=clock.now()
        )
    assert home is not None
    assert (home.week.enabling_count, home.week.doing_count) == (1, 0)


def test_caps_and_cool_down_follow_sales_ops_settings(
    slack: Slack, org: UnitOfWorkFactory, clock: FixedClock
) -> None:
    with org() as tx:
        nudging.set_policy(
            tx, workspace_id=WS, now=clock.now(), values={"max_per_day": "1", "cooldown": "0m"}
        )
        nudging.set_policy(
            tx, workspace_id=WS, now=clock.now(), values={"max_per_day": "3"}, manager_id="UM2"
        )
        tx.commit()
    assert slack.takeover().action == "send"
    clock.advance(timedelta(minutes=5))
    assert slack.takeover().reason == "daily_cap"
    # Omar's override lets three through.
    reasons = [
        slack.takeover(manager="UM2", rep="UR3", channel="C0GLOBEX").reason for _ in range(4)
    ]
    assert reasons == ["ok", "ok", "ok", "daily_cap"]
    with org() as tx:
        policy, stored = nudging.show_policy(tx, workspace_id=WS, manager_id="UM2")
    assert (policy.max_per_day, policy.cooldown, stored) == (3, timedelta(0), {"max_per_day": 3})


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"max_per_day": "lots"}, "whole number"),
        ({"max_per_day": "9"}, "can't exceed the weekly cap"),
        ({"quiet_start": "25:00"}, "HH:MM"),
        ({"cooldown": "3x"}, "can't read"),
        ({"opted_out": "true"}, "belong to each manager"),
        ({"holiday_countries": "XX"}, "XX"),
    ],
)
def test_bad_policy_settings_are_refused_and_not_stored(
    org: UnitOfWorkFactory, clock: FixedClock, values: dict[str, str], message: str
) -> None:
    with org() as tx, pytest.raises(PolicyError, match=message):
        nudging.set_policy(tx, workspace_id=WS, now=clock.now(), values=values)


def test_a_rule_justified_often_goes_quiet_for_that_manager(
    slack: Slack, org: UnitOfWorkFactory, clock: FixedClock
) -> None:
    with org() as tx:
        nudging.set_policy(
            tx,
            workspace_id=WS,
            now=clock.now(),
            values={"cooldown": "0m", "max_per_day": "6", "max_per_week": "30"},
        )
        tx.commit()
    reasons = []
    for _ in range(5):
        outcome = slack.takeover()
        reasons.append(outcome.reason)
        if outcome.action == "send":
            nudging.justify(
                uow=org,
                clock=clock,
                messages=MESSAGES,
                workspace_id=WS,
                user_id="UM1",
                nudge_id=outcome.nudge_id,
                reason="exec_asked",
            )
        clock.advance(timedelta(minutes=10))
    # 1.0, 0.8, 0.64, 0.51 still nudge; after four justifications 0.41 < 0.45.
    assert reasons == ["ok", "ok", "ok", "ok", "low_weight"]
    # Another manager is unaffected.
    assert slack.takeover(manager="UM2", rep="UR3").reason == "ok"


# --------------------------------------------------------------------------------------------
# Acting on a nudge


@pytest.fixture
def sent(slack: Slack) -> nudging.Outcome:
    outcome = slack.takeover()
    assert outcome.action == "send"
    return outcome


def _edits(uow: UnitOfWorkFactory) -> list[DeliveryRow]:
    return _all(uow, DeliveryRow, operation="update")


def test_coach_instead_posts_in_the_thread_as_the_manager_and_counts_as_enabling(
    org: UnitOfWorkFactory, clock: FixedClock, sent: nudging.Outcome
) -> None:
    form = nudging.coach_form(uow=org, workspace_id=WS, user_id="UM1", nudge_id=sent.nudge_id)
    assert len(form.questions) == 3
    for _ in range(2):  # a double submit of the same modal posts once
        nudging.coach_instead(
            uow=org,
            clock=clock,
            messages=MESSAGES,
            workspace_id=WS,
            user_id="UM1",
            nudge_id=sent.nudge_id,
            questions_text="- What's your plan for the CFO?\n\n2. What do you need from me?",
            request_key="V123",
        )
    [nudge] = _all(org, NudgeRow)
    [post] = _all(org, DeliveryRow, kind="coach_instead")
    assert (post.channel_id, post.thread_ts) == ("C0ACME", nudge.thread_ts)
    assert post.payload["username"] == "Maya Patel (via Enabler)"
    assert post.payload["text"].startswith("<@UR1> ")
    assert "• What's your plan for the CFO?\n• What do you need from me?" in post.payload["text"]
    [enabling] = _all(org, SignalRow, kind="enabling")
    assert (enabling.type, enabling.rule, enabling.manager_id, enabling.rep_id) == (
        "coaching_question",
        "nudge.coach_instead",
        "UM1",
        "UR1",
    )
    assert nudge.first_action == "coach_instead"
    [action] = _all(org, NudgeActionRow)
    assert action.signal_id == enabling.id
    [edit] = _edits(org)
    assert "counts as enabling" in _payload_text(edit)
    assert "nudge_coach" not in _payload_text(edit), "answered: the big buttons go"


def test_hand_back_justify_reflect_debrief_snooze_and_mute(
    org: UnitOfWorkFactory, clock: FixedClock, sent: nudging.Outcome
) -> None:
    common: dict[str, Any] = {
        "uow": org,
        "clock": clock,
        "messages": MESSAGES,
        "workspace_id": WS,
        "user_id": "UM1",
        "nudge_id": sent.nudge_id,
    }
    assert nudging.hand_back(**common) is True
    assert nudging.hand_back(**common) is False
    [post] = _all(org, DeliveryRow, kind="hand_back")
    assert post.payload["text"] == ("<@UR1> owns next steps here; I'm available to prep with you.")
    assert [s.type for s in _all(org, SignalRow, kind="enabling")] == ["hand_back"]

    with pytest.raises(nudging.NudgeError, match="few words"):
        nudging.justify(**common, reason="other")
    assert nudging.justify(**common, reason="other", note="Their CEO asked for me") == 1
    [doing] = _all(org, SignalRow, kind="doing")
    assert (doing.justified, doing.justification) == (True, "other: Their CEO asked for me")

    reflection_id = nudging.reflect(**common, text="I jumped in because I was anxious.")
    [reflection] = _all(org, ReflectionRow)
    assert (reflection.id, reflection.user_id, reflection.occurrence_id) == (
        reflection_id,
        "UM1",
        None,
    )
    assert reflection.prompt_text.startswith("Is it more important")

    assert nudging.add_to_one_on_one(**common) is True
    [debrief] = _all(org, DebriefItemRow)
    assert (debrief.manager_id, debrief.rep_id) == ("UM1", "UR1")
    assert "Acme" in debrief.text

    until = nudging.snooze_from_nudge(**common, period="this week")
    assert until == datetime(2026, 3, 9, 4, 0, tzinfo=UTC), "Monday 00:00 in New York"
    assert nudging.mute_channel(**common) == "C0ACME"
    with org() as tx:
        prefs = PrefsRepo(tx.session, WS).get("UM1")
        assert prefs is not None
        assert (prefs.snoozed_until, prefs.muted_channels) == (until, ["C0ACME"])

    actions = [a.action for a in _all(org, NudgeActionRow)]
    assert actions == [
        "hand_back",
        "justified",
        "reflect",
        "debrief",
        "snooze_week",
        "mute_channel",
    ]
    [nudge] = _all(org, NudgeRow)
    assert nudge.first_action == "hand_back"
    edits = _edits(org)
    assert len(edits) == len(actions), "each action confirmed in place"
    assert all(e.update_of == nudge.delivery_id for e in edits)
    assert "No more nudges about #deal-acme" in _payload_text(edits[-1])


@pytest.mark.parametrize("intruder", ["UM2", "UVP", "UR1", "UOPS", "USTRANGER"])
def test_only_the_nudged_manager_can_act_on_it(
    org: UnitOfWorkFactory, clock: FixedClock, sent: nudging.Outcome, intruder: str
) -> None:
    with pytest.raises(PermissionDenied):
        nudging.hand_back(
            uow=org,
            clock=clock,
            messages=MESSAGES,
            workspace_id=WS,
            user_id=intruder,
            nudge_id=sent.nudge_id,
        )
    with pytest.raises(PermissionDenied):
        nudging.open_card(uow=org, workspace_id=WS, user_id=intruder, nudge_id=sent.nudge_id)
    assert _all(org, NudgeActionRow) == []
    assert _all(org, DeliveryRow, kind="hand_back") == []


# --------------------------------------------------------------------------------------------
# Commands


@pytest.mark.parametrize(
    ("text", "until"),
    [
        ("3d", datetime(2026, 3, 6, 15, 0, tzinfo=UTC)),
        ("2h", datetime(2026, 3, 3, 17, 0, tzinfo=UTC)),
        ("today", datetime(2026, 3, 4, 5, 0, tzinfo=UTC)),
        ("this week", datetime(2026, 3, 9, 4, 0, tzinfo=UTC)),
        ("off", None),
    ],
)
def test_snooze_command(
    org: UnitOfWorkFactory, clock: FixedClock, text: str, until: datetime | None
) -> None:
    label = nudging.snooze(uow=org, clock=clock, workspace_id=WS, user_id="UM1", text=text)
    assert (label is None) == (until is None)
    with org() as tx:
        prefs = PrefsRepo(tx.session, WS).get("UM1")
        assert prefs is not None
        assert prefs.snoozed_until == until


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("3x", "couldn't read “3x” as a snooze"),
        ("", "For how long?"),
        ("5", "needs a unit"),
        ("400d", "at most 90 days"),
    ],
)
def test_snooze_command_explains_bad_input(
    org: UnitOfWorkFactory, clock: FixedClock, text: str, message: str
) -> None:
    with pytest.raises(nudging.NudgeError, match=message) as info:
        nudging.snooze(uow=org, clock=clock, workspace_id=WS, user_id="UM1", text=text)
    assert "/enabler snooze 2h" in str(info.value)


def test_nudges_off_on_unmute_and_why(
    slack: Slack, org: UnitOfWorkFactory, clock: FixedClock
) -> None:
    empty = nudging.explain_last(uow=org, clock=clock, workspace_id=WS, user_id="UM1")
    assert empty.headline is None
    first = slack.takeover()
    nudging.set_enabled(uow=org, clock=clock, workspace_id=WS, user_id="UM1", enabled=False)
    clock.advance(timedelta(hours=5))
    assert slack.takeover().reason == "opted_out"
    why = nudging.explain_last(uow=org, clock=clock, workspace_id=WS, user_id="UM1")
    assert why.headline == "You took over Jordan's Acme thread"
    assert [(line.type, line.rule) for line in why.lines] == [
        ("thread_takeover", "takeover.leave_with_me")
    ]
    assert why.lines[0].permalink is not None
    assert why.lines[0].at_label == "Tue 3 Mar, 09:59"
    assert why.quiet_since == {"opted_out": 1}
    assert why.enabled is False
    nudging.set_enabled(uow=org, clock=clock, workspace_id=WS, user_id="UM1", enabled=True)
    _set(org, clock, "UM1", muted_channels=["C0ACME", "C0GLOBEX"])
    assert nudging.unmute_all(uow=org, clock=clock, workspace_id=WS, user_id="UM1") == 2
    assert slack.takeover().action == "send"
    assert first.nudge_id != _all(org, NudgeRow)[-1].id
    with pytest.raises(PermissionDenied):
        nudging.explain_last(uow=org, clock=clock, workspace_id=WS, user_id="USTRANGER")


# --------------------------------------------------------------------------------------------
# Measured


def test_report_shows_the_clicked_action_and_doing_before_vs_after(
    slack: Slack, org: UnitOfWorkFactory, clock: FixedClock
) -> None:
    # Three takeovers over the week before...
    for _ in range(3):
        _set(org, clock, "UM1", nudges_enabled=False)  # counted, not nudged
        slack.takeover()
        clock.advance(timedelta(days=2))
    _set(org, clock, "UM1", nudges_enabled=True)
    nudged = slack.takeover()
    assert nudged.action == "send"
    nudging.hand_back(
        uow=org,
        clock=clock,
        messages=MESSAGES,
        workspace_id=WS,
        user_id="UM1",
        nudge_id=nudged.nudge_id,
    )
    # ...and one in the two weeks after.
    clock.advance(timedelta(days=6))
    slack.takeover()
    clock.advance(timedelta(days=20))
    with org() as tx:
        lines = ledger.nudge_report(tx, workspace_id=WS, now=clock.now())
    sent = [line for line in lines if line.nudge_id == nudged.nudge_id]
    assert len(sent) == 1
    line = sent[0]
    assert line.clicked == "hand_back"
    assert line.complete
    assert line.effect["thread_takeover"] == (4, 1)
    totals = ledger.effect_by_type(lines)
    assert totals["thread_takeover"].before >= 4


def test_team_totals_need_five_managers(org: UnitOfWorkFactory, clock: FixedClock) -> None:
    with org() as tx:
        ops = ledger.team_view(tx, workspace_id=WS, viewer_id="UOPS", now=clock.now())
        vp = ledger.team_view(tx, workspace_id=WS, viewer_id="UVP", now=clock.now())
        manager = ledger.team_view(tx, workspace_id=WS, viewer_id="UM1", now=clock.now())
        other = ledger.manager_ledger(
            tx, workspace_id=WS, manager_id="UM1", viewer_id="UVP", now=clock.now()
        )
    assert ops is not None
    assert vp is not None
    assert all(t.suppressed and t.counts is None for t in ops.teams + vp.teams)
    assert manager is None, "a first-line manager sees their own ledger, not team totals"
    assert other is None, "a manager's ledger is theirs alone"


# --------------------------------------------------------------------------------------------
# `enabler nudges` (CLI, against a real SQLite file)


@pytest.fixture
def cli_env(sqlite_url: str, tmp_path: Path) -> dict[str, str]:
    engine = make_engine(sqlite_url)
    migrate.upgrade(engine)
    uow = UnitOfWorkFactory(make_session_factory(engine))
    # The CLI reads the system clock: put the nudge three weeks back so its windows are closed.
    clock = FixedClock(datetime.now(UTC) - timedelta(days=21))
    roster.import_roster(uow=uow, clock=clock, workspace_id=WS, csv_text=ROSTER)
    with uow() as tx:
        WorkspaceRepo(tx.session).ensure(WS, now=clock.now(), domain="acme")
        channels = ChannelRepo(tx.session, WS)
        channels.add_pattern("deal-*", now=clock.now(), created_by=None)
        row = channels.upsert("C0ACME", now=clock.now(), name="deal-acme")
        row.watch_notice_sent_at = clock.now()
        tx.commit()
    slack = Slack(uow, clock)
    # Working hours don't matter here: nudge whenever.
    with uow() as tx:
        nudging.set_policy(
            tx,
            workspace_id=WS,
            now=clock.now(),
            values={"quiet_start": "00:00", "quiet_end": "00:00", "working_days": "mon-sun"},
        )
        tx.commit()
    _set(uow, clock, "UM1", nudges_enabled=False)
    slack.takeover()  # counted, not nudged
    _set(uow, clock, "UM1", nudges_enabled=True)
    clock.advance(timedelta(days=2))
    nudged = slack.takeover()
    assert nudged.action == "send"
    nudging.hand_back(
        uow=uow,
        clock=clock,
        messages=MESSAGES,
        workspace_id=WS,
        user_id="UM1",
        nudge_id=nudged.nudge_id,
    )
    engine.dispose()
    return {"DATABASE_URL": sqlite_url, "SLACK_TEAM_ID": WS, "ENABLER_DATA_DIR": str(tmp_path)}


def test_cli_policy_show_and_set(cli_env: dict[str, str]) -> None:
    runner = CliRunner()
    shown = runner.invoke(main, ["nudges", "policy", "show"], env=cli_env)
    assert shown.exit_code == 0, shown.output
    assert "max_per_day:       2" in shown.stdout
    assert "working_days:      " in shown.stdout
    changed = runner.invoke(
        main, ["nudges", "policy", "set", "max_per_day=3", "cooldown=3h"], env=cli_env
    )
    assert changed.exit_code == 0, changed.output
    assert "max_per_day:       3" in changed.stdout
    assert "cooldown:          3h" in changed.stdout
    override = runner.invoke(
        main, ["nudges", "policy", "set", "max_per_day=1", "--manager", "UM1"], env=cli_env
    )
    assert override.exit_code == 0, override.output
    assert "Nudge policy (manager UM1)" in override.stdout
    assert "max_per_day:       1" in override.stdout
    assert "Set at this level: max_per_day=1" in override.stdout
    bad = runner.invoke(main, ["nudges", "policy", "set", "cooldown=3x"], env=cli_env)
    assert bad.exit_code != 0
    assert "can't read '3x'" in bad.output
    again = runner.invoke(main, ["nudges", "policy", "show"], env=cli_env)
    assert "cooldown:          3h" in again.stdout, "a refused change stores nothing"


def test_cli_report_per_nudge_and_totals(cli_env: dict[str, str]) -> None:
    runner = CliRunner()
    totals = runner.invoke(main, ["nudges", "report"], env=cli_env)
    assert totals.exit_code == 0, totals.output
    assert "1 nudges sent, 1 with an action clicked." in totals.stdout
    assert "First action: hand_back 1" in totals.stdout
    assert "thread_takeover     2 -> 0" in totals.stdout
    assert "UM1" not in totals.stdout, "no per-manager lines without --manager"
    mine = runner.invoke(main, ["nudges", "report", "--manager", "UM1", "--json"], env=cli_env)
    assert mine.exit_code == 0, mine.output
    *nudge_lines, summary = [json.loads(line) for line in mine.stdout.splitlines()]
    assert [(n["clicked"], n["effect"]) for n in nudge_lines] == [
        ("hand_back", {"thread_takeover": {"before": 2, "after": 0}})
    ]
    assert summary["clicked"] == 1


def test_two_transactions_creating_a_managers_preferences_both_succeed(
    committing_uow: UnitOfWorkFactory,
) -> None:
    """Two events about a manager nobody has nudged yet, decided at once: the second creation
    waits for the first and then finds the row (it used to abort on the primary key)."""
    now = START
    with committing_uow() as tx:
        WorkspaceRepo(tx.session).ensure(WS, now=now)
        tx.commit()
    outcome: list[object] = []

    def second() -> None:
        try:
            with committing_uow() as tx:
                outcome.append(PrefsRepo(tx.session, WS).ensure("UM1", now=now).nudges_enabled)
                tx.commit()
        except Exception as exc:  # reported below, not swallowed
            outcome.append(exc)

    with committing_uow() as first:
        PrefsRepo(first.session, WS).ensure("UM1", now=now)  # inserted, not yet committed
        thread = threading.Thread(target=second)
        thread.start()
        thread.join(0.3)  # the second insert is waiting on the first's row (or write lock)
        first.commit()
    thread.join(10)
    assert outcome == [True]
    with committing_uow() as tx:
        assert PrefsRepo(tx.session, WS).get("UM1") is not None
