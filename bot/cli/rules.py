"""`enabler rules …` (test, evaluate and tune detection) and `enabler signals list`."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import click
import yaml
from rich.console import Console
from rich.table import Table

from bot.cli._common import open_db, resolve_workspace, workspace_option
from bot.domain.evaluation import (
    ExampleError,
    classify_jsonl_line,
    evaluate,
    format_report,
    load_examples,
)
from bot.domain.rules import CHANNEL_KINDS, ROLES, RuleConfigError, RuleSet, load_rules
from bot.services import detection

ROLE_CHOICES = click.Choice([*ROLES, "none"])


def _read_overrides(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise click.ClickException(f"{path}: cannot read rules ({exc})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise click.ClickException(f"{path}: rules overrides must be a mapping (YAML or JSON)")
    return data


def _compile(overrides: dict[str, Any] | None) -> RuleSet:
    try:
        return load_rules(overrides)
    except RuleConfigError as exc:
        raise click.ClickException(f"Invalid rules:\n{exc}") from None


def _rules(rules_file: Path | None, workspace: str | None) -> RuleSet:
    """Candidate rules from a file; else the workspace's current rules when a DB is set up."""
    if rules_file is not None:
        return _compile(_read_overrides(rules_file))
    if workspace is None:
        return _compile(None)
    with open_db() as db, db.uow() as tx:
        return _compile(detection.rule_overrides(tx, resolve_workspace(db, workspace)))


@click.group()
def rules() -> None:
    """Detection rules: test them on text, evaluate them on a labelled corpus, tune them."""


@rules.command("test")
@click.argument("text", required=False)
@click.option("--author-role", type=ROLE_CHOICES, default="manager", show_default=True)
@click.option("--thread-owner-role", type=ROLE_CHOICES, default="rep", show_default=True)
@click.option(
    "--channel-kind", type=click.Choice(list(CHANNEL_KINDS)), default="deal", show_default=True
)
@click.option(
    "--jsonl",
    "jsonl",
    type=click.File("r"),
    default=None,
    help='Classify each line {"text","author_role","thread_owner_role","channel_kind"}; '
    'prints {"signals": [...]} per line, in order. "-" reads stdin.',
)
@click.option(
    "--rules",
    "rules_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Test candidate overrides (YAML/JSON) instead of the live rules.",
)
@click.option("--workspace", default=None, help="Use this workspace's live rules (T…).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def rules_test(
    text: str | None,
    author_role: str,
    thread_owner_role: str,
    channel_kind: str,
    jsonl: TextIO | None,
    rules_file: Path | None,
    workspace: str | None,
    as_json: bool,
) -> None:
    """Show which signals TEXT would produce, and which rule fired."""
    ruleset = _rules(rules_file, workspace)
    if jsonl is not None:
        for number, line in enumerate(jsonl, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                if not isinstance(obj, dict):
                    raise ExampleError("each line must be a JSON object")
                out = classify_jsonl_line(obj, ruleset)
            except (json.JSONDecodeError, ExampleError) as exc:
                raise click.ClickException(f"line {number}: {exc}") from None
            click.echo(json.dumps(out, sort_keys=True))
        return
    if text is None:
        raise click.UsageError("give TEXT or --jsonl FILE")
    obj = {
        "text": text,
        "author_role": None if author_role == "none" else author_role,
        "thread_owner_role": None if thread_owner_role == "none" else thread_owner_role,
        "channel_kind": channel_kind,
    }
    out = classify_jsonl_line(obj, ruleset)
    if as_json:
        click.echo(json.dumps(out, sort_keys=True))
        return
    if not out["signals"]:
        click.echo("No signal.")
        return
    table = Table("type", "kind", "rule", "weight", box=None)
    for s in out["signals"]:
        table.add_row(s["type"], s["kind"], s["rule"], f"{s['weight']:.2f}")
    Console(width=120).print(table)


@rules.command("eval")
@click.argument("file", type=click.File("r"))
@click.option(
    "--rules",
    "rules_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Evaluate candidate overrides instead of the defaults.",
)
@click.option("--mismatches", is_flag=True, help="List every example the rules got wrong.")
def rules_eval(file: TextIO, rules_file: Path | None, mismatches: bool) -> None:
    """Precision, recall and F1 per kind and per type on a labelled JSONL corpus."""
    ruleset = _rules(rules_file, None)
    try:
        examples = load_examples(file, ruleset)
    except ExampleError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(format_report(evaluate(examples, ruleset), show_mismatches=mismatches))


@rules.command("show")
@workspace_option
def rules_show(workspace: str | None) -> None:
    """Print the workspace's overrides (the defaults apply where none are set)."""
    with open_db() as db, db.uow() as tx:
        overrides = detection.rule_overrides(tx, resolve_workspace(db, workspace))
    if not overrides:
        click.echo("No overrides: the built-in default rules apply.")
        return
    click.echo(yaml.safe_dump(overrides, sort_keys=True, allow_unicode=True))


@rules.command("set")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@workspace_option
def rules_set(file: Path, workspace: str | None) -> None:
    """Validate FILE (YAML/JSON overrides) and make it the workspace's live rules."""
    overrides = _read_overrides(file)
    with open_db() as db, db.uow() as tx:
        team = resolve_workspace(db, workspace)
        try:
            detection.set_rule_overrides(
                tx, workspace_id=team, overrides=overrides, now=db.clock.now()
            )
        except RuleConfigError as exc:
            raise click.ClickException(f"{file}: nothing changed.\n{exc}") from None
        tx.commit()
    click.echo(f"Rules updated for {team}; running servers use them from the next message.")


@rules.command("reset")
@workspace_option
def rules_reset(workspace: str | None) -> None:
    """Drop the workspace's overrides and go back to the built-in rules."""
    with open_db() as db, db.uow() as tx:
        team = resolve_workspace(db, workspace)
        detection.set_rule_overrides(tx, workspace_id=team, overrides=None, now=db.clock.now())
        tx.commit()
    click.echo(f"Rules reset to the defaults for {team}.")


@click.group()
def signals() -> None:
    """Audit what detection recorded (operators on the server)."""


@signals.command("list")
@click.option("--manager", default=None, help="Only this manager (U…).")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Only signals on or after DATE (UTC), e.g. 2026-11-01.",
)
@click.option("--limit", default=200, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@workspace_option
def signals_list(
    manager: str | None, since: datetime | None, limit: int, as_json: bool, workspace: str | None
) -> None:
    """Signals recorded, newest first: type, kind, rule, manager, rep, link, time."""
    with open_db() as db, db.uow() as tx:
        rows = detection.list_signals(
            tx,
            workspace_id=resolve_workspace(db, workspace),
            manager_id=manager,
            since=since.replace(tzinfo=UTC) if since else None,
            limit=limit,
        )
    if as_json:
        for r in rows:
            click.echo(
                json.dumps(
                    {
                        "id": r.id,
                        "type": r.type,
                        "kind": r.kind,
                        "rule": r.rule,
                        "weight": r.weight,
                        "manager": r.manager_id,
                        "rep": r.rep_id,
                        "channel": r.channel_id,
                        "permalink": r.permalink,
                        "at": r.occurred_at.isoformat(),
                        "justified": r.justified,
                    },
                    sort_keys=True,
                )
            )
        return
    table = Table("when (UTC)", "type", "kind", "rule", "manager", "rep", "link", box=None)
    for r in rows:
        table.add_row(
            r.occurred_at.strftime("%Y-%m-%d %H:%M"),
            r.type,
            r.kind,
            r.rule,
            r.manager_id,
            r.rep_id or "",
            r.permalink or "",
        )
    Console(width=160, file=sys.stdout).print(table)
    click.echo(f"{len(rows)} signal(s).")
