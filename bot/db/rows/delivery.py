"""The outbox: every message Enabler sends is a row here first.

One row per message, with a unique key per workspace (`dedupe_key`), so enqueueing the same
thing twice (a retried event, two replicas planning the same occurrence) stores it once. The
worker claims due rows with a time-limited lease, sends, and records the Slack `ts`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base

# pending -> claimed -> sending -> sent | failed | pending (retry) ; pending -> cancelled
DELIVERY_STATUSES = ("pending", "claimed", "sending", "sent", "failed", "cancelled")


class DeliveryRow(Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("workspace_id", "dedupe_key"),
        CheckConstraint(
            "status IN ('pending', 'claimed', 'sending', 'sent', 'failed', 'cancelled')",
            name="status",
        ),
        CheckConstraint("operation IN ('post', 'update')", name="operation"),
        Index("ix_deliveries_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("workspaces.team_id", ondelete="CASCADE")
    )
    # What this message is, for reports and the sales ops failure list: nudge, prompt, ...
    kind: Mapped[str] = mapped_column(String(40))
    dedupe_key: Mapped[str] = mapped_column(String(200))
    operation: Mapped[str] = mapped_column(String(10), default="post")
    # Exactly one target: a user (their DM with the app) or a channel (optionally a thread).
    recipient_user_id: Mapped[str | None] = mapped_column(String(32), index=True)
    channel_id: Mapped[str | None] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    # For operation "update": the delivery whose message is edited in place.
    update_of: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("deliveries.id", ondelete="SET NULL")
    )
    # text, blocks, username, icon_url: what chat.postMessage / chat.update receive.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    due_at: Mapped[datetime]
    # Not sent after this instant (e.g. a 09:00 prompt is pointless at 15:00): cancelled
    # with last_error "expired" instead. None means no deadline.
    expires_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    # When the current send began: bounds the history search after a crash mid-send.
    send_started_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(200))
    sent_channel: Mapped[str | None] = mapped_column(String(32))
    sent_ts: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
