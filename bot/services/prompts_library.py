"""The reflection prompt library as one workspace sees it, and the live context prompts use.

The shipped library (bot/domain/data/prompts.json) plus sales ops' additions and edits, minus
what they retired. `week_context` gathers facts about a manager's week from whatever other
features have stored; each feature adds a provider to `CONTEXT_PROVIDERS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock
from bot.db.repositories.core import PeopleRepo, WorkspaceRepo
from bot.db.repositories.schedules import PromptRepo, ScheduleRepo
from bot.db.rows import CustomPromptRow
from bot.db.unit_of_work import UnitOfWork, UnitOfWorkFactory
from bot.domain.prompts import (
    CONTEXT_KEYS,
    Mode,
    Prompt,
    PromptError,
    PromptLibrary,
    load_library,
    prompt_from_mapping,
    validate_selection,
)

__all__ = [
    "CONTEXT_PROVIDERS",
    "ContextProvider",
    "PromptInfo",
    "add_prompt",
    "edit_prompt",
    "library",
    "list_prompts",
    "restore_prompt",
    "retire_prompt",
    "week_context",
]

#: (tx, workspace_id, manager's user_id, now) -> facts named as in bot.domain.prompts.CONTEXT_KEYS.
ContextProvider = Callable[[UnitOfWork, str, str, datetime], Mapping[str, object]]


def _roster_context(
    tx: UnitOfWork, workspace_id: str, user_id: str, now: datetime
) -> Mapping[str, object]:
    people = PeopleRepo(tx.session, workspace_id)
    person = people.get(user_id)
    facts: dict[str, object] = {}
    if person is not None and person.name:
        facts["manager_name"] = person.name.split()[0]
    reports = people.reports_of(user_id)
    if reports:
        facts["rep_count"] = len(reports)
    return facts


#: Extension point. The detection, coaching and 1:1 features append a provider here that
#: reads their own tables (call_join_count, takeover_count, one_on_one_count, ...). Until they
#: exist, prompts that need those facts are simply not chosen (their `requires` do not hold).
CONTEXT_PROVIDERS: list[ContextProvider] = [_roster_context]


def week_context(
    tx: UnitOfWork, *, workspace_id: str, user_id: str, now: datetime
) -> dict[str, object]:
    """Facts about the manager's week for prompt templates; unknown names are dropped."""
    facts: dict[str, object] = {}
    for provider in CONTEXT_PROVIDERS:
        facts.update(provider(tx, workspace_id, user_id, now))
    return {k: v for k, v in facts.items() if k in CONTEXT_KEYS}


def _custom_prompt(row: CustomPromptRow) -> Prompt:
    data: dict[str, object] = {
        "id": row.prompt_id,
        "text": row.text,
        "tags": list(row.tags or []),
        "requires": list(row.requires or []),
    }
    if row.template:
        data["template"] = row.template
    return prompt_from_mapping(data, custom=True)


def library(tx: UnitOfWork, workspace_id: str) -> PromptLibrary:
    repo = PromptRepo(tx.session, workspace_id)
    return load_library([_custom_prompt(r) for r in repo.custom()], retired_ids=repo.retired_ids())


@dataclass(frozen=True)
class PromptInfo:
    id: str
    text: str
    tags: tuple[str, ...]
    template: str | None
    requires: tuple[str, ...]
    retired: bool
    custom: bool


def _info(p: Prompt) -> PromptInfo:
    return PromptInfo(
        id=p.id,
        text=p.text,
        tags=p.tags,
        template=p.template,
        requires=tuple(str(c) for c in p.requires),
        retired=p.retired,
        custom=p.custom,
    )


def list_prompts(
    *, uow: UnitOfWorkFactory, workspace_id: str, include_retired: bool = False
) -> list[PromptInfo]:
    with uow() as tx:
        lib = library(tx, workspace_id)
    return [_info(p) for p in lib.prompts if include_retired or not p.retired]


def add_prompt(
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    workspace_id: str,
    prompt_id: str,
    text: str,
    tags: Sequence[str] = (),
    template: str | None = None,
    requires: Sequence[str] = (),
    by: str | None = None,
) -> PromptInfo:
    """Add a new prompt. Raises PromptError (a sentence for sales ops) when it can't be used."""
    data: dict[str, object] = {
        "id": prompt_id.strip(),
        "text": text,
        "tags": list(tags),
        "requires": list(requires),
    }
    if template:
        data["template"] = template
    prompt = prompt_from_mapping(data, custom=True)
    now = clock.now()
    with uow() as tx:
        WorkspaceRepo(tx.session).ensure(workspace_id, now=now)
        if library(tx, workspace_id).get(prompt.id) is not None:
            raise PromptError(
                f"a prompt with id {prompt.id!r} exists already; "
                f"change it with `enabler prompts edit {prompt.id}`"
            )
        PromptRepo(tx.session, workspace_id).add_custom(_row(workspace_id, prompt, now, by))
        tx.commit()
    return _info(prompt)


def edit_prompt(
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    workspace_id: str,
    prompt_id: str,
    text: str | None = None,
    tags: Sequence[str] | None = None,
    template: str | None = None,
    clear_template: bool = False,
    requires: Sequence[str] | None = None,
    by: str | None = None,
) -> PromptInfo:
    """Change a prompt; editing a shipped one stores the workspace's own version of it."""
    now = clock.now()
    with uow() as tx:
        current = library(tx, workspace_id).get(prompt_id)
        if current is None:
            raise PromptError(f"no prompt with id {prompt_id!r}; see `enabler prompts list`")
        new_template = None if clear_template else (template or current.template)
        new_requires = (
            list(requires) if requires is not None else [str(c) for c in current.requires]
        )
        if clear_template and requires is None:
            new_requires = []
        data: dict[str, object] = {
            "id": current.id,
            "text": text if text is not None else current.text,
            "tags": list(tags) if tags is not None else list(current.tags),
            "requires": new_requires,
        }
        if new_template:
            data["template"] = new_template
        prompt = prompt_from_mapping(data, custom=True)
        repo = PromptRepo(tx.session, workspace_id)
        row = repo.get_custom(prompt_id)
        if row is None:
            repo.add_custom(_row(workspace_id, prompt, now, by))
        else:
            row.text = prompt.text
            row.template = prompt.template
            row.tags = list(prompt.tags)
            row.requires = [str(c) for c in prompt.requires]
            row.updated_at = now
        _check_schedules_still_work(tx, workspace_id)
        tx.commit()
    return _info(prompt)


def retire_prompt(
    *, uow: UnitOfWorkFactory, clock: Clock, workspace_id: str, prompt_id: str, by: str | None
) -> bool:
    """Stop choosing a prompt. False when it was retired already.

    Refused when a schedule would be left with nothing to send (its tag or fixed list held
    only this prompt): the message names the schedule to change first.
    """
    with uow() as tx:
        if library(tx, workspace_id).get(prompt_id) is None:
            raise PromptError(f"no prompt with id {prompt_id!r}; see `enabler prompts list`")
        retired = PromptRepo(tx.session, workspace_id).retire(prompt_id, now=clock.now(), by=by)
        _check_schedules_still_work(tx, workspace_id)
        tx.commit()
    return retired


def restore_prompt(*, uow: UnitOfWorkFactory, workspace_id: str, prompt_id: str) -> bool:
    with uow() as tx:
        restored = PromptRepo(tx.session, workspace_id).unretire(prompt_id)
        tx.commit()
    return restored


def _check_schedules_still_work(tx: UnitOfWork, workspace_id: str) -> None:
    tx.flush()
    lib = library(tx, workspace_id)
    for schedule in ScheduleRepo(tx.session, workspace_id).all():
        mode: Mode = "rotation"
        if schedule.prompt_mode in ("tag", "fixed"):
            mode = "tag" if schedule.prompt_mode == "tag" else "fixed"
        try:
            validate_selection(
                lib, mode=mode, tag=schedule.prompt_tag, fixed_ids=schedule.prompt_ids
            )
        except PromptError as exc:
            raise PromptError(
                f"schedule {schedule.name!r} would have no prompt to send ({exc}); "
                "change its prompts first"
            ) from None


def _row(workspace_id: str, prompt: Prompt, now: datetime, by: str | None) -> CustomPromptRow:
    return CustomPromptRow(
        workspace_id=workspace_id,
        prompt_id=prompt.id,
        text=prompt.text,
        template=prompt.template,
        tags=list(prompt.tags),
        requires=[str(c) for c in prompt.requires],
        created_by=by,
        created_at=now,
        updated_at=now,
    )
