"""The outbox worker: sends queued messages to Slack once, whatever crashes.

Each process runs one (on its local timer); any number may share a database.

1. Claim: due rows move pending -> claimed under a lease (FOR UPDATE SKIP LOCKED on PostgreSQL,
   the single writer on SQLite), so two workers never hold the same row.
2. Send, one row at a time per thread: mark it `sending` (committed) *before* calling Slack,
   call chat.postMessage / chat.update with `metadata` carrying the delivery id, then mark it
   `sent` with the channel and ts.
3. A worker killed between 2's commits leaves a `sending` row with an expired lease. The
   reconciler looks for a message carrying that delivery id (conversations.history since the
   send began) and marks it sent if found; only otherwise is it sent again. A `claimed` row
   whose lease expired was never started and is simply claimed again.

Errors: 429 -> retried after Retry-After (and the whole process slows down); 5xx, timeouts
and connection errors -> retried with exponential backoff, at most MAX_ATTEMPTS; permanent
errors (user_not_found, account_inactive, channel_not_found, ...) -> `failed` with the code,
shown to sales ops, never retried.
"""

from __future__ import annotations

import os
import random
import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.clock import Clock
from bot.db.repositories.delivery import DeliveryRepo
from bot.db.rows import DeliveryRow
from bot.db.unit_of_work import UnitOfWorkFactory
from bot.delivery.ratelimit import TokenBucket
from bot.observability import Metrics, get_logger

log = get_logger(__name__)

METADATA_EVENT = "enabler_delivery"
MAX_ATTEMPTS = 6
MAX_BACKOFF = timedelta(minutes=10)

# Worth retrying later. Any other Slack error (user_not_found, account_inactive,
# channel_not_found, invalid_blocks, ...) is deterministic: retrying cannot help, so the row
# fails at once with the code, for sales ops to see.
TRANSIENT_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"}
)


@dataclass
class DrainResult:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    expired: int = 0
    reconciled: int = 0

    def add(self, other: DrainResult) -> None:
        self.sent += other.sent
        self.failed += other.failed
        self.retried += other.retried
        self.expired += other.expired
        self.reconciled += other.reconciled


@dataclass(frozen=True)
class _Claimed:
    """What the worker needs of a claimed row, read once at claim time."""

    id: int
    kind: str
    operation: str
    channel_id: str | None
    recipient_user_id: str | None
    thread_ts: str | None
    update_of: int | None
    payload: dict[str, Any]
    expires_at: datetime | None

    @classmethod
    def of(cls, row: DeliveryRow) -> _Claimed:
        return cls(
            id=row.id,
            kind=row.kind,
            operation=row.operation,
            channel_id=row.channel_id,
            recipient_user_id=row.recipient_user_id,
            thread_ts=row.thread_ts,
            update_of=row.update_of,
            payload=dict(row.payload),
            expires_at=row.expires_at,
        )


@dataclass(frozen=True)
class _Sent:
    """Slack accepted this row's message; recorded with the next transaction."""

    id: int
    kind: str
    channel: str
    ts: str


@dataclass
class WorkerConfig:
    batch: int = 50
    lease: timedelta = timedelta(seconds=60)
    # Parallel sends per process; the token bucket keeps the total under Slack's limit.
    concurrency: int = 4
    # Workspace-wide chat.postMessage pace (Slack allows "several hundred a minute").
    post_rate_per_second: float = 4.0
    # conversations.history for non-Marketplace apps: 1 call a minute.
    history_calls_per_minute: float = 1.0
    owner: str = field(
        default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
    )


class OutboxWorker:
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        client: WebClient,
        clock: Clock,
        metrics: Metrics | None = None,
        config: WorkerConfig | None = None,
    ) -> None:
        self.uow = uow
        self.client = client
        self.clock = clock
        self.metrics = metrics
        self.config = config or WorkerConfig()
        self._post_bucket = TokenBucket(self.config.post_rate_per_second)
        history_rate = self.config.history_calls_per_minute / 60.0
        self._history_bucket = TokenBucket(history_rate, burst=max(1.0, history_rate))
        self._lock = threading.Lock()  # one drain at a time per worker

    # -- the loop ----------------------------------------------------------------------------

    def drain(self, *, max_batches: int | None = None) -> DrainResult:
        """Send everything due now. Returns what happened; safe to call from several threads."""
        total = DrainResult()
        if not self._lock.acquire(blocking=False):
            return total
        try:
            total.reconciled += self.reconcile()
            batches = 0
            while max_batches is None or batches < max_batches:
                rows = self._claim()
                if not rows:
                    break
                batches += 1
                lanes = max(1, min(self.config.concurrency, len(rows)))
                chunks = [rows[i::lanes] for i in range(lanes)]
                with ThreadPoolExecutor(max_workers=lanes) as pool:
                    for result in pool.map(self._deliver_lane, chunks):
                        total.add(result)
        finally:
            self._lock.release()
        return total

    def _claim(self) -> list[_Claimed]:
        now = self.clock.now()
        with self.uow() as tx:
            rows = DeliveryRepo(tx.session).claim_due(
                now=now,
                owner=self.config.owner,
                lease_until=now + self.config.lease,
                limit=self.config.batch,
            )
            claimed = [_Claimed.of(r) for r in rows]
            tx.commit()
        return claimed

    def release(self) -> int:
        """Give back claimed-but-unstarted rows (graceful shutdown)."""
        with self.uow() as tx:
            count = DeliveryRepo(tx.session).release_lease(self.config.owner)
            tx.commit()
        return count

    # -- one row -------------------------------------------------------------------------------

    def _deliver_lane(self, rows: list[_Claimed]) -> DrainResult:
        """Send rows one after another. A row's "sent" mark rides in the same transaction as
        the next row's "sending" mark: half the commits, same guarantees (a crash in between
        leaves a `sending` row, which the reconciler settles)."""
        result = DrainResult()
        carry: _Sent | None = None
        for row in rows:
            carry = self._deliver(row, result, carry)
        if carry is not None:
            self._finish(carry)
        return result

    def _deliver(self, row: _Claimed, result: DrainResult, carry: _Sent | None) -> _Sent | None:
        call = self._start(row, result, carry)
        if call is None:
            return None
        method, kwargs = call
        if method == "chat.postMessage":
            self._post_bucket.acquire()
        try:
            response = self.client.api_call(method, json=kwargs)
        except SlackApiError as exc:
            self._failed_call(row.id, row.kind, exc, result)
            return None
        except (OSError, TimeoutError) as exc:  # connection refused/reset, read timeout
            self._retry_later(row.id, row.kind, type(exc).__name__, None, result)
            return None
        result.sent += 1
        return _Sent(row.id, row.kind, str(response.get("channel") or ""), str(response["ts"]))

    def _start(
        self, row: _Claimed, result: DrainResult, carry: _Sent | None
    ) -> tuple[str, dict[str, Any]] | None:
        """Commit `sending` and build the call, or settle rows that must not be sent.

        `carry` (the previous row's success, not yet recorded) is recorded first, in the same
        transaction as this row's `sending` mark when there is one."""
        now = self.clock.now()
        if row.operation == "update" or (row.expires_at is not None and now > row.expires_at):
            if carry is not None:
                self._finish(carry)
            carry = None
        if row.expires_at is not None and now > row.expires_at:
            if self._settle(row.id, status="cancelled", error="expired"):
                result.expired += 1
                self._count(row.kind, "expired")
            return None
        if row.operation == "update":
            return self._start_update(row, result, now)
        kwargs: dict[str, Any] = {
            "channel": row.channel_id or row.recipient_user_id,
            "unfurl_links": False,
            **_content(row.payload),
            "metadata": {"event_type": METADATA_EVENT, "event_payload": {"delivery_id": row.id}},
        }
        if row.thread_ts:
            kwargs["thread_ts"] = row.thread_ts
        if not self._mark_sending(row.id, now, carry):
            return None  # lost the lease to someone else; theirs now
        return "chat.postMessage", kwargs

    def _start_update(
        self, row: _Claimed, result: DrainResult, now: datetime
    ) -> tuple[str, dict[str, Any]] | None:
        with self.uow() as tx:
            target = DeliveryRepo(tx.session).get(row.update_of) if row.update_of else None
            target_status = target.status if target is not None else None
            channel = target.sent_channel if target is not None else None
            ts = target.sent_ts if target is not None else None
        if target_status in (None, "failed", "cancelled"):
            if self._settle(row.id, status="failed", error="original_not_sent"):
                result.failed += 1
                self._count(row.kind, "failed")
            return None
        if target_status != "sent" or not ts:
            # Edits wait for their message; try again shortly.
            self._settle(row.id, status="pending", due_at=now + timedelta(seconds=1))
            return None
        if not self._mark_sending(row.id, now):
            return None
        return "chat.update", {"channel": channel, "ts": ts, **_content(row.payload)}

    def _mark_sending(self, delivery_id: int, now: datetime, carry: _Sent | None = None) -> bool:
        with self.uow() as tx:
            repo = DeliveryRepo(tx.session)
            if carry is not None:
                repo.mark_sent(carry.id, channel=carry.channel, ts=carry.ts, now=now)
            marked = repo.mark_sending(
                delivery_id, owner=self.config.owner, now=now, lease_until=now + self.config.lease
            )
            tx.commit()
        if carry is not None:
            self._count(carry.kind, "sent")
        return marked

    def _settle(
        self,
        delivery_id: int,
        *,
        status: str,
        error: str | None = None,
        due_at: datetime | None = None,
    ) -> bool:
        with self.uow() as tx:
            done = DeliveryRepo(tx.session).settle_claimed(
                delivery_id, owner=self.config.owner, status=status, error=error, due_at=due_at
            )
            tx.commit()
        return done

    def _finish(self, sent: _Sent) -> None:
        with self.uow() as tx:
            DeliveryRepo(tx.session).mark_sent(
                sent.id, channel=sent.channel, ts=sent.ts, now=self.clock.now()
            )
            tx.commit()
        self._count(sent.kind, "sent")

    def _failed_call(
        self, delivery_id: int, kind: str, exc: SlackApiError, result: DrainResult
    ) -> None:
        response = exc.response
        error = str(response.get("error") or f"http_{response.status_code}")
        if response.status_code == 429:
            retry_after = _retry_after(response.headers)
            self._post_bucket.penalise(retry_after)
            self._retry_later(delivery_id, kind, "ratelimited", retry_after, result, count=False)
            return
        if error not in TRANSIENT_ERRORS and response.status_code < 500:
            self._give_up(delivery_id, kind, error, result)
            return
        self._retry_later(delivery_id, kind, error, None, result)

    def _give_up(self, delivery_id: int, kind: str, error: str, result: DrainResult) -> None:
        with self.uow() as tx:
            row = DeliveryRepo(tx.session).get(delivery_id)
            if row is not None:
                row.status, row.last_error = "failed", error[:200]
                row.lease_owner = row.lease_until = None
                tx.commit()
        log.warning("delivery_failed", delivery_id=delivery_id, kind=kind, error=error)
        result.failed += 1
        self._count(kind, "failed")

    def _retry_later(
        self,
        delivery_id: int,
        kind: str,
        error: str,
        after_seconds: float | None,
        result: DrainResult,
        *,
        count: bool = True,
    ) -> None:
        now = self.clock.now()
        with self.uow() as tx:
            row = DeliveryRepo(tx.session).get(delivery_id)
            if row is None:
                return
            if count and row.attempts >= MAX_ATTEMPTS:
                row.status, row.last_error = "failed", f"gave_up:{error}"[:200]
                row.lease_owner = row.lease_until = None
                tx.commit()
                result.failed += 1
                self._count(kind, "failed")
                return
            if not count:
                row.attempts = max(0, row.attempts - 1)  # a 429 is not the message's fault
            delay = (
                timedelta(seconds=after_seconds)
                if after_seconds is not None
                else _backoff(row.attempts)
            )
            row.status, row.last_error = "pending", error[:200]
            row.lease_owner = row.lease_until = None
            row.due_at = now + delay
            tx.commit()
        result.retried += 1
        self._count(kind, "retried")

    # -- after a crash -----------------------------------------------------------------------

    def reconcile(self) -> int:
        """Settle `sending` rows whose worker died mid-send: sent if Slack has the message."""
        now = self.clock.now()
        with self.uow() as tx:
            if not DeliveryRepo(tx.session).has_expired_sends(now=now):
                return 0
        # History calls are scarce (1 a minute for non-Marketplace apps): settle one row per
        # token and leave the rest for later rounds, never blocking the sends behind them.
        if not self._history_bucket.try_acquire():
            return 0
        with self.uow() as tx:
            rows = DeliveryRepo(tx.session).expired_sends(now=now, limit=1)
            for row in rows:
                # Take the row so no one else reconciles it meanwhile.
                row.lease_owner = self.config.owner
                row.lease_until = now + self.config.lease
            candidates = [
                (r.id, r.operation, r.channel_id, r.recipient_user_id, r.send_started_at)
                for r in rows
            ]
            tx.commit()
        settled = 0
        for delivery_id, operation, channel, user, started in candidates:
            found: tuple[str, str] | None = None
            if operation == "post":
                found = self._find_sent(delivery_id, channel, user, started)
            with self.uow() as tx:
                pending = DeliveryRepo(tx.session).get(delivery_id)
                if pending is None or pending.status != "sending":
                    continue
                if found is not None:
                    pending.status, pending.sent_channel = "sent", found[0]
                    pending.sent_ts, pending.sent_at = found[1], self.clock.now()
                else:
                    # Not in Slack (or an idempotent edit): send it again.
                    pending.status, pending.lease_owner, pending.lease_until = "pending", None, None
                    pending.due_at = self.clock.now()
                tx.commit()
            settled += 1
        return settled

    def _find_sent(
        self, delivery_id: int, channel: str | None, user: str | None, started: datetime | None
    ) -> tuple[str, str] | None:
        try:
            if channel is None:
                channel = str(self.client.conversations_open(users=user)["channel"]["id"])
            oldest = (started.timestamp() - 5) if started else 0
            history = self.client.conversations_history(
                channel=channel, oldest=f"{oldest:.6f}", limit=15, include_all_metadata=True
            )
        except SlackApiError as exc:
            log.warning("reconcile_history_failed", error=exc.response.get("error"))
            return None
        for message in history.get("messages") or []:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if (
                metadata.get("event_type") == METADATA_EVENT
                and payload.get("delivery_id") == delivery_id
            ):
                return channel, str(message["ts"])
        return None

    def _count(self, kind: str, status: str) -> None:
        if self.metrics is not None:
            self.metrics.deliveries.labels(kind=kind, status=status).inc()


def _content(payload: dict[str, Any]) -> dict[str, Any]:
    allowed = (
        "text",
        "blocks",
        "username",
        "icon_url",
        "icon_emoji",
        "unfurl_links",
        "unfurl_media",
    )
    return {k: v for k, v in payload.items() if k in allowed}


def _retry_after(headers: Any) -> float:
    value = None
    if headers is not None:
        for key in ("Retry-After", "retry-after"):
            raw = headers.get(key)
            if raw:
                value = raw[0] if isinstance(raw, list) else raw
                break
    try:
        return max(0.0, float(value)) if value is not None else 1.0
    except ValueError:
        return 1.0


def _backoff(attempts: int) -> timedelta:
    base = min(2.0 ** max(0, attempts - 1), MAX_BACKOFF.total_seconds())
    return timedelta(seconds=base * random.uniform(0.8, 1.2))


def drain_forever(worker: OutboxWorker, stop: Callable[[], bool]) -> None:  # pragma: no cover
    while not stop():
        worker.drain()
