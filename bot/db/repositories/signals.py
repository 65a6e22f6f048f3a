"""Signal and thread-post queries, always scoped to one workspace."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.db.rows import SignalRow, ThreadPostRow
from bot.db.upsert import insert_ignore


class SignalRepo:
    def __init__(self, session: Session, workspace_id: str) -> None:
        self.session = session
        self.workspace_id = workspace_id

    def by_source(self, source_key: str) -> Sequence[SignalRow]:
        return self.session.scalars(
            select(SignalRow).where(
                SignalRow.workspace_id == self.workspace_id, SignalRow.source_key == source_key
            )
        ).all()

    def pending_in_thread(self, channel_id: str, thread_ts: str) -> Sequence[SignalRow]:
        return self.session.scalars(
            select(SignalRow).where(
                SignalRow.workspace_id == self.workspace_id,
                SignalRow.channel_id == channel_id,
                SignalRow.thread_ts == thread_ts,
                SignalRow.status == "pending_owner",
            )
        ).all()

    def get(self, signal_id: int) -> SignalRow | None:
        row = self.session.get(SignalRow, signal_id)
        return row if row is not None and row.workspace_id == self.workspace_id else None

    def add(self, row: SignalRow) -> SignalRow:
        if row.workspace_id != self.workspace_id:
            raise ValueError("signal belongs to another workspace")
        self.session.add(row)
        self.session.flush()
        return row

    def list(
        self,
        *,
        manager_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        statuses: Sequence[str] = ("active",),
        limit: int | None = None,
    ) -> Sequence[SignalRow]:
        stmt = select(SignalRow).where(
            SignalRow.workspace_id == self.workspace_id, SignalRow.status.in_(statuses)
        )
        if manager_id is not None:
            stmt = stmt.where(SignalRow.manager_id == manager_id)
        if since is not None:
            stmt = stmt.where(SignalRow.occurred_at >= since)
        if until is not None:
            stmt = stmt.where(SignalRow.occurred_at < until)
        stmt = stmt.order_by(SignalRow.occurred_at.desc(), SignalRow.id.desc())
        if limit is not None:
            stmt = stmt.limit(limit)
        return self.session.scalars(stmt).all()


class ThreadRepo:
    def __init__(self, session: Session, workspace_id: str) -> None:
        self.session = session
        self.workspace_id = workspace_id

    def get(self, channel_id: str, message_ts: str) -> ThreadPostRow | None:
        return self.session.get(ThreadPostRow, (self.workspace_id, channel_id, message_ts))

    def record(
        self, *, channel_id: str, message_ts: str, thread_ts: str, author_id: str, now: datetime
    ) -> None:
        insert_ignore(
            self.session,
            ThreadPostRow,
            {
                "workspace_id": self.workspace_id,
                "channel_id": channel_id,
                "message_ts": message_ts,
                "thread_ts": thread_ts,
                "author_id": author_id,
                "deleted": False,
                "posted_at": now,
            },
            ["workspace_id", "channel_id", "message_ts"],
        )

    def posts_before(self, channel_id: str, thread_ts: str, before_ts: str, author_id: str) -> int:
        """Non-deleted posts by `author_id` in the thread before `before_ts` (root included)."""
        count = self.session.scalar(
            select(func.count())
            .select_from(ThreadPostRow)
            .where(
                ThreadPostRow.workspace_id == self.workspace_id,
                ThreadPostRow.channel_id == channel_id,
                ThreadPostRow.thread_ts == thread_ts,
                ThreadPostRow.author_id == author_id,
                ThreadPostRow.deleted.is_(False),
                ThreadPostRow.message_ts < before_ts,
            )
        )
        return int(count or 0)
