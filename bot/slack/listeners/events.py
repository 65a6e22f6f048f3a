"""Events API: every delivery goes through the transactional inbox, then one dispatch table.

Ack path (inside Slack's 3 seconds): `accept` stores the delivery keyed by event_id and drops
retries; it is reached through `HttpEvents` (HTTP, ahead of Bolt) or `RecordEvents` (Bolt's
middleware, for Socket Mode). After the ack: `process_event` runs the handler for that event
type and marks the row processed in the same transaction. A crash in between leaves the row
pending, and the sweeper (bootstrap's timer) replays it: every event is counted once, none is
lost.

Where is event X handled? In `HANDLERS` below.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from slack_bolt import App
from slack_bolt.middleware import Middleware
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier

from bot.db.unit_of_work import UnitOfWork
from bot.observability import get_logger
from bot.services import channels, detection, inbox, roster
from bot.services import home as home_service
from bot.slack.blocks.home import build_home
from bot.slack.deps import Deps

log = get_logger(__name__)

# A handler does its database work in `tx` (committed together with "processed") and returns an
# outcome code for metrics: "ok" or "ignored:<why>".
EventHandler = Callable[[Deps, UnitOfWork, str, dict[str, Any]], str]


def _home_opened(deps: Deps, tx: UnitOfWork, workspace_id: str, event: dict[str, Any]) -> str:
    if event.get("tab", "home") != "home":
        return "ignored:messages_tab"
    user_id = event["user"]
    view = build_home(
        home_service.home_data(tx, workspace_id=workspace_id, user_id=user_id, now=deps.clock.now())
    )
    # After commit: a network round trip must not hold the database's write lock.
    tx.after_commit(lambda: deps.client.views_publish(user_id=user_id, view=view))
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
    deps.channels.remember(workspace_id, channel.get("id", ""), channel.get("name", ""))
    channels.learn(
        tx,
        workspace_id=workspace_id,
        channel_id=channel.get("id", ""),
        now=deps.clock.now(),
        name=channel.get("name", ""),
    )
    return "ok"


def _member_joined(deps: Deps, tx: UnitOfWork, workspace_id: str, event: dict[str, Any]) -> str:
    if event.get("user") != deps.bot_user_id:
        return "ignored:not_the_bot"
    return detection.on_bot_joined(
        _detection(deps, tx, workspace_id), str(event.get("channel", ""))
    ).outcome


def _detection(deps: Deps, tx: UnitOfWork, workspace_id: str) -> detection.Context:
    return detection.Context(
        tx=tx,
        workspace_id=workspace_id,
        now=deps.clock.now(),
        store_text=deps.settings.store_message_text,
        channel_name=lambda channel_id: deps.channels.name(workspace_id, channel_id),
        on_signals=deps.on_signals,
        views=deps.views,
    )


def _message(deps: Deps, tx: UnitOfWork, workspace_id: str, event: dict[str, Any]) -> str:
    recorded = detection.on_message(_detection(deps, tx, workspace_id), event)
    _count_signals(deps, tx, recorded)
    return recorded.outcome


def _reaction_added(deps: Deps, tx: UnitOfWork, workspace_id: str, event: dict[str, Any]) -> str:
    recorded = detection.on_reaction(_detection(deps, tx, workspace_id), event, added=True)
    _count_signals(deps, tx, recorded)
    return recorded.outcome


def _reaction_removed(deps: Deps, tx: UnitOfWork, workspace_id: str, event: dict[str, Any]) -> str:
    return detection.on_reaction(_detection(deps, tx, workspace_id), event, added=False).outcome


def _count_signals(deps: Deps, tx: UnitOfWork, recorded: detection.Recorded) -> None:
    labels = recorded.labels

    def count() -> None:
        for signal_type, kind in labels:
            deps.metrics.signals.labels(type=signal_type, kind=kind).inc()

    if labels:
        tx.after_commit(count)


def _uninstalled(deps: Deps, tx: UnitOfWork, workspace_id: str, event: dict[str, Any]) -> str:
    log.warning("app_uninstalled_or_tokens_revoked", workspace=workspace_id, type=event.get("type"))
    return "ok"


HANDLERS: dict[str, EventHandler] = {
    "app_home_opened": _home_opened,
    "user_change": _user_change,
    "channel_rename": _channel_rename,
    "member_joined_channel": _member_joined,
    "message": _message,
    "reaction_added": _reaction_added,
    "reaction_removed": _reaction_removed,
    "app_uninstalled": _uninstalled,
    "tokens_revoked": _uninstalled,
}


def publish_home(deps: Deps, workspace_id: str, user_id: str) -> None:
    with deps.uow() as tx:
        data = home_service.home_data(
            tx, workspace_id=workspace_id, user_id=user_id, now=deps.clock.now()
        )
    deps.client.views_publish(user_id=user_id, view=build_home(data))


def process_event(deps: Deps, event_id: str) -> str | None:
    """Run the handler for one recorded event, once. None when it was already processed."""

    def handler_for(event_type: str) -> inbox.Handler | None:
        handler = HANDLERS.get(event_type)
        if handler is None:
            return None
        return lambda tx, workspace_id, event: handler(deps, tx, workspace_id, event)

    try:
        done = inbox.process(
            uow=deps.uow, clock=deps.clock, event_id=event_id, handler_for=handler_for
        )
    except inbox.HandlerFailedError as failed:
        log.error(
            "event_failed",
            event_id=event_id,
            type=failed.event_type,
            outcome=failed.outcome,
            exc_info=failed.__cause__,
        )
        deps.metrics.events.labels(
            type=failed.event_type, outcome=failed.outcome.split(":")[0]
        ).inc()
        return failed.outcome
    if done is None:
        return None
    deps.metrics.events.labels(type=done.event_type, outcome=done.outcome.split(":")[0]).inc()
    return done.outcome


def sweep(deps: Deps, *, grace: timedelta = timedelta(seconds=30), limit: int = 100) -> int:
    """Replay deliveries left pending by a crash (or a failing handler). Returns how many ran."""
    ids = inbox.pending_ids(uow=deps.uow, clock=deps.clock, grace=grace, limit=limit)
    for event_id in ids:
        process_event(deps, event_id)
    return len(ids)


def accept(deps: Deps, body: dict[str, Any]) -> tuple[int, str]:
    """The ack path of one `event_callback` delivery: record it, queue it; (status, body).

    Both doors call this: `HttpEvents` (HTTP, ahead of Bolt) and `RecordEvents` (Bolt, for
    Socket Mode). Unknown types are recorded, processed as ignored and counted, never answered
    with an error (Slack would retry them).
    """
    if not body.get("event_id") or not isinstance(body.get("event"), dict):
        # Slack always sends both; without them there is nothing to record or replay.
        deps.metrics.rejections.labels(reason="malformed_event").inc()
        log.warning("malformed_event", keys=sorted(body)[:10])
        return 400, "malformed event"
    if inbox.record(uow=deps.uow, clock=deps.clock, body=body):
        deps.process_event(str(body["event_id"]))
    else:
        deps.metrics.duplicates.inc()
    return 200, ""


class RecordEvents(Middleware):
    """The Bolt door for events (Socket Mode; over HTTP, `HttpEvents` answers them first).

    Bolt's built-in middleware (signature check, self-event filter, url_verification) has
    already run. Events are handled here, in one middleware, rather than by a Bolt listener:
    a listener would cost a thread hand-off per event only to enqueue it. A `Middleware`
    subclass, not a decorated function: Bolt calls it directly instead of matching arguments by
    name on every request.
    """

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        # Looked up once: `labels()` on every request cost more than the counting itself.
        self._received = deps.metrics.requests.labels(kind="event")

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        if req.body.get("type") != "event_callback":
            return next()
        self._received.inc()
        status, text = accept(self.deps, req.body)
        return BoltResponse(status=status, body=text)


class HttpEvents:
    """The HTTP door for events: a signed `event_callback` is recorded and acked here, before
    Bolt sees the request.

    Why: for an event, Bolt's dispatch (its request object, context, authorize and built-in
    middleware) cost more CPU than recording the delivery, and every event pays it; on the
    2-core development machine, answering here took the ack path from ~800 to ~550 µs of CPU
    per event (bench/bench_e2e.py). Only what Bolt would have answered the same way is answered
    here: a JSON `event_callback` whose signature and timestamp are valid (Slack's scheme, the
    SDK's verifier, as Bolt does). Anything else returns None and goes on to Bolt unchanged:
    bad signatures (Bolt's 401), url_verification, ssl_check, slash commands, interactivity,
    bodies that are not JSON. The app's own events are dropped as Bolt's self-event filter
    drops them, keeping member_joined_channel / member_left_channel.
    """

    _KEPT_SELF_EVENTS = frozenset({"member_joined_channel", "member_left_channel"})

    def __init__(self, deps: Deps, signing_secret: str) -> None:
        self.deps = deps
        self._verifier = SignatureVerifier(signing_secret)
        self._received = deps.metrics.requests.labels(kind="event")

    def __call__(self, body: bytes, environ: dict[str, Any]) -> tuple[int, str] | None:
        if not str(environ.get("CONTENT_TYPE", "")).startswith("application/json"):
            return None
        try:
            signed = self._verifier.is_valid(
                body,
                environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP"),
                environ.get("HTTP_X_SLACK_SIGNATURE"),
            )
            payload = json.loads(body) if signed else None
        except ValueError:  # a timestamp that is not a number, a body that is not JSON
            return None
        if not isinstance(payload, dict) or payload.get("type") != "event_callback":
            return None
        deps = self.deps
        if self._from_us(payload.get("event")):
            return 200, ""
        with deps.metrics.in_flight:
            self._received.inc()
            return accept(deps, payload)

    def _from_us(self, event: object) -> bool:
        """Bolt's rule: the event's user is our bot user, or its bot_id is ours."""
        if not isinstance(event, dict) or event.get("type") in self._KEPT_SELF_EVENTS:
            return False
        deps = self.deps
        return bool(deps.bot_id and event.get("bot_id") == deps.bot_id) or bool(
            deps.bot_user_id and _actor(event) == deps.bot_user_id
        )


def _actor(event: dict[str, Any]) -> object:
    """Who an event is from, where Bolt looks: `user` (an id or a user object), `user_id`, or
    the edited / deleted message's `user`."""
    user = event.get("user")
    if isinstance(user, dict):
        return user.get("id")
    if user is not None:
        return user
    if "user_id" in event:
        return event["user_id"]
    for key in ("message", "previous_message"):
        inner = event.get(key)
        if isinstance(inner, dict):
            return _actor(inner)
    return None


def register(app: App, deps: Deps) -> None:
    app.use(RecordEvents(deps))
