"""`enabler schedule add|edit|list|pause|resume|delete|preview`: reflection schedules from the
server, every option non-interactive. Running servers pick changes up on their next tick."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from bot.cli._common import open_db, resolve_workspace, workspace_option
from bot.services import schedules as schedule_service
from bot.services.schedules import ScheduleInvalid, ScheduleSpec, ScheduleSummary

F = TypeVar("F", bound=Callable[..., Any])

_FIELD_FLAGS = {
    "name": "--name",
    "audience": "--audience",
    "team": "--team",
    "people": "--people",
    "days": "--days",
    "time": "--time",
    "every_weeks": "--every-weeks",
    "cron": "--cron",
    "start_date": "--start",
    "end_date": "--end",
    "prompts": "--prompts/--tag/--prompt-ids",
    "reminder_hours": "--reminder-hours",
    "grace_minutes": "--grace-minutes",
}


def _problems(exc: ScheduleInvalid) -> click.ClickException:
    lines = [f"  {_FIELD_FLAGS.get(k, k)}: {v}" for k, v in exc.problems.items()]
    return click.ClickException("The schedule was not saved:\n" + "\n".join(lines))


def _date(text: str | None, flag: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise click.ClickException(
            f"{flag} must be a date like 2026-03-09 (got {text!r})"
        ) from None


def _split(values: tuple[str, ...]) -> tuple[str, ...]:
    """--people U1,U2 --people U3 -> (U1, U2, U3)."""
    return tuple(v.strip() for item in values for v in item.split(",") if v.strip())


def _cadence_options(func: F) -> F:
    options = [
        click.option(
            "--audience",
            type=click.Choice(list(schedule_service.AUDIENCES)),
            help="Who gets it: all managers, second-line managers, a team's managers, or people.",
        ),
        click.option("--team", "teams", multiple=True, help="Team name (with --audience team)."),
        click.option(
            "--people", multiple=True, help="Slack user IDs, comma-separated (--audience people)."
        ),
        click.option("--days", help="Days of the week: mon, mon,thu, weekdays, mon-fri."),
        click.option("--time", "at", help="Local time of day, HH:MM (each person's own zone)."),
        click.option("--every-weeks", type=int, help="Every N weeks (default 1)."),
        click.option("--cron", help="Instead of --days/--time: a cron expression, '0 9 * * 1-5'."),
        click.option("--start", help="First date, YYYY-MM-DD (default today)."),
        click.option("--end", help="Last date, YYYY-MM-DD (default: no end)."),
        click.option(
            "--skip-weekends/--no-skip-weekends", default=None, help="Skip Saturday and Sunday."
        ),
        click.option(
            "--skip-holidays/--no-skip-holidays",
            default=None,
            help="Skip public holidays of the workspace's countries (default on).",
        ),
        click.option(
            "--prompts",
            "mode",
            type=click.Choice(["rotation", "tag", "fixed"]),
            help="rotation (whole library, no repeats), tag (one theme) or fixed (a list).",
        ),
        click.option("--tag", help="The theme for --prompts tag, e.g. coaching_vs_telling."),
        click.option(
            "--prompt-ids", multiple=True, help="Prompt ids for --prompts fixed (comma-separated)."
        ),
        click.option(
            "--reminder-hours", type=int, help="Follow up with non-responders after N hours."
        ),
        click.option("--no-reminder", is_flag=True, help="Remove the follow-up reminder."),
        click.option(
            "--grace-minutes",
            type=int,
            help="Deliver a missed prompt up to this late, else skip it (default 120).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _spec(base: ScheduleSpec, **given: Any) -> ScheduleSpec:
    """Overlay the options that were given on `base` (a new spec or the schedule being edited)."""
    changes: dict[str, Any] = {}
    if given["audience"] is not None:
        changes["audience"] = given["audience"]
    if given["teams"]:
        changes["audience_values"] = _split(given["teams"])
        changes.setdefault("audience", "team")
    if given["people"]:
        changes["audience_values"] = _split(given["people"])
        changes.setdefault("audience", "people")
    if given["cron"] is not None:
        changes.update(cron=given["cron"], days=None, at=None, every_weeks=1)
    if given["days"] is not None:
        changes.update(days=given["days"], cron=None)
    if given["at"] is not None:
        changes.update(at=given["at"], cron=None)
    if given["every_weeks"] is not None:
        changes["every_weeks"] = given["every_weeks"]
    if given["start"] is not None:
        changes["start_date"] = _date(given["start"], "--start")
    if given["end"] is not None:
        changes["end_date"] = _date(given["end"], "--end")
    for flag in ("skip_weekends", "skip_holidays"):
        if given[flag] is not None:
            changes[flag] = given[flag]
    if given["tag"] is not None:
        changes.update(prompt_tag=given["tag"], prompt_mode=given["mode"] or "tag")
    if given["prompt_ids"]:
        changes.update(prompt_ids=_split(given["prompt_ids"]), prompt_mode=given["mode"] or "fixed")
    if given["mode"] is not None:
        changes["prompt_mode"] = given["mode"]
    if given["no_reminder"]:
        changes["reminder_hours"] = None
    elif given["reminder_hours"] is not None:
        changes["reminder_hours"] = given["reminder_hours"]
    if given["grace_minutes"] is not None:
        changes["grace_minutes"] = given["grace_minutes"]
    return replace(base, **changes)


def _echo_summary(verb: str, s: ScheduleSummary) -> None:
    state = "paused" if s.paused else "active"
    click.echo(
        f"{verb} “{s.name}” ({state}): {s.cadence}, to {s.audience} "
        f"({s.recipients} {'person' if s.recipients == 1 else 'people'} now), "
        f"{s.prompts}, {s.reminder}."
    )


@click.group()
def schedule() -> None:
    """Reflection prompt schedules: when managers get a prompt, in their own time zone."""


@schedule.command("add")
@click.option("--name", required=True, help='A name people recognise, e.g. "Monday reflection".')
@_cadence_options
@workspace_option
def schedule_add(name: str, workspace: str | None, **options: Any) -> None:
    """Create a schedule.

    enabler schedule add --name "Monday reflection" --audience managers --days mon --time 09:00
    --prompts rotation
    """
    base = ScheduleSpec(name=name)
    spec = _spec(base, **options)
    with open_db() as db:
        team = resolve_workspace(db, workspace)
        try:
            summary = schedule_service.create_schedule(
                uow=db.uow, clock=db.clock, workspace_id=team, spec=spec
            )
        except ScheduleInvalid as exc:
            raise _problems(exc) from None
    _echo_summary("Created", summary)


@schedule.command("edit")
@click.argument("name")
@click.option("--rename", help="A new name.")
@_cadence_options
@workspace_option
def schedule_edit(name: str, rename: str | None, workspace: str | None, **options: Any) -> None:
    """Change schedule NAME; only the options given change."""
    with open_db() as db:
        team = resolve_workspace(db, workspace)
        try:
            current = schedule_service.get_schedule(uow=db.uow, workspace_id=team, ref=name)
            spec = _spec(current.spec, **options)
            if rename:
                spec = replace(spec, name=rename)
            summary = schedule_service.update_schedule(
                uow=db.uow, clock=db.clock, workspace_id=team, ref=current.id, spec=spec
            )
        except ScheduleInvalid as exc:
            raise _problems(exc) from None
    _echo_summary("Updated", summary)


@schedule.command("list")
@workspace_option
def schedule_list(workspace: str | None) -> None:
    """Show every schedule with what it has sent so far."""
    with open_db() as db:
        team = resolve_workspace(db, workspace)
        items = schedule_service.list_schedules(uow=db.uow, workspace_id=team)
    if not items:
        click.echo(
            'No schedules yet. Add one with: enabler schedule add --name "Monday reflection" '
            "--audience managers --days mon --time 09:00 --prompts rotation"
        )
        return
    table = Table(
        "name",
        "state",
        "when",
        "audience",
        "prompts",
        "follow-up",
        "sent",
        "skipped",
        "failed",
        box=None,
    )
    for s in items:
        table.add_row(
            s.name,
            "paused" if s.paused else "active",
            s.cadence,
            f"{s.audience} ({s.recipients})",
            s.prompts,
            s.reminder,
            str(s.counts.get("sent", 0)),
            str(s.counts.get("skipped", 0)),
            str(s.counts.get("failed", 0)),
        )
    Console(width=160).print(table)


def _simple(verb: str, action: Callable[..., Any]) -> Callable[..., None]:
    @click.argument("name")
    @workspace_option
    def command(name: str, workspace: str | None) -> None:
        with open_db() as db:
            team = resolve_workspace(db, workspace)
            try:
                result = action(uow=db.uow, clock=db.clock, workspace_id=team, ref=name)
            except ScheduleInvalid as exc:
                raise click.ClickException(str(exc)) from None
        shown = result if isinstance(result, str) else result.name
        click.echo(f"{verb} “{shown}”.")

    return command


def _pause(**kw: Any) -> ScheduleSummary:
    return schedule_service.set_paused(paused=True, **kw)


def _resume(**kw: Any) -> ScheduleSummary:
    return schedule_service.set_paused(paused=False, **kw)


schedule.command("pause", help="Pause schedule NAME (queued, unsent prompts are withdrawn).")(
    _simple("Paused", _pause)
)
schedule.command("resume", help="Resume schedule NAME from now on.")(_simple("Resumed", _resume))
schedule.command(
    "delete", help="Delete schedule NAME (reflections already written stay with their authors)."
)(_simple("Deleted", schedule_service.delete_schedule))


@schedule.command("preview")
@click.argument("name")
@click.option("--from", "start", help="First day, YYYY-MM-DD (default today).")
@click.option("--days", default=14, show_default=True, type=int, help="How many days to show.")
@workspace_option
def schedule_preview(name: str, start: str | None, days: int, workspace: str | None) -> None:
    """Each recipient's next occurrences, in their local time and in UTC."""
    first = _date(start, "--from") or datetime.now(UTC).date()
    with open_db() as db:
        team = resolve_workspace(db, workspace)
        try:
            summary, lines = schedule_service.preview(
                uow=db.uow, workspace_id=team, ref=name, start=first, days=days
            )
        except ScheduleInvalid as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"“{summary.name}”: {summary.cadence}, {first.isoformat()} + {days} days")
    table = Table("recipient", "time zone", "local", "UTC", "note", box=None)
    for line in lines:
        who = f"{line.name} ({line.user_id})" if line.name else line.user_id
        table.add_row(
            who,
            line.timezone or "—",
            f"{line.local:%a %Y-%m-%d %H:%M %Z}" if line.local else "—",
            f"{line.utc:%Y-%m-%d %H:%M}" if line.utc else "—",
            f"skipped: {line.skipped_reason}" if line.skipped_reason else "",
        )
    Console(width=160).print(table)
    if not lines:
        click.echo("No occurrences in that range (or nobody in the audience).")
