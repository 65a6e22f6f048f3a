"""Nudges: what Enabler decided about a manager's doing-signals, and what the manager did next.

A nudge row exists for every decision that was not "add to the open nudge": `sent` (queued in
the outbox as a DM to the manager, and only to them) or `suppressed` (with the policy's reason
code, so "why didn't I hear about this?" has an answer). Signals point back at their nudge
through `signals.nudge_id`. Private to the manager, like the signals behind it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base

NUDGE_STATUSES = ("sent", "suppressed")


class NudgeRow(Base):
    __tablename__ = "nudges"
    __table_args__ = (
        CheckConstraint("status IN ('sent', 'suppressed')", name="status"),
        Index("ix_nudges_manager_time", "workspace_id", "manager_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("workspaces.team_id", ondelete="CASCADE")
    )
    manager_id: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(12))
    # The policy's reason code: ok, quiet_hours, daily_cap, snoozed, ... or low_weight (the
    # manager justified this rule often enough that it no longer nudges).
    reason: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str | None] = mapped_column(String(200))
    # When a new nudge would next be allowed (None: only the manager can lift the block).
    retry_at: Mapped[datetime | None]
    # The signal that opened the nudge: its type and rule pick the copy and the alternative.
    signal_type: Mapped[str] = mapped_column(String(40))
    rule: Mapped[str] = mapped_column(String(80))
    rep_id: Mapped[str | None] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    # The thread Coach instead / Hand back post into (a reply's root, or the message itself).
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    permalink: Mapped[str | None] = mapped_column(String(300))
    signal_count: Mapped[int] = mapped_column(Integer, default=1)
    # The DM (sent nudges): its outbox row, and a counter that keys each in-place edit.
    delivery_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("deliveries.id", ondelete="SET NULL")
    )
    version: Mapped[int] = mapped_column(Integer, default=0)
    # The first action the manager took on it (coach_instead, hand_back, justified, reflect,
    # debrief, snooze_today, snooze_week, mute_channel); every click is in nudge_actions.
    first_action: Mapped[str | None] = mapped_column(String(24))
    first_action_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class NudgeActionRow(Base):
    """One click on a nudge, for the "did nudges change anything?" report. No free text other
    than the manager's own justification note, which only they (and the report, as a code) see."""

    __tablename__ = "nudge_actions"
    __table_args__ = (Index("ix_nudge_actions_nudge", "workspace_id", "nudge_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("workspaces.team_id", ondelete="CASCADE")
    )
    nudge_id: Mapped[int] = mapped_column(Integer, ForeignKey("nudges.id", ondelete="CASCADE"))
    manager_id: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(24))
    # A reason code (exec_asked, rep_out, ...) or the snooze end, never message text.
    detail: Mapped[str | None] = mapped_column(String(300))
    # The private reflection written from this nudge (the reflections table has no source).
    reflection_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("reflections.id", ondelete="SET NULL")
    )
    # The enabling signal this action recorded (coach instead, hand back).
    signal_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime]
