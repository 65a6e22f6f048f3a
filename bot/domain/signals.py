"""Message, reaction and huddle facts -> signals (doing or enabling), explainably.

The service layer builds a `MessageContext` from Slack events and thread state it keeps itself
(roles from the roster, channel kind from sales ops' marking, post counts from prior events) and
calls `classify_message`. Nothing here knows about Slack objects, storage or the clock.

Each `SignalMatch` names the one rule that fired, its weight and the span in the *normalised*
text; the service stores only the span's length, never the text. At most one match per signal
type is returned (the strongest), in a fixed order, so the same input always yields the same
output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

from bot.domain.rules import CompiledRule, Kind, RuleSet, TextPlan, default_rules
from bot.domain.text import normalize, normalize_reaction

__all__ = [
    "ChannelKind",
    "Kind",
    "MessageContext",
    "Role",
    "SignalMatch",
    "classify_huddle_join",
    "classify_message",
    "classify_normalized",
    "classify_reaction",
]

Role = Literal["rep", "manager", "sales_ops"]
ChannelKind = Literal["deal", "other", "dm"]

_SENTENCE_END: Final = re.compile(r"[.!?;\n]")
_SENTENCE_START: Final = re.compile(r"[.!?;\n](?=[^.!?;\n]*$)")
_CLAUSE_SPLIT: Final = re.compile(r"[.!?;:,\n]|\bbut\b|\bso\b| - ")
_LOOKBACK_CHARS: Final = 80


@dataclass(frozen=True)
class MessageContext:
    """One message and the facts about where it was posted.

    `author_posts_in_thread` / `owner_posts_in_thread` count posts *before* this message
    (the owner's count includes the thread root); they drive the "out-posts the rep" rule.
    """

    text: str
    author_role: Role | None
    thread_owner_role: Role | None
    channel_kind: ChannelKind
    is_reply: bool = True
    author_posts_in_thread: int = 0
    owner_posts_in_thread: int = 0


@dataclass(frozen=True)
class SignalMatch:
    """One detected signal: which type, which rule, how strong, and where in normalised text."""

    type: str
    kind: Kind
    rule: str
    weight: float
    span: tuple[int, int]

    @property
    def span_length(self) -> int:
        return self.span[1] - self.span[0]


def _negated(c: CompiledRule, text: str, start: int, end: int) -> bool:
    """A negation cue in the clause's last `window` words before the match, or its first words."""
    neg = c.negation
    if neg is None:
        return False
    window = c.rule.negation_window
    if window <= 0:
        return False
    prefix = text[max(0, start - _LOOKBACK_CHARS) : start]
    clause = _CLAUSE_SPLIT.split(prefix)[-1]
    before = clause.split()[-window:]
    inside = text[start:end].split()[:window]
    return neg.search(" ".join((*before, *inside))) is not None


def _sentence_bounds(text: str, start: int, end: int) -> tuple[int, int, bool]:
    """(sentence start, sentence end, ends with '?') around a match."""
    head = _SENTENCE_START.search(text, 0, start)
    s = head.end() if head else 0
    tail = _SENTENCE_END.search(text, max(start, end - 1))
    if tail is None:
        return s, len(text), False
    return s, tail.end(), tail.group() == "?"


def _valid_span(c: CompiledRule, text: str, spans: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The first candidate span that survives negation, mood and offer checks."""
    rule = c.rule
    if c.unless_in_message is not None and c.unless_in_message.search(text):
        return None
    if len(spans) > 1:
        spans.sort()
    for start, end in spans:
        if _negated(c, text, start, end):
            continue
        if c.unless is not None or rule.mood != "any":
            s, e, is_question = _sentence_bounds(text, start, end)
            if rule.mood == "statement" and is_question:
                continue
            if rule.mood == "question" and not is_question:
                continue
            if c.unless is not None and c.unless.search(text, s, e):
                continue
        return start, end
    return None


def _scan(plan: TextPlan, text: str) -> list[SignalMatch]:
    """Run a context's text rules over normalised text. The hot loop, so written flat.

    Candidate spans are collected per rule (by index in `plan.rules`): anchor occurrences
    (``{i_will}`` …) are found once per message, each anchored tail is `match`ed right after
    them, and the other patterns are `search`ed. The plan's prefilters (see `TextPlan`) skip
    the anchor occurrences no tail can follow and, for most messages, every `search`. Only
    rules with a candidate span reach the negation, mood and offer checks.
    """
    spans_of: dict[int, list[tuple[int, int]]] = {}
    for anchor, tails, groups in plan.anchors:
        first = anchor.search(text)  # most anchors are absent: cheaper than an iterator
        if first is None:
            continue
        for a in anchor.finditer(text, first.start()):  # the same matches as from 0
            end = a.end()
            if tails.match(text, end) is None:
                continue  # no rule's tail can follow this occurrence
            start = a.start()
            for group in groups:
                if group.union is not None and group.union.match(text, end) is None:
                    continue  # no tail of this type follows here
                for k, tail in group.members:
                    m = tail.match(text, end)
                    if m is not None:
                        spans_of.setdefault(k, []).append((start, m.end()))
    has_question_mark = "?" in text
    union = plan.rest_union
    hit = union.search(text) if union is not None else None
    if hit is not None:
        at = hit.start()  # no rule's `rest` matches before the union's first match
        for group in plan.rests if has_question_mark else plan.rests_without_question:
            group_at = at
            if group.union is not None:
                group_hit = group.union.search(text, at)
                if group_hit is None:
                    continue  # no rule of this type matches anywhere
                group_at = group_hit.start()
            for k, rest in group.members:
                found_at = rest.search(text, group_at)  # most rules miss: one C-level scan
                if found_at is not None:
                    spans = spans_of.setdefault(k, [])
                    spans.append(found_at.span())
                    spans.extend(m.span() for m in rest.finditer(text, found_at.end()))
    if not spans_of:
        return []
    found: list[SignalMatch] = []
    for k in sorted(spans_of):  # rule order, so that ties between rules break as before
        c = plan.rules[k]
        if c.needs_question_mark and not has_question_mark:
            continue  # every match would be rejected by the mood check anyway
        span = _valid_span(c, text, spans_of[k])  # sorts the spans: their order is immaterial
        if span is not None:
            r = c.rule
            found.append(SignalMatch(r.type, r.kind, r.id, r.weight, span))
    return found


def _pick(found: list[SignalMatch], rules: RuleSet) -> list[SignalMatch]:
    """Strongest match per type above the type's threshold, in rule-set type order."""
    best: dict[str, SignalMatch] = {}
    for m in found:
        cur = best.get(m.type)
        if cur is None or (m.weight, -m.span[0]) > (cur.weight, -cur.span[0]):
            best[m.type] = m
    kept = [m for m in best.values() if m.weight >= rules.threshold(m.type)]
    kept.sort(key=lambda m: (0 if m.kind == "doing" else 1, rules.type_order(m.type)))
    return kept


def classify_normalized(
    normalized: str,
    *,
    author_role: str | None,
    thread_owner_role: str | None,
    channel_kind: str,
    is_reply: bool = True,
    rules: RuleSet | None = None,
) -> list[SignalMatch]:
    """Like `classify_message` for text already passed through `normalize` (text rules only)."""
    if rules is None:
        rules = default_rules()
    plan = rules.text_plan(author_role, thread_owner_role, channel_kind, is_reply=is_reply)
    found = _scan(plan, normalized) if plan.rules else []
    return _pick(found, rules) if found else []


def classify_message(ctx: MessageContext, rules: RuleSet | None = None) -> list[SignalMatch]:
    """Signals in one message: text rules plus thread-activity rules (out-posting the rep)."""
    if rules is None:
        rules = default_rules()
    plan = rules.text_plan(
        ctx.author_role, ctx.thread_owner_role, ctx.channel_kind, is_reply=ctx.is_reply
    )
    if plan.empty:
        return []  # a rep, a DM, a non-deal channel, the manager's own thread: nothing to do
    found = _scan(plan, normalize(ctx.text)) if plan.rules else []
    posts = ctx.author_posts_in_thread + 1
    for c in plan.activity:
        r = c.rule
        if posts >= r.min_author_posts and posts > ctx.owner_posts_in_thread:
            found.append(SignalMatch(r.type, r.kind, r.id, r.weight, (0, 0)))
    return _pick(found, rules) if found else []


def classify_reaction(
    reaction: str,
    *,
    reactor_role: Role | None,
    item_owner_role: Role | None,
    channel_kind: ChannelKind,
    on_thread_root: bool,
    rules: RuleSet | None = None,
) -> list[SignalMatch]:
    """A reaction added to a message: closing reactions on a rep's thread root -> thread_close."""
    if rules is None:
        rules = default_rules()
    name = normalize_reaction(reaction)
    found = [
        SignalMatch(c.rule.type, c.rule.kind, c.rule.id, c.rule.weight, (0, 0))
        for c in rules.applicable(
            "reaction", reactor_role, item_owner_role, channel_kind, is_reply=not on_thread_root
        )
        if name in c.reactions
    ]
    return _pick(found, rules) if found else []


def classify_huddle_join(
    *,
    joiner_role: Role | None,
    host_role: Role | None,
    channel_kind: ChannelKind,
    rules: RuleSet | None = None,
) -> list[SignalMatch]:
    """Someone joined a huddle: a manager joining a rep's huddle in a deal channel -> call_join."""
    if rules is None:
        rules = default_rules()
    found = [
        SignalMatch(c.rule.type, c.rule.kind, c.rule.id, c.rule.weight, (0, 0))
        for c in rules.applicable("huddle", joiner_role, host_role, channel_kind, is_reply=False)
    ]
    return _pick(found, rules) if found else []
