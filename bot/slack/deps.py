"""What every listener needs, passed in explicitly (no globals): built once by bootstrap."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient

from bot.clock import Clock
from bot.config import Settings
from bot.db.unit_of_work import UnitOfWorkFactory
from bot.observability import Metrics
from bot.services.workspace_view import WorkspaceViews
from bot.slack.directory import ChannelDirectory, UserDirectory


@dataclass
class Deps:
    settings: Settings
    uow: UnitOfWorkFactory
    clock: Clock
    client: WebClient
    directory: UserDirectory
    metrics: Metrics
    channels: ChannelDirectory
    # From auth.test at startup, so the ack path never has to ask Slack who we are.
    team_id: str = ""
    bot_user_id: str = ""
    bot_id: str = ""
    # Called after a change that running timers should notice at once (schedules, outbox).
    # bootstrap points it at the scheduler's wake-up; a no-op by default.
    wake: Any = field(default=lambda: None)
    # Called with (unit of work, new signal rows) after detection records signals; nudging
    # plugs in here (bootstrap wires it). None: signals are recorded, nothing else happens.
    on_signals: Any = None
    # Hands a recorded event to the processing threads (bootstrap's WorkQueue.put).
    process_event: Any = None
    # Per-workspace roles, deal channels and rules, cached for event processing.
    views: WorkspaceViews = field(default_factory=WorkspaceViews)


class UserError(Exception):
    """Something the user can fix; the message is shown to them as-is (ephemeral)."""
