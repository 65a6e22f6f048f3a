"""Shared CLI plumbing: settings, the database, which workspace, friendly errors."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import click
from sqlalchemy import Engine

from bot.clock import Clock, SystemClock
from bot.config import ConfigError, Settings
from bot.db import migrate
from bot.db.engine import make_engine, make_session_factory
from bot.db.repositories.core import WorkspaceRepo
from bot.db.unit_of_work import UnitOfWorkFactory
from bot.observability import configure_logging

F = TypeVar("F", bound=Callable[..., Any])


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="enabler")
def main() -> None:
    """Enabler: helps sales managers coach their reps instead of doing their deals.

    Configuration comes from the environment (see README). Start with `enabler serve`, or try it
    all without Slack with `enabler demo`.
    """


def load_settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


@dataclass
class Db:
    settings: Settings
    engine: Engine
    uow: UnitOfWorkFactory
    clock: Clock


@contextmanager
def open_db(*, migrate_first: bool = True) -> Iterator[Db]:
    settings = load_settings()
    configure_logging(settings.log_level)
    engine = make_engine(settings.database_url)
    try:
        if migrate_first:
            migrate.upgrade(engine)
        yield Db(settings, engine, UnitOfWorkFactory(make_session_factory(engine)), SystemClock())
    finally:
        engine.dispose()


def workspace_option(func: F) -> F:
    return click.option(
        "--workspace",
        "workspace",
        envvar="SLACK_TEAM_ID",
        default=None,
        help="Slack team ID (T…). Defaults to $SLACK_TEAM_ID, or the only workspace known.",
    )(func)


def resolve_workspace(db: Db, given: str | None) -> str:
    if given:
        return given
    with db.uow() as tx:
        known = [w.team_id for w in WorkspaceRepo(tx.session).all()]
    if len(known) == 1:
        return known[0]
    if not known:
        raise click.ClickException(
            "No workspace yet. Pass --workspace T0123ABCD (your Slack team ID) or set "
            "SLACK_TEAM_ID; `enabler serve` records it by itself on first start."
        )
    raise click.ClickException(
        f"Several workspaces are known ({', '.join(known)}); choose one with --workspace."
    )


def fail(message: str) -> None:
    click.secho(message, fg="red", err=True)
    sys.exit(1)


def is_tty() -> bool:
    return sys.stdout.isatty() and os.environ.get("CI") is None
