"""What event processing reads for every message, cached per workspace until it changes.

Every message in a watched channel needs the author's and the thread owner's roles, the
deal-channel patterns and the channel's name, whether the channel was told it is watched, the
rule set and the workspace's domain (for permalinks). Read from the database each time, that was
most of an event's queries. A `WorkspaceView` holds all of it as of one `config_version` of the
workspace row; database triggers move that version on any change to those tables (migration
0007), so one indexed read per event tells whether the cached view still holds.

Only a view read at the start of an event's transaction, before it wrote anything, is cached:
that view is committed state, so a version number always means the same content.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import select

from bot.db.repositories.core import channel_matches
from bot.db.rows import ChannelRow, DealChannelRow, PersonRow, WorkspaceRow
from bot.db.unit_of_work import UnitOfWork
from bot.domain.rules import RuleSet, load_rules
from bot.domain.signals import Role

_ROLES: frozenset[str] = frozenset({"rep", "manager", "sales_ops"})


class RulesCache:
    """Compiled rule sets per workspace, rebuilt only when sales ops change the overrides."""

    def __init__(self, size: int = 64) -> None:
        self._cache: OrderedDict[tuple[str, str], RuleSet] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def get(self, workspace_id: str, overrides: Mapping[str, Any] | None) -> RuleSet:
        key = (workspace_id, json.dumps(overrides or {}, sort_keys=True))
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        rules = load_rules(dict(overrides) if overrides else None)
        with self._lock:
            self._cache[key] = rules
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return rules


RULES = RulesCache()


@dataclass(frozen=True)
class WorkspaceView:
    version: int
    domain: str
    roles: Mapping[str, Role]  # active people only
    patterns: tuple[str, ...]  # deal-channel patterns (IDs or name globs)
    channel_names: Mapping[str, str]
    noticed: frozenset[str]  # channels already told that Enabler watches them
    rules: RuleSet

    def role(self, user_id: str | None) -> Role | None:
        return self.roles.get(user_id) if user_id else None

    def is_deal_channel(self, channel_id: str, name: str | None) -> bool:
        return channel_matches(channel_id, name, self.patterns)


def rule_overrides(settings: Mapping[str, Any] | None) -> dict[str, Any] | None:
    raw = (settings or {}).get("rules")
    return dict(raw) if isinstance(raw, Mapping) and raw else None


def load(tx: UnitOfWork, workspace_id: str) -> WorkspaceView:
    """Read the view from the database (five small queries)."""
    s = tx.session
    ws = s.execute(
        select(WorkspaceRow.config_version, WorkspaceRow.domain, WorkspaceRow.settings).where(
            WorkspaceRow.team_id == workspace_id
        )
    ).first()
    version, domain, settings = ws if ws is not None else (-1, "", None)
    roles: dict[str, Role] = {
        user_id: cast(Role, role)
        for user_id, role in s.execute(
            select(PersonRow.user_id, PersonRow.role).where(
                PersonRow.workspace_id == workspace_id, PersonRow.active.is_(True)
            )
        )
        if role in _ROLES
    }
    patterns = tuple(
        s.scalars(
            select(DealChannelRow.pattern)
            .where(DealChannelRow.workspace_id == workspace_id)
            .order_by(DealChannelRow.pattern)
        )
    )
    names: dict[str, str] = {}
    noticed: set[str] = set()
    for channel_id, name, notice_at in s.execute(
        select(ChannelRow.channel_id, ChannelRow.name, ChannelRow.watch_notice_sent_at).where(
            ChannelRow.workspace_id == workspace_id
        )
    ):
        if name:
            names[channel_id] = name
        if notice_at is not None:
            noticed.add(channel_id)
    return WorkspaceView(
        version=int(version),
        domain=str(domain or ""),
        roles=roles,
        patterns=patterns,
        channel_names=names,
        noticed=frozenset(noticed),
        rules=RULES.get(workspace_id, rule_overrides(settings)),
    )


class WorkspaceViews:
    """The views of a running app, one per workspace; built by bootstrap, shared by threads."""

    def __init__(self) -> None:
        self._views: dict[str, WorkspaceView] = {}
        self._lock = threading.Lock()

    def get(self, tx: UnitOfWork, workspace_id: str) -> WorkspaceView:
        """The current view. Call it before the transaction writes anything (see the module)."""
        version = tx.session.scalar(
            select(WorkspaceRow.config_version).where(WorkspaceRow.team_id == workspace_id)
        )
        with self._lock:
            cached = self._views.get(workspace_id)
        if cached is not None and version is not None and cached.version == version:
            return cached
        view = load(tx, workspace_id)
        if view.version >= 0:
            with self._lock:
                self._views[workspace_id] = view
        return view
