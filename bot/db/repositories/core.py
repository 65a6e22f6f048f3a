"""Workspaces, the roster, watched channels and processed events."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from bot.db.rows import ChannelRow, DealChannelRow, InboxEventRow, PersonRow, WorkspaceRow
from bot.db.upsert import insert_ignore


class WorkspaceRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, team_id: str) -> WorkspaceRow | None:
        return self.session.get(WorkspaceRow, team_id)

    def ensure(
        self, team_id: str, *, now: datetime, name: str = "", domain: str = ""
    ) -> WorkspaceRow:
        row = self.session.get(WorkspaceRow, team_id)
        if row is None:
            insert_ignore(
                self.session,
                WorkspaceRow,
                {
                    "team_id": team_id,
                    "name": name,
                    "domain": domain,
                    "holiday_countries": [],
                    "settings": {},
                    "created_at": now,
                    "updated_at": now,
                },
                ["team_id"],
            )
            row = self.session.get(WorkspaceRow, team_id)
            assert row is not None
        elif (name and row.name != name) or (domain and row.domain != domain):
            row.name = name or row.name
            row.domain = domain or row.domain
            row.updated_at = now
        return row

    def all(self) -> Sequence[WorkspaceRow]:
        return self.session.scalars(select(WorkspaceRow).order_by(WorkspaceRow.team_id)).all()


class PeopleRepo:
    def __init__(self, session: Session, workspace_id: str) -> None:
        self.session = session
        self.workspace_id = workspace_id

    def get(self, user_id: str) -> PersonRow | None:
        return self.session.get(PersonRow, (self.workspace_id, user_id))

    def all(self, *, active_only: bool = True) -> Sequence[PersonRow]:
        stmt = select(PersonRow).where(PersonRow.workspace_id == self.workspace_id)
        if active_only:
            stmt = stmt.where(PersonRow.active.is_(True))
        return self.session.scalars(stmt.order_by(PersonRow.role, PersonRow.user_id)).all()

    def reports_of(self, manager_id: str) -> Sequence[PersonRow]:
        return self.session.scalars(
            select(PersonRow)
            .where(
                PersonRow.workspace_id == self.workspace_id,
                PersonRow.manager_id == manager_id,
                PersonRow.active.is_(True),
            )
            .order_by(func.coalesce(PersonRow.name, PersonRow.user_id), PersonRow.user_id)
        ).all()

    def add(self, row: PersonRow) -> None:
        if row.workspace_id != self.workspace_id:
            raise ValueError("person belongs to another workspace")
        self.session.add(row)


class ChannelRepo:
    """Watched-channel rules and what we know of each channel."""

    def __init__(self, session: Session, workspace_id: str) -> None:
        self.session = session
        self.workspace_id = workspace_id

    def patterns(self) -> Sequence[DealChannelRow]:
        return self.session.scalars(
            select(DealChannelRow)
            .where(DealChannelRow.workspace_id == self.workspace_id)
            .order_by(DealChannelRow.pattern)
        ).all()

    def add_pattern(self, pattern: str, *, now: datetime, created_by: str | None) -> bool:
        """Add a watch rule; False when it was already there."""
        existing = self.session.scalar(
            select(DealChannelRow).where(
                DealChannelRow.workspace_id == self.workspace_id, DealChannelRow.pattern == pattern
            )
        )
        if existing is not None:
            return False
        self.session.add(
            DealChannelRow(
                workspace_id=self.workspace_id,
                pattern=pattern,
                created_by=created_by,
                created_at=now,
            )
        )
        self.session.flush()
        return True

    def remove_pattern(self, pattern: str) -> bool:
        result = self.session.execute(
            delete(DealChannelRow).where(
                DealChannelRow.workspace_id == self.workspace_id, DealChannelRow.pattern == pattern
            )
        )
        return bool(getattr(result, "rowcount", 0))

    def get(self, channel_id: str) -> ChannelRow | None:
        return self.session.get(ChannelRow, (self.workspace_id, channel_id))

    def upsert(
        self,
        channel_id: str,
        *,
        now: datetime,
        name: str | None = None,
        is_private: bool | None = None,
        bot_is_member: bool | None = None,
    ) -> ChannelRow:
        row = self.get(channel_id)
        if row is None:
            insert_ignore(
                self.session,
                ChannelRow,
                {
                    "workspace_id": self.workspace_id,
                    "channel_id": channel_id,
                    "name": name or "",
                    "is_private": bool(is_private),
                    "bot_is_member": bool(bot_is_member),
                    "updated_at": now,
                },
                ["workspace_id", "channel_id"],
            )
            row = self.get(channel_id)
            assert row is not None
            return row
        if name is not None:
            row.name = name
        if is_private is not None:
            row.is_private = is_private
        if bot_is_member is not None:
            row.bot_is_member = bot_is_member
        row.updated_at = now
        return row

    def is_deal_channel(self, channel_id: str, name: str | None) -> bool:
        return channel_matches(channel_id, name, [p.pattern for p in self.patterns()])


def channel_matches(channel_id: str, name: str | None, patterns: Sequence[str]) -> bool:
    """A pattern is a channel ID (exact) or a name glob such as `deal-*` (leading # ignored)."""
    for pattern in patterns:
        if pattern == channel_id:
            return True
        if name and fnmatch.fnmatchcase(name.lower(), pattern.lstrip("#").lower()):
            return True
    return False


class PendingEvent(NamedTuple):
    event_type: str
    workspace_id: str
    payload: dict[str, Any] | None


class InboxRepo:
    """The transactional inbox of Events API deliveries (see InboxEventRow)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def record(
        self,
        event_id: str,
        *,
        workspace_id: str,
        event_type: str,
        payload: dict[str, Any],
        now: datetime,
    ) -> bool:
        """Store a delivery; False when this event_id was seen before (a retry or a race).

        The primary key decides inside a savepoint, so two processes racing on one event id
        cannot both win and the caller's transaction survives the loser's conflict.
        """
        return insert_ignore(
            self.session,
            InboxEventRow,
            {
                "event_id": event_id,
                "workspace_id": workspace_id,
                "event_type": event_type,
                "payload": payload,
                "received_at": now,
                "attempts": 0,
            },
            ["event_id"],
        )

    def claim(self, event_id: str) -> PendingEvent | None:
        """The event, locked for processing, or None when it is already processed.

        On PostgreSQL the row lock makes a second processor wait and then see it processed;
        SQLite has a single writer, which gives the same guarantee. (Plain columns, not an ORM
        row: this runs once per event.)
        """
        row = self.session.execute(
            select(
                InboxEventRow.event_type,
                InboxEventRow.workspace_id,
                InboxEventRow.payload,
                InboxEventRow.processed_at,
            )
            .where(InboxEventRow.event_id == event_id)
            .with_for_update()
        ).first()
        if row is None or row.processed_at is not None:
            return None
        return PendingEvent(row.event_type, row.workspace_id, row.payload)

    def mark_processed(self, event_id: str, *, now: datetime, outcome: str) -> None:
        # No session synchronisation: processing reads the event as plain columns (`claim`),
        # so there is no loaded row to update, and looking for one cost a tenth of this call.
        self.session.execute(
            update(InboxEventRow)
            .where(InboxEventRow.event_id == event_id)
            .values(
                processed_at=now,
                attempts=InboxEventRow.attempts + 1,
                outcome=outcome,
                payload=None,
            )
            .execution_options(synchronize_session=False)
        )

    def lock_pending(self, event_id: str) -> InboxEventRow | None:
        """The row, locked for processing, or None when it is already processed.

        On PostgreSQL the row lock makes a second processor wait and then see `processed_at`;
        SQLite has a single writer, which gives the same guarantee.
        """
        row = self.session.scalar(
            select(InboxEventRow).where(InboxEventRow.event_id == event_id).with_for_update()
        )
        if row is None or row.processed_at is not None:
            return None
        return row

    def pending(self, *, older_than: datetime, limit: int = 100) -> Sequence[InboxEventRow]:
        return self.session.scalars(
            select(InboxEventRow)
            .where(InboxEventRow.processed_at.is_(None), InboxEventRow.received_at < older_than)
            .order_by(InboxEventRow.received_at)
            .limit(limit)
        ).all()

    def prune(self, before: datetime) -> int:
        result = self.session.execute(
            delete(InboxEventRow).where(
                InboxEventRow.processed_at.is_not(None), InboxEventRow.received_at < before
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)
