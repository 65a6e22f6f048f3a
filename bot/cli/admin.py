"""Sales ops set-up from the server: `enabler roster …` and `enabler channels …`."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from bot.cli._common import open_db, resolve_workspace, workspace_option
from bot.domain.roster import RosterError
from bot.services import roster as roster_service


@click.group()
def roster() -> None:
    """Load and show who is a rep, a manager or sales ops, and who reports to whom."""


@roster.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@workspace_option
def roster_import(file: Path, workspace: str | None) -> None:
    """Import FILE.csv: header user_id,role,manager_id[,name,team,timezone].

    Re-importing updates people in place. A file with any bad row imports nothing; every bad row
    is listed with its line number.
    """
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise click.ClickException(f"{file} is not UTF-8 text") from None
    with open_db() as db:
        team = resolve_workspace(db, workspace)
        try:
            result = roster_service.import_roster(
                uow=db.uow, clock=db.clock, workspace_id=team, csv_text=text
            )
        except RosterError as exc:
            lines = "\n".join(f"  {p}" for p in exc.problems)
            raise click.ClickException(
                f"{file}: nothing imported, {len(exc.problems)} problem(s):\n{lines}"
            ) from None
    click.echo(
        f"Imported {file.name}: {result.created} added, {result.updated} updated, "
        f"{result.unchanged} unchanged."
    )


@roster.command("list")
@workspace_option
def roster_list(workspace: str | None) -> None:
    """Show the roster."""
    with open_db() as db:
        team = resolve_workspace(db, workspace)
        people = roster_service.list_people(uow=db.uow, workspace_id=team)
    table = Table("user_id", "role", "manager_id", "name", "team", "timezone", box=None)
    for p in people:
        table.add_row(
            p.user_id, p.role, p.manager_id or "", p.name or "", p.team or "", p.timezone or ""
        )
    Console(width=120).print(table)
    click.echo(f"{len(people)} people.")


@click.group()
def channels() -> None:
    """Deal channels Enabler watches: channel IDs (C…) or name patterns such as deal-*."""


@channels.command("add")
@click.argument("channel")
@workspace_option
def channels_add(channel: str, workspace: str | None) -> None:
    """Watch CHANNEL (an ID like C0123ABCD, or a name pattern like deal-*)."""
    with open_db() as db:
        team = resolve_workspace(db, workspace)
        try:
            pattern, added = roster_service.add_deal_channel(
                uow=db.uow, clock=db.clock, workspace_id=team, pattern=channel
            )
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"Watching {pattern}." if added else f"Already watching {pattern}.")


@channels.command("list")
@workspace_option
def channels_list(workspace: str | None) -> None:
    """List watched channels and patterns."""
    with open_db() as db:
        team = resolve_workspace(db, workspace)
        patterns = roster_service.list_deal_channels(uow=db.uow, workspace_id=team)
    for p in patterns:
        click.echo(p)
    if not patterns:
        click.echo("No deal channels yet. Add one with: enabler channels add deal-*")


@channels.command("remove")
@click.argument("channel")
@workspace_option
def channels_remove(channel: str, workspace: str | None) -> None:
    """Stop watching CHANNEL."""
    with open_db() as db:
        team = resolve_workspace(db, workspace)
        try:
            removed = roster_service.remove_deal_channel(
                uow=db.uow, workspace_id=team, pattern=channel
            )
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
    if not removed:
        raise click.ClickException(f"{channel} was not being watched.")
    click.echo(f"Stopped watching {channel}.")
