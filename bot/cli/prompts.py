"""`enabler prompts list|add|edit|retire|restore`: the reflection prompt library."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from bot.cli._common import open_db, resolve_workspace, workspace_option
from bot.domain.prompts import CONTEXT_KEYS, PromptError
from bot.services import prompts_library


def _split(values: tuple[str, ...]) -> list[str]:
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


@click.group()
def prompts() -> None:
    """Reflection prompts: the shipped library plus your own; retire the ones you don't want."""


@prompts.command("list")
@click.option("--tag", help="Only prompts with this tag.")
@click.option("--all", "show_all", is_flag=True, help="Include retired prompts.")
@workspace_option
def prompts_list(tag: str | None, show_all: bool, workspace: str | None) -> None:
    """Show the library: id, tags and text (templates use live context from the manager's week)."""
    with open_db() as db:
        team = resolve_workspace(db, workspace)
        items = prompts_library.list_prompts(
            uow=db.uow, workspace_id=team, include_retired=show_all
        )
    if tag:
        items = [p for p in items if tag in p.tags]
    table = Table("id", "tags", "text", "", box=None)
    for p in items:
        notes = [n for n, on in (("custom", p.custom), ("retired", p.retired)) if on]
        if p.template:
            notes.append(f"live: {', '.join(p.requires)}")
        table.add_row(p.id, ", ".join(p.tags), p.text, " · ".join(notes))
    Console(width=180).print(table)
    click.echo(f"{len(items)} prompts.")


@prompts.command("add")
@click.argument("prompt_id")
@click.option("--text", required=True, help="The question, as plain text.")
@click.option("--tag", "tags", multiple=True, help="Theme tags (comma-separated), e.g. hiring.")
@click.option(
    "--template",
    help="Optional wording with live context, e.g. 'You have {rep_count} reps ...'; "
    "every {name} must also be in --requires.",
)
@click.option(
    "--requires",
    multiple=True,
    help="When the template applies, e.g. 'rep_count>=2' (context names: "
    + ", ".join(CONTEXT_KEYS)
    + ").",
)
@workspace_option
def prompts_add(
    *,
    prompt_id: str,
    text: str,
    tags: tuple[str, ...],
    template: str | None,
    requires: tuple[str, ...],
    workspace: str | None,
) -> None:
    """Add prompt PROMPT_ID (a lowercase slug such as first-90-days)."""
    with open_db() as db:
        team = resolve_workspace(db, workspace)
        try:
            added = prompts_library.add_prompt(
                uow=db.uow,
                clock=db.clock,
                workspace_id=team,
                prompt_id=prompt_id,
                text=text,
                tags=_split(tags),
                template=template,
                requires=_split(requires),
            )
        except PromptError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"Added {added.id}: {added.text}")


@prompts.command("edit")
@click.argument("prompt_id")
@click.option("--text", help="New plain text.")
@click.option("--tag", "tags", multiple=True, help="Replace the tags (comma-separated).")
@click.option("--template", help="New live-context wording.")
@click.option("--no-template", is_flag=True, help="Remove the live-context wording.")
@click.option("--requires", multiple=True, help="Replace the template's conditions.")
@workspace_option
def prompts_edit(
    *,
    prompt_id: str,
    text: str | None,
    tags: tuple[str, ...],
    template: str | None,
    no_template: bool,
    requires: tuple[str, ...],
    workspace: str | None,
) -> None:
    """Change PROMPT_ID (shipped prompts get your workspace's own version)."""
    with open_db() as db:
        team = resolve_workspace(db, workspace)
        try:
            edited = prompts_library.edit_prompt(
                uow=db.uow,
                clock=db.clock,
                workspace_id=team,
                prompt_id=prompt_id,
                text=text,
                tags=_split(tags) if tags else None,
                template=template,
                clear_template=no_template,
                requires=_split(requires) if requires else None,
            )
        except PromptError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"Updated {edited.id}: {edited.text}")


@prompts.command("retire")
@click.argument("prompt_id")
@workspace_option
def prompts_retire(prompt_id: str, workspace: str | None) -> None:
    """Never send PROMPT_ID again (past reflections keep their question)."""
    with open_db() as db:
        team = resolve_workspace(db, workspace)
        try:
            retired = prompts_library.retire_prompt(
                uow=db.uow, clock=db.clock, workspace_id=team, prompt_id=prompt_id, by=None
            )
        except PromptError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"Retired {prompt_id}." if retired else f"{prompt_id} was already retired.")


@prompts.command("restore")
@click.argument("prompt_id")
@workspace_option
def prompts_restore(prompt_id: str, workspace: str | None) -> None:
    """Bring a retired prompt back."""
    with open_db() as db:
        team = resolve_workspace(db, workspace)
        restored = prompts_library.restore_prompt(
            uow=db.uow, workspace_id=team, prompt_id=prompt_id
        )
    if not restored:
        raise click.ClickException(f"{prompt_id} is not retired.")
    click.echo(f"Restored {prompt_id}.")
