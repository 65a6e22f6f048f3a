"""Nudges: a manager's doing-signal becomes a private, kind, actionable DM - or, by policy, not.

Two halves:

* :func:`on_signals` is detection's hook (bootstrap wires it as ``deps.on_signals``). It runs
  inside the event's unit of work, so "the signal was recorded", "the nudge was decided" and
  "the DM will be sent" commit together or not at all. It never calls Slack: it queues outbox
  rows and asks for a wake-up after commit, so the worker sends within a second or two.
* The manager's actions on a nudge (Coach instead, Hand back, It was needed, Reflect, Add to the
  next 1:1, Snooze, Mute) and the ``/enabler snooze|nudges|why`` commands. Each one checks
  :mod:`bot.domain.permissions` (nudges are the manager's alone), does something real, records
  which action was clicked, and confirms by editing the nudge DM in place.

Policy (caps, cool-down, quiet hours, working days, holidays, snooze, opt-out, muted channels)
is decided by the pure :func:`bot.domain.policy.decide`; this module only gathers its inputs:
sales ops' defaults (``workspaces.settings["nudges"]``), per-manager overrides and the
manager's own wishes (``person_prefs``), their time zone (``people.timezone``) and the
workspace's holiday countries. One more rule lives here because it needs history: a rule the
manager has often justified ("It was needed") is quietened for them
(:func:`bot.domain.scoring.justified_weight_factor`); when its weight falls below
:data:`MIN_NUDGE_WEIGHT` the nudge is suppressed with reason ``low_weight``. Every suppressed
decision is stored with its reason; the signals keep counting in the ledger either way.

The Block Kit for the DM lives in the Slack layer (bot/slack/blocks/nudges.py), which implements
:class:`NudgeMessages`; services receive it as an argument and never import Slack code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.clock import Clock
from bot.db.repositories.core import ChannelRepo, PeopleRepo, WorkspaceRepo
from bot.db.repositories.nudges import NudgeRepo
from bot.db.repositories.schedules import PrefsRepo, ReflectionRepo
from bot.db.repositories.signals import SignalRepo
from bot.db.rows import (
    NudgeActionRow,
    NudgeRow,
    PersonPrefsRow,
    ReflectionRow,
    SignalRow,
    WorkspaceRow,
)
from bot.db.unit_of_work import UnitOfWork, UnitOfWorkFactory
from bot.domain.calendar import CalendarError, zone
from bot.domain.permissions import Action
from bot.domain.policy import (
    DEFAULT_POLICY,
    Decision,
    NudgePolicy,
    PolicyError,
    decide,
    merge_policy,
    snooze_until,
)
from bot.domain.scoring import justified_weight_factor
from bot.observability import get_logger
from bot.services import one_on_ones, outbox
from bot.services.org import authorize

log = get_logger(__name__)

__all__ = [
    "ACTION_LABELS",
    "DOING_TYPES",
    "MIN_NUDGE_WEIGHT",
    "NEEDED_REASONS",
    "POLICY_KEYS",
    "CoachForm",
    "Done",
    "NudgeCard",
    "NudgeError",
    "NudgeMessages",
    "Outcome",
    "SignalLine",
    "WhyView",
    "add_to_one_on_one",
    "card_for",
    "coach_form",
    "coach_instead",
    "explain_last",
    "hand_back",
    "justify",
    "make_hook",
    "mute_channel",
    "on_signals",
    "open_card",
    "policy_for",
    "reflect",
    "reflection_question",
    "set_enabled",
    "set_policy",
    "show_policy",
    "snooze",
    "snooze_from_nudge",
    "unmute_all",
]

#: A nudge is not sent for signals whose effective weight (rule weight x the manager's
#: justified factor) is below this. Rule weights are 0.6-1.0, and the factor is 0.8 per
#: justification of that rule in the last :data:`JUSTIFIED_WINDOW`: a full-weight rule still
#: nudges after three "It was needed" (0.51) and goes quiet at the fourth (0.41); the weakest
#: rule (out-posting, 0.6) goes quiet at the second. The signals still count in the ledger.
MIN_NUDGE_WEIGHT = 0.45
JUSTIFIED_WINDOW = timedelta(days=90)
#: A nudge about a moment that happened a while ago reads as surveillance, not coaching: if the
#: outbox cannot send it within this long (Slack down, worker stopped) it is dropped.
NUDGE_FRESHNESS = timedelta(hours=1)
#: decide() wants the sent nudges of at least the last 8 days (for the weekly cap).
_CAP_LOOKBACK = timedelta(days=8)

DOING_TYPES = ("thread_takeover", "deal_commitment", "call_join", "thread_close")
# Which signal opens the nudge when one message fired several: the takeover is what the
# manager will recognise ("you took over the thread"), the deliverable explains it.
_PRIORITY = {t: i for i, t in enumerate(DOING_TYPES)}

#: Keys sales ops may set (workspace defaults, or per manager). Snooze, opt-out and muted
#: channels are the manager's own and are changed only by the manager.
POLICY_KEYS = (
    "max_per_day",
    "max_per_week",
    "cooldown",
    "quiet_start",
    "quiet_end",
    "working_days",
    "holiday_countries",
)

NEEDED_REASONS: Mapping[str, str] = {
    "exec_asked": "An exec asked for me",
    "rep_out": "The rep was out",
    "teaching": "Teaching by demonstration",
    "escalation": "Customer escalation",
    "other": "Other",
}

ACTION_LABELS: Mapping[str, str] = {
    "coach_instead": "Coach instead",
    "hand_back": "Hand back",
    "justified": "It was needed",
    "reflect": "Reflect",
    "debrief": "Add to next 1:1",
    "snooze_today": "Snooze today",
    "snooze_week": "Snooze this week",
    "mute_channel": "Mute channel",
}

MAX_COACHING_CHARS = 2500
MAX_NOTE_CHARS = 250
MAX_REFLECTION_CHARS = 3000


class NudgeError(Exception):
    """Something the manager can act on; the message is shown to them as-is."""


# --------------------------------------------------------------------------------------------
# The playbook: copy per signal type. Warm, specific, never a verdict.


@dataclass(frozen=True)
class _Play:
    verb: str  # "took over" -> "You took over Jordan's Acme thread"
    noun: str  # thread | call
    reflection: str
    alternative: str
    questions: tuple[str, ...]


_DO_OR_DONE = "Is it more important that I do the work, or that the work gets done?"

_PLAYBOOK: Mapping[str, _Play] = {
    "thread_takeover": _Play(
        verb="took over",
        noun="thread",
        reflection=_DO_OR_DONE,
        alternative="Let {rep} lead; you observe and debrief afterwards.",
        questions=(
            "What outcome do you want from the next conversation with them?",
            "What's your plan for the next step, and where could it go wrong?",
            "What would help you most from me before you go in?",
        ),
    ),
    "deal_commitment": _Play(
        verb="took on the work in",
        noun="thread",
        reflection="What would it take for {rep} to own this deliverable next time?",
        alternative="Ask {rep} to draft it; you review before it goes out.",
        questions=(
            "What would you propose here, and why?",
            "What does the customer care about most in this deal?",
            "Want to draft it and walk me through it before it goes out?",
        ),
    ),
    "call_join": _Play(
        verb="joined",
        noun="call",
        reflection="If {rep} had run this call alone, what would they have learned?",
        alternative="Next call, let {rep} run it; join on mute and debrief after.",
        questions=(
            "What do you want to walk away with from this call?",
            "Where do you expect pushback, and how will you handle it?",
            "Would it help if I listened in and gave you feedback afterwards?",
        ),
    ),
    "thread_close": _Play(
        verb="closed out",
        noun="thread",
        reflection=_DO_OR_DONE,
        alternative="Ask {rep} to close the loop with the customer and share what they learned.",
        questions=(
            "How will you confirm with the customer that this is resolved?",
            "What did you learn from this one that you'd reuse?",
            "Is there anything still open that we haven't seen?",
        ),
    ),
}
_DEFAULT_PLAY = _PLAYBOOK["thread_takeover"]


def _play(signal_type: str) -> _Play:
    return _PLAYBOOK.get(signal_type, _DEFAULT_PLAY)


def reflection_question(signal_type: str, rep_name: str) -> str:
    return _play(signal_type).reflection.format(rep=rep_name)


_DEAL_PREFIX = re.compile(r"^(?:deals?|opps?|opportunity|acct|account)[-_](.+)$", re.IGNORECASE)


def deal_name(channel_name: str | None) -> str | None:
    """deal-acme -> Acme; deal-acme-renewal -> Acme Renewal; general -> None."""
    if not channel_name:
        return None
    match = _DEAL_PREFIX.match(channel_name.lstrip("#"))
    if not match:
        return None
    words = [w for w in re.split(r"[-_]+", match.group(1)) if w]
    return " ".join(w if w.isupper() else w.capitalize() for w in words) or None


def _first_name(name: str | None) -> str | None:
    return name.split()[0] if name and name.split() else None


# --------------------------------------------------------------------------------------------
# What the DM shows (plain data; the Slack layer renders it)


@dataclass(frozen=True)
class SignalLine:
    type: str
    rule: str
    permalink: str | None
    at_label: str  # in the manager's time zone: "Tue 3 Mar, 10:02"
    justified: bool = False


@dataclass(frozen=True)
class Done:
    """An action already taken on the nudge, for the in-place confirmation."""

    action: str
    text: str


@dataclass(frozen=True)
class NudgeCard:
    nudge_id: int
    manager_id: str
    rep_id: str | None
    rep_name: str  # "Jordan", or "your rep" when the rep is unknown
    channel_id: str
    channel_label: str  # "#deal-acme" or a mention Slack renders
    signal_type: str
    headline: str  # "You took over Jordan's Acme thread"
    reflection: str
    alternative: str
    questions: tuple[str, ...]
    permalink: str | None
    lines: tuple[SignalLine, ...]  # the first 20 signals, oldest first
    later: int = 0  # how many signals came after the headline message's
    rules: tuple[tuple[str, str], ...] = ()  # (rule, type) of every signal
    done: tuple[Done, ...] = ()
    can_post_in_thread: bool = True

    def did(self, action: str) -> bool:
        return any(d.action == action for d in self.done)

    @property
    def resolved(self) -> bool:
        """Coach instead, hand back or "it was needed": the nudge has been answered."""
        return any(d.action in ("coach_instead", "hand_back", "justified") for d in self.done)


class NudgeMessages(Protocol):
    """Builds the nudge DM; implemented by the Slack layer's Block Kit builders."""

    def nudge(self, card: NudgeCard) -> outbox.Message: ...


def _at_label(at: datetime, tz: str) -> str:
    local = at.astimezone(zone(tz))
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"


def _tz(person_tz: str | None) -> str:
    """The manager's IANA zone (from their Slack profile via the roster), UTC if unknown."""
    if person_tz:
        try:
            zone(person_tz)
        except CalendarError:
            return "UTC"
        return person_tz
    return "UTC"


def card_for(tx: UnitOfWork, nudge: NudgeRow) -> NudgeCard:
    ws = nudge.workspace_id
    people = PeopleRepo(tx.session, ws)
    repo = NudgeRepo(tx.session, ws)
    manager = people.get(nudge.manager_id)
    tz = _tz(manager.timezone if manager else None)
    rep = people.get(nudge.rep_id) if nudge.rep_id else None
    rep_name = _first_name(rep.name if rep else None)
    channel = ChannelRepo(tx.session, ws).get(nudge.channel_id)
    channel_name = channel.name if channel is not None and channel.name else None
    channel_label = f"#{channel_name}" if channel_name else f"<#{nudge.channel_id}>"
    deal = deal_name(channel_name)
    play = _play(nudge.signal_type)
    owner = f"{rep_name}'s" if rep_name else "a rep's"
    where = f"{deal} {play.noun}" if deal else f"{play.noun} in {channel_label}"
    headline = f"You {play.verb} {owner} {where}"
    who = rep_name or "your rep"
    facts = repo.card_facts(nudge.id)
    lines = tuple(
        SignalLine(s.type, s.rule, s.permalink, _at_label(s.occurred_at, tz), s.justified)
        for s in facts.lines
    )
    done = tuple(
        Done(a.action, _done_text(a, who, channel_label, tz)) for a in repo.actions_of(nudge.id)
    )
    return NudgeCard(
        nudge_id=nudge.id,
        manager_id=nudge.manager_id,
        rep_id=nudge.rep_id,
        rep_name=who,
        channel_id=nudge.channel_id,
        channel_label=channel_label,
        signal_type=nudge.signal_type,
        headline=headline,
        reflection=play.reflection.format(rep=who),
        alternative=play.alternative.format(rep=who),
        questions=play.questions,
        permalink=nudge.permalink,
        lines=lines,
        later=facts.later,
        rules=tuple(sorted(facts.rules)),
        done=done,
        can_post_in_thread=bool(nudge.rep_id and nudge.thread_ts),
    )


def _done_text(action: NudgeActionRow, rep: str, channel: str, tz: str) -> str:
    detail = action.detail or ""
    if action.action == "coach_instead":
        return f"You asked {rep} your coaching questions in the thread. That counts as enabling."
    if action.action == "hand_back":
        return f"You handed the thread back to {rep}. That counts as enabling."
    if action.action == "justified":
        code, _, _note = detail.partition(":")
        label = NEEDED_REASONS.get(code, "Other").lower()
        return f"Noted as needed ({label}). Thanks for the context - it tunes future nudges."
    if action.action == "reflect":
        return "Reflection saved. Only you can see it."
    if action.action == "debrief":
        return f"Added to {rep}'s next 1:1 agenda."
    if action.action in ("snooze_today", "snooze_week"):
        try:
            until = _at_label(datetime.fromisoformat(detail), tz)
        except ValueError:
            until = "later"
        return f"Nudges snoozed until {until}. Signals still count in your ledger."
    if action.action == "mute_channel":
        return (
            f"No more nudges about {channel}. `/enabler nudges unmute` brings them back; "
            "signals there still count in your ledger."
        )
    return ACTION_LABELS.get(action.action, action.action)


# --------------------------------------------------------------------------------------------
# Policy inputs


def _layer(value: object) -> Mapping[str, object] | None:
    return value if isinstance(value, Mapping) and value else None


def policy_for(ws: WorkspaceRow | None, prefs: PersonPrefsRow | None) -> NudgePolicy:
    """Defaults <- workspace holidays <- sales ops' defaults <- per-manager overrides, then the
    manager's own snooze, opt-out and muted channels."""
    layers: list[Mapping[str, object] | None] = []
    if ws is not None:
        layers.append({"holiday_countries": list(ws.holiday_countries or [])})
        layers.append(_layer((ws.settings or {}).get("nudges")))
    if prefs is not None:
        layers.append(_layer(prefs.policy_overrides))
    try:
        policy = merge_policy(DEFAULT_POLICY, *layers)
    except PolicyError as exc:
        # Stored settings are validated when set; if they are bad anyway (a hand edit), nudge
        # with the defaults rather than not at all, and say so in the log.
        log.warning("nudge_policy_invalid", error=str(exc))
        policy = DEFAULT_POLICY
    if prefs is None:
        return policy
    return replace(
        policy,
        snoozed_until=prefs.snoozed_until,
        opted_out=not prefs.nudges_enabled,
        muted_channels=frozenset(prefs.muted_channels or []),
    )


# --------------------------------------------------------------------------------------------
# Deciding (detection's hook)


@dataclass(frozen=True)
class Outcome:
    """What happened to one manager's new doing-signals."""

    manager_id: str
    action: str  # send | append | suppress
    reason: str
    nudge_id: int
    signal_ids: tuple[int, ...]


OnSignals = Callable[[UnitOfWork, Sequence[SignalRow]], None]


def make_hook(
    *,
    clock: Clock,
    messages: NudgeMessages,
    wake: Callable[[], object],
    observe: Callable[[Outcome], None] | None = None,
) -> OnSignals:
    """The function detection calls with newly active signals (bootstrap wires it)."""

    def hook(tx: UnitOfWork, rows: Sequence[SignalRow]) -> None:
        # In a savepoint: should deciding fail (a bug, a bad stored setting), the signals are
        # still recorded and the event still counts once; only the nudge is lost, and logged.
        try:
            with tx.session.begin_nested():
                outcomes = on_signals(tx, rows, now=clock.now(), messages=messages)
        except Exception:
            log.exception("nudge_decision_failed", signals=[r.id for r in rows])
            return
        if any(o.action in ("send", "append") for o in outcomes):
            tx.after_commit(wake)
        if observe is not None and outcomes:
            tx.after_commit(lambda: [observe(o) for o in outcomes])

    return hook


def on_signals(
    tx: UnitOfWork, rows: Sequence[SignalRow], *, now: datetime, messages: NudgeMessages
) -> list[Outcome]:
    """Decide, per manager, what the new doing-signals become. Enabling signals never nudge
    (they count in the ledger). Signals already reported in a nudge (an edit re-activating one)
    are not reported again."""
    by_manager: dict[tuple[str, str], list[SignalRow]] = {}
    for row in rows:
        if row.kind != "doing" or row.status != "active" or row.nudge_id is not None:
            continue
        by_manager.setdefault((row.workspace_id, row.manager_id), []).append(row)
    outcomes: list[Outcome] = []
    for (workspace_id, manager_id), signals in by_manager.items():
        outcome = _decide_for(tx, workspace_id, manager_id, signals, now, messages)
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes


def _effective_weight(repo: NudgeRepo, signal: SignalRow, now: datetime) -> float:
    justified = repo.justified_count(signal.manager_id, signal.rule, now - JUSTIFIED_WINDOW)
    return signal.weight * justified_weight_factor(justified)


def _decide_for(
    tx: UnitOfWork,
    workspace_id: str,
    manager_id: str,
    signals: list[SignalRow],
    now: datetime,
    messages: NudgeMessages,
) -> Outcome | None:
    manager = PeopleRepo(tx.session, workspace_id).get(manager_id)
    if manager is None or not manager.active:
        return None  # only people on the roster are nudged
    repo = NudgeRepo(tx.session, workspace_id)
    prefs = repo.lock_manager(manager_id)
    if prefs is None:  # first nudge decision for this manager: create the row, then lock it
        PrefsRepo(tx.session, workspace_id).ensure(manager_id, now=now)
        prefs = repo.lock_manager(manager_id)
        assert prefs is not None
    ws = WorkspaceRepo(tx.session).get(workspace_id)
    policy = policy_for(ws, prefs)
    tz = _tz(manager.timezone)
    lead = min(signals, key=lambda s: (_PRIORITY.get(s.type, 99), -s.weight, s.id))
    # Sent nudges of the cap window, newest first. The newest is also the one a signal may be
    # appended to: the cool-down (at most 7 days) is shorter than the window (8 days).
    sent = repo.sent_since(manager_id, now - _CAP_LOOKBACK)
    decision = decide(
        policy,
        now=now,
        manager_tz=tz,
        recent_nudges=[at for _, at in sent],
        last_nudge_at=sent[0][1] if sent else None,
        signal_channel_id=lead.channel_id,
    )
    last = repo.get(sent[0][0]) if sent and decision.action == "append" else None
    ids = tuple(s.id for s in signals)
    if decision.action == "append" and last is not None and last.delivery_id is not None:
        for signal in signals:
            signal.nudge_id = last.id
        last.signal_count += len(signals)
        last.updated_at = now
        _refresh(tx, last, messages, now)  # flushes the lines above with its version bump
        return Outcome(manager_id, "append", decision.reason, last.id, ids)
    if decision.action == "send":
        weight = max(_effective_weight(repo, s, now) for s in signals)
        if weight < MIN_NUDGE_WEIGHT:
            decision = Decision(
                "suppress",
                "ok",
                None,
                f"effective weight {weight:.2f} < {MIN_NUDGE_WEIGHT} after justifications",
            )
            reason = "low_weight"
        else:
            reason = "ok"
    else:
        reason = decision.reason
    nudge = repo.add(
        NudgeRow(
            workspace_id=workspace_id,
            manager_id=manager_id,
            status="sent" if decision.action == "send" else "suppressed",
            reason=reason,
            detail=decision.detail,
            retry_at=decision.retry_at,
            signal_type=lead.type,
            rule=lead.rule,
            rep_id=lead.rep_id,
            channel_id=lead.channel_id,
            thread_ts=lead.thread_ts or lead.message_ts,
            permalink=lead.permalink,
            signal_count=len(signals),
            version=0,
            created_at=now,
            updated_at=now,
        )
    )
    for signal in signals:
        signal.nudge_id = nudge.id
    tx.flush()
    if decision.action != "send":
        return Outcome(manager_id, "suppress", reason, nudge.id, ids)
    nudge.delivery_id = outbox.post(
        tx,
        workspace_id=workspace_id,
        kind="nudge",
        dedupe_key=f"nudge:{nudge.id}",
        message=messages.nudge(card_for(tx, nudge)),
        now=now,
        to_user=manager_id,
        expires_at=now + NUDGE_FRESHNESS,
    )
    return Outcome(manager_id, "send", reason, nudge.id, ids)


def _refresh(tx: UnitOfWork, nudge: NudgeRow, messages: NudgeMessages, now: datetime) -> None:
    """Queue an in-place edit showing the nudge as it is now (signals added, actions taken)."""
    if nudge.status != "sent" or nudge.delivery_id is None:
        return
    nudge.version += 1
    nudge.updated_at = now
    # One UPDATE of the nudge for the caller's changes and the version together; the card
    # below reads the flushed state.
    tx.flush()
    outbox.update(
        tx,
        workspace_id=nudge.workspace_id,
        kind="nudge_update",
        dedupe_key=f"nudge:{nudge.id}:v{nudge.version}",
        of_delivery=nudge.delivery_id,
        message=messages.nudge(card_for(tx, nudge)),
        now=now,
    )


# --------------------------------------------------------------------------------------------
# Acting on a nudge


def _owned(tx: UnitOfWork, workspace_id: str, actor_id: str, nudge_id: int) -> NudgeRow:
    nudge = NudgeRepo(tx.session, workspace_id).get(nudge_id, lock=True)
    if nudge is None:
        raise NudgeError("This nudge is no longer available. Nothing else is needed from you.")
    # Nudges are private to the manager they are about (self-only in permissions).
    authorize(
        tx,
        workspace_id,
        actor_id=actor_id,
        action=Action.ACT_ON_NUDGE,
        subject_id=nudge.manager_id,
    )
    return nudge


def _record(
    tx: UnitOfWork,
    nudge: NudgeRow,
    action: str,
    now: datetime,
    *,
    detail: str | None = None,
    reflection_id: int | None = None,
    signal_id: int | None = None,
) -> None:
    NudgeRepo(tx.session, nudge.workspace_id).add_action(
        NudgeActionRow(
            workspace_id=nudge.workspace_id,
            nudge_id=nudge.id,
            manager_id=nudge.manager_id,
            action=action,
            detail=detail,
            reflection_id=reflection_id,
            signal_id=signal_id,
            created_at=now,
        )
    )
    if nudge.first_action is None:
        nudge.first_action, nudge.first_action_at = action, now
    nudge.updated_at = now


def _log(
    tx: UnitOfWork,
    nudge: NudgeRow,
    messages: NudgeMessages,
    action: str,
    now: datetime,
    *,
    once: bool = False,
    detail: str | None = None,
    reflection_id: int | None = None,
    signal_id: int | None = None,
) -> None:
    """Record what the manager did and show it on the nudge. ``once``: a repeat of an action
    already recorded (a double click, or doing it again) changes nothing."""
    if once and action in _actions(tx, nudge):
        return
    _record(tx, nudge, action, now, detail=detail, reflection_id=reflection_id, signal_id=signal_id)
    _refresh(tx, nudge, messages, now)


def _actions(tx: UnitOfWork, nudge: NudgeRow) -> set[str]:
    return {a.action for a in NudgeRepo(tx.session, nudge.workspace_id).actions_of(nudge.id)}


def _manager_label(tx: UnitOfWork, workspace_id: str, user_id: str) -> str:
    person = PeopleRepo(tx.session, workspace_id).get(user_id)
    return person.name if person is not None and person.name else "Your manager"


def _thread_target(nudge: NudgeRow) -> tuple[str, str]:
    if not nudge.rep_id or not nudge.thread_ts:
        raise NudgeError(
            "I can't tell which rep's thread this was, so I can't post there for you. "
            "You could reply in the thread yourself - the link is in the nudge."
        )
    return nudge.channel_id, nudge.thread_ts


def _say_in_thread(
    tx: UnitOfWork,
    nudge: NudgeRow,
    *,
    user_id: str,
    kind: str,
    key: str,
    text: str,
    signal_type: str,
    rule: str,
    now: datetime,
) -> tuple[int | None, SignalRow]:
    """Post ``text`` in the rep's thread under the manager's name and count it as an enabling
    signal. ``key`` makes a repeat post once and record one signal. Returns the delivery id
    (None when it was queued before) and the signal."""
    channel, thread_ts = _thread_target(nudge)
    manager = _manager_label(tx, nudge.workspace_id, user_id)
    posted = outbox.post(
        tx,
        workspace_id=nudge.workspace_id,
        kind=kind,
        dedupe_key=key[:200],
        message=outbox.Message(text=text, username=f"{manager} (via Enabler)"),
        now=now,
        channel=channel,
        thread_ts=thread_ts,
    )
    signal = _enabling_signal(tx, nudge, type_=signal_type, rule=rule, source_key=key, now=now)
    return posted, signal


def _enabling_signal(
    tx: UnitOfWork, nudge: NudgeRow, *, type_: str, rule: str, source_key: str, now: datetime
) -> SignalRow:
    repo = SignalRepo(tx.session, nudge.workspace_id)
    existing = [s for s in repo.by_source(source_key) if s.type == type_]
    if existing:
        return existing[0]
    return repo.add(
        SignalRow(
            workspace_id=nudge.workspace_id,
            type=type_,
            kind="enabling",
            rule=rule,
            weight=1.0,
            manager_id=nudge.manager_id,
            rep_id=nudge.rep_id,
            channel_id=nudge.channel_id,
            message_ts=nudge.thread_ts or "",
            thread_ts=nudge.thread_ts,
            permalink=nudge.permalink,
            source_key=source_key[:120],
            span_length=0,
            text=None,
            status="active",
            justified=False,
            occurred_at=now,
            created_at=now,
        )
    )


@dataclass(frozen=True)
class CoachForm:
    """What the Coach instead modal starts from."""

    card: NudgeCard
    questions: tuple[str, ...]


def open_card(
    *, uow: UnitOfWorkFactory, workspace_id: str, user_id: str, nudge_id: int
) -> NudgeCard:
    """The nudge as its manager sees it (for the It was needed / Reflect modals)."""
    with uow() as tx:
        return card_for(tx, _owned(tx, workspace_id, user_id, nudge_id))


def coach_form(
    *, uow: UnitOfWorkFactory, workspace_id: str, user_id: str, nudge_id: int
) -> CoachForm:
    with uow() as tx:
        nudge = _owned(tx, workspace_id, user_id, nudge_id)
        _thread_target(nudge)
        card = card_for(tx, nudge)
    return CoachForm(card=card, questions=card.questions)


def _clean_questions(text: str) -> list[str]:
    lines = [re.sub(r"^\s*(?:[-*•]|\d+[.)])\s*", "", line).strip() for line in text.splitlines()]
    return [line for line in lines if line]


def coach_instead(
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    messages: NudgeMessages,
    workspace_id: str,
    user_id: str,
    nudge_id: int,
    questions_text: str,
    request_key: str,
) -> int:
    """Post the manager's coaching questions in the rep's thread, attributed to the manager,
    record an enabling signal, confirm in place. Returns the enabling signal's id.

    ``request_key`` (the modal's view id) makes a double submit post once.
    """
    questions = _clean_questions(questions_text)
    if not questions:
        raise NudgeError("Add at least one question for your rep.")
    if len(questions_text) > MAX_COACHING_CHARS or len(questions) > 10:
        raise NudgeError("Keep it to a few questions (at most 10, under 2,500 characters).")
    now = clock.now()
    with uow() as tx:
        nudge = _owned(tx, workspace_id, user_id, nudge_id)
        body = "\n".join(f"• {q}" for q in questions)
        posted, signal = _say_in_thread(
            tx,
            nudge,
            user_id=user_id,
            kind="coach_instead",
            key=f"nudge:{nudge.id}:coach:{request_key}",
            text=f"<@{nudge.rep_id}> a few questions to think through before the next step:"
            f"\n{body}",
            signal_type="coaching_question",
            rule="nudge.coach_instead",
            now=now,
        )
        if posted is not None:
            _log(tx, nudge, messages, "coach_instead", now, signal_id=signal.id)
        tx.commit()
        return signal.id


def hand_back(
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    messages: NudgeMessages,
    workspace_id: str,
    user_id: str,
    nudge_id: int,
) -> bool:
    """Post "@rep owns next steps here" in the thread as the manager; False if done before."""
    now = clock.now()
    with uow() as tx:
        nudge = _owned(tx, workspace_id, user_id, nudge_id)
        _thread_target(nudge)  # no thread to post in: say so, even if it was done before
        if "hand_back" in _actions(tx, nudge):
            return False
        _, signal = _say_in_thread(
            tx,
            nudge,
            user_id=user_id,
            kind="hand_back",
            key=f"nudge:{nudge.id}:hand_back",
            text=f"<@{nudge.rep_id}> owns next steps here; I'm available to prep with you.",
            signal_type="hand_back",
            rule="nudge.hand_back",
            now=now,
        )
        _log(tx, nudge, messages, "hand_back", now, signal_id=signal.id)
        tx.commit()
    return True


def justify(
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    messages: NudgeMessages,
    workspace_id: str,
    user_id: str,
    nudge_id: int,
    reason: str,
    note: str = "",
) -> int:
    """ "It was needed": mark the nudge's signals justified with the reason. Justified signals
    leave the doing side of the ledger, show in the digest, and - repeated for one rule - quieten
    that rule for this manager. Returns how many signals were marked."""
    if reason not in NEEDED_REASONS:
        raise NudgeError("Pick one of the reasons.")
    note = " ".join(note.split())
    if reason == "other" and not note:
        raise NudgeError("Add a few words about what made it needed.")
    if len(note) > MAX_NOTE_CHARS:
        raise NudgeError(f"Please keep the note under {MAX_NOTE_CHARS} characters.")
    justification = f"{reason}: {note}" if note else reason
    now = clock.now()
    with uow() as tx:
        nudge = _owned(tx, workspace_id, user_id, nudge_id)
        marked = 0
        for signal in NudgeRepo(tx.session, workspace_id).signals_of(nudge.id):
            if signal.kind == "doing" and signal.status == "active":
                signal.justified, signal.justification = True, justification[:300]
                marked += 1
        _log(tx, nudge, messages, "justified", now, detail=justification[:300])
        tx.commit()
    return marked


def reflect(
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    messages: NudgeMessages,
    workspace_id: str,
    user_id: str,
    nudge_id: int,
    text: str,
) -> int:
    """Save a private reflection written from the nudge (only its author ever sees it)."""
    body = (text or "").strip()
    if not body:
        raise NudgeError("Write a sentence or two, or close this window.")
    if len(body) > MAX_REFLECTION_CHARS:
        raise NudgeError(f"Please keep it under {MAX_REFLECTION_CHARS} characters.")
    now = clock.now()
    with uow() as tx:
        nudge = _owned(tx, workspace_id, user_id, nudge_id)
        authorize(
            tx, workspace_id, actor_id=user_id, action=Action.WRITE_REFLECTION, subject_id=user_id
        )
        card = card_for(tx, nudge)
        row = ReflectionRepo(tx.session, workspace_id).add(
            ReflectionRow(
                workspace_id=workspace_id,
                user_id=user_id,
                occurrence_id=None,
                prompt_id=f"nudge:{nudge.signal_type}",
                prompt_text=card.reflection,
                text=body,
                status="answered",
                created_at=now,
                updated_at=now,
            )
        )
        _log(tx, nudge, messages, "reflect", now, reflection_id=row.id)
        tx.commit()
        return row.id


def add_to_one_on_one(
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    messages: NudgeMessages,
    workspace_id: str,
    user_id: str,
    nudge_id: int,
) -> bool:
    """Put a debrief of this deal on the rep's next 1:1 agenda. False if it was there already."""
    now = clock.now()
    with uow() as tx:
        nudge = _owned(tx, workspace_id, user_id, nudge_id)
        if not nudge.rep_id:
            raise NudgeError("I don't know whose deal this was, so I can't add it to a 1:1.")
        channel = ChannelRepo(tx.session, workspace_id).get(nudge.channel_id)
        name = channel.name if channel is not None and channel.name else ""
        topic = deal_name(name) or (
            f"The #{name} thread: what would you do next time?"
            if name
            else "The deal thread I stepped into: what would you do next time?"
        )
        added = one_on_ones.add_debrief_item(
            tx, workspace_id, nudge.manager_id, nudge.rep_id, topic, now=now
        )
        _log(tx, nudge, messages, "debrief", now, once=True)
        tx.commit()
    return added is not None


def _prefs_for_self(
    tx: UnitOfWork, workspace_id: str, user_id: str, action: Action, now: datetime
) -> PersonPrefsRow:
    authorize(tx, workspace_id, actor_id=user_id, action=action, subject_id=user_id)
    WorkspaceRepo(tx.session).ensure(workspace_id, now=now)
    return PrefsRepo(tx.session, workspace_id).ensure(user_id, now=now)


def _manager_tz(tx: UnitOfWork, workspace_id: str, user_id: str) -> str:
    person = PeopleRepo(tx.session, workspace_id).get(user_id)
    return _tz(person.timezone if person else None)


def snooze_from_nudge(
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    messages: NudgeMessages,
    workspace_id: str,
    user_id: str,
    nudge_id: int,
    period: str,
) -> datetime:
    """Snooze button: "today" or "this week", ending at the manager's local midnight."""
    if period not in ("today", "this week"):
        raise NudgeError("Snooze for today or for this week.")
    now = clock.now()
    with uow() as tx:
        nudge = _owned(tx, workspace_id, user_id, nudge_id)
        prefs = _prefs_for_self(tx, workspace_id, user_id, Action.SNOOZE_NUDGES, now)
        until = snooze_until(period, now=now, tz=_manager_tz(tx, workspace_id, user_id))
        prefs.snoozed_until, prefs.updated_at = until, now
        action = "snooze_today" if period == "today" else "snooze_week"
        _log(tx, nudge, messages, action, now, detail=until.isoformat())
        tx.commit()
    return until


def mute_channel(
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    messages: NudgeMessages,
    workspace_id: str,
    user_id: str,
    nudge_id: int,
) -> str:
    """No more nudges about the nudge's channel, for this manager. Returns the channel id."""
    now = clock.now()
    with uow() as tx:
        nudge = _owned(tx, workspace_id, user_id, nudge_id)
        prefs = _prefs_for_self(tx, workspace_id, user_id, Action.MUTE_CHANNEL, now)
        muted = list(prefs.muted_channels or [])
        if nudge.channel_id not in muted:
            prefs.muted_channels = [*muted, nudge.channel_id]
            prefs.updated_at = now
        _log(tx, nudge, messages, "mute_channel", now, once=True, detail=nudge.channel_id)
        tx.commit()
    return nudge.channel_id


# --------------------------------------------------------------------------------------------
# /enabler snooze | nudges off|on|unmute | why


_SNOOZE_HELP = (
    "Try `/enabler snooze 2h`, `3d`, `1w`, `today` or `this week`; `/enabler snooze off` ends "
    "a snooze."
)


def snooze(
    *, uow: UnitOfWorkFactory, clock: Clock, workspace_id: str, user_id: str, text: str
) -> str | None:
    """`/enabler snooze <when>`: pause nudges (and reflection prompts) until the returned local
    time ("Mon 9 Mar, 00:00"). None: the snooze was lifted."""
    phrase = " ".join((text or "").lower().split())
    if not phrase:
        raise NudgeError(f"For how long? {_SNOOZE_HELP}")
    now = clock.now()
    with uow() as tx:
        prefs = _prefs_for_self(tx, workspace_id, user_id, Action.SNOOZE_NUDGES, now)
        if phrase in ("off", "stop", "end", "clear", "none", "cancel", "resume"):
            until: datetime | None = None
        else:
            try:
                until = snooze_until(phrase, now=now, tz=_manager_tz(tx, workspace_id, user_id))
            except PolicyError as exc:
                raise NudgeError(
                    f"I couldn't read “{text.strip()[:40]}” as a snooze ({exc}). {_SNOOZE_HELP}"
                ) from None
        prefs.snoozed_until, prefs.updated_at = until, now
        label = None if until is None else _at_label(until, _manager_tz(tx, workspace_id, user_id))
        tx.commit()
    return label


def set_enabled(
    *, uow: UnitOfWorkFactory, clock: Clock, workspace_id: str, user_id: str, enabled: bool
) -> None:
    """`/enabler nudges off|on`. Off stops nudges; signals still count in the manager's ledger."""
    now = clock.now()
    with uow() as tx:
        prefs = _prefs_for_self(tx, workspace_id, user_id, Action.SET_NUDGES_ENABLED, now)
        prefs.nudges_enabled, prefs.updated_at = enabled, now
        tx.commit()


def unmute_all(*, uow: UnitOfWorkFactory, clock: Clock, workspace_id: str, user_id: str) -> int:
    """`/enabler nudges unmute`: nudges about every channel again. Returns how many were muted."""
    now = clock.now()
    with uow() as tx:
        prefs = _prefs_for_self(tx, workspace_id, user_id, Action.MUTE_CHANNEL, now)
        count = len(prefs.muted_channels or [])
        prefs.muted_channels, prefs.updated_at = [], now
        tx.commit()
    return count


@dataclass(frozen=True)
class WhyView:
    """`/enabler why`: the last nudge's signals, and what happened quietly since."""

    headline: str | None
    sent_label: str | None
    lines: tuple[SignalLine, ...]
    # reason code -> how many decisions were suppressed with it since the last nudge
    quiet_since: Mapping[str, int]
    enabled: bool
    snoozed_until_label: str | None
    muted_channels: tuple[str, ...]


def explain_last(
    *, uow: UnitOfWorkFactory, clock: Clock, workspace_id: str, user_id: str
) -> WhyView:
    now = clock.now()
    with uow() as tx:
        authorize(
            tx, workspace_id, actor_id=user_id, action=Action.EXPLAIN_SIGNAL, subject_id=user_id
        )
        repo = NudgeRepo(tx.session, workspace_id)
        tz = _manager_tz(tx, workspace_id, user_id)
        last = repo.last(user_id)
        quiet: dict[str, int] = {}
        for row in repo.recent(
            manager_id=user_id,
            since=last.created_at if last else now - timedelta(days=14),
            statuses=("suppressed",),
        ):
            quiet[row.reason] = quiet.get(row.reason, 0) + 1
        prefs = PrefsRepo(tx.session, workspace_id).get(user_id)
        snoozed = (
            _at_label(prefs.snoozed_until, tz)
            if prefs is not None and prefs.snoozed_until and prefs.snoozed_until > now
            else None
        )
        card = card_for(tx, last) if last is not None else None
    return WhyView(
        headline=card.headline if card else None,
        sent_label=_at_label(last.created_at, tz) if last else None,
        lines=card.lines if card else (),
        quiet_since=quiet,
        enabled=prefs.nudges_enabled if prefs is not None else True,
        snoozed_until_label=snoozed,
        muted_channels=tuple(prefs.muted_channels or []) if prefs is not None else (),
    )


# --------------------------------------------------------------------------------------------
# Sales ops: workspace defaults and per-manager overrides


def _cli_value(key: str, raw: object) -> object:
    if not isinstance(raw, str):
        return raw
    text = raw.strip()
    if text.lower() in ("", "none", "default", "inherit"):
        return None
    if key in ("max_per_day", "max_per_week"):
        try:
            return int(text)
        except ValueError:
            raise PolicyError(f"{key} must be a whole number, got {text!r}") from None
    if key == "holiday_countries":
        return [c.strip().upper() for c in text.split(",") if c.strip()]
    return text


def show_policy(
    tx: UnitOfWork, *, workspace_id: str, manager_id: str | None = None
) -> tuple[NudgePolicy, dict[str, Any]]:
    """The effective policy (for a manager: including their overrides and own settings) and
    the stored layer being shown (workspace defaults, or that manager's overrides)."""
    ws = WorkspaceRepo(tx.session).get(workspace_id)
    if manager_id is None:
        stored = dict((ws.settings or {}).get("nudges") or {}) if ws else {}
        return policy_for(ws, None), stored
    prefs = PrefsRepo(tx.session, workspace_id).get(manager_id)
    return policy_for(ws, prefs), dict(prefs.policy_overrides or {}) if prefs else {}


def set_policy(
    tx: UnitOfWork,
    *,
    workspace_id: str,
    now: datetime,
    values: Mapping[str, object],
    manager_id: str | None = None,
    reset: bool = False,
) -> NudgePolicy:
    """Change sales ops' defaults, or one manager's overrides (``manager_id``). A value of
    "default" removes the key (inherit). Everything is validated before anything is stored;
    PolicyError names the problem."""
    unknown = sorted(set(values) - set(POLICY_KEYS))
    if unknown:
        raise PolicyError(
            f"can't set {', '.join(unknown)} here; settable: {', '.join(POLICY_KEYS)}"
            + (
                " (snooze, opt-out and muted channels belong to each manager)"
                if set(unknown) & {"snoozed_until", "opted_out", "muted_channels"}
                else ""
            )
        )
    ws = WorkspaceRepo(tx.session).ensure(workspace_id, now=now)
    prefs: PersonPrefsRow | None = None
    if manager_id is not None:
        person = PeopleRepo(tx.session, workspace_id).get(manager_id)
        if person is None:
            raise PolicyError(f"{manager_id} is not on the roster")
        prefs = PrefsRepo(tx.session, workspace_id).ensure(manager_id, now=now)
        current = {} if reset else dict(prefs.policy_overrides or {})
    else:
        current = {} if reset else dict((ws.settings or {}).get("nudges") or {})
    for key, raw in values.items():
        value = _cli_value(key, raw)
        if value is None:
            current.pop(key, None)
        else:
            current[key] = value
    merge_policy(DEFAULT_POLICY, current)  # validates each value on its own ...
    if prefs is not None:
        prefs.policy_overrides, prefs.updated_at = current, now
    else:
        settings = dict(ws.settings or {})
        if current:
            settings["nudges"] = current
        else:
            settings.pop("nudges", None)
        ws.settings, ws.updated_at = settings, now
    tx.flush()
    # ... and together with the other layers (a daily cap above an inherited weekly cap).
    merge_policy(
        DEFAULT_POLICY,
        {"holiday_countries": list(ws.holiday_countries or [])},
        _layer((ws.settings or {}).get("nudges")),
        _layer(prefs.policy_overrides) if prefs else None,
    )
    return policy_for(ws, prefs)
