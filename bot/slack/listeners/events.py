"""Events API: every delivery goes through the transactional inbox, then one dispatch table.

Ack path (inside Slack's 3 seconds): `record_event` stores the delivery keyed by event_id and
drops retries. After the ack: `process_event` runs the handler for that event type and marks the
row processed in the same transaction. A crash in between leaves the row pending, and the
sweeper (bootstrap's timer) replays it: every event is counted once, none is lost.

Where is event X handled? In `HANDLERS` below.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from slack_bolt import App, BoltContext
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse

from bot.db.repositories.core import ChannelRepo, InboxRepo, WorkspaceRepo
from bot.db.unit_of_work import UnitOfWork
from bot.observability import get_logger
from bot.services import home as home_service
from bot.services import roster
from bot.slack.blocks.home import build_home
from bot.slack.deps import Deps

log = get_logger(__name__)

# A handler does its database work in `tx` (committed together with "processed") and returns an
# outcome code for metrics: "ok" or "ignored:<why>".
EventHandler = Callable[[Deps, UnitOfWork, str, dict[str, Any]], str]

MAX_ATTEMPTS = 5


def _home_opened(deps: Deps, tx: UnitOfWork, workspace_id: str, event: dict[str, Any]) -> str:
    if event.get("tab", "home") != "home":
        return "ignored:messages_tab"
    publish_home(deps, workspace_id, event["user"])
    return "ok"


def _user_change(deps: Deps, tx: UnitOfWork, workspace_id: str, event: dict[str, Any]) -> str:
    user = deps.directory.remember(workspace_id, event.get("user") or {})
    if user.tz:
        # The profile is the source of truth for time zones: re-read whenever Slack says so.
        roster.set_timezone(
            tx, clock=deps.clock, workspace_id=workspace_id, user_id=user.user_id, tz=user.tz
        )
    return "ok"


def _channel_rename(deps: Deps, tx: UnitOfWork, workspace_id: str, event: dict[str, Any]) -> str:
    channel = event.get("channel") or {}
    ChannelRepo(tx.session, workspace_id).upsert(
        channel.get("id", ""), now=deps.clock.now(), name=channel.get("name", "")
    )
    return "ok"


def _member_joined(deps: Deps, tx: UnitOfWork, workspace_id: str, event: dict[str, Any]) -> str:
    if event.get("user") != deps.bot_user_id:
        return "ignored:not_the_bot"
    ChannelRepo(tx.session, workspace_id).upsert(
        event.get("channel", ""), now=deps.clock.now(), bot_is_member=True
    )
    return "ok"


def _uninstalled(deps: Deps, tx: UnitOfWork, workspace_id: str, event: dict[str, Any]) -> str:
    log.warning("app_uninstalled_or_tokens_revoked", workspace=workspace_id, type=event.get("type"))
    return "ok"


HANDLERS: dict[str, EventHandler] = {
    "app_home_opened": _home_opened,
    "user_change": _user_change,
    "channel_rename": _channel_rename,
    "member_joined_channel": _member_joined,
    "app_uninstalled": _uninstalled,
    "tokens_revoked": _uninstalled,
}


def publish_home(deps: Deps, workspace_id: str, user_id: str) -> None:
    data = home_service.home_data(uow=deps.uow, workspace_id=workspace_id, user_id=user_id)
    deps.client.views_publish(user_id=user_id, view=build_home(data))


def record_event(deps: Deps, body: dict[str, Any]) -> bool:
    """Ack path: store the delivery. False for a retry of an event already recorded."""
    event = body.get("event") or {}
    workspace_id = str(body.get("team_id") or "")
    with deps.uow() as tx:
        WorkspaceRepo(tx.session).ensure(workspace_id, now=deps.clock.now())
        fresh = InboxRepo(tx.session).record(
            str(body["event_id"]),
            workspace_id=workspace_id,
            event_type=str(event.get("type", "unknown")),
            payload={"event": event, "event_time": body.get("event_time")},
            now=deps.clock.now(),
        )
        tx.commit()
    return fresh


def process_event(deps: Deps, event_id: str) -> str | None:
    """Run the handler for one recorded event, once. None when it was already processed."""
    with deps.uow() as tx:
        row = InboxRepo(tx.session).lock_pending(event_id)
        if row is None:
            return None
        event_type = row.event_type
        workspace_id = row.workspace_id
        event = (row.payload or {}).get("event") or {}
        handler = HANDLERS.get(event_type)
        try:
            outcome = handler(deps, tx, workspace_id, event) if handler else "ignored:unhandled"
        except Exception as exc:
            tx.session.rollback()
            return _record_failure(deps, event_id, event_type, exc)
        row.processed_at = deps.clock.now()
        row.attempts += 1
        row.outcome = outcome
        row.payload = None  # message text is not kept once handled
        tx.commit()
    deps.metrics.events.labels(type=event_type, outcome=outcome.split(":", 1)[0]).inc()
    return outcome


def _record_failure(deps: Deps, event_id: str, event_type: str, exc: Exception) -> str:
    with deps.uow() as tx:
        row = InboxRepo(tx.session).lock_pending(event_id)
        if row is None:
            return "error:gone"
        row.attempts += 1
        row.outcome = f"error:{type(exc).__name__}"
        if row.attempts >= MAX_ATTEMPTS:
            # Dead-lettered: kept for inspection, never retried forever.
            row.processed_at = deps.clock.now()
            row.payload = None
            row.outcome = f"dead:{type(exc).__name__}"
        tx.commit()
        outcome = row.outcome
    log.error("event_failed", event_id=event_id, type=event_type, outcome=outcome, exc_info=exc)
    deps.metrics.events.labels(type=event_type, outcome=outcome.split(":", 1)[0]).inc()
    return outcome


def sweep(deps: Deps, *, grace: timedelta = timedelta(seconds=30), limit: int = 100) -> int:
    """Replay deliveries left pending by a crash (or a failing handler). Returns how many ran."""
    with deps.uow() as tx:
        ids = [
            r.event_id
            for r in InboxRepo(tx.session).pending(older_than=deps.clock.now() - grace, limit=limit)
        ]
    for event_id in ids:
        process_event(deps, event_id)
    return len(ids)


def register(app: App, deps: Deps) -> None:
    @app.middleware
    def dedupe_events(
        req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        body = req.body
        if body.get("type") != "event_callback" or "event_id" not in body:
            return next()
        deps.metrics.requests.labels(kind="event").inc()
        if not record_event(deps, body):
            deps.metrics.duplicates.inc()
            return BoltResponse(status=200, body="")
        return next()

    # One listener for every event type: the dispatch table decides, unknown types are
    # recorded as ignored and counted, never answered with an error (Slack would retry).
    @app.event(re.compile(".*"))
    def on_event(body: dict[str, Any], context: BoltContext) -> None:
        process_event(deps, str(body["event_id"]))
