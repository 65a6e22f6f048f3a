"""Signal and thread-post queries, always scoped to one workspace."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
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
        self.add_all([row])
        return row

    def add_all(self, rows: Sequence[SignalRow]) -> None:
        """Insert the rows (in one statement where the database allows) and assign their ids."""
        if not rows:
            return
        if any(row.workspace_id != self.workspace_id for row in rows):
            raise ValueError("signal belongs to another workspace")
        self.session.add_all(rows)
        self.session.flush()

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


class ThreadPost(NamedTuple):
    message_ts: str
    author_id: str
    deleted: bool


class ThreadRepo:
    def __init__(self, session: Session, workspace_id: str) -> None:
        self.session = session
        self.workspace_id = workspace_id

    def get(self, channel_id: str, message_ts: str) -> ThreadPostRow | None:
        return self.session.get(ThreadPostRow, (self.workspace_id, channel_id, message_ts))

    def thread(self, channel_id: str, thread_ts: str) -> list[ThreadPost]:
        """Every post recorded in a thread (its root included), oldest first."""
        rows = self.session.execute(
            select(ThreadPostRow.message_ts, ThreadPostRow.author_id, ThreadPostRow.deleted)
            .where(
                ThreadPostRow.workspace_id == self.workspace_id,
                ThreadPostRow.channel_id == channel_id,
                ThreadPostRow.thread_ts == thread_ts,
            )
            .order_by(ThreadPostRow.message_ts)
        )
        return [ThreadPost(*row) for row in rows]

    def record(
        self, *, channel_id: str, message_ts: str, thread_ts: str, author_id: str, now: datetime
    ) -> bool:
        """Remember a post; False when it was recorded before."""
        return insert_ignore(
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
