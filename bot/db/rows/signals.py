"""Detection: the signals recorded about managers, and thread facts learnt from events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base


class SignalRow(Base):
    """A manager did a rep's deal work (doing) or enabled them (enabling).

    `source_key` names what produced it (a message, a reaction, a huddle join), so a retried or
    edited event replaces rather than adds, and a deletion withdraws. Message text is stored
    only when the operator turned it on (ENABLER_STORE_MESSAGE_TEXT); otherwise just the
    length of the matched span.
    """

    __tablename__ = "signals"
    __table_args__ = (
        UniqueConstraint("workspace_id", "source_key", "type"),
        CheckConstraint("kind IN ('doing', 'enabling')", name="kind"),
        CheckConstraint("status IN ('active', 'pending_owner', 'withdrawn')", name="status"),
        Index("ix_signals_manager_time", "workspace_id", "manager_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("workspaces.team_id", ondelete="CASCADE")
    )
    type: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(10))
    rule: Mapped[str] = mapped_column(String(80))
    weight: Mapped[float] = mapped_column(Float)
    manager_id: Mapped[str] = mapped_column(String(32))
    # The rep whose deal it was (the thread owner / huddle host / reacted message's author).
    rep_id: Mapped[str | None] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    message_ts: Mapped[str] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    permalink: Mapped[str | None] = mapped_column(String(300))
    source_key: Mapped[str] = mapped_column(String(120))
    span_length: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str | None] = mapped_column(Text)
    # active; pending_owner (a reply seen before its thread's root); withdrawn (deleted/edited)
    status: Mapped[str] = mapped_column(String(16), default="active")
    # The manager said "it was needed" (issue: nudges); counts apart from doing.
    justified: Mapped[bool] = mapped_column(Boolean, default=False)
    justification: Mapped[str | None] = mapped_column(String(300))
    # The nudge this signal was reported in, if any.
    nudge_id: Mapped[int | None] = mapped_column(Integer, index=True)
    occurred_at: Mapped[datetime]
    created_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]


class ThreadPostRow(Base):
    """Who posted what in a deal channel (no text): thread ownership and who out-posts whom."""

    __tablename__ = "thread_posts"
    __table_args__ = (Index("ix_thread_posts_thread", "workspace_id", "channel_id", "thread_ts"),)

    workspace_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("workspaces.team_id", ondelete="CASCADE"), primary_key=True
    )
    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    message_ts: Mapped[str] = mapped_column(String(32), primary_key=True)
    # Equal to message_ts for a thread root (or a message not in a thread).
    thread_ts: Mapped[str] = mapped_column(String(32))
    author_id: Mapped[str] = mapped_column(String(32))
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    posted_at: Mapped[datetime]
