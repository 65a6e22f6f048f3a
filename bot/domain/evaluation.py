"""Labelled examples, precision/recall/F1, and the `rules test --jsonl` line contract.

A labelled example is one JSON object per line::

    {"text": "...", "author_role": "manager", "thread_owner_role": "rep",
     "channel_kind": "deal", "labels": ["thread_takeover"]}

Optional keys: ``is_reply`` (default true), ``author_posts_in_thread``,
``owner_posts_in_thread``. Scores are per message: for a *type*, a message is a true positive
when the type is both labelled and predicted; for a *kind*, when any type of that kind is
labelled and any is predicted. 0/0 counts as perfect (nothing to find, nothing wrongly found),
so a type that is absent from a corpus does not drag a report down.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from bot.domain.rules import CHANNEL_KINDS, KINDS, ROLES, RuleSet, default_rules
from bot.domain.signals import ChannelKind, MessageContext, Role, classify_message

__all__ = [
    "ExampleError",
    "LabelledExample",
    "Mismatch",
    "Report",
    "Score",
    "classify_jsonl_line",
    "context_from_obj",
    "evaluate",
    "example_from_obj",
    "format_report",
    "load_examples",
]


class ExampleError(ValueError):
    """A malformed example or input line; the message names the field (and line, if known)."""


@dataclass(frozen=True)
class LabelledExample:
    context: MessageContext
    labels: frozenset[str]


@dataclass(frozen=True)
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return 1.0 if self.tp + self.fp == 0 else self.tp / (self.tp + self.fp)

    @property
    def recall(self) -> float:
        return 1.0 if self.tp + self.fn == 0 else self.tp / (self.tp + self.fn)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 0.0 if p + r == 0 else 2 * p * r / (p + r)

    @property
    def support(self) -> int:
        """How many examples carry this label."""
        return self.tp + self.fn

    def add(self, *, expected: bool, predicted: bool) -> Score:
        return Score(
            self.tp + (expected and predicted),
            self.fp + (predicted and not expected),
            self.fn + (expected and not predicted),
        )


@dataclass(frozen=True)
class Mismatch:
    """An example whose predicted types differ from its labels (for `rules eval --errors`)."""

    index: int
    text: str
    expected: frozenset[str]
    predicted: frozenset[str]
    rules: tuple[str, ...]


@dataclass(frozen=True)
class Report:
    total: int
    by_kind: tuple[tuple[str, Score], ...]
    by_type: tuple[tuple[str, Score], ...]
    mismatches: tuple[Mismatch, ...]

    def kind(self, name: str) -> Score:
        return dict(self.by_kind)[name]

    def type(self, name: str) -> Score:
        return dict(self.by_type)[name]


def _role(obj: Mapping[str, Any], key: str) -> Role | None:
    value = obj.get(key)
    if value is None:
        return None
    if value not in ROLES:
        raise ExampleError(f"{key}: must be one of {', '.join(ROLES)} or null, got {value!r}")
    return cast(Role, value)


def _count(obj: Mapping[str, Any], key: str) -> int:
    value = obj.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ExampleError(f"{key}: must be a non-negative integer")
    return value


def context_from_obj(obj: Mapping[str, Any]) -> MessageContext:
    """Read the `rules test --jsonl` input shape; a missing `is_reply` means a thread reply."""
    text = obj.get("text")
    if not isinstance(text, str):
        raise ExampleError("text: must be a string")
    channel = obj.get("channel_kind", "deal")
    if channel not in CHANNEL_KINDS:
        raise ExampleError(f"channel_kind: must be one of {', '.join(CHANNEL_KINDS)}")
    is_reply = obj.get("is_reply", True)
    if not isinstance(is_reply, bool):
        raise ExampleError("is_reply: must be true or false")
    return MessageContext(
        text=text,
        author_role=_role(obj, "author_role"),
        thread_owner_role=_role(obj, "thread_owner_role"),
        channel_kind=cast(ChannelKind, channel),
        is_reply=is_reply,
        author_posts_in_thread=_count(obj, "author_posts_in_thread"),
        owner_posts_in_thread=_count(obj, "owner_posts_in_thread"),
    )


def example_from_obj(obj: Mapping[str, Any], rules: RuleSet | None = None) -> LabelledExample:
    if rules is None:
        rules = default_rules()
    labels = obj.get("labels", [])
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise ExampleError("labels: must be a list of signal type names")
    known = {name for name, _ in rules.types}
    unknown = [x for x in labels if x not in known]
    if unknown:
        raise ExampleError(f"labels: unknown signal type {unknown[0]!r}")
    return LabelledExample(context_from_obj(obj), frozenset(cast(list[str], labels)))


def load_examples(lines: Iterable[str], rules: RuleSet | None = None) -> list[LabelledExample]:
    """Parse JSONL (blank lines skipped); errors carry the 1-based line number."""
    if rules is None:
        rules = default_rules()
    out: list[LabelledExample] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise ExampleError("each line must be a JSON object")
            out.append(example_from_obj(cast(dict[str, Any], obj), rules))
        except (json.JSONDecodeError, ExampleError) as exc:
            raise ExampleError(f"line {n}: {exc}") from exc
    return out


def evaluate(examples: Sequence[LabelledExample], rules: RuleSet | None = None) -> Report:
    if rules is None:
        rules = default_rules()
    kinds = {name: kind for name, kind in rules.types}
    by_type = {name: Score() for name in kinds}
    by_kind = {k: Score() for k in KINDS}
    mismatches: list[Mismatch] = []
    for i, ex in enumerate(examples):
        matches = classify_message(ex.context, rules)
        predicted = frozenset(m.type for m in matches)
        for name, score in by_type.items():
            by_type[name] = score.add(expected=name in ex.labels, predicted=name in predicted)
        for k, score in by_kind.items():
            by_kind[k] = score.add(
                expected=any(kinds[t] == k for t in ex.labels),
                predicted=any(m.kind == k for m in matches),
            )
        if predicted != ex.labels:
            mismatches.append(
                Mismatch(i, ex.context.text, ex.labels, predicted, tuple(m.rule for m in matches))
            )
    return Report(
        total=len(examples),
        by_kind=tuple(by_kind.items()),
        by_type=tuple(by_type.items()),
        mismatches=tuple(mismatches),
    )


def format_report(report: Report, *, show_mismatches: bool = False) -> str:
    """A fixed-width table: per kind, then per type; optionally every mismatch."""
    header = f"{'':<20} {'precision':>9} {'recall':>7} {'f1':>6} {'tp':>5} {'fp':>5} {'fn':>5}"
    lines = [f"{report.total} examples", header, "-" * len(header)]

    def row(name: str, s: Score) -> str:
        return (
            f"{name:<20} {s.precision:>9.3f} {s.recall:>7.3f} {s.f1:>6.3f} "
            f"{s.tp:>5} {s.fp:>5} {s.fn:>5}"
        )

    lines += [row(f"kind:{k}", s) for k, s in report.by_kind]
    lines.append("-" * len(header))
    lines += [row(t, s) for t, s in report.by_type]
    if show_mismatches and report.mismatches:
        lines.append("")
        lines.append(f"{len(report.mismatches)} mismatches (expected -> predicted [rules]):")
        for m in report.mismatches:
            exp = ",".join(sorted(m.expected)) or "-"
            got = ",".join(sorted(m.predicted)) or "-"
            lines.append(f"  #{m.index}: {exp} -> {got} [{','.join(m.rules)}] {m.text!r}")
    return "\n".join(lines)


def classify_jsonl_line(
    obj: Mapping[str, Any], rules: RuleSet | None = None
) -> dict[str, list[dict[str, Any]]]:
    """One `enabler rules test --jsonl` line: input object -> ``{"signals": [...]}``.

    The input is treated as a thread reply (the usual place for doing/enabling), with the
    thread owner given by `thread_owner_role`.
    """
    if rules is None:
        rules = default_rules()
    matches = classify_message(context_from_obj(obj), rules)
    return {
        "signals": [
            {"type": m.type, "kind": m.kind, "rule": m.rule, "weight": m.weight} for m in matches
        ]
    }
