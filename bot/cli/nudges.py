"""`enabler nudges policy show|set` (sales ops) and `enabler nudges report` (did nudges help?).

    enabler nudges policy show [--manager U…]
    enabler nudges policy set max_per_day=3 quiet_start=19:00 [--manager U…] [--reset]
    enabler nudges report [--manager U…] [--since 2026-03-01] [--include-suppressed] [--json]

The report prints counts and action codes only - never message text, notes or reflections. It
lists individual nudges only for one manager at a time (`--manager`); without it, it prints the
per-type totals across everyone, which is what "did nudges change anything?" needs.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, time

import click

from bot.cli._common import open_db, resolve_workspace, workspace_option
from bot.domain.calendar import format_weekdays
from bot.domain.policy import NudgePolicy, PolicyError
from bot.services import ledger, nudging


@click.group()
def nudges() -> None:
    """Nudge policy (caps, cool-down, quiet hours) and the nudge effect report."""


@nudges.group()
def policy() -> None:
    """Workspace defaults for nudges, and per-manager overrides."""


def _hours(delta_seconds: float) -> str:
    minutes = int(delta_seconds // 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes % 60 else f"{minutes // 60}h"


def _print_policy(effective: NudgePolicy, stored: dict[str, object], who: str) -> None:
    click.echo(f"Nudge policy ({who}):")
    click.echo(f"  max_per_day:       {effective.max_per_day}")
    click.echo(f"  max_per_week:      {effective.max_per_week}")
    click.echo(f"  cooldown:          {_hours(effective.cooldown.total_seconds())}")
    click.echo(f"  quiet_start:       {effective.quiet_start:%H:%M} (manager's local time)")
    click.echo(f"  quiet_end:         {effective.quiet_end:%H:%M}")
    click.echo(f"  working_days:      {format_weekdays(effective.working_days)}")
    click.echo(f"  holiday_countries: {', '.join(effective.holiday_countries) or '(none)'}")
    if who.startswith("manager"):
        snoozed = effective.snoozed_until.isoformat() if effective.snoozed_until else "no"
        click.echo(f"  (their own) nudges: {'off' if effective.opted_out else 'on'}")
        click.echo(f"  (their own) snoozed until: {snoozed}")
        click.echo(f"  (their own) muted channels: {len(effective.muted_channels)}")
    set_here = ", ".join(f"{k}={v}" for k, v in sorted(stored.items())) or "(nothing; inherited)"
    click.echo(f"Set at this level: {set_here}")


@policy.command("show")
@click.option("--manager", default=None, help="Show one manager's effective policy (U…).")
@workspace_option
def show(manager: str | None, workspace: str | None) -> None:
    """Show the effective policy and what is set at this level."""
    with open_db() as db:
        team = resolve_workspace(db, workspace)
        with db.uow() as tx:
            effective, stored = nudging.show_policy(tx, workspace_id=team, manager_id=manager)
    _print_policy(effective, stored, f"manager {manager}" if manager else "workspace defaults")


@policy.command("set")
@click.argument("settings", nargs=-1)
@click.option("--manager", default=None, help="Override for one manager (U…).")
@click.option("--reset", is_flag=True, help="Clear everything set at this level first.")
@workspace_option
def set_(
    settings: tuple[str, ...], manager: str | None, reset: bool, workspace: str | None
) -> None:
    """Set KEY=VALUE pairs; VALUE `default` removes a key (inherit).

    Keys: max_per_day, max_per_week, cooldown (4h, 90m), quiet_start / quiet_end (HH:MM, the
    manager's local time), working_days (mon-fri), holiday_countries (US,GB).
    """
    values: dict[str, object] = {}
    for item in settings:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.UsageError(f"expected KEY=VALUE, got {item!r}")
        values[key.strip()] = value
    if not values and not reset:
        raise click.UsageError(
            "nothing to set; e.g. `enabler nudges policy set max_per_day=3 cooldown=3h`"
        )
    with open_db() as db:
        team = resolve_workspace(db, workspace)
        with db.uow() as tx:
            try:
                effective = nudging.set_policy(
                    tx,
                    workspace_id=team,
                    now=db.clock.now(),
                    values=values,
                    manager_id=manager,
                    reset=reset,
                )
            except PolicyError as exc:
                raise click.ClickException(str(exc)) from None
            _, stored = nudging.show_policy(tx, workspace_id=team, manager_id=manager)
            tx.commit()
    _print_policy(effective, stored, f"manager {manager}" if manager else "workspace defaults")


@nudges.command("report")
@click.option("--manager", default=None, help="List this manager's nudges one by one (U…).")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
@click.option("--include-suppressed", is_flag=True, help="Also list nudges that were not sent.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per nudge, then totals.")
@workspace_option
def report(
    manager: str | None,
    since: datetime | None,
    include_suppressed: bool,
    as_json: bool,
    workspace: str | None,
) -> None:
    """Per nudge: the action clicked and doing signals 14 days before vs after, per type."""
    start = datetime.combine(since.date(), time(0), tzinfo=UTC) if since else None
    with open_db() as db:
        team = resolve_workspace(db, workspace)
        with db.uow() as tx:
            lines = ledger.nudge_report(
                tx,
                workspace_id=team,
                now=db.clock.now(),
                manager_id=manager,
                since=start,
                include_suppressed=include_suppressed,
            )
    totals = ledger.effect_by_type([line for line in lines if line.status == "sent"])
    per_nudge = manager is not None
    if as_json:
        if per_nudge:
            for line in lines:
                click.echo(
                    json.dumps(
                        {
                            "nudge": line.nudge_id,
                            "at": line.at.isoformat(),
                            "status": line.status,
                            "reason": line.reason,
                            "type": line.signal_type,
                            "clicked": line.clicked,
                            "actions": list(line.actions),
                            "complete": line.complete,
                            "effect": {
                                t: {"before": ba.before, "after": ba.after}
                                for t, ba in line.effect.items()
                            },
                        }
                    )
                )
        click.echo(
            json.dumps(
                {
                    "totals": {
                        t: {"before": ba.before, "after": ba.after} for t, ba in totals.items()
                    },
                    "nudges": sum(1 for line in lines if line.status == "sent"),
                    "clicked": sum(1 for line in lines if line.clicked),
                }
            )
        )
        return
    sent = [line for line in lines if line.status == "sent"]
    if not lines:
        click.echo("No nudges yet.")
        return
    if per_nudge:
        click.echo(f"{'nudge':>6}  {'date':10}  {'type':16}  {'clicked':14}  before -> after")
        for line in lines:
            effect = (
                ", ".join(f"{t} {ba.before}->{ba.after}" for t, ba in line.effect.items()) or "-"
            )
            clicked = line.clicked or ("(not sent)" if line.status != "sent" else "(none)")
            partial = "" if line.complete else "  (after-window still open)"
            click.echo(
                f"{line.nudge_id:>6}  {line.at.date():%Y-%m-%d}  {line.signal_type:16}  "
                f"{clicked:14}  {effect}{partial}"
                + (f"  [{line.reason}]" if line.status != "sent" else "")
            )
    clicked_count = sum(1 for line in sent if line.clicked)
    click.echo(f"\n{len(sent)} nudges sent, {clicked_count} with an action clicked.")
    actions: dict[str, int] = {}
    for line in sent:
        if line.clicked:
            actions[line.clicked] = actions.get(line.clicked, 0) + 1
    if actions:
        click.echo("First action: " + ", ".join(f"{a} {n}" for a, n in sorted(actions.items())))
    click.echo("Doing signals, 14 days before -> after each nudge (summed):")
    for signal_type, ba in totals.items():
        click.echo(f"  {signal_type:16} {ba.before:>4} -> {ba.after:<4} ({ba.change:+d})")
    if not per_nudge:
        click.echo("(Add --manager U… to list one manager's nudges.)")


__all__ = ["nudges"]
