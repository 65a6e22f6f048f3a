"""Enqueue messages. Every message Enabler sends goes through here, then the delivery worker.

Use cases call `post(...)` or `update(...)` inside their own unit of work, so "the nudge was
decided" and "the nudge will be sent" commit together. The worker (bot/delivery/worker.py)
sends each row once; see the README section "Delivery guarantees".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.db.repositories.delivery import DeliveryRepo
from bot.db.rows import DeliveryRow
from bot.db.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Message:
    """What chat.postMessage / chat.update get. `text` is the notification fallback."""

    text: str
    blocks: list[dict[str, Any]] | None = None
    # Attribution when Enabler posts on a manager's behalf (needs chat:write.customize).
    username: str | None = None
    icon_url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"text": self.text}
        if self.blocks is not None:
            payload["blocks"] = self.blocks
        if self.username:
            payload["username"] = self.username
        if self.icon_url:
            payload["icon_url"] = self.icon_url
        payload.update(self.extra)
        return payload


def post(
    tx: UnitOfWork,
    *,
    workspace_id: str,
    kind: str,
    dedupe_key: str,
    message: Message,
    now: datetime,
    to_user: str | None = None,
    channel: str | None = None,
    thread_ts: str | None = None,
    due_at: datetime | None = None,
    expires_at: datetime | None = None,
) -> int | None:
    """Queue a new message to a user's DM (`to_user`) or a channel/thread.

    Returns the delivery id, or None when `dedupe_key` was queued before (nothing is added).
    """
    if (to_user is None) == (channel is None):
        raise ValueError("give exactly one of to_user or channel")
    row = dict(
        workspace_id=workspace_id,
        kind=kind,
        dedupe_key=dedupe_key,
        operation="post",
        recipient_user_id=to_user,
        channel_id=channel,
        thread_ts=thread_ts,
        payload=message.to_payload(),
        status="pending",
        due_at=due_at or now,
        expires_at=expires_at,
        attempts=0,
        created_at=now,
    )
    return DeliveryRepo(tx.session, workspace_id).add_once(row)


def update(
    tx: UnitOfWork,
    *,
    workspace_id: str,
    kind: str,
    dedupe_key: str,
    of_delivery: int,
    message: Message,
    now: datetime,
) -> int | None:
    """Queue an in-place edit (chat.update) of a message sent by an earlier delivery.

    The worker waits for the original to be sent first; edits apply in the order queued, and
    an edit cancels the ones queued before it that have not started (it replaces them whole).
    """
    repo = DeliveryRepo(tx.session, workspace_id)
    original = repo.get(of_delivery)
    if original is None:
        raise ValueError(f"no delivery {of_delivery} in this workspace")
    row = dict(
        workspace_id=workspace_id,
        kind=kind,
        dedupe_key=dedupe_key,
        operation="update",
        recipient_user_id=original.recipient_user_id,
        channel_id=original.channel_id,
        update_of=of_delivery,
        payload=message.to_payload(),
        status="pending",
        due_at=now,
        attempts=0,
        created_at=now,
    )
    added = repo.add_once(row)
    if added is None:
        return None  # this very edit was queued before: nothing is superseded
    repo.supersede_edits(of_delivery, before=added)
    return added


def cancel(tx: UnitOfWork, *, workspace_id: str, dedupe_key: str) -> bool:
    """Cancel a message that has not started sending (e.g. a reminder no longer needed)."""
    row = DeliveryRepo(tx.session, workspace_id).by_key(workspace_id, dedupe_key)
    if row is None or row.status not in ("pending", "claimed"):
        return False
    row.status = "cancelled"
    return True


def get(tx: UnitOfWork, *, workspace_id: str, delivery_id: int) -> DeliveryRow | None:
    return DeliveryRepo(tx.session, workspace_id).get(delivery_id)


def by_key(tx: UnitOfWork, *, workspace_id: str, dedupe_key: str) -> DeliveryRow | None:
    return DeliveryRepo(tx.session, workspace_id).by_key(workspace_id, dedupe_key)


def recent(
    tx: UnitOfWork,
    *,
    workspace_id: str,
    statuses: Sequence[str] | None = None,
    kind: str | None = None,
    limit: int = 50,
) -> Sequence[DeliveryRow]:
    """For sales ops: what failed and why (user_not_found, account_inactive, ...)."""
    return DeliveryRepo(tx.session, workspace_id).list(statuses=statuses, kind=kind, limit=limit)
