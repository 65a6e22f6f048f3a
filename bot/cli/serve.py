"""`enabler serve` and `enabler migrate`."""

from __future__ import annotations

import signal
import threading
from typing import Any

import click
from slack_sdk.errors import SlackApiError

from bot.bootstrap import build_runtime
from bot.cli._common import load_settings, open_db
from bot.config import ConfigError, Mode
from bot.db import migrate as migrations
from bot.observability import configure_logging, get_logger

log = get_logger("enabler.serve")


@click.command()
@click.option(
    "--http",
    "mode",
    flag_value="http",
    help="Serve HTTP (Events API) even if SLACK_APP_TOKEN is set.",
)
@click.option(
    "--socket", "mode", flag_value="socket", help="Use Socket Mode (needs SLACK_APP_TOKEN)."
)
@click.option("--port", type=int, default=None, help="HTTP port (default $PORT or 3000).")
@click.option("--host", default="0.0.0.0", show_default=True, help="Interface to listen on.")  # noqa: S104
@click.option("--no-migrate", is_flag=True, help="Do not upgrade the database schema at startup.")
def serve(mode: str | None, port: int | None, host: str, no_migrate: bool) -> None:
    """Run the bot: Socket Mode when SLACK_APP_TOKEN is set, otherwise HTTP.

    HTTP mode serves POST /slack/events, GET /healthz and GET /metrics. In Socket Mode the same
    HTTP server still answers /healthz and /metrics. The schema is upgraded at startup unless
    --no-migrate is given.
    """
    settings = load_settings()
    chosen: Mode = "socket" if mode == "socket" else "http"
    if mode is None:
        chosen = "socket" if settings.slack_app_token else "http"
    try:
        settings.require_slack(chosen)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    configure_logging(settings.log_level)
    log.info("starting", mode=chosen, **settings.redacted())
    try:
        runtime = build_runtime(settings, run_migrations=not no_migrate)
    except SlackApiError as exc:
        raise click.ClickException(
            f"Slack refused the bot token ({exc.response.get('error')}). Check SLACK_BOT_TOKEN "
            "and that the app is installed to your workspace."
        ) from None
    except OSError as exc:
        raise click.ClickException(f"Cannot reach Slack or the database: {exc}") from None
    runtime.start_timers()
    server = runtime.http_server(host=host, port=port if port is not None else settings.port)
    stop = threading.Event()

    def shutdown(*_: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    server.start()
    log.info("http_listening", port=server.port, paths="/slack/events /healthz /metrics")
    socket_handler = None
    if chosen == "socket":
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        socket_handler = SocketModeHandler(runtime.app, settings.slack_app_token)
        socket_handler.connect()  # type: ignore[no-untyped-call]
        log.info("socket_mode_connected")
    stop.wait()
    log.info("stopping")
    if socket_handler is not None:
        socket_handler.close()  # type: ignore[no-untyped-call]
    server.stop()
    runtime.close()


@click.command()
def migrate() -> None:
    """Upgrade the database schema to the latest version (Alembic upgrade head)."""
    with open_db(migrate_first=False) as db:
        before = migrations.current_revision(db.engine)
        migrations.upgrade(db.engine)
        after = migrations.current_revision(db.engine)
    if before == after:
        click.echo(f"Database is up to date (revision {after}).")
    else:
        click.echo(f"Upgraded database from {before or 'empty'} to {after}.")
