"""Core tables: workspaces, the roster, the channels Enabler watches, processed events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base

ROLES = ("rep", "manager", "sales_ops")


class WorkspaceRow(Base):
    __tablename__ = "workspaces"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    domain: Mapped[str] = mapped_column(String(200), default="")
    # Country codes for the holidays library, e.g. ["US", "GB"]; used by schedules and nudges.
    holiday_countries: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Sales ops' workspace-wide settings (nudge policy defaults, 1:1 cadence, rule overrides...).
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Bumped by database triggers (migration 0007) whenever the roster, the deal channels, a
    # channel's name or notice, or these settings change: whatever process or statement made
    # the change. Event processing caches its per-workspace view and re-reads it when this moves.
    config_version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class PersonRow(Base):
    """Someone on the roster. Second-line managers are managers whose reports are managers."""

    __tablename__ = "people"
    __table_args__ = (CheckConstraint("role IN ('rep', 'manager', 'sales_ops')", name="role"),)

    workspace_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("workspaces.team_id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    manager_id: Mapped[str | None] = mapped_column(String(32), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    team: Mapped[str | None] = mapped_column(String(100))
    # IANA zone. From the roster if given, refreshed from the Slack profile (user_change events).
    timezone: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class DealChannelRow(Base):
    """A watch rule set by sales ops: a channel ID (C…) or a name pattern such as deal-*."""

    __tablename__ = "deal_channels"
    __table_args__ = (UniqueConstraint("workspace_id", "pattern"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("workspaces.team_id", ondelete="CASCADE"), index=True
    )
    pattern: Mapped[str] = mapped_column(String(100))
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]


class ChannelRow(Base):
    """What Enabler knows about a channel, learnt from events (never from history calls)."""

    __tablename__ = "channels"

    workspace_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("workspaces.team_id", ondelete="CASCADE"), primary_key=True
    )
    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    is_private: Mapped[bool] = mapped_column(Boolean, default=False)
    bot_is_member: Mapped[bool] = mapped_column(Boolean, default=False)
    # When the friendly "Enabler is now watching this channel" notice went out (once).
    watch_notice_sent_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class InboxEventRow(Base):
    """Every Events API delivery, keyed by Slack's event_id: the transactional inbox.

    Slack retries an event up to three times with the same event_id; the primary key makes the
    second copy a no-op. The row is written in the ack path and processed after the ack in one
    transaction that also sets `processed_at`, so a crash between the two is replayed by the
    sweeper instead of lost. `payload` (which can hold message text) is cleared once processed.
    """

    __tablename__ = "inbox_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(index=True)
    processed_at: Mapped[datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Outcome code only ("ok", "ignored:<why>", "error:<ExceptionType>"); never message text.
    outcome: Mapped[str | None] = mapped_column(String(120))
