"""A manager answers, skips or postpones a reflection prompt; their reflections stay theirs.

Every message goes through the outbox. The Block Kit for the prompt DM lives in the Slack
layer (bot/slack/blocks/reflection.py), which implements `PromptMessages`; services receive it
as an argument so they never import Slack code.

Button values carry "<occurrence id>|<outbox key of the message clicked>", so the confirmation
edits exactly the message the person clicked (the prompt, its follow-up, or a "later" copy),
and a second click on the same message enqueues nothing new (the outbox keys are derived from
it deterministically).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from bot.clock import Clock
from bot.db.repositories.core import WorkspaceRepo
from bot.db.repositories.schedules import (
    OccurrenceRepo,
    PrefsRepo,
    ReflectionRepo,
    ScheduleRepo,
)
from bot.db.rows import PromptOccurrenceRow, ReflectionRow
from bot.db.unit_of_work import UnitOfWork, UnitOfWorkFactory
from bot.domain.calendar import zone
from bot.services import outbox

__all__ = [
    "MAX_LATER",
    "MAX_REFLECTION_CHARS",
    "Closed",
    "PastReflection",
    "PromptCard",
    "PromptMessages",
    "ReflectionError",
    "answer",
    "button_value",
    "looks_out_of_office",
    "open_prompt",
    "parse_button_value",
    "past_reflections",
    "remind_later",
    "set_snooze",
    "skip",
]

MAX_REFLECTION_CHARS = 3000
#: "Remind me in 2 hours" at most this many times per prompt; then answer or skip.
MAX_LATER = 3
LATER_DELAY = timedelta(hours=2)
#: A postponed prompt that could not go out within this long after its time is dropped.
LATER_GRACE = timedelta(hours=2)

Closed = Literal["answered", "skipped", "later", "gone"]
CardKind = Literal["prompt", "followup", "later"]


class ReflectionError(Exception):
    """Something the person can act on; the message is shown to them as-is."""


@dataclass(frozen=True)
class PromptCard:
    """What a prompt DM shows. `message_key` is the outbox key of the message it goes in."""

    occurrence_id: int
    message_key: str
    prompt_text: str
    schedule_name: str
    kind: CardKind = "prompt"
    # For "later": the local time the prompt came back, e.g. "11:30".
    note: str | None = None


class PromptMessages(Protocol):
    """Builds the DMs; implemented by the Slack layer's Block Kit builders."""

    def prompt(self, card: PromptCard) -> outbox.Message: ...

    def closed(self, card: PromptCard, outcome: Closed, detail: str | None) -> outbox.Message: ...


def button_value(occurrence_id: int, message_key: str) -> str:
    return f"{occurrence_id}|{message_key}"


def parse_button_value(value: str) -> tuple[int, str]:
    occurrence, _, key = (value or "").partition("|")
    if not occurrence.isdigit() or not key:
        raise ReflectionError(
            "That button is from an older version of Enabler; it no longer works."
        )
    return int(occurrence), key


# --------------------------------------------------------------------------------------------
# out of office


_OOO_EMOJI = frozenset(
    {
        ":palm_tree:",
        ":airplane:",
        ":desert_island:",
        ":beach_with_umbrella:",
        ":face_with_thermometer:",
        ":thermometer:",
        ":sick:",
        ":baby:",
    }
)
_OOO_TEXT = re.compile(
    r"\b(out of (the )?office|ooo|oof|pto|vacation(ing)?|on (holiday|leave|vacation)|"
    r"(annual|parental|maternity|paternity|sick) leave|out sick|off sick|off work)\b",
    re.IGNORECASE,
)


def looks_out_of_office(status_text: str, status_emoji: str) -> bool:
    """Slack's own away statuses (🌴 Vacationing, 🤒 Out sick) and the usual phrasings."""
    if status_emoji.strip().lower() in _OOO_EMOJI:
        return True
    return bool(_OOO_TEXT.search(status_text or ""))


# --------------------------------------------------------------------------------------------
# answering


def _owned(
    tx: UnitOfWork, workspace_id: str, user_id: str, occurrence_id: int
) -> PromptOccurrenceRow:
    occurrence = OccurrenceRepo(tx.session, workspace_id).lock(occurrence_id)
    if occurrence is None:
        raise ReflectionError(
            "This prompt is no longer available: its schedule was removed. "
            "Nothing else is needed from you."
        )
    if occurrence.user_id != user_id:
        # Reflections are private to their author (permissions: WRITE_REFLECTION is self-only).
        raise ReflectionError("You can only answer reflection prompts sent to you.")
    return occurrence


def _card(tx: UnitOfWork, occurrence: PromptOccurrenceRow, message_key: str) -> PromptCard:
    schedule = ScheduleRepo(tx.session, occurrence.workspace_id).get(occurrence.schedule_id)
    kind: CardKind = "prompt"
    if ":later" in message_key:
        kind = "later"
    elif message_key.startswith("prompt-followup:"):
        kind = "followup"
    return PromptCard(
        occurrence_id=occurrence.id,
        message_key=message_key,
        prompt_text=occurrence.prompt_text or "",
        schedule_name=schedule.name if schedule is not None else "Reflection",
        kind=kind,
    )


@dataclass(frozen=True)
class OpenPrompt:
    card: PromptCard
    previous_text: str | None


def open_prompt(
    *, uow: UnitOfWorkFactory, workspace_id: str, user_id: str, occurrence_id: int, message_key: str
) -> OpenPrompt:
    """What the reflection modal shows (and the earlier answer, to edit it)."""
    with uow() as tx:
        occurrence = _owned(tx, workspace_id, user_id, occurrence_id)
        existing = ReflectionRepo(tx.session, workspace_id).by_occurrence(occurrence.id)
        card = _card(tx, occurrence, message_key)
    previous = existing.text if existing is not None and existing.status == "answered" else None
    return OpenPrompt(card=card, previous_text=previous)


def _close(
    tx: UnitOfWork,
    *,
    messages: PromptMessages,
    occurrence: PromptOccurrenceRow,
    message_key: str,
    outcome: Closed,
    detail: str | None,
    now: datetime,
) -> None:
    """Edit the clicked message in place; the outbox key makes a double click one edit."""
    clicked = outbox.by_key(tx, workspace_id=occurrence.workspace_id, dedupe_key=message_key)
    if clicked is None or clicked.status != "sent":
        return
    outbox.update(
        tx,
        workspace_id=occurrence.workspace_id,
        kind="prompt_update",
        dedupe_key=f"{message_key}:{outcome}",
        of_delivery=clicked.id,
        message=messages.closed(_card(tx, occurrence, message_key), outcome, detail),
        now=now,
    )


def _cancel_reminders(tx: UnitOfWork, occurrence: PromptOccurrenceRow, *, only: str = "") -> None:
    for key in occurrence.reminder_keys or []:
        if only in key:
            outbox.cancel(tx, workspace_id=occurrence.workspace_id, dedupe_key=key)


def _settle(
    tx: UnitOfWork,
    *,
    messages: PromptMessages,
    occurrence: PromptOccurrenceRow,
    message_key: str,
    outcome: Literal["answered", "skipped"],
    text: str | None,
    now: datetime,
) -> None:
    """Keep the person's response (the text when answered; a skip keeps an earlier answer's
    row as it is), stop the reminders and confirm in place on the clicked message."""
    reflections = ReflectionRepo(tx.session, occurrence.workspace_id)
    existing = reflections.by_occurrence(occurrence.id)
    if existing is None:
        reflections.add(
            ReflectionRow(
                workspace_id=occurrence.workspace_id,
                user_id=occurrence.user_id,
                occurrence_id=occurrence.id,
                prompt_id=occurrence.prompt_id,
                prompt_text=occurrence.prompt_text or "",
                text=text,
                status=outcome,
                created_at=now,
                updated_at=now,
            )
        )
    elif outcome == "answered":
        existing.text, existing.status, existing.updated_at = text, outcome, now
    occurrence.response, occurrence.responded_at, occurrence.updated_at = outcome, now, now
    _cancel_reminders(tx, occurrence)
    _close(
        tx,
        messages=messages,
        occurrence=occurrence,
        message_key=message_key,
        outcome=outcome,
        detail=None,
        now=now,
    )


def answer(
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    messages: PromptMessages,
    workspace_id: str,
    user_id: str,
    occurrence_id: int,
    message_key: str,
    text: str,
) -> None:
    """Save the reflection (private to its author), stop reminders, confirm in place.

    Submitting again replaces the earlier text: the modal doubles as "edit my answer".
    """
    body = (text or "").strip()
    if not body:
        raise ReflectionError("Write a few words, or close this and press Skip.")
    if len(body) > MAX_REFLECTION_CHARS:
        raise ReflectionError(f"Please keep it under {MAX_REFLECTION_CHARS} characters.")
    now = clock.now()
    with uow() as tx:
        occurrence = _owned(tx, workspace_id, user_id, occurrence_id)
        _settle(
            tx,
            messages=messages,
            occurrence=occurrence,
            message_key=message_key,
            outcome="answered",
            text=body,
            now=now,
        )
        tx.commit()


def skip(
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    messages: PromptMessages,
    workspace_id: str,
    user_id: str,
    occurrence_id: int,
    message_key: str,
) -> bool:
    """Skip this one. False when it was answered already (the answer is kept)."""
    now = clock.now()
    with uow() as tx:
        occurrence = _owned(tx, workspace_id, user_id, occurrence_id)
        if occurrence.response == "answered":
            return False
        _settle(
            tx,
            messages=messages,
            occurrence=occurrence,
            message_key=message_key,
            outcome="skipped",
            text=None,
            now=now,
        )
        tx.commit()
    return True


def _later_key(message_key: str) -> tuple[str, int]:
    """prompt:1:U:2026-03-09 -> (…:later1, 1); …:later1 -> (…:later2, 2)."""
    base, sep, n = message_key.rpartition(":later")
    if sep and n.isdigit():
        count = int(n) + 1
        return f"{base}:later{count}", count
    return f"{message_key}:later1", 1


def remind_later(
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    messages: PromptMessages,
    workspace_id: str,
    user_id: str,
    occurrence_id: int,
    message_key: str,
    delay: timedelta = LATER_DELAY,
) -> datetime:
    """Bring the prompt back as a new DM after `delay`; returns when (UTC).

    The new message's key derives from the clicked one, so a double click queues one reminder.
    The automatic follow-up is cancelled: the person chose their own time.
    """
    now = clock.now()
    with uow() as tx:
        occurrence = _owned(tx, workspace_id, user_id, occurrence_id)
        if occurrence.response is not None:
            raise ReflectionError(f"You've already {occurrence.response} this one — thank you.")
        key, count = _later_key(message_key)
        if count > MAX_LATER:
            raise ReflectionError(
                "This one has been put off a few times already. Answer it in a sentence, "
                "or skip it — either is fine."
            )
        due = now + delay
        local = due.astimezone(zone(occurrence.timezone))
        card = _card(tx, occurrence, key)  # kind "later", from the key
        outbox.post(
            tx,
            workspace_id=workspace_id,
            kind="prompt",
            dedupe_key=key,
            message=messages.prompt(card),
            now=now,
            to_user=user_id,
            due_at=due,
            expires_at=due + LATER_GRACE,
        )
        _cancel_reminders(tx, occurrence, only="prompt-followup:")
        if key not in (occurrence.reminder_keys or []):
            occurrence.reminder_keys = [*(occurrence.reminder_keys or []), key]
        occurrence.updated_at = now
        _close(
            tx,
            messages=messages,
            occurrence=occurrence,
            message_key=message_key,
            outcome="later",
            detail=f"{local:%H:%M}",
            now=now,
        )
        tx.commit()
    return due


# --------------------------------------------------------------------------------------------
# history and preferences


@dataclass(frozen=True)
class PastReflection:
    prompt_text: str
    text: str
    written_at: datetime


def past_reflections(
    tx: UnitOfWork, *, workspace_id: str, user_id: str, limit: int = 5
) -> list[PastReflection]:
    """The author's own answered reflections, newest first. There is no way to ask for
    somebody else's: the author is the only key."""
    return [
        PastReflection(r.prompt_text, r.text or "", r.created_at)
        for r in ReflectionRepo(tx.session, workspace_id).by_author(user_id, limit=limit)
    ]


def set_snooze(
    *, uow: UnitOfWorkFactory, clock: Clock, workspace_id: str, user_id: str, until: datetime | None
) -> None:
    """Pause prompts (and nudges) for one person until `until` (None lifts the snooze)."""
    now = clock.now()
    with uow() as tx:
        WorkspaceRepo(tx.session).ensure(workspace_id, now=now)
        prefs = PrefsRepo(tx.session, workspace_id).ensure(user_id, now=now)
        prefs.snoozed_until, prefs.updated_at = until, now
        tx.commit()
