"""The reflection prompt library, its rotation, and safe rendering with live context.

Prompts ship in ``bot/domain/data/prompts.json``. Sales ops can add prompts, edit shipped ones
(a custom prompt with a shipped id replaces it) and retire any of them; the service passes
those in to :func:`load_library`. Retired prompts are never chosen again but can still be looked
up by id, so past reflections keep their question.

A prompt may carry a ``template`` that uses facts from the manager's week ("You joined
{call_join_count} of {rep_name}'s calls this week ..."). Its ``requires`` conditions say when it
fits; it is only chosen when the context satisfies them, and it always has a plain ``text`` to
fall back on. The context vocabulary is :data:`CONTEXT_KEYS`: a template may only use those
names, so a typo in a custom prompt is caught when it is saved, not when it is sent.

Rendering returns plain text. Escaping for Slack mrkdwn is the Block Kit builders' job.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from typing import Literal

__all__ = [
    "CONTEXT_KEYS",
    "Condition",
    "Mode",
    "Prompt",
    "PromptError",
    "PromptLibrary",
    "choose_prompt",
    "load_library",
    "prompt_from_mapping",
    "render",
    "validate_selection",
]

Mode = Literal["rotation", "tag", "fixed"]

#: Facts the services may supply about the manager's week; templates may use only these.
CONTEXT_KEYS: Mapping[str, str] = {
    "manager_name": "the manager's first name",
    "rep_name": "one rep the facts below are about",
    "deal_name": "a deal the manager stepped into this week",
    "call_join_count": "calls of rep_name the manager joined this week",
    "takeover_count": "threads the manager took over from reps this week",
    "doing_count": "doing-signals this week",
    "enabling_count": "enabling-signals this week (coaching questions, hand-backs, ...)",
    "coaching_question_count": "coaching questions the manager asked in reps' threads this week",
    "handback_count": "threads the manager handed back to a rep this week",
    "justified_count": "nudges the manager marked 'It was needed' this week",
    "one_on_one_count": "one-on-ones held this week",
    "overdue_one_on_one_count": "reps whose one-on-one is overdue",
    "team_message_count": "team-wide messages the manager posted this week",
    "open_coaching_requests": "coaching requests from reps still unanswered",
    "rep_count": "reps reporting to the manager",
    "reps_without_plan": "reps without a current development plan",
}

_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_TAG_RE = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")
_PLACEHOLDER_RE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")
_CONDITION_RE = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s*(?:(>=|<=|==|!=|>|<)\s*(-?\d+)\s*)?$")
_MAX_TEXT = 500


class PromptError(ValueError):
    """A prompt definition or selection we cannot use; the message is for sales ops."""


@dataclass(frozen=True)
class Condition:
    """``name`` (present, non-empty, non-zero) or ``name >= 2`` style numeric comparison."""

    key: str
    op: str | None = None
    value: int = 0

    @classmethod
    def parse(cls, text: str) -> Condition:
        match = _CONDITION_RE.match(text)
        if not match:
            raise PromptError(
                f"can't read condition {text!r}; write a context name such as 'rep_name' "
                "or a comparison such as 'call_join_count>=2'"
            )
        key, op, value = match.groups()
        if key not in CONTEXT_KEYS:
            raise PromptError(f"unknown context name {key!r} in condition {text!r}")
        return cls(key, op, int(value) if value is not None else 0)

    def holds(self, context: Mapping[str, object]) -> bool:
        value = context.get(self.key)
        if value is None or value == "" or isinstance(value, bool):
            return False
        if self.op is None:
            return not (isinstance(value, int | float) and value == 0)
        if not isinstance(value, int | float):
            return False
        match self.op:
            case ">=":
                return value >= self.value
            case "<=":
                return value <= self.value
            case ">":
                return value > self.value
            case "<":
                return value < self.value
            case "==":
                return value == self.value
            case _:
                return value != self.value

    def __str__(self) -> str:
        return self.key if self.op is None else f"{self.key}{self.op}{self.value}"


def _placeholders(template: str) -> list[str]:
    return [m.group(1) for m in _PLACEHOLDER_RE.finditer(template) if m.group(1) is not None]


@dataclass(frozen=True)
class Prompt:
    """One reflection prompt. ``text`` is always usable on its own."""

    id: str
    text: str
    tags: tuple[str, ...] = ()
    template: str | None = None
    requires: tuple[Condition, ...] = ()
    retired: bool = False
    custom: bool = False

    def __post_init__(self) -> None:
        if not _SLUG_RE.match(self.id):
            raise PromptError(
                f"prompt id {self.id!r} must be a lowercase slug like 'doing-vs-enabling'"
            )
        for label, body in (("text", self.text), ("template", self.template)):
            if body is not None and not body.strip():
                raise PromptError(f"prompt {self.id}: {label} is empty")
            if body is not None and len(body) > _MAX_TEXT:
                raise PromptError(f"prompt {self.id}: {label} is over {_MAX_TEXT} characters")
        if "{" in self.text or "}" in self.text:
            raise PromptError(
                f"prompt {self.id}: the plain text can't contain {{placeholders}}; "
                "put them in the template"
            )
        for tag in self.tags:
            if not _TAG_RE.match(tag):
                raise PromptError(f"prompt {self.id}: tag {tag!r} must be lowercase_snake_case")
        if self.template is not None:
            required = {c.key for c in self.requires}
            for name in _placeholders(self.template):
                if name not in CONTEXT_KEYS:
                    raise PromptError(
                        f"prompt {self.id}: unknown placeholder {{{name}}}; "
                        f"available: {', '.join(CONTEXT_KEYS)}"
                    )
                if name not in required:
                    raise PromptError(
                        f"prompt {self.id}: placeholder {{{name}}} must also be listed in "
                        "'requires' so the prompt is only chosen when it can be filled"
                    )

    def fits(self, context: Mapping[str, object]) -> bool:
        return all(c.holds(context) for c in self.requires)


def prompt_from_mapping(data: Mapping[str, object], *, custom: bool = False) -> Prompt:
    """Build a prompt from JSON-ish data (the packaged file or a sales-ops edit)."""
    unknown = set(data) - {"id", "text", "tags", "template", "requires", "retired"}
    if unknown:
        raise PromptError(f"unknown prompt field(s): {', '.join(sorted(unknown))}")
    pid, text = data.get("id"), data.get("text")
    if not isinstance(pid, str) or not isinstance(text, str):
        raise PromptError("a prompt needs an 'id' and a 'text', both strings")
    template = data.get("template")
    if template is not None and not isinstance(template, str):
        raise PromptError(f"prompt {pid}: template must be a string")
    return Prompt(
        id=pid,
        text=text.strip(),
        tags=tuple(_strings(data.get("tags", ()), pid, "tags")),
        template=template.strip() if template is not None else None,
        requires=tuple(
            Condition.parse(c) for c in _strings(data.get("requires", ()), pid, "requires")
        ),
        retired=bool(data.get("retired", False)),
        custom=custom,
    )


def _strings(value: object, pid: str, name: str) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise PromptError(f"prompt {pid}: {name} must be a list of strings")
    return [str(v) for v in value]


@dataclass(frozen=True)
class PromptLibrary:
    """All prompts by id, shipped and custom, including retired ones (for history)."""

    prompts: tuple[Prompt, ...]

    def __post_init__(self) -> None:
        ids = [p.id for p in self.prompts]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise PromptError(f"duplicate prompt id(s): {', '.join(duplicates)}")

    def get(self, prompt_id: str) -> Prompt | None:
        return next((p for p in self.prompts if p.id == prompt_id), None)

    @property
    def active(self) -> tuple[Prompt, ...]:
        return tuple(p for p in self.prompts if not p.retired)

    @property
    def tags(self) -> frozenset[str]:
        return frozenset(t for p in self.active for t in p.tags)


def _packaged() -> list[Mapping[str, object]]:
    raw = resources.files("bot.domain").joinpath("data/prompts.json").read_text("utf-8")
    data = json.loads(raw)
    prompts = data["prompts"]
    assert isinstance(prompts, list)
    return prompts


def load_library(
    extra: Iterable[Prompt | Mapping[str, object]] = (),
    *,
    retired_ids: Collection[str] = (),
) -> PromptLibrary:
    """The shipped library plus sales ops' custom prompts, minus what they retired.

    A custom prompt with a shipped id replaces the shipped one (an edit); its position in
    the library is kept so rotation order stays stable.
    """
    shipped = [prompt_from_mapping(d) for d in _packaged()]
    custom = [p if isinstance(p, Prompt) else prompt_from_mapping(p, custom=True) for p in extra]
    by_id = {p.id: p for p in custom}
    if len(by_id) != len(custom):
        raise PromptError("two custom prompts share an id")
    merged = [by_id.pop(p.id, p) for p in shipped] + [p for p in custom if p.id in by_id]
    retired = set(retired_ids)
    return PromptLibrary(
        tuple(replace(p, retired=True) if p.id in retired and not p.retired else p for p in merged)
    )


def _pool(
    library: PromptLibrary, mode: Mode, tag: str | None, fixed_ids: Sequence[str]
) -> list[Prompt]:
    if mode == "rotation":
        return list(library.active)
    if mode == "tag":
        if not tag:
            raise PromptError("tag mode needs a tag")
        pool = [p for p in library.active if tag in p.tags]
        if not pool:
            known = ", ".join(sorted(library.tags))
            raise PromptError(f"no active prompts are tagged {tag!r}; tags in use: {known}")
        return pool
    if mode == "fixed":
        if not fixed_ids:
            raise PromptError("fixed mode needs at least one prompt id")
        missing = [i for i in fixed_ids if library.get(i) is None]
        if missing:
            raise PromptError(f"unknown prompt id(s): {', '.join(missing)}")
        seen: set[str] = set()
        pool = []
        for i in fixed_ids:
            prompt = library.get(i)
            if prompt is not None and not prompt.retired and i not in seen:
                seen.add(i)
                pool.append(prompt)
        if not pool:
            raise PromptError("every prompt in the fixed list has been retired")
        return pool
    raise PromptError(f"unknown prompt mode {mode!r}; use rotation, tag or fixed")


def validate_selection(
    library: PromptLibrary, *, mode: Mode, tag: str | None = None, fixed_ids: Sequence[str] = ()
) -> None:
    """Check a schedule's prompt selection when it is saved: it must always have a prompt.

    At least one prompt must need no context, or some weeks there would be nothing to send.
    """
    pool = _pool(library, mode, tag, fixed_ids)
    if not any(not p.requires for p in pool):
        raise PromptError(
            "every prompt in this selection needs live context; include at least one plain prompt"
        )


def _rank(seed: str, cycle: int, prompt_id: str) -> str:
    return hashlib.sha256(f"{seed}\x1f{cycle}\x1f{prompt_id}".encode()).hexdigest()


def choose_prompt(
    library: PromptLibrary,
    *,
    mode: Mode,
    tag: str | None = None,
    fixed_ids: Sequence[str] = (),
    already_sent_ids: Sequence[str],
    context: Mapping[str, object],
    seed: str,
) -> Prompt:
    """Pick the next prompt for one recipient; a pure function of its arguments.

    ``already_sent_ids`` is that recipient's history for this schedule, oldest first. The
    pool (all active prompts, those with ``tag``, or ``fixed_ids``) is walked in cycles: no
    prompt repeats until every plain prompt in the pool has been sent, then a new cycle starts.
    Within a cycle, context prompts whose conditions hold are preferred (live facts make the
    question land), then the rest in a per-recipient order derived from ``seed`` (fixed mode
    keeps the given order). Should everything that fits have been sent already this cycle,
    the least recently sent fitting prompt is reused.
    """
    pool = _pool(library, mode, tag, fixed_ids)
    pool_ids = {p.id for p in pool}
    plain_ids = {p.id for p in pool if not p.requires} or pool_ids
    seen: set[str] = set()
    cycle = 0
    last_sent: dict[str, int] = {}
    for index, sent_id in enumerate(already_sent_ids):
        if sent_id not in pool_ids:
            continue  # retired, deleted, or sent under another selection
        last_sent[sent_id] = index
        seen.add(sent_id)
        if plain_ids <= seen:
            seen.clear()
            cycle += 1
    fitting = [p for p in pool if p.fits(context)]
    if not fitting:
        raise PromptError("no prompt in this selection fits; include at least one plain prompt")
    fresh = [p for p in fitting if p.id not in seen]
    if not fresh:
        return min(fitting, key=lambda p: (last_sent.get(p.id, -1), _rank(seed, cycle, p.id)))
    order = {p.id: i for i, p in enumerate(pool)}

    def sort_key(p: Prompt) -> tuple[int, str]:
        preference = 0 if p.requires else 1
        if mode == "fixed":
            return preference, f"{order[p.id]:08d}"
        return preference, _rank(seed, cycle, p.id)

    return min(fresh, key=sort_key)


def render(prompt: Prompt, context: Mapping[str, object]) -> str:
    """The prompt's text for this context; never raises.

    The template is used only when its conditions hold and every placeholder has a value;
    otherwise the plain text is returned. Values are inserted with ``str()``: no attribute or
    index access, no format specs, so a template cannot reach into objects.
    """
    if prompt.template is None or not prompt.fits(context):
        return prompt.text
    missing = False

    def substitute(match: re.Match[str]) -> str:
        nonlocal missing
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        value = context.get(match.group(1) or "")
        if value is None or value == "":
            missing = True
            return ""
        return str(value)

    rendered = _PLACEHOLDER_RE.sub(substitute, prompt.template)
    return prompt.text if missing else rendered
