"""`enabler coaching defaults|skills`: workspace defaults for 1:1s and coaching (sales ops)."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli._common import open_db, resolve_workspace, workspace_option
from bot.services import coaching as coaching_service


@click.group()
def coaching() -> None:
    """Defaults for one-on-ones and coaching: cadence, reminder timings, skills taxonomy."""


def _show(defaults: coaching_service.CoachingDefaults) -> None:
    click.echo(f"1:1 cadence:              every {defaults.cadence_days} days")
    click.echo(f"Remind manager after:     {defaults.response_hours} working hours")
    click.echo(f"Tell their manager after: {defaults.escalate_after_hours} more working hours")
    click.echo(f"Action item reminder:     {defaults.item_reminder_days} day(s) before due")
    click.echo("Skills:")
    for skill in defaults.skills:
        click.echo(f"  {skill.id}: {skill.label}")


@coaching.command("defaults")
@click.option("--cadence-days", type=click.IntRange(1, 365), default=None)
@click.option("--response-hours", type=click.IntRange(1, 720), default=None)
@click.option("--escalate-after-hours", type=click.IntRange(1, 720), default=None)
@click.option("--item-reminder-days", type=click.IntRange(0, 30), default=None)
@workspace_option
def defaults(
    cadence_days: int | None,
    response_hours: int | None,
    escalate_after_hours: int | None,
    item_reminder_days: int | None,
    workspace: str | None,
) -> None:
    """Show the defaults, or change the ones given."""
    with open_db() as db:
        team = resolve_workspace(db, workspace)
        with db.uow() as tx:
            changing = any(
                v is not None
                for v in (cadence_days, response_hours, escalate_after_hours, item_reminder_days)
            )
            if changing:
                current = coaching_service.set_defaults(
                    tx,
                    workspace_id=team,
                    now=db.clock.now(),
                    actor_id=None,
                    cadence_days=cadence_days,
                    response_hours=response_hours,
                    escalate_after_hours=escalate_after_hours,
                    item_reminder_days=item_reminder_days,
                )
                tx.commit()
            else:
                current = coaching_service.get_defaults(tx, team)
    _show(current)


@coaching.command("skills")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@workspace_option
def skills(file: Path, workspace: str | None) -> None:
    """Replace the skills taxonomy with FILE: one skill per line, `id: Label`."""
    try:
        parsed = coaching_service.parse_skills(file.read_text(encoding="utf-8-sig"))
    except coaching_service.CoachingError as exc:
        raise click.ClickException(f"{file}: {exc}") from None
    with open_db() as db:
        team = resolve_workspace(db, workspace)
        with db.uow() as tx:
            current = coaching_service.set_defaults(
                tx, workspace_id=team, now=db.clock.now(), actor_id=None, skills=parsed
            )
            tx.commit()
    _show(current)
