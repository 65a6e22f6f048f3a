"""Queries for one-on-ones, action items, debrief items, coaching requests and plans.

Built for one workspace; every statement filters on it, so another team's rows cannot be read
or changed through this repository.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.db.rows import (
    ActionItemRow,
    CoachingRequestRow,
    DebriefItemRow,
    DevelopmentPlanRow,
    OneOnOneRow,
    PlanSnapshotRow,
    RepCadenceRow,
)

OPEN_REQUEST_STATES = ("requested", "proposed", "accepted")


class CoachingRepo:
    def __init__(self, session: Session, workspace_id: str) -> None:
        self.session = session
        self.workspace_id = workspace_id

    def _own(self, row: object) -> None:
        if getattr(row, "workspace_id", None) != self.workspace_id:
            raise ValueError("row belongs to another workspace")

    def add(self, row: object) -> None:
        self._own(row)
        self.session.add(row)
        self.session.flush()

    # -- coaching requests ------------------------------------------------------------------

    def request(self, request_id: int, *, for_update: bool = False) -> CoachingRequestRow | None:
        stmt = select(CoachingRequestRow).where(
            CoachingRequestRow.workspace_id == self.workspace_id,
            CoachingRequestRow.id == request_id,
        )
        if for_update:
            stmt = stmt.with_for_update()
        return self.session.scalar(stmt)

    def requests(
        self,
        *,
        requester_id: str | None = None,
        manager_ids: Collection[str] | None = None,
        states: Collection[str] | None = None,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> Sequence[CoachingRequestRow]:
        stmt = select(CoachingRequestRow).where(
            CoachingRequestRow.workspace_id == self.workspace_id
        )
        if requester_id is not None:
            stmt = stmt.where(CoachingRequestRow.requester_id == requester_id)
        if manager_ids is not None:
            stmt = stmt.where(CoachingRequestRow.manager_id.in_(list(manager_ids)))
        if states is not None:
            stmt = stmt.where(CoachingRequestRow.state.in_(list(states)))
        if since is not None:
            stmt = stmt.where(CoachingRequestRow.requested_at >= since)
        stmt = stmt.order_by(CoachingRequestRow.requested_at.desc(), CoachingRequestRow.id.desc())
        if limit is not None:
            stmt = stmt.limit(limit)
        return self.session.scalars(stmt).all()

    def unanswered_past(self, now: datetime) -> Sequence[CoachingRequestRow]:
        """Requests still waiting for the manager's first answer after their deadline."""
        return self.session.scalars(
            select(CoachingRequestRow)
            .where(
                CoachingRequestRow.workspace_id == self.workspace_id,
                CoachingRequestRow.state == "requested",
                CoachingRequestRow.response_deadline < now,
            )
            .order_by(CoachingRequestRow.id)
        ).all()

    # -- one-on-ones ------------------------------------------------------------------------

    def one_on_ones(
        self,
        *,
        rep_id: str | None = None,
        manager_id: str | None = None,
        limit: int | None = None,
    ) -> Sequence[OneOnOneRow]:
        stmt = select(OneOnOneRow).where(OneOnOneRow.workspace_id == self.workspace_id)
        if rep_id is not None:
            stmt = stmt.where(OneOnOneRow.rep_id == rep_id)
        if manager_id is not None:
            stmt = stmt.where(OneOnOneRow.manager_id == manager_id)
        stmt = stmt.order_by(OneOnOneRow.held_on.desc(), OneOnOneRow.id.desc())
        if limit is not None:
            stmt = stmt.limit(limit)
        return self.session.scalars(stmt).all()

    def last_one_on_ones(self, rep_ids: Collection[str]) -> dict[str, OneOnOneRow]:
        """The latest 1:1 per rep (by date, then by id), one query."""
        if not rep_ids:
            return {}
        rows = self.session.scalars(
            select(OneOnOneRow)
            .where(OneOnOneRow.workspace_id == self.workspace_id)
            .where(OneOnOneRow.rep_id.in_(list(rep_ids)))
            .order_by(OneOnOneRow.held_on, OneOnOneRow.id)
        ).all()
        latest: dict[str, OneOnOneRow] = {}
        for row in rows:
            latest[row.rep_id] = row
        return latest

    # -- action items -----------------------------------------------------------------------

    def action_item(self, item_id: int) -> ActionItemRow | None:
        return self.session.scalar(
            select(ActionItemRow).where(
                ActionItemRow.workspace_id == self.workspace_id, ActionItemRow.id == item_id
            )
        )

    def action_items(
        self,
        *,
        rep_ids: Collection[str] | None = None,
        owner_id: str | None = None,
        open_only: bool = True,
    ) -> Sequence[ActionItemRow]:
        stmt = select(ActionItemRow).where(ActionItemRow.workspace_id == self.workspace_id)
        if rep_ids is not None:
            stmt = stmt.where(ActionItemRow.rep_id.in_(list(rep_ids)))
        if owner_id is not None:
            stmt = stmt.where(ActionItemRow.owner_id == owner_id)
        if open_only:
            stmt = stmt.where(ActionItemRow.done.is_(False))
        return self.session.scalars(
            stmt.order_by(func.coalesce(ActionItemRow.due, date.max), ActionItemRow.id)
        ).all()

    def items_to_remind(self, due_by: date) -> Sequence[ActionItemRow]:
        """Open, not yet reminded items due on or before `due_by` (the caller filters by zone)."""
        return self.session.scalars(
            select(ActionItemRow)
            .where(
                ActionItemRow.workspace_id == self.workspace_id,
                ActionItemRow.done.is_(False),
                ActionItemRow.reminded_at.is_(None),
                ActionItemRow.due.is_not(None),
                ActionItemRow.due <= due_by,
            )
            .order_by(ActionItemRow.id)
        ).all()

    # -- debrief items ----------------------------------------------------------------------

    def open_debriefs(self, *, manager_id: str, rep_id: str) -> Sequence[DebriefItemRow]:
        return self.session.scalars(
            select(DebriefItemRow)
            .where(
                DebriefItemRow.workspace_id == self.workspace_id,
                DebriefItemRow.manager_id == manager_id,
                DebriefItemRow.rep_id == rep_id,
                DebriefItemRow.one_on_one_id.is_(None),
            )
            .order_by(DebriefItemRow.id)
        ).all()

    # -- cadence ----------------------------------------------------------------------------

    def cadences(self, rep_ids: Collection[str]) -> dict[str, int]:
        if not rep_ids:
            return {}
        rows = self.session.scalars(
            select(RepCadenceRow).where(
                RepCadenceRow.workspace_id == self.workspace_id,
                RepCadenceRow.rep_id.in_(list(rep_ids)),
            )
        ).all()
        return {r.rep_id: r.cadence_days for r in rows}

    def cadence_row(self, rep_id: str) -> RepCadenceRow | None:
        return self.session.get(RepCadenceRow, (self.workspace_id, rep_id))

    # -- development plans ------------------------------------------------------------------

    def plan(self, rep_id: str) -> DevelopmentPlanRow | None:
        return self.session.get(DevelopmentPlanRow, (self.workspace_id, rep_id))

    def plans(self, rep_ids: Collection[str]) -> dict[str, DevelopmentPlanRow]:
        if not rep_ids:
            return {}
        rows = self.session.scalars(
            select(DevelopmentPlanRow).where(
                DevelopmentPlanRow.workspace_id == self.workspace_id,
                DevelopmentPlanRow.rep_id.in_(list(rep_ids)),
            )
        ).all()
        return {r.rep_id: r for r in rows}

    def snapshots(self, rep_id: str) -> Sequence[PlanSnapshotRow]:
        return self.session.scalars(
            select(PlanSnapshotRow)
            .where(
                PlanSnapshotRow.workspace_id == self.workspace_id,
                PlanSnapshotRow.rep_id == rep_id,
            )
            .order_by(PlanSnapshotRow.taken_on)
        ).all()

    def snapshot_on(self, rep_id: str, day: date) -> PlanSnapshotRow | None:
        return self.session.scalar(
            select(PlanSnapshotRow).where(
                PlanSnapshotRow.workspace_id == self.workspace_id,
                PlanSnapshotRow.rep_id == rep_id,
                PlanSnapshotRow.taken_on == day,
            )
        )

    # -- privacy ----------------------------------------------------------------------------

    def requests_involving(self, user_id: str) -> Sequence[CoachingRequestRow]:
        return self.session.scalars(
            select(CoachingRequestRow)
            .where(
                CoachingRequestRow.workspace_id == self.workspace_id,
                (CoachingRequestRow.requester_id == user_id)
                | (CoachingRequestRow.manager_id == user_id),
            )
            .order_by(CoachingRequestRow.id)
        ).all()

    def one_on_ones_involving(self, user_id: str) -> Sequence[OneOnOneRow]:
        return self.session.scalars(
            select(OneOnOneRow)
            .where(
                OneOnOneRow.workspace_id == self.workspace_id,
                (OneOnOneRow.rep_id == user_id) | (OneOnOneRow.manager_id == user_id),
            )
            .order_by(OneOnOneRow.id)
        ).all()

    def action_items_involving(self, user_id: str) -> Sequence[ActionItemRow]:
        return self.session.scalars(
            select(ActionItemRow)
            .where(
                ActionItemRow.workspace_id == self.workspace_id,
                (ActionItemRow.rep_id == user_id)
                | (ActionItemRow.manager_id == user_id)
                | (ActionItemRow.owner_id == user_id),
            )
            .order_by(ActionItemRow.id)
        ).all()

    def debriefs_involving(self, user_id: str) -> Sequence[DebriefItemRow]:
        return self.session.scalars(
            select(DebriefItemRow)
            .where(
                DebriefItemRow.workspace_id == self.workspace_id,
                (DebriefItemRow.rep_id == user_id) | (DebriefItemRow.manager_id == user_id),
            )
            .order_by(DebriefItemRow.id)
        ).all()
