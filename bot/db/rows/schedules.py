"""Scheduled reflection prompts: schedules, one row per occurrence, reflections, the prompt
library's workspace edits, and per-person preferences (snooze) shared with nudges.

The exactly-once guarantee rests on `prompt_occurrences`' unique key (schedule, recipient,
occurrence key): whichever process inserts it first plans the message, every other replica or
restart finds it there and does nothing. The outbox row it enqueues carries a matching
`dedupe_key`, a second lock on the same door.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base

AUDIENCE_KINDS = ("managers", "second_line", "team", "people")
PROMPT_MODES = ("rotation", "tag", "fixed")
# planned: queued in the outbox; sent: Slack has it; skipped: not sent on purpose (reason);
# failed: Slack refused it for good (reason is the Slack error).
OCCURRENCE_STATUSES = ("planned", "sent", "skipped", "failed")
REFLECTION_STATUSES = ("answered", "skipped")


class ScheduleRow(Base):
    """A reflection schedule set by sales ops. Planners read it from the database every tick,
    so edits from the CLI or Slack reach every running server without a restart."""

    __tablename__ = "schedules"
    __table_args__ = (
        UniqueConstraint("workspace_id", "name"),
        CheckConstraint(
            "audience_kind IN ('managers', 'second_line', 'team', 'people')", name="audience_kind"
        ),
        CheckConstraint("prompt_mode IN ('rotation', 'tag', 'fixed')", name="prompt_mode"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("workspaces.team_id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    # managers | second_line | team (value: team names) | people (value: user ids)
    audience_kind: Mapped[str] = mapped_column(String(16))
    audience_values: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Cadence: days of week (0 = Monday) at a local time, every N weeks; or a cron expression.
    days: Mapped[list[int]] = mapped_column(JSON, default=list)
    at_time: Mapped[str | None] = mapped_column(String(5))
    every_weeks: Mapped[int] = mapped_column(Integer, default=1)
    cron: Mapped[str | None] = mapped_column(String(100))
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    skip_weekends: Mapped[bool] = mapped_column(Boolean, default=False)
    skip_holidays: Mapped[bool] = mapped_column(Boolean, default=True)
    # Which prompts: rotation through the library, one tag, or a fixed list of ids.
    prompt_mode: Mapped[str] = mapped_column(String(10), default="rotation")
    prompt_tag: Mapped[str | None] = mapped_column(String(60))
    prompt_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Nudge non-responders after this many hours; None for no follow-up.
    reminder_hours: Mapped[int | None] = mapped_column(Integer)
    # Missed occurrences younger than this are delivered late; older ones are skipped.
    grace_minutes: Mapped[int] = mapped_column(Integer, default=120)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    # Occurrences before this instant are never planned (set on create and on resume), so a
    # schedule created at 10:00 does not report today's 09:00 as missed.
    planning_from: Mapped[datetime]
    # Bumped on every change; lets a server log "schedule 3 changed (v4)" and tests assert.
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class PromptOccurrenceRow(Base):
    """One (schedule, recipient, occurrence): planned, sent, skipped (with why) or failed."""

    __tablename__ = "prompt_occurrences"
    __table_args__ = (
        UniqueConstraint("schedule_id", "user_id", "occurrence_key"),
        CheckConstraint(
            "status IN ('planned', 'sent', 'skipped', 'failed')",
            name="status",
        ),
        Index("ix_prompt_occurrences_status", "workspace_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("workspaces.team_id", ondelete="CASCADE")
    )
    schedule_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("schedules.id", ondelete="CASCADE")
    )
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    # The recipient's local date ('2026-03-09'), plus time for crons that fire several times a
    # day: stable across restarts, replicas and edits of the time of day.
    occurrence_key: Mapped[str] = mapped_column(String(32))
    occurs_at: Mapped[datetime]
    timezone: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10))
    # Why it was skipped or failed: weekend, holiday: <name>, snoozed, out_of_office, late,
    # paused, or the Slack error (user_not_found, account_inactive...).
    reason: Mapped[str | None] = mapped_column(String(200))
    prompt_id: Mapped[str | None] = mapped_column(String(64))
    # The question as rendered with that week's context: private to the recipient.
    prompt_text: Mapped[str | None] = mapped_column(Text)
    delivery_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("deliveries.id", ondelete="SET NULL")
    )
    # Outbox keys of reminders queued for this occurrence, cancelled once they respond.
    reminder_keys: Mapped[list[str]] = mapped_column(JSON, default=list)
    # answered | skipped once the recipient responded (the text lives in `reflections`).
    response: Mapped[str | None] = mapped_column(String(10))
    responded_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ReflectionRow(Base):
    """What a manager wrote for themselves. Private to its author: nobody else's screen, report
    or export shows it (bot/domain/permissions.py, VIEW_REFLECTIONS is self-only)."""

    __tablename__ = "reflections"
    __table_args__ = (
        UniqueConstraint("occurrence_id"),
        CheckConstraint("status IN ('answered', 'skipped')", name="status"),
        Index("ix_reflections_author", "workspace_id", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("workspaces.team_id", ondelete="CASCADE")
    )
    user_id: Mapped[str] = mapped_column(String(32))
    # None for reflections not started by a schedule (or whose schedule was deleted).
    occurrence_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("prompt_occurrences.id", ondelete="SET NULL")
    )
    prompt_id: Mapped[str | None] = mapped_column(String(64))
    prompt_text: Mapped[str] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CustomPromptRow(Base):
    """A prompt sales ops added, or their edit of a shipped one (same id replaces it)."""

    __tablename__ = "custom_prompts"
    __table_args__ = (UniqueConstraint("workspace_id", "prompt_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("workspaces.team_id", ondelete="CASCADE")
    )
    prompt_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    template: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    requires: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class RetiredPromptRow(Base):
    """A prompt (shipped or custom) sales ops retired: never chosen again, still readable."""

    __tablename__ = "retired_prompts"

    workspace_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("workspaces.team_id", ondelete="CASCADE"), primary_key=True
    )
    prompt_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    retired_by: Mapped[str | None] = mapped_column(String(32))
    retired_at: Mapped[datetime]


class PersonPrefsRow(Base):
    """One person's own settings, shared by reflection prompts and nudges.

    `snoozed_until` pauses prompts and nudges (`/enabler snooze`); the rest belongs to nudges.
    """

    __tablename__ = "person_prefs"

    workspace_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("workspaces.team_id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    snoozed_until: Mapped[datetime | None]
    nudges_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    muted_channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    policy_overrides: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime]
