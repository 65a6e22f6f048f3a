"""`enabler export --what one_on_ones|coaching|plans|signals --format csv`: aggregates only."""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import TextIO

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot.cli._common import is_tty, open_db, resolve_workspace, workspace_option
from bot.services import export as export_service


@click.command("export")
@click.option(
    "--what",
    type=click.Choice(export_service.WHAT),
    required=True,
    help="one_on_ones, coaching, plans or signals.",
)
@click.option("--format", "fmt", type=click.Choice(["csv"]), default="csv", show_default=True)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Write to this file instead of standard output.",
)
@workspace_option
def export(what: str, fmt: str, out: Path | None, workspace: str | None) -> None:
    """Export coaching data as CSV, one row per first-line manager (and month).

    Privacy rules apply: counts only, never notes, request text or goals, and averages of
    reps' ratings only where at least 5 ratings stand behind them.
    """
    err = Console(stderr=True)
    with open_db() as db:
        team = resolve_workspace(db, workspace)
        with (
            Progress(
                TextColumn(f"Exporting {what}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err,
                transient=True,
                disable=not is_tty(),
            ) as bar,
            db.uow() as tx,
        ):
            task = bar.add_task(what, total=None)
            result = export_service.export(
                tx,
                workspace_id=team,
                what=what,
                now=db.clock.now(),
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    if out is None:
        _write(result, sys.stdout)
    else:
        with out.open("w", newline="", encoding="utf-8") as handle:
            _write(result, handle)
        err.print(f"Wrote {len(result.rows)} row(s) to {out}")
    for note in result.notes:
        err.print(note)


def _write(result: export_service.ExportResult, handle: TextIO) -> None:
    if not result.rows and result.columns == ["what", "status"]:
        return  # nothing recorded: the note on stderr says so, stdout stays empty
    writer = csv.DictWriter(handle, fieldnames=result.columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(result.rows)
