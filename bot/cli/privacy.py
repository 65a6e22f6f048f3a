"""`enabler privacy export USER` and `enabler privacy erase USER`: for sales ops, on request."""

from __future__ import annotations

import json

import click

from bot.cli._common import open_db, resolve_workspace, workspace_option
from bot.services import privacy as privacy_service


@click.group()
def privacy() -> None:
    """Export or erase what Enabler stores about one person (one-on-ones, coaching, plans)."""


def _user(value: str) -> str:
    value = value.strip()
    if value.startswith("<@") and value.endswith(">"):
        value = value[2:-1].split("|", 1)[0]
    if not value or not value.isalnum():
        raise click.BadParameter("give a Slack user ID such as U0123ABCD")
    return value


@privacy.command("export")
@click.argument("user")
@workspace_option
def privacy_export(user: str, workspace: str | None) -> None:
    """Print USER's data as JSON (1:1 notes a manager kept private are listed, not shown)."""
    user_id = _user(user)
    with open_db() as db:
        team = resolve_workspace(db, workspace)
        with db.uow() as tx:
            data = privacy_service.export(tx, workspace_id=team, user_id=user_id)
    click.echo(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False))


@privacy.command("erase")
@click.argument("user")
@workspace_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def privacy_erase(user: str, workspace: str | None, yes: bool) -> None:
    """Erase USER's text and identity from coaching data; counts and timings are kept under a
    pseudonym so other people's figures stay right. Cannot be undone."""
    user_id = _user(user)
    if not yes:
        click.confirm(
            f"Erase everything Enabler stores about {user_id}? This cannot be undone", abort=True
        )
    with open_db() as db:
        team = resolve_workspace(db, workspace)
        with db.uow() as tx:
            report = privacy_service.erase(
                tx, workspace_id=team, user_id=user_id, now=db.clock.now()
            )
            tx.commit()
    click.echo(
        f"Erased {user_id} (now {report.pseudonym}): {report.coaching_requests} coaching "
        f"request(s), {report.one_on_ones} 1:1(s), {report.action_items} action item(s), "
        f"{report.debrief_items} debrief item(s), {report.plans_deleted} plan(s) deleted, "
        f"{report.messages_cancelled} queued message(s) cancelled, {report.messages_scrubbed} "
        f"sent message(s) scrubbed. Roster: {report.roster}."
    )
    for note in report.notes:
        click.echo(note)
