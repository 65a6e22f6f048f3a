"""Nudge queries, always scoped to one workspace."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.db.rows import NudgeActionRow, NudgeRow, PersonPrefsRow, SignalRow


class SignalFacts(NamedTuple):
    type: str
    rule: str
    permalink: str | None
    occurred_at: datetime
    justified: bool


class CardFacts(NamedTuple):
    lines: tuple[SignalFacts, ...]  # the first ones, oldest first
    later: int  # signals after the headline message's (all of them, not only those listed)
    rules: frozenset[tuple[str, str]]  # (rule, type) of every active signal


class NudgeRepo:
    def __init__(self, session: Session, workspace_id: str) -> None:
        self.session = session
        self.workspace_id = workspace_id

    def add(self, row: NudgeRow) -> NudgeRow:
        if row.workspace_id != self.workspace_id:
            raise ValueError("nudge belongs to another workspace")
        self.session.add(row)
        self.session.flush()
        return row

    def get(self, nudge_id: int, *, lock: bool = False) -> NudgeRow | None:
        stmt = select(NudgeRow).where(
            NudgeRow.id == nudge_id, NudgeRow.workspace_id == self.workspace_id
        )
        if lock:
            stmt = stmt.with_for_update()
        return self.session.scalar(stmt)

    def lock_manager(self, user_id: str) -> PersonPrefsRow | None:
        """Lock the manager's preferences row: two events about one manager decide in turn, so
        a burst cannot slip two "send"s past the cool-down (PostgreSQL; SQLite has one writer)."""
        return self.session.scalar(
            select(PersonPrefsRow)
            .where(
                PersonPrefsRow.workspace_id == self.workspace_id,
                PersonPrefsRow.user_id == user_id,
            )
            .with_for_update()
        )

    def sent_since(self, manager_id: str, since: datetime) -> list[tuple[int, datetime]]:
        """(id, sent at) of the manager's nudges sent since `since`, newest first."""
        return [
            (int(nudge_id), created_at)
            for nudge_id, created_at in self.session.execute(
                select(NudgeRow.id, NudgeRow.created_at)
                .where(
                    NudgeRow.workspace_id == self.workspace_id,
                    NudgeRow.manager_id == manager_id,
                    NudgeRow.status == "sent",
                    NudgeRow.created_at >= since,
                )
                .order_by(NudgeRow.created_at.desc(), NudgeRow.id.desc())
            )
        ]

    def last(self, manager_id: str, *, statuses: Sequence[str] = ("sent",)) -> NudgeRow | None:
        return self.session.scalar(
            select(NudgeRow)
            .where(
                NudgeRow.workspace_id == self.workspace_id,
                NudgeRow.manager_id == manager_id,
                NudgeRow.status.in_(statuses),
            )
            .order_by(NudgeRow.created_at.desc(), NudgeRow.id.desc())
            .limit(1)
        )

    def recent(
        self,
        *,
        manager_id: str | None = None,
        since: datetime | None = None,
        statuses: Sequence[str] = ("sent", "suppressed"),
        limit: int | None = None,
    ) -> Sequence[NudgeRow]:
        stmt = select(NudgeRow).where(
            NudgeRow.workspace_id == self.workspace_id, NudgeRow.status.in_(statuses)
        )
        if manager_id is not None:
            stmt = stmt.where(NudgeRow.manager_id == manager_id)
        if since is not None:
            stmt = stmt.where(NudgeRow.created_at >= since)
        stmt = stmt.order_by(NudgeRow.created_at.desc(), NudgeRow.id.desc())
        if limit is not None:
            stmt = stmt.limit(limit)
        return self.session.scalars(stmt).all()

    def signals_of(self, nudge_id: int) -> Sequence[SignalRow]:
        return self.session.scalars(
            select(SignalRow)
            .where(SignalRow.workspace_id == self.workspace_id, SignalRow.nudge_id == nudge_id)
            .order_by(SignalRow.occurred_at, SignalRow.id)
        ).all()

    def card_facts(self, nudge_id: int, *, limit: int = 20) -> CardFacts:
        """What a nudge card shows about its active signals: the first `limit` (plain columns),
        how many came after the headline message, and every (rule, type) that fired.

        A card is redrawn each time a signal is added to its nudge, so the cost must not grow
        with the signals: one bounded query, and two counting queries only past `limit`.
        """
        active = (
            SignalRow.workspace_id == self.workspace_id,
            SignalRow.nudge_id == nudge_id,
            SignalRow.status == "active",
        )
        rows = [
            SignalFacts(*row)
            for row in self.session.execute(
                select(
                    SignalRow.type,
                    SignalRow.rule,
                    SignalRow.permalink,
                    SignalRow.occurred_at,
                    SignalRow.justified,
                )
                .where(*active)
                .order_by(SignalRow.occurred_at, SignalRow.id)
                .limit(limit + 1)
            )
        ]
        first_link = rows[0].permalink if rows else None
        if len(rows) <= limit:
            later = sum(1 for f in rows[1:] if f.permalink != first_link or not first_link)
            return CardFacts(tuple(rows), later, frozenset((f.rule, f.type) for f in rows))
        # Later moments: signals from other messages than the headline one (without a link to
        # tell them apart, every signal but the headline one).
        count = select(func.count()).select_from(SignalRow).where(*active)
        if first_link:
            count = count.where((SignalRow.permalink != first_link) | SignalRow.permalink.is_(None))
        later = int(self.session.scalar(count) or 0) - (0 if first_link else 1)
        rules = self.session.execute(
            select(SignalRow.rule, SignalRow.type).where(*active).distinct()
        )
        return CardFacts(tuple(rows[:limit]), later, frozenset((r, t) for r, t in rules))

    def justified_count(self, manager_id: str, rule: str, since: datetime) -> int:
        """How often this manager said "it was needed" about this rule since `since`."""
        count = self.session.scalar(
            select(func.count())
            .select_from(SignalRow)
            .where(
                SignalRow.workspace_id == self.workspace_id,
                SignalRow.manager_id == manager_id,
                SignalRow.rule == rule,
                SignalRow.justified.is_(True),
                SignalRow.status == "active",
                SignalRow.occurred_at >= since,
            )
        )
        return int(count or 0)

    def add_action(self, row: NudgeActionRow) -> NudgeActionRow:
        if row.workspace_id != self.workspace_id:
            raise ValueError("nudge action belongs to another workspace")
        self.session.add(row)
        self.session.flush()
        return row

    def actions_of(self, nudge_id: int) -> Sequence[NudgeActionRow]:
        return self.session.scalars(
            select(NudgeActionRow)
            .where(
                NudgeActionRow.workspace_id == self.workspace_id,
                NudgeActionRow.nudge_id == nudge_id,
            )
            .order_by(NudgeActionRow.created_at, NudgeActionRow.id)
        ).all()

    def actions_for(self, nudge_ids: Sequence[int]) -> dict[int, list[NudgeActionRow]]:
        found: dict[int, list[NudgeActionRow]] = {n: [] for n in nudge_ids}
        if not nudge_ids:
            return found
        rows = self.session.scalars(
            select(NudgeActionRow)
            .where(
                NudgeActionRow.workspace_id == self.workspace_id,
                NudgeActionRow.nudge_id.in_(list(nudge_ids)),
            )
            .order_by(NudgeActionRow.created_at, NudgeActionRow.id)
        ).all()
        for row in rows:
            found.setdefault(row.nudge_id, []).append(row)
        return found
