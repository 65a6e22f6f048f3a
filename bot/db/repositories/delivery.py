"""Outbox queries: enqueue once per key, claim due rows under a lease, record outcomes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from bot.db.rows import DeliveryRow
from bot.db.upsert import insert_ignore_returning


class DeliveryRepo:
    def __init__(self, session: Session, workspace_id: str | None = None) -> None:
        # The worker serves every workspace; use cases always pass theirs.
        self.session = session
        self.workspace_id = workspace_id

    def _scoped(self) -> Any:
        stmt = select(DeliveryRow)
        if self.workspace_id is not None:
            stmt = stmt.where(DeliveryRow.workspace_id == self.workspace_id)
        return stmt

    def add_once(self, values: dict[str, Any]) -> int | None:
        """Insert a delivery (column values) unless (workspace, dedupe_key) exists: its new
        id, or None for a duplicate. One INSERT … ON CONFLICT DO NOTHING RETURNING id: nudges
        queue one of these per appended signal."""
        # Pending ORM changes first: the row may refer to them (a new workspace).
        self.session.flush()
        added: int | None = insert_ignore_returning(
            self.session, DeliveryRow, values, ("workspace_id", "dedupe_key"), "id"
        )
        return added

    def by_key(self, workspace_id: str, dedupe_key: str) -> DeliveryRow | None:
        return self.session.scalar(
            select(DeliveryRow).where(
                DeliveryRow.workspace_id == workspace_id, DeliveryRow.dedupe_key == dedupe_key
            )
        )

    def supersede_edits(self, of_delivery: int, *, before: int) -> int:
        """Cancel edits of a message queued before edit `before` that have not started.

        chat.update replaces the whole message, so only the latest queued version matters; a
        manager who collects twenty signals in a cool-down gets one edit, not twenty.
        """
        stmt = update(DeliveryRow).where(
            DeliveryRow.update_of == of_delivery,
            DeliveryRow.status == "pending",
            DeliveryRow.id < before,
        )
        if self.workspace_id is not None:
            stmt = stmt.where(DeliveryRow.workspace_id == self.workspace_id)
        result = self.session.execute(stmt.values(status="cancelled"))
        return int(getattr(result, "rowcount", 0) or 0)

    def get(self, delivery_id: int) -> DeliveryRow | None:
        row = self.session.get(DeliveryRow, delivery_id)
        if row is None or (self.workspace_id is not None and row.workspace_id != self.workspace_id):
            return None
        return row

    def claim_due(
        self, *, now: datetime, owner: str, lease_until: datetime, limit: int
    ) -> list[DeliveryRow]:
        """Lease up to `limit` due rows: pending ones, and claimed ones whose lease expired.

        On PostgreSQL, FOR UPDATE SKIP LOCKED lets replicas claim disjoint rows without waiting
        on each other; SQLite's single writer (BEGIN IMMEDIATE) gives the same exclusivity.
        """
        stmt = (
            select(DeliveryRow)
            .where(
                or_(
                    and_(DeliveryRow.status == "pending", DeliveryRow.due_at <= now),
                    and_(DeliveryRow.status == "claimed", DeliveryRow.lease_until < now),
                )
            )
            .order_by(DeliveryRow.due_at, DeliveryRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = list(self.session.scalars(stmt))
        for row in rows:
            row.status = "claimed"
            row.lease_owner = owner
            row.lease_until = lease_until
        return rows

    def expired_sends(self, *, now: datetime, limit: int = 20) -> list[DeliveryRow]:
        """Rows whose sender died mid-send: maybe sent, maybe not. Locked for the reconciler."""
        stmt = (
            select(DeliveryRow)
            .where(DeliveryRow.status == "sending", DeliveryRow.lease_until < now)
            .order_by(DeliveryRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(self.session.scalars(stmt))

    def mark_sending(
        self, delivery_id: int, *, owner: str, now: datetime, lease_until: datetime
    ) -> bool:
        """claimed -> sending, only while we hold the lease. Committed before Slack is called."""
        result = self.session.execute(
            update(DeliveryRow)
            .where(
                DeliveryRow.id == delivery_id,
                DeliveryRow.status == "claimed",
                DeliveryRow.lease_owner == owner,
            )
            .values(
                status="sending",
                attempts=DeliveryRow.attempts + 1,
                send_started_at=now,
                lease_until=lease_until,
            )
        )
        return bool(getattr(result, "rowcount", 0))

    def mark_sent(self, delivery_id: int, *, channel: str, ts: str, now: datetime) -> None:
        values: dict[str, Any] = {
            "status": "sent",
            "sent_ts": ts,
            "sent_at": now,
            "last_error": None,
        }
        if channel:
            values["sent_channel"] = channel
        self.session.execute(
            update(DeliveryRow).where(DeliveryRow.id == delivery_id).values(**values)
        )

    def settle_claimed(
        self,
        delivery_id: int,
        *,
        owner: str,
        status: str,
        error: str | None = None,
        due_at: datetime | None = None,
    ) -> bool:
        """A claimed row that will not be sent now: cancelled, failed, or back to pending."""
        values: dict[str, Any] = {"status": status, "lease_owner": None, "lease_until": None}
        if error is not None:
            values["last_error"] = error
        if due_at is not None:
            values["due_at"] = due_at
        result = self.session.execute(
            update(DeliveryRow)
            .where(
                DeliveryRow.id == delivery_id,
                DeliveryRow.status == "claimed",
                DeliveryRow.lease_owner == owner,
            )
            .values(**values)
        )
        return bool(getattr(result, "rowcount", 0))

    def has_expired_sends(self, *, now: datetime) -> bool:
        return (
            self.session.scalar(
                select(DeliveryRow.id)
                .where(DeliveryRow.status == "sending", DeliveryRow.lease_until < now)
                .limit(1)
            )
            is not None
        )

    def release_lease(self, owner: str) -> int:
        """Put back rows this worker claimed but never started (graceful shutdown)."""
        result = self.session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.status == "claimed", DeliveryRow.lease_owner == owner)
            .values(status="pending", lease_owner=None, lease_until=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def list(
        self, *, statuses: Sequence[str] | None = None, kind: str | None = None, limit: int = 100
    ) -> Sequence[DeliveryRow]:
        stmt = self._scoped()
        if statuses:
            stmt = stmt.where(DeliveryRow.status.in_(statuses))
        if kind:
            stmt = stmt.where(DeliveryRow.kind == kind)
        return list(self.session.scalars(stmt.order_by(DeliveryRow.id.desc()).limit(limit)))
