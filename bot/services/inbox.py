"""The transactional inbox for Events API deliveries: record in the ack path, process once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bot.clock import Clock
from bot.db.repositories.core import InboxRepo
from bot.db.rows import InboxEventRow
from bot.db.unit_of_work import UnitOfWork, UnitOfWorkFactory

MAX_ATTEMPTS = 5

# Runs the event's use case inside `tx`; returns an outcome code ("ok", "ignored:<why>").
Handler = Callable[[UnitOfWork, str, dict[str, Any]], str]


def record(*, uow: UnitOfWorkFactory, clock: Clock, body: dict[str, Any]) -> bool:
    """Ack path: store the delivery. False for a retry of an event already recorded.

    One INSERT … ON CONFLICT DO NOTHING, committed before we return (and shared with requests
    arriving at the same moment: group commit): all the ack path does.
    """
    event = body.get("event") or {}
    return uow.insert_committed(
        InboxEventRow,
        {
            "event_id": str(body["event_id"]),
            "workspace_id": str(body.get("team_id") or ""),
            "event_type": str(event.get("type", "unknown")),
            "payload": {"event": event, "event_time": body.get("event_time")},
            "received_at": clock.now(),
            "attempts": 0,
        },
        ["event_id"],
    )


class Processed:
    def __init__(self, event_type: str, outcome: str) -> None:
        self.event_type = event_type
        self.outcome = outcome


def process(
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    event_id: str,
    handler_for: Callable[[str], Handler | None],
) -> Processed | None:
    """Run the handler for one recorded event, once; None when it was already processed.

    The handler's writes and the "processed" mark commit together. A failure is recorded and
    retried by `sweep` up to MAX_ATTEMPTS, then dead-lettered (kept, never retried forever).
    Raises nothing: failures come back as an outcome ("error:<Type>" or "dead:<Type>").
    """
    with uow() as tx:
        repo = InboxRepo(tx.session)
        pending = repo.claim(event_id)
        if pending is None:
            return None
        event_type = pending.event_type
        event = (pending.payload or {}).get("event") or {}
        handler = handler_for(event_type)
        try:
            outcome = handler(tx, pending.workspace_id, event) if handler else "ignored:unhandled"
            # The payload (message text) is not kept once handled.
            repo.mark_processed(event_id, now=clock.now(), outcome=outcome)
            tx.commit()
        except Exception as exc:
            tx.session.rollback()
            failed = _record_failure(uow=uow, clock=clock, event_id=event_id, exc=exc)
            raise HandlerFailedError(event_type, failed) from exc
    return Processed(event_type, outcome)


class HandlerFailedError(Exception):
    def __init__(self, event_type: str, outcome: str) -> None:
        super().__init__(outcome)
        self.event_type = event_type
        self.outcome = outcome


def _record_failure(*, uow: UnitOfWorkFactory, clock: Clock, event_id: str, exc: Exception) -> str:
    with uow() as tx:
        row = InboxRepo(tx.session).lock_pending(event_id)
        if row is None:
            return "error:gone"
        row.attempts += 1
        row.outcome = f"error:{type(exc).__name__}"
        if row.attempts >= MAX_ATTEMPTS:
            row.processed_at = clock.now()
            row.payload = None
            row.outcome = f"dead:{type(exc).__name__}"
        tx.commit()
        return row.outcome


def pending_ids(
    *, uow: UnitOfWorkFactory, clock: Clock, grace: timedelta, limit: int = 100
) -> list[str]:
    with uow() as tx:
        return [
            r.event_id
            for r in InboxRepo(tx.session).pending(older_than=clock.now() - grace, limit=limit)
        ]


def prune(*, uow: UnitOfWorkFactory, clock: Clock, keep: timedelta = timedelta(days=7)) -> int:
    with uow() as tx:
        count = InboxRepo(tx.session).prune(clock.now() - keep)
        tx.commit()
    return count
