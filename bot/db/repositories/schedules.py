"""Schedules, their occurrences, reflections, workspace prompt edits and person preferences."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.db.rows import (
    CustomPromptRow,
    DeliveryRow,
    PersonPrefsRow,
    PromptOccurrenceRow,
    ReflectionRow,
    RetiredPromptRow,
    ScheduleRow,
)
from bot.db.upsert import insert_ignore


class ScheduleRepo:
    def __init__(self, session: Session, workspace_id: str) -> None:
        self.session = session
        self.workspace_id = workspace_id

    def get(self, schedule_id: int) -> ScheduleRow | None:
        row = self.session.get(ScheduleRow, schedule_id)
        if row is None or row.workspace_id != self.workspace_id:
            return None
        return row

    def by_name(self, name: str) -> ScheduleRow | None:
        return self.session.scalar(
            select(ScheduleRow).where(
                ScheduleRow.workspace_id == self.workspace_id,
                func.lower(ScheduleRow.name) == name.strip().lower(),
            )
        )

    def all(self) -> Sequence[ScheduleRow]:
        return self.session.scalars(
            select(ScheduleRow)
            .where(ScheduleRow.workspace_id == self.workspace_id)
            .order_by(ScheduleRow.name)
        ).all()

    def add(self, row: ScheduleRow) -> ScheduleRow:
        if row.workspace_id != self.workspace_id:
            raise ValueError("schedule belongs to another workspace")
        self.session.add(row)
        self.session.flush()
        return row

    def delete(self, row: ScheduleRow) -> None:
        self.session.delete(row)
        self.session.flush()

    def lock_for_planning(self, schedule_id: int) -> ScheduleRow | None:
        """The schedule, row-locked; None when another replica is planning it right now.

        Only an optimisation (replicas do not repeat each other's work): the unique key on
        occurrences is what makes planning exactly-once. SQLite has one writer, so the lock is
        implied there.
        """
        return self.session.scalar(
            select(ScheduleRow)
            .where(ScheduleRow.id == schedule_id, ScheduleRow.workspace_id == self.workspace_id)
            .with_for_update(skip_locked=True)
        )

    @staticmethod
    def active_ids(session: Session) -> list[tuple[str, int]]:
        """(workspace, schedule id) of every schedule that is not paused, in a stable order so
        replicas walk them alike."""
        rows = session.execute(
            select(ScheduleRow.workspace_id, ScheduleRow.id)
            .where(ScheduleRow.paused.is_(False))
            .order_by(ScheduleRow.workspace_id, ScheduleRow.id)
        ).all()
        return [(str(w), int(i)) for w, i in rows]


class OccurrenceRepo:
    def __init__(self, session: Session, workspace_id: str) -> None:
        self.session = session
        self.workspace_id = workspace_id

    def get(self, occurrence_id: int) -> PromptOccurrenceRow | None:
        row = self.session.get(PromptOccurrenceRow, occurrence_id)
        if row is None or row.workspace_id != self.workspace_id:
            return None
        return row

    def lock(self, occurrence_id: int) -> PromptOccurrenceRow | None:
        """The occurrence, locked, so two clicks on Answer/Skip are handled one after the other."""
        return self.session.scalar(
            select(PromptOccurrenceRow)
            .where(
                PromptOccurrenceRow.id == occurrence_id,
                PromptOccurrenceRow.workspace_id == self.workspace_id,
            )
            .with_for_update()
        )

    def keys_since(self, schedule_id: int, since: datetime) -> set[tuple[str, str]]:
        """(user, occurrence key) already recorded at or after `since` (minus a day of slack)."""
        rows = self.session.execute(
            select(PromptOccurrenceRow.user_id, PromptOccurrenceRow.occurrence_key).where(
                PromptOccurrenceRow.schedule_id == schedule_id,
                PromptOccurrenceRow.occurs_at >= since,
            )
        ).all()
        return {(str(u), str(k)) for u, k in rows}

    def add_once(self, row: PromptOccurrenceRow) -> bool:
        """Insert unless (schedule, user, key) exists; False when another process won.

        The insert runs in a savepoint, so losing the race leaves the caller's transaction
        usable. On PostgreSQL a concurrent insert of the same key waits for the winner's commit
        and then fails here: never two rows, never a lost one.
        """
        try:
            with self.session.begin_nested():
                self.session.add(row)
        except IntegrityError:
            return False
        return True

    def prompt_history(self, schedule_id: int) -> dict[str, list[str]]:
        """Prompt ids each recipient was sent by this schedule, oldest first (for rotation)."""
        rows = self.session.execute(
            select(PromptOccurrenceRow.user_id, PromptOccurrenceRow.prompt_id)
            .where(
                PromptOccurrenceRow.schedule_id == schedule_id,
                PromptOccurrenceRow.prompt_id.is_not(None),
                PromptOccurrenceRow.status.in_(("planned", "sent")),
            )
            .order_by(PromptOccurrenceRow.occurs_at, PromptOccurrenceRow.id)
        ).all()
        history: dict[str, list[str]] = {}
        for user_id, prompt_id in rows:
            history.setdefault(str(user_id), []).append(str(prompt_id))
        return history

    def settled_deliveries(
        self, *, limit: int = 500
    ) -> list[tuple[PromptOccurrenceRow, DeliveryRow]]:
        """Planned occurrences whose outbox row reached an end state (sent, failed, cancelled)."""
        rows = self.session.execute(
            select(PromptOccurrenceRow, DeliveryRow)
            .join(DeliveryRow, DeliveryRow.id == PromptOccurrenceRow.delivery_id)
            .where(
                PromptOccurrenceRow.workspace_id == self.workspace_id,
                PromptOccurrenceRow.status == "planned",
                DeliveryRow.status.in_(("sent", "failed", "cancelled")),
            )
            .order_by(PromptOccurrenceRow.id)
            .limit(limit)
        ).all()
        return [(o, d) for o, d in rows]

    def for_schedule(
        self, schedule_id: int, *, statuses: Sequence[str] | None = None
    ) -> Sequence[PromptOccurrenceRow]:
        stmt = select(PromptOccurrenceRow).where(
            PromptOccurrenceRow.workspace_id == self.workspace_id,
            PromptOccurrenceRow.schedule_id == schedule_id,
        )
        if statuses:
            stmt = stmt.where(PromptOccurrenceRow.status.in_(statuses))
        return self.session.scalars(stmt.order_by(PromptOccurrenceRow.occurs_at)).all()

    def counts(self, schedule_id: int) -> dict[str, int]:
        rows = self.session.execute(
            select(PromptOccurrenceRow.status, func.count())
            .where(
                PromptOccurrenceRow.workspace_id == self.workspace_id,
                PromptOccurrenceRow.schedule_id == schedule_id,
            )
            .group_by(PromptOccurrenceRow.status)
        ).all()
        return {str(s): int(n) for s, n in rows}

    def recent_problems(self, *, limit: int = 10) -> Sequence[PromptOccurrenceRow]:
        """Latest failed occurrences: what sales ops should look at (user_not_found, ...)."""
        return self.session.scalars(
            select(PromptOccurrenceRow)
            .where(
                PromptOccurrenceRow.workspace_id == self.workspace_id,
                PromptOccurrenceRow.status == "failed",
            )
            .order_by(PromptOccurrenceRow.occurs_at.desc(), PromptOccurrenceRow.id.desc())
            .limit(limit)
        ).all()


class ReflectionRepo:
    def __init__(self, session: Session, workspace_id: str) -> None:
        self.session = session
        self.workspace_id = workspace_id

    def by_occurrence(self, occurrence_id: int) -> ReflectionRow | None:
        return self.session.scalar(
            select(ReflectionRow).where(
                ReflectionRow.workspace_id == self.workspace_id,
                ReflectionRow.occurrence_id == occurrence_id,
            )
        )

    def add(self, row: ReflectionRow) -> ReflectionRow:
        if row.workspace_id != self.workspace_id:
            raise ValueError("reflection belongs to another workspace")
        self.session.add(row)
        self.session.flush()
        return row

    def by_author(self, user_id: str, *, limit: int = 10) -> Sequence[ReflectionRow]:
        """Only ever by author: there is no query for someone else's reflections."""
        return self.session.scalars(
            select(ReflectionRow)
            .where(
                ReflectionRow.workspace_id == self.workspace_id,
                ReflectionRow.user_id == user_id,
                ReflectionRow.status == "answered",
            )
            .order_by(ReflectionRow.created_at.desc(), ReflectionRow.id.desc())
            .limit(limit)
        ).all()


class PromptRepo:
    """Sales ops' additions to and retirements from the shipped prompt library."""

    def __init__(self, session: Session, workspace_id: str) -> None:
        self.session = session
        self.workspace_id = workspace_id

    def custom(self) -> Sequence[CustomPromptRow]:
        return self.session.scalars(
            select(CustomPromptRow)
            .where(CustomPromptRow.workspace_id == self.workspace_id)
            .order_by(CustomPromptRow.id)
        ).all()

    def get_custom(self, prompt_id: str) -> CustomPromptRow | None:
        return self.session.scalar(
            select(CustomPromptRow).where(
                CustomPromptRow.workspace_id == self.workspace_id,
                CustomPromptRow.prompt_id == prompt_id,
            )
        )

    def add_custom(self, row: CustomPromptRow) -> None:
        if row.workspace_id != self.workspace_id:
            raise ValueError("prompt belongs to another workspace")
        self.session.add(row)
        self.session.flush()

    def retired_ids(self) -> set[str]:
        return set(
            self.session.scalars(
                select(RetiredPromptRow.prompt_id).where(
                    RetiredPromptRow.workspace_id == self.workspace_id
                )
            )
        )

    def retire(self, prompt_id: str, *, now: datetime, by: str | None) -> bool:
        if self.session.get(RetiredPromptRow, (self.workspace_id, prompt_id)) is not None:
            return False
        self.session.add(
            RetiredPromptRow(
                workspace_id=self.workspace_id, prompt_id=prompt_id, retired_by=by, retired_at=now
            )
        )
        self.session.flush()
        return True

    def unretire(self, prompt_id: str) -> bool:
        result = self.session.execute(
            delete(RetiredPromptRow).where(
                RetiredPromptRow.workspace_id == self.workspace_id,
                RetiredPromptRow.prompt_id == prompt_id,
            )
        )
        return bool(getattr(result, "rowcount", 0))


class PrefsRepo:
    """Per-person preferences (snooze, nudges on/off, muted channels, policy overrides)."""

    def __init__(self, session: Session, workspace_id: str) -> None:
        self.session = session
        self.workspace_id = workspace_id

    def get(self, user_id: str) -> PersonPrefsRow | None:
        return self.session.get(PersonPrefsRow, (self.workspace_id, user_id))

    def ensure(self, user_id: str, *, now: datetime) -> PersonPrefsRow:
        """The person's preferences, created with the defaults if missing.

        Race-free: two transactions creating the same person's row (two events about one new
        manager, processed at once) both succeed; neither aborts on the primary key.
        """
        row = self.get(user_id)
        if row is None:
            insert_ignore(
                self.session,
                PersonPrefsRow,
                {
                    "workspace_id": self.workspace_id,
                    "user_id": user_id,
                    "snoozed_until": None,
                    "nudges_enabled": True,
                    "muted_channels": [],
                    "policy_overrides": {},
                    "updated_at": now,
                },
                ["workspace_id", "user_id"],
            )
            row = self.get(user_id)
            assert row is not None
        return row

    def snoozed_after(self, instant: datetime) -> dict[str, datetime]:
        """Who is snoozed past `instant`, and until when."""
        rows = self.session.execute(
            select(PersonPrefsRow.user_id, PersonPrefsRow.snoozed_until).where(
                PersonPrefsRow.workspace_id == self.workspace_id,
                PersonPrefsRow.snoozed_until.is_not(None),
                PersonPrefsRow.snoozed_until > instant,
            )
        ).all()
        return {str(u): until for u, until in rows if until is not None}
