"""One-on-ones, action items, debrief items, coaching requests and development plans.

Every row carries its workspace; user ids are Slack ids. Text columns (notes, outcomes, goals)
are the only free text: `enabler privacy erase` blanks them and pseudonymises the ids while
keeping dates, states and ratings, so coverage counts and "met on time" stay consistent.
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

REQUEST_STATES = ("requested", "proposed", "accepted", "declined", "completed", "rated")


def _workspace_fk() -> Mapped[str]:
    return mapped_column(String(32), ForeignKey("workspaces.team_id", ondelete="CASCADE"))


class CoachingRequestRow(Base):
    """A rep's request for coaching and everything that happened to it (see domain.coaching).

    `response_deadline` is requested_at + 24 working hours in the manager's calendar, computed
    once at creation so "met on time" never changes when working hours or holidays do later.
    """

    __tablename__ = "coaching_requests"
    __table_args__ = (
        CheckConstraint(
            "state IN ('requested', 'proposed', 'accepted', 'declined', 'completed', 'rated')",
            name="state",
        ),
        CheckConstraint("urgency IN ('low', 'normal', 'high')", name="urgency"),
        CheckConstraint("rating IS NULL OR (rating BETWEEN 1 AND 5)", name="rating"),
        Index("ix_coaching_requests_manager", "workspace_id", "manager_id", "state"),
        Index("ix_coaching_requests_requester", "workspace_id", "requester_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = _workspace_fk()
    requester_id: Mapped[str] = mapped_column(String(32))
    manager_id: Mapped[str] = mapped_column(String(32))
    skill: Mapped[str] = mapped_column(String(64))
    context: Mapped[str] = mapped_column(Text, default="")
    urgency: Mapped[str] = mapped_column(String(8), default="normal")
    preferred_times: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(12), default="requested")
    requested_at: Mapped[datetime]
    response_deadline: Mapped[datetime]
    responded_at: Mapped[datetime | None]
    proposed_for: Mapped[datetime | None]
    proposal_note: Mapped[str | None] = mapped_column(Text)
    scheduled_for: Mapped[datetime | None]
    decline_note: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(Text)
    next_steps: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[int | None] = mapped_column(Integer)
    rated_at: Mapped[datetime | None]
    # Outbox deliveries edited in place as the request moves (chat.update via outbox.update).
    manager_message_id: Mapped[int | None] = mapped_column(Integer)
    rep_message_id: Mapped[int | None] = mapped_column(Integer)
    # The manager was reminded (once), then the manager's manager was told the count (once).
    reminded_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class OneOnOneRow(Base):
    """A logged one-on-one. Notes are private to the manager unless `shared`."""

    __tablename__ = "one_on_ones"
    __table_args__ = (Index("ix_one_on_ones_pair", "workspace_id", "rep_id", "held_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = _workspace_fk()
    manager_id: Mapped[str] = mapped_column(String(32), index=True)
    rep_id: Mapped[str] = mapped_column(String(32))
    held_on: Mapped[date]
    notes: Mapped[str] = mapped_column(Text, default="")
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    skills_focus: Mapped[list[str]] = mapped_column(JSON, default=list)
    next_meeting: Mapped[date | None]
    created_at: Mapped[datetime]


class ActionItemRow(Base):
    """An action item from a 1:1. Undone items carry over to the next 1:1 (`carried_over`)."""

    __tablename__ = "action_items"
    __table_args__ = (
        Index("ix_action_items_rep", "workspace_id", "rep_id", "done"),
        Index("ix_action_items_due", "done", "due"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = _workspace_fk()
    one_on_one_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("one_on_ones.id", ondelete="SET NULL")
    )
    manager_id: Mapped[str] = mapped_column(String(32))
    rep_id: Mapped[str] = mapped_column(String(32))
    owner_id: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    due: Mapped[date | None]
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    done_at: Mapped[datetime | None]
    carried_over: Mapped[int] = mapped_column(Integer, default=0)
    reminded_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class DebriefItemRow(Base):
    """A question for the rep's next 1:1 ("Acme: what would you do next time?").

    Added by the nudges flow when a manager justified or was nudged about a takeover; attached
    to the 1:1 that discussed it (`one_on_one_id`), until then it is on the agenda.
    """

    __tablename__ = "debrief_items"
    __table_args__ = (Index("ix_debrief_items_pair", "workspace_id", "manager_id", "rep_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = _workspace_fk()
    manager_id: Mapped[str] = mapped_column(String(32))
    rep_id: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    one_on_one_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("one_on_ones.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime]


class RepCadenceRow(Base):
    """How often a manager meets a rep, when it differs from the workspace default."""

    __tablename__ = "rep_cadences"

    workspace_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("workspaces.team_id", ondelete="CASCADE"), primary_key=True
    )
    rep_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    cadence_days: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime]


class DevelopmentPlanRow(Base):
    """A rep's current development plan: goals (JSON list) and when it was last touched.

    Ratings live in `plan_snapshots` so progress over time is kept, one snapshot per day.
    """

    __tablename__ = "development_plans"

    workspace_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("workspaces.team_id", ondelete="CASCADE"), primary_key=True
    )
    rep_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # [{"text": ..., "skill": ..., "target": "YYYY-MM-DD" | null, "done": bool}]
    goals: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    updated_on: Mapped[date]
    updated_by: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime]


class PlanSnapshotRow(Base):
    """Skill ratings (1–5, by manager and by rep) as they stood on a date."""

    __tablename__ = "plan_snapshots"
    __table_args__ = (UniqueConstraint("workspace_id", "rep_id", "taken_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = _workspace_fk()
    rep_id: Mapped[str] = mapped_column(String(32))
    taken_on: Mapped[date]
    # [{"skill": ..., "by_manager": int | null, "by_rep": int | null}]
    ratings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime]
