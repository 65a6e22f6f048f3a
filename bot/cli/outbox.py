"""`enabler outbox …`: what Enabler has sent, what failed and why; a standalone sender."""

from __future__ import annotations

import signal
import threading
import time
from datetime import timedelta
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from bot.cli._common import open_db, resolve_workspace, workspace_option
from bot.delivery.worker import OutboxWorker, WorkerConfig
from bot.services import outbox as outbox_service
from bot.slack_client import make_client


@click.group()
def outbox() -> None:
    """Messages Enabler sends: status, failures, and a standalone sender."""


@outbox.command("status")
@workspace_option
@click.option("--failed", is_flag=True, help="Only failed deliveries, with the Slack error.")
@click.option("--limit", default=30, show_default=True)
def status(workspace: str | None, failed: bool, limit: int) -> None:
    """Recent deliveries (newest first)."""
    with open_db() as db:
        team = resolve_workspace(db, workspace)
        with db.uow() as tx:
            rows = outbox_service.recent(
                tx, workspace_id=team, statuses=["failed"] if failed else None, limit=limit
            )
    table = Table("id", "kind", "to", "status", "attempts", "error", "due (UTC)", box=None)
    for r in rows:
        table.add_row(
            str(r.id),
            r.kind,
            r.recipient_user_id or r.channel_id or "",
            r.status,
            str(r.attempts),
            r.last_error or "",
            r.due_at.strftime("%Y-%m-%d %H:%M"),
        )
    Console(width=140).print(table)
    if not rows:
        click.echo("Nothing here.")


@outbox.command("drain")
@click.option("--forever", is_flag=True, help="Keep sending until stopped (SIGTERM/SIGINT).")
@click.option("--every", default=0.5, show_default=True, help="Seconds between rounds.")
@click.option("--lease", default=60.0, show_default=True, help="Seconds a claimed row is ours.")
@click.option(
    "--history-per-minute",
    default=1.0,
    show_default=True,
    help="conversations.history budget for crash reconciliation (Slack allows 1 for most apps).",
)
def drain(forever: bool, every: float, lease: float, history_per_minute: float) -> None:
    """Send what is due now, without the HTTP app (for a dedicated sender process)."""
    with open_db() as db:
        settings = db.settings
        if not settings.slack_bot_token:
            raise click.ClickException("SLACK_BOT_TOKEN is not set.")
        worker = OutboxWorker(
            uow=db.uow,
            client=make_client(settings, for_outbox=True),
            clock=db.clock,
            config=WorkerConfig(
                post_rate_per_second=settings.post_rate,
                lease=timedelta(seconds=lease),
                history_calls_per_minute=history_per_minute,
            ),
        )
        stop = threading.Event()

        def shutdown(*_: Any) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, shutdown)
        signal.signal(signal.SIGINT, shutdown)
        total = worker.drain()
        while forever and not stop.is_set():
            time.sleep(every)
            total.add(worker.drain())
        worker.release()
    click.echo(
        f"sent {total.sent}, failed {total.failed}, retried {total.retried}, "
        f"expired {total.expired}, reconciled {total.reconciled}"
    )
