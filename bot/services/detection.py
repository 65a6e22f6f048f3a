"""Detection: Slack message, reaction and huddle facts -> recorded signals.

Called from the inbox (bot/slack/listeners/events.py) inside the event's unit of work, so a
signal and its event's "processed" mark commit together: every event counts exactly once.

What is evaluated: only public channels sales ops marked as deal channels (and the bot is in);
never DMs, private conversations, bots, or Enabler itself. Thread ownership is learnt from the
events (thread_posts), never from conversations.history. A reply that arrives before its
thread's root is classified as if the root were a rep's and held as `pending_owner` until the
root arrives; then it is kept or dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.db.repositories.core import ChannelRepo, WorkspaceRepo
from bot.db.repositories.signals import SignalRepo, ThreadPost, ThreadRepo
from bot.db.rows import SignalRow
from bot.db.unit_of_work import UnitOfWork
from bot.domain.rules import RuleSet, load_rules
from bot.domain.signals import (
    MessageContext,
    Role,
    SignalMatch,
    classify_huddle_join,
    classify_message,
    classify_reaction,
)
from bot.services import outbox, workspace_view
from bot.services.outbox import Message
from bot.services.workspace_view import RULES, WorkspaceView, WorkspaceViews

# Subtypes that are a person posting. Everything else (joins, topic changes, bot posts...) is
# not someone doing deal work.
_POSTING_SUBTYPES = frozenset({None, "thread_broadcast", "file_share", "me_message"})

WATCH_NOTICE = (
    ":wave: Enabler is now watching this deal channel to help managers coach their reps instead "
    "of taking over their deals. It is private by design: a manager gets a nudge about their "
    "*own* actions only, visible to them alone; nobody else sees it. Message text is not stored. "
    "Questions? Type `/enabler help`."
)


@dataclass(frozen=True)
class Recorded:
    """What an event produced: an outcome code for metrics and the signals it touched."""

    outcome: str
    signals: tuple[SignalRow, ...] = ()

    @property
    def signal_ids(self) -> tuple[int, ...]:
        return tuple(row.id for row in self.signals)

    @property
    def labels(self) -> list[tuple[str, str]]:
        """(type, kind) of each signal the event produced, for metrics."""
        return [(row.type, row.kind) for row in self.signals]


# Hook for what happens after signals are recorded (nudging registers itself here in bootstrap);
# receives the unit of work and the newly active signal rows.
OnSignals = Callable[[UnitOfWork, Sequence[SignalRow]], None]


def rule_overrides(tx: UnitOfWork, workspace_id: str) -> dict[str, Any] | None:
    ws = WorkspaceRepo(tx.session).get(workspace_id)
    return workspace_view.rule_overrides(ws.settings if ws is not None else None)


def rules_for(tx: UnitOfWork, workspace_id: str) -> RuleSet:
    return RULES.get(workspace_id, rule_overrides(tx, workspace_id))


def set_rule_overrides(
    tx: UnitOfWork, *, workspace_id: str, overrides: Mapping[str, Any] | None, now: datetime
) -> RuleSet:
    """Validate then store sales ops' overrides (None resets to the defaults).

    Raises RuleConfigError naming each bad field; nothing is stored then.
    """
    compiled = load_rules(dict(overrides) if overrides else None)
    ws = WorkspaceRepo(tx.session).ensure(workspace_id, now=now)
    settings = dict(ws.settings or {})
    if overrides:
        settings["rules"] = dict(overrides)
    else:
        settings.pop("rules", None)
    ws.settings = settings
    ws.updated_at = now
    return compiled


@dataclass
class Context:
    tx: UnitOfWork
    workspace_id: str
    now: datetime
    store_text: bool
    channel_name: Callable[[str], str | None]
    on_signals: OnSignals | None = None
    # The app's cache of workspace views (bootstrap makes one); without it, read each time.
    views: WorkspaceViews | None = None
    _view: WorkspaceView | None = field(default=None, init=False, repr=False)

    @property
    def view(self) -> WorkspaceView:
        """Roles, deal channels, rules and domain, read once per event, before any write."""
        if self._view is None:
            self._view = (self.views or WorkspaceViews()).get(self.tx, self.workspace_id)
        return self._view

    def role(self, user_id: str | None) -> Role | None:
        return self.view.role(user_id)


def _ts_time(ts: str, fallback: datetime) -> datetime:
    try:
        return datetime.fromtimestamp(float(ts), tz=UTC)
    except (TypeError, ValueError, OverflowError):
        return fallback


def permalink(domain: str, channel_id: str, ts: str, thread_ts: str | None) -> str | None:
    if not domain:
        return None
    link = f"https://{domain}.slack.com/archives/{channel_id}/p{ts.replace('.', '')}"
    if thread_ts and thread_ts != ts:
        link += f"?thread_ts={thread_ts}&cid={channel_id}"
    return link


def is_deal_channel(ctx: Context, channel_id: str) -> bool:
    view = ctx.view
    if not view.patterns:
        return False
    if channel_id in view.patterns:
        return True
    name = view.channel_names.get(channel_id)
    if name is None and any(not p.startswith(("C", "G")) or "*" in p for p in view.patterns):
        # A name pattern and a channel we have not learnt the name of: ask Slack (cached).
        name = ctx.channel_name(channel_id)
        if name:
            ChannelRepo(ctx.tx.session, ctx.workspace_id).upsert(channel_id, now=ctx.now, name=name)
    return view.is_deal_channel(channel_id, name)


def _maybe_watch_notice(ctx: Context, channel_id: str) -> None:
    """Tell a channel, once, that Enabler now watches it and what that means."""
    if channel_id in ctx.view.noticed:
        return  # the common case: no write at all
    channels = ChannelRepo(ctx.tx.session, ctx.workspace_id)
    row = channels.upsert(channel_id, now=ctx.now, bot_is_member=True)
    if row.watch_notice_sent_at is not None:
        return
    row.watch_notice_sent_at = ctx.now
    outbox.post(
        ctx.tx,
        workspace_id=ctx.workspace_id,
        kind="watch_notice",
        dedupe_key=f"watch-notice:{channel_id}",
        message=Message(text=WATCH_NOTICE),
        now=ctx.now,
        channel=channel_id,
    )


def on_bot_joined(ctx: Context, channel_id: str) -> Recorded:
    _ = ctx.view  # read before this transaction writes (see workspace_view)
    ChannelRepo(ctx.tx.session, ctx.workspace_id).upsert(
        channel_id, now=ctx.now, bot_is_member=True
    )
    if is_deal_channel(ctx, channel_id):
        _maybe_watch_notice(ctx, channel_id)
        return Recorded("ok")
    return Recorded("ignored:not_a_deal_channel")


def on_message(ctx: Context, event: Mapping[str, Any]) -> Recorded:
    """A `message` event (new, edited, deleted, or a huddle changing)."""
    channel_type = event.get("channel_type")
    if channel_type not in (None, "channel"):
        return Recorded("ignored:not_a_public_channel")  # DMs and private ones never
    channel_id = str(event.get("channel") or "")
    if not channel_id.startswith("C"):
        return Recorded("ignored:not_a_public_channel")
    subtype = event.get("subtype")
    if subtype == "message_deleted":
        if not is_deal_channel(ctx, channel_id):
            return Recorded("ignored:not_a_deal_channel")
        return _on_deleted(ctx, channel_id, str(event.get("deleted_ts") or ""))
    if subtype == "message_changed":
        if not is_deal_channel(ctx, channel_id):
            return Recorded("ignored:not_a_deal_channel")
        message = event.get("message") or {}
        if message.get("subtype") == "huddle_thread":
            return _on_huddle_changed(ctx, channel_id, message, event.get("previous_message") or {})
        return _evaluate(ctx, channel_id, message, edited=True)
    if subtype == "huddle_thread":
        if not is_deal_channel(ctx, channel_id):
            return Recorded("ignored:not_a_deal_channel")
        host = (event.get("room") or {}).get("created_by") or event.get("user")
        ThreadRepo(ctx.tx.session, ctx.workspace_id).record(
            channel_id=channel_id,
            message_ts=str(event.get("ts")),
            thread_ts=str(event.get("ts")),
            author_id=str(host or ""),
            now=ctx.now,
        )
        return Recorded("ok")
    if event.get("bot_id") or subtype == "bot_message" or subtype not in _POSTING_SUBTYPES:
        return Recorded(f"ignored:subtype:{subtype or 'bot'}")
    if not is_deal_channel(ctx, channel_id):
        return Recorded("ignored:not_a_deal_channel")
    _maybe_watch_notice(ctx, channel_id)
    return _evaluate(ctx, channel_id, event, edited=False)


def _evaluate(
    ctx: Context, channel_id: str, message: Mapping[str, Any], *, edited: bool
) -> Recorded:
    if message.get("bot_id") or not message.get("user"):
        return Recorded("ignored:bot")
    ts = str(message.get("ts") or "")
    author = str(message["user"])
    thread_ts = str(message.get("thread_ts") or ts)
    is_reply = thread_ts != ts
    threads = ThreadRepo(ctx.tx.session, ctx.workspace_id)
    thread = threads.thread(channel_id, thread_ts)  # who posted in it so far: one query
    root = next((p for p in thread if p.message_ts == thread_ts), None)
    author_posts = _posts_before(thread, ts, author)
    fresh = False
    if not edited:
        fresh = threads.record(
            channel_id=channel_id, message_ts=ts, thread_ts=thread_ts, author_id=author, now=ctx.now
        )
    owner_id: str | None
    owner_role: Role | None
    pending = False
    if is_reply and root is None:
        # The reply came before its root: assume a rep's thread, decide when the root arrives.
        owner_id, owner_role, owner_posts, pending = None, "rep", 1, True
    else:
        owner_id = root.author_id if root is not None else author
        owner_role = ctx.role(owner_id)
        owner_posts = _posts_before(thread, ts, owner_id) if is_reply else 0
    author_role = ctx.role(author)
    if owner_id is not None and owner_id == author and is_reply:
        owner_role = author_role  # the manager's own thread
    rules = ctx.view.rules
    matches = classify_message(
        MessageContext(
            text=str(message.get("text") or ""),
            author_role=author_role,
            thread_owner_role=owner_role,
            channel_kind="deal",
            is_reply=is_reply,
            author_posts_in_thread=author_posts,
            owner_posts_in_thread=owner_posts,
        ),
        rules,
    )
    text = str(message.get("text") or "") if ctx.store_text else None
    recorded = _replace(
        ctx,
        source_key=f"msg:{channel_id}:{ts}",
        matches=matches,
        manager_id=author,
        rep_id=owner_id,
        channel_id=channel_id,
        message_ts=ts,
        thread_ts=thread_ts if is_reply else None,
        occurred_at=_ts_time(ts, ctx.now),
        status="pending_owner" if pending else "active",
        text=text,
        first_time=fresh,
    )
    if not is_reply:
        recorded = recorded + _resolve_pending(ctx, channel_id, ts, author)
    return Recorded("ok", recorded)


def _posts_before(thread: Sequence[ThreadPost], before_ts: str, author_id: str) -> int:
    """Non-deleted posts by `author_id` in the thread before `before_ts` (root included)."""
    return sum(
        1 for p in thread if p.author_id == author_id and not p.deleted and p.message_ts < before_ts
    )


def _replace(
    ctx: Context,
    *,
    source_key: str,
    matches: Sequence[SignalMatch],
    manager_id: str,
    rep_id: str | None,
    channel_id: str,
    message_ts: str,
    thread_ts: str | None,
    occurred_at: datetime,
    status: str,
    text: str | None,
    first_time: bool = False,
) -> tuple[SignalRow, ...]:
    """Make the stored signals for `source_key` equal `matches` (an edit re-evaluates).

    `first_time`: the message was never seen before, so it cannot have signals yet.
    """
    repo = SignalRepo(ctx.tx.session, ctx.workspace_id)
    existing = {} if first_time else {row.type: row for row in repo.by_source(source_key)}
    link = permalink(ctx.view.domain, channel_id, message_ts, thread_ts)
    fresh: list[SignalRow] = []
    added: list[SignalRow] = []
    for match in matches:
        row = existing.pop(match.type, None)
        if row is None:
            row = SignalRow(
                workspace_id=ctx.workspace_id,
                type=match.type,
                kind=match.kind,
                rule=match.rule,
                weight=match.weight,
                manager_id=manager_id,
                rep_id=rep_id,
                channel_id=channel_id,
                message_ts=message_ts,
                thread_ts=thread_ts,
                permalink=link,
                source_key=source_key,
                span_length=match.span_length,
                text=text,
                status=status,
                justified=False,
                occurred_at=occurred_at,
                created_at=ctx.now,
            )
            added.append(row)
            if status == "active":
                fresh.append(row)
        else:
            was_active = row.status == "active"
            row.rule, row.weight, row.kind = match.rule, match.weight, match.kind
            row.span_length, row.text = match.span_length, text
            row.status, row.withdrawn_at = status, None
            if status == "active" and not was_active:
                fresh.append(row)
    for row in existing.values():
        if row.status != "withdrawn":
            row.status, row.withdrawn_at = "withdrawn", ctx.now
    repo.add_all(added)  # one INSERT for all of them; ids assigned
    if fresh and ctx.on_signals is not None:
        ctx.on_signals(ctx.tx, fresh)
    return tuple(fresh)


def _resolve_pending(
    ctx: Context, channel_id: str, root_ts: str, owner_id: str
) -> tuple[SignalRow, ...]:
    """The root arrived: keep early replies' signals if it is a rep's thread, else drop them."""
    repo = SignalRepo(ctx.tx.session, ctx.workspace_id)
    pending = repo.pending_in_thread(channel_id, root_ts)
    if not pending:
        return ()
    owner_role = ctx.role(owner_id)
    kept: list[SignalRow] = []
    for row in pending:
        if owner_role == "rep" and row.manager_id != owner_id:
            row.status, row.rep_id = "active", owner_id
            kept.append(row)
        else:
            row.status, row.withdrawn_at = "withdrawn", ctx.now
    if kept and ctx.on_signals is not None:
        ctx.on_signals(ctx.tx, kept)
    return tuple(kept)


def _on_deleted(ctx: Context, channel_id: str, deleted_ts: str) -> Recorded:
    if not deleted_ts:
        return Recorded("ignored:no_ts")
    post = ThreadRepo(ctx.tx.session, ctx.workspace_id).get(channel_id, deleted_ts)
    if post is not None:
        post.deleted = True
    withdrawn = 0
    for row in SignalRepo(ctx.tx.session, ctx.workspace_id).by_source(
        f"msg:{channel_id}:{deleted_ts}"
    ):
        if row.status != "withdrawn":
            row.status, row.withdrawn_at = "withdrawn", ctx.now
            withdrawn += 1
    return Recorded("ok" if withdrawn else "ignored:nothing_to_withdraw")


def _on_huddle_changed(
    ctx: Context, channel_id: str, message: Mapping[str, Any], previous: Mapping[str, Any]
) -> Recorded:
    room = message.get("room") or {}
    before = set((previous.get("room") or {}).get("participants") or [])
    now_in = [str(u) for u in room.get("participants") or []]
    host = str(room.get("created_by") or message.get("user") or "")
    ts = str(message.get("ts") or "")
    host_role = ctx.role(host)
    rules = ctx.view.rules
    touched: list[SignalRow] = []
    for joiner in now_in:
        if joiner in before or joiner == host:
            continue
        matches = classify_huddle_join(
            joiner_role=ctx.role(joiner), host_role=host_role, channel_kind="deal", rules=rules
        )
        touched += _replace(
            ctx,
            source_key=f"huddle:{channel_id}:{ts}:{joiner}",
            matches=matches,
            manager_id=joiner,
            rep_id=host,
            channel_id=channel_id,
            message_ts=ts,
            thread_ts=None,
            occurred_at=ctx.now,
            status="active",
            text=None,
        )
    return Recorded("ok", tuple(touched))


def on_reaction(ctx: Context, event: Mapping[str, Any], *, added: bool) -> Recorded:
    item = event.get("item") or {}
    if item.get("type") != "message":
        return Recorded("ignored:not_a_message")
    channel_id = str(item.get("channel") or "")
    if not channel_id.startswith("C"):
        return Recorded("ignored:not_a_public_channel")
    if not is_deal_channel(ctx, channel_id):
        return Recorded("ignored:not_a_deal_channel")
    reactor = str(event.get("user") or "")
    ts = str(item.get("ts") or "")
    reaction = str(event.get("reaction") or "")
    source_key = f"reaction:{channel_id}:{ts}:{reactor}:{reaction}"[:120]
    if not added:
        for row in SignalRepo(ctx.tx.session, ctx.workspace_id).by_source(source_key):
            row.status, row.withdrawn_at = "withdrawn", ctx.now
        return Recorded("ok")
    post = ThreadRepo(ctx.tx.session, ctx.workspace_id).get(channel_id, ts)
    owner = str(event.get("item_user") or (post.author_id if post else ""))
    on_root = post is None or post.thread_ts == post.message_ts
    matches = classify_reaction(
        reaction,
        reactor_role=ctx.role(reactor),
        item_owner_role=ctx.role(owner),
        channel_kind="deal",
        on_thread_root=on_root,
        rules=ctx.view.rules,
    )
    ids = _replace(
        ctx,
        source_key=source_key,
        matches=matches,
        manager_id=reactor,
        rep_id=owner or None,
        channel_id=channel_id,
        message_ts=ts,
        thread_ts=None,
        occurred_at=_ts_time(str(event.get("event_ts") or ""), ctx.now),
        status="active",
        text=None,
    )
    return Recorded("ok", ids)


def list_signals(
    tx: UnitOfWork,
    *,
    workspace_id: str,
    manager_id: str | None = None,
    since: datetime | None = None,
    limit: int | None = None,
) -> Sequence[SignalRow]:
    return SignalRepo(tx.session, workspace_id).list(
        manager_id=manager_id, since=since, limit=limit
    )
