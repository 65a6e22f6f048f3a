"""The detection rule set: data, not code branches.

A `RuleSet` is a list of `Rule`s plus per-type thresholds and a small *vocabulary* of named
regex fragments (``{i_will}``, ``{deal_noun}``…) that rule patterns can reference. The built-in
set lives in ``bot/domain/data/default_rules.yaml``; a workspace's sales ops can override it with
a plain dict (disable a rule, change a weight or threshold, add phrases or patterns, extend a
vocabulary entry, add whole rules). Every override is validated and errors name the field
(``rules.takeover.contact.weight: must be a number between 0 and 1``).

Why this shape:
- *Explainable*: a signal always names exactly one rule id; the rule carries a description.
- *Deterministic*: rules are evaluated in file order, ties break by position then order.
- *Fast*: patterns are compiled once per rule set and rewritten so the regex engine can skip
  text quickly (first-character tries, bot/domain/regex_rewrite.py; same meaning, tested
  against the plain compilation). The rules that apply to a (author role, thread owner role,
  channel kind, position) context are arranged once per context (`TextPlan`), so a rep's
  message costs one dictionary lookup and most managers' messages a handful of regex calls.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any, Final, Literal, cast, get_args

import yaml

from bot.domain import regex_rewrite
from bot.domain.text import normalize, normalize_reaction

__all__ = [
    "CHANNEL_KINDS",
    "KINDS",
    "ROLES",
    "CompiledRule",
    "ContextRequirement",
    "FieldError",
    "Kind",
    "Mood",
    "Position",
    "Rule",
    "RuleConfigError",
    "RuleSet",
    "Source",
    "TextPlan",
    "default_rules",
    "load_default_rules",
    "load_rules",
    "ruleset_from_dict",
]

Kind = Literal["doing", "enabling"]
Source = Literal["message", "reaction", "huddle", "thread_activity"]
Mood = Literal["any", "statement", "question"]
Position = Literal["any", "reply", "root"]

KINDS: Final[tuple[str, ...]] = get_args(Kind)
SOURCES: Final[tuple[str, ...]] = get_args(Source)
MOODS: Final[tuple[str, ...]] = get_args(Mood)
POSITIONS: Final[tuple[str, ...]] = get_args(Position)
ROLES: Final[tuple[str, ...]] = ("rep", "manager", "sales_ops")
CHANNEL_KINDS: Final[tuple[str, ...]] = ("deal", "other", "dm")

_MACRO = re.compile(r"\{([a-z][a-z0-9_]*)\}")
_ID = re.compile(r"^[a-z0-9][a-z0-9_.\-]*$")
_MAX_MACRO_DEPTH: Final = 8


# --------------------------------------------------------------------------------------------
# Errors


@dataclass(frozen=True)
class FieldError:
    """One problem in a rule definition, located by a dotted path (``rules.x.weight``)."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class RuleConfigError(ValueError):
    """Raised when a rule set or an override is invalid; `errors` lists every bad field."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        self.errors: tuple[FieldError, ...] = tuple(errors)
        super().__init__("; ".join(str(e) for e in self.errors))

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(e.field for e in self.errors)


# --------------------------------------------------------------------------------------------
# Values


@dataclass(frozen=True)
class ContextRequirement:
    """Where a rule may fire. Empty sets mean "any"; `None` roles never satisfy a non-empty set.

    Defaults encode the product rule: a manager, in a rep-owned thread, in a deal channel.
    """

    author_roles: frozenset[str] = frozenset({"manager"})
    thread_owner_roles: frozenset[str] = frozenset({"rep"})
    channel_kinds: frozenset[str] = frozenset({"deal"})
    position: Position = "any"

    def allows(
        self,
        author_role: str | None,
        thread_owner_role: str | None,
        channel_kind: str,
        *,
        is_reply: bool,
    ) -> bool:
        if self.author_roles and author_role not in self.author_roles:
            return False
        if self.thread_owner_roles and thread_owner_role not in self.thread_owner_roles:
            return False
        if self.channel_kinds and channel_kind not in self.channel_kinds:
            return False
        if self.position == "reply":
            return is_reply
        if self.position == "root":
            return not is_reply
        return True

    def to_dict(self) -> dict[str, Any]:
        return {
            "author_roles": sorted(self.author_roles),
            "thread_owner_roles": sorted(self.thread_owner_roles),
            "channel_kinds": sorted(self.channel_kinds),
            "position": self.position,
        }


@dataclass(frozen=True)
class Rule:
    """One explainable detection rule.

    - `patterns` are regexes over normalised text and may use ``{vocab}`` macros;
      `phrases` are literal text (normalised the same way as messages).
    - `negations`: a cue found in the `negation_window` words before the match (same clause)
      or in the match's own first words cancels that match ("I won't call them").
    - `unless`: a cue in the same sentence cancels the match (offers: "…if you want?");
      `unless_in_message` cancels it if found anywhere in the message.
    - `mood`: "statement" ignores matches in a sentence ending with "?", "question" requires one.
    - `reactions` (source "reaction"): reaction names; `min_author_posts` (source
      "thread_activity"): the author's posts in the thread including this one must reach it and
      exceed the thread owner's.
    """

    id: str
    type: str
    kind: Kind
    source: Source = "message"
    description: str = ""
    patterns: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    negations: tuple[str, ...] = ()
    negation_window: int = 4
    unless: tuple[str, ...] = ()
    unless_in_message: tuple[str, ...] = ()
    mood: Mood = "any"
    reactions: tuple[str, ...] = ()
    min_author_posts: int = 0
    context: ContextRequirement = field(default_factory=ContextRequirement)
    weight: float = 1.0
    enabled: bool = True

    def to_dict(self) -> dict[str, Any]:
        """The rule as plain data (the same shape `ruleset_from_dict` reads)."""
        out: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "source": self.source,
            "description": self.description,
            "weight": self.weight,
            "enabled": self.enabled,
            "context": self.context.to_dict(),
        }
        if self.source == "message":
            out |= {
                "patterns": list(self.patterns),
                "phrases": list(self.phrases),
                "negations": list(self.negations),
                "negation_window": self.negation_window,
                "unless": list(self.unless),
                "unless_in_message": list(self.unless_in_message),
                "mood": self.mood,
            }
        elif self.source == "reaction":
            out["reactions"] = list(self.reactions)
        elif self.source == "thread_activity":
            out["min_author_posts"] = self.min_author_posts
        return out


@dataclass(frozen=True)
class CompiledRule:
    """A rule with its regexes compiled (macros expanded). Built once per `RuleSet`."""

    rule: Rule
    #: every valid pattern and phrase as regex text, macros expanded (see `regex`)
    sources: tuple[str, ...]
    #: the patterns that do not start with an anchor macro, searched as usual
    rest: re.Pattern[str] | None
    #: (anchor name, tail) for patterns written ``{anchor}tail``: the anchor is found once per
    #: message and the tail is matched right after it, instead of trying the anchor's many
    #: alternatives at every position of the text for every rule
    anchored: tuple[tuple[str, re.Pattern[str]], ...]
    negation: re.Pattern[str] | None
    unless: re.Pattern[str] | None
    unless_in_message: re.Pattern[str] | None
    reactions: frozenset[str]
    #: the rule only accepts matches in a sentence ending with "?" (mood "question"), so a
    #: message without any "?" can skip it without running a single regex
    needs_question_mark: bool = False
    #: whether the regexes went through the speed rewrite (see `RuleSet.unoptimised`)
    optimised: bool = True

    @functools.cached_property
    def regex(self) -> re.Pattern[str] | None:
        """Every pattern and phrase as one alternation: the rule's full meaning.

        For display and the benchmark baseline. Classification runs `rest` and `anchored`
        instead, so this is only compiled when first asked for.
        """
        return _compile_parts(self.sources, optimise=self.optimised, search=True)


_ContextKey = tuple[str | None, str | None, str, bool]


@dataclass(frozen=True)
class PrefilterGroup:
    """Some rules' regexes (``(rule index, regex)``, all `match`ed at one place or all
    `search`ed) with their alternation: where `union` finds nothing, none of them can match
    (see `TextPlan`). `union` is None for a group of one, which needs no prefilter."""

    union: re.Pattern[str] | None
    members: tuple[tuple[int, re.Pattern[str]], ...]


@dataclass(frozen=True)
class TextPlan:
    """The text rules of one context, arranged for `signals._scan` (built once per context).

    Rules are referred to by their index in `rules`. Most messages match no rule at all, so
    the plan is arranged to find that out with few regex calls, using two *prefilters*. Both
    are exact, not heuristics: an alternation ``A|B|C`` matches at a position if and only if
    one of A, B, C matches there.
    - `rest_union` is every rule's `rest` as one alternation: when it finds nothing, no rule's
      `rest` can match anywhere; when its first match starts at p, none matches before p.
    - each entry of `anchors` carries the alternation of every tail that follows that anchor
      in this context: an anchor occurrence none of them matches after is skipped once,
      instead of once per rule.
    - below both, the same prefilter once more per signal type (`PrefilterGroup`): when the
      whole union matches, only the types whose own union also matches try their rules one
      by one. A message usually concerns one or two types, so most rules are never tried.
    """

    rules: tuple[CompiledRule, ...]
    #: per anchor used here: (anchor regex, union of its tails, its tails grouped by type)
    anchors: tuple[tuple[re.Pattern[str], re.Pattern[str], tuple[PrefilterGroup, ...]], ...]
    #: every rule's `rest`, grouped by type (rule order within a group)
    rests: tuple[PrefilterGroup, ...]
    #: the same without the rules that need a "?" (for messages without one)
    rests_without_question: tuple[PrefilterGroup, ...]
    rest_union: re.Pattern[str] | None
    #: thread-activity rules of the same context (out-posting the rep)
    activity: tuple[CompiledRule, ...]

    @property
    def empty(self) -> bool:
        return not self.rules and not self.activity


@dataclass(frozen=True, eq=False)
class RuleSet:
    """An immutable, compiled rule set. Build with `ruleset_from_dict` or `with_overrides`."""

    rules: tuple[Rule, ...]
    types: tuple[tuple[str, Kind], ...]
    thresholds: tuple[tuple[str, float], ...]
    vocab: tuple[tuple[str, str], ...]
    default_threshold: float = 0.5
    version: str = "1"
    #: vocabulary names that act as anchors when a pattern starts with them (see CompiledRule)
    anchors: tuple[str, ...] = ()
    _compiled: tuple[CompiledRule, ...] = field(default=(), repr=False, compare=False)
    _anchor_regex: tuple[tuple[str, re.Pattern[str]], ...] = field(
        default=(), repr=False, compare=False
    )
    _by_context: dict[tuple[Source, _ContextKey], tuple[CompiledRule, ...]] = field(
        default_factory=dict, repr=False, compare=False
    )
    _plans: dict[_ContextKey, TextPlan] = field(default_factory=dict, repr=False, compare=False)
    #: False compiles every regex exactly as written (see `unoptimised`)
    _optimise: bool = field(default=True, repr=False, compare=False)
    _threshold_of: dict[str, float] = field(init=False, repr=False, compare=False)
    _type_rank: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self._compiled:
            compiled, anchor_regex = _compile_all(self, optimise=self._optimise)
            object.__setattr__(self, "_compiled", compiled)
            object.__setattr__(self, "_anchor_regex", anchor_regex)
        # looked up for every signal found: dictionaries built once
        rank: dict[str, int] = {}
        for i, (name, _) in enumerate(self.types):
            rank.setdefault(name, i)
        object.__setattr__(self, "_threshold_of", dict(self.thresholds))
        object.__setattr__(self, "_type_rank", rank)

    def unoptimised(self) -> RuleSet:
        """The same rules compiled without any speed rewrite: what tests compare against.

        Every regex is the plain alternation of its patterns as written (macros expanded),
        and so are the prefilters of `text_plan`.
        """
        return RuleSet(
            rules=self.rules,
            types=self.types,
            thresholds=self.thresholds,
            vocab=self.vocab,
            default_threshold=self.default_threshold,
            version=self.version,
            anchors=self.anchors,
            _optimise=False,
        )

    # -- lookups ------------------------------------------------------------------------------

    @property
    def compiled(self) -> tuple[CompiledRule, ...]:
        return self._compiled

    @property
    def anchor_regex(self) -> tuple[tuple[str, re.Pattern[str]], ...]:
        return self._anchor_regex

    def kind_of(self, signal_type: str) -> Kind:
        return dict(self.types)[signal_type]

    def threshold(self, signal_type: str) -> float:
        return self._threshold_of.get(signal_type, self.default_threshold)

    def type_order(self, signal_type: str) -> int:
        return self._type_rank.get(signal_type, len(self.types))

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    def applicable(
        self,
        source: Source,
        author_role: str | None,
        thread_owner_role: str | None,
        channel_kind: str,
        *,
        is_reply: bool,
    ) -> tuple[CompiledRule, ...]:
        """Enabled rules of `source` whose context allows this one (memoised per context)."""
        key = (source, (author_role, thread_owner_role, channel_kind, is_reply))
        found = self._by_context.get(key)
        if found is None:
            found = tuple(
                c
                for c in self._compiled
                if c.rule.enabled
                and c.rule.source == source
                and c.rule.context.allows(
                    author_role, thread_owner_role, channel_kind, is_reply=is_reply
                )
            )
            self._by_context[key] = found
        return found

    def text_plan(
        self,
        author_role: str | None,
        thread_owner_role: str | None,
        channel_kind: str,
        *,
        is_reply: bool,
    ) -> TextPlan:
        """The message and thread-activity rules of a context, ready to run (memoised)."""
        key = (author_role, thread_owner_role, channel_kind, is_reply)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._build_plan(key)
        return plan

    def _build_plan(self, key: _ContextKey) -> TextPlan:
        author_role, thread_owner_role, channel_kind, is_reply = key
        rules = self.applicable(
            "message", author_role, thread_owner_role, channel_kind, is_reply=is_reply
        )
        activity = self.applicable(
            "thread_activity", author_role, thread_owner_role, channel_kind, is_reply=is_reply
        )
        users: dict[str, list[tuple[int, re.Pattern[str]]]] = {}  # anchor -> its tails here
        for k, c in enumerate(rules):
            for name, tail in c.anchored:
                users.setdefault(name, []).append((k, tail))
        anchor_regex = dict(self._anchor_regex)
        rests = [(k, c.rest) for k, c in enumerate(rules) if c.rest is not None]
        asking = [(k, r) for k, r in rests if not rules[k].needs_question_mark]

        def groups(
            members: list[tuple[int, re.Pattern[str]]], search: bool
        ) -> tuple[PrefilterGroup, ...]:
            by_type: dict[str, list[tuple[int, re.Pattern[str]]]] = {}
            for k, regex in members:
                by_type.setdefault(rules[k].rule.type, []).append((k, regex))
            # One group alone would only repeat the union in front of it: no prefilter then.
            prefilter = len(by_type) > 1
            return tuple(
                PrefilterGroup(
                    self._union([r for _, r in group], search=search)
                    if prefilter and len(group) > 1
                    else None,
                    tuple(group),
                )
                for group in by_type.values()
            )

        return TextPlan(
            rules=rules,
            anchors=tuple(
                (
                    anchor_regex[name],
                    self._union([t for _, t in tails], search=False),
                    groups(tails, search=False),
                )
                for name, tails in users.items()
            ),
            rests=groups(rests, search=True),
            rests_without_question=groups(asking, search=True),
            rest_union=self._union([r for _, r in rests], search=True) if rests else None,
            activity=activity,
        )

    def _union(self, regexes: Sequence[re.Pattern[str]], *, search: bool) -> re.Pattern[str]:
        """One regex matching wherever any of `regexes` does (a prefilter, see TextPlan)."""
        union = _compile_parts([r.pattern for r in regexes], optimise=self._optimise, search=search)
        assert union is not None  # never called without regexes
        return union

    # -- data round trip ----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "default_threshold": self.default_threshold,
            "types": dict(self.types),
            "thresholds": dict(self.thresholds),
            "vocab": dict(self.vocab),
            "anchors": list(self.anchors),
            "rules": [r.to_dict() for r in self.rules],
        }

    def with_overrides(self, overrides: Mapping[str, Any] | str) -> RuleSet:
        """Apply a workspace override (a dict, or its JSON text) and return a new rule set.

        Shape (every key optional)::

            {"thresholds": {"thread_close": 0.7},
             "types": {"my_type": "doing"},
             "vocab": {"deal_noun": {"add": ["mutual action plan"]}, "x": "regex"},
             "rules": {"takeover.contact": {"enabled": false, "weight": 0.4,
                                            "add_phrases": ["..."], "add_patterns": ["..."],
                                            "add_negations": ["..."], "add_unless": ["..."],
                                            "phrases": [...], "patterns": [...],
                                            "negation_window": 3, "mood": "statement",
                                            "context": {"channel_kinds": ["deal", "other"]}}},
             "add_rules": [{"id": "...", "type": "...", "patterns": [...], ...}]}
        """
        if isinstance(overrides, str):
            try:
                overrides = cast(Mapping[str, Any], json.loads(overrides))
            except json.JSONDecodeError as exc:
                raise RuleConfigError([FieldError("$", f"invalid JSON: {exc.msg}")]) from exc
        return _apply_overrides(self, overrides)


# --------------------------------------------------------------------------------------------
# Compilation


def _expand(pattern: str, vocab: Mapping[str, str], where: str, errors: list[FieldError]) -> str:
    """Replace ``{name}`` macros (recursively) with ``(?:fragment)``."""
    out = pattern
    for _ in range(_MAX_MACRO_DEPTH):
        missing = [m for m in _MACRO.findall(out) if m not in vocab]
        if missing:
            errors.append(FieldError(where, f"unknown vocabulary name {{{missing[0]}}}"))
            return out
        expanded = _MACRO.sub(lambda m: f"(?:{vocab[m.group(1)]})", out)
        if expanded == out:
            return out
        out = expanded
    errors.append(FieldError(where, "vocabulary macros nest too deeply (a cycle?)"))
    return out


def _phrase_regex(phrase: str) -> str:
    text = normalize(phrase)
    body = re.escape(text).replace(r"\ ", " ")
    head = r"\b" if text[:1].isalnum() else ""
    tail = r"\b" if text[-1:].isalnum() else ""
    return f"{head}{body}{tail}"


def _split_top(pattern: str) -> list[str]:
    """Split a regex at its top-level ``|`` (not inside groups or character classes)."""
    parts: list[str] = []
    depth, start, i, in_class = 0, 0, 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "]":
                i += 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return parts


@functools.lru_cache(maxsize=4096)
def _regex(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """`re.compile`, remembered: a workspace's overrides share most patterns with the defaults,
    and `re`'s own cache (512 entries) is smaller than one rule set."""
    return re.compile(pattern, flags)


def _compile_parts(parts: Sequence[str], *, optimise: bool, search: bool) -> re.Pattern[str] | None:
    """The alternation of `parts` (valid regexes), or None if there are none.

    `optimise` applies the speed rewrite (bot/domain/regex_rewrite.py); without it the regex
    is the plain alternation as written: the reference the rewrite is tested against.
    """
    if not parts:
        return None
    return _compile_alternation(tuple(parts), optimise, search)


@functools.lru_cache(maxsize=1024)
def _compile_alternation(parts: tuple[str, ...], optimise: bool, search: bool) -> re.Pattern[str]:
    plain = "|".join(f"(?:{p})" for p in parts)
    if optimise:
        try:
            return _regex(regex_rewrite.optimise(parts, search=search), re.MULTILINE)
        except re.error:  # never seen; tests would fail. Keep the workspace's rules working.
            pass
    return _regex(plain, re.MULTILINE)


def _valid_parts(
    items: Iterable[tuple[str, str]],
    vocab: Mapping[str, str],
    errors: list[FieldError],
    *,
    check_each: bool,
) -> list[str]:
    """The items with macros expanded, minus the invalid ones (reported in `errors`).

    Without `check_each`, a pattern the speed rewrite can read (balanced groups, constructs it
    knows) is not compiled on its own here: the alternation it goes into is compiled anyway,
    and any error inside such a pattern is an error there too (``(?:p1)|(?:p2)`` isolates each
    one). `_compile_all` then compiles everything again with `check_each` to name the field.
    Compiling each pattern twice cost about a sixth of loading a rule set.
    """
    parts: list[str] = []
    for where, source in items:
        n_before = len(errors)
        expanded = _expand(source, vocab, where, errors)
        if len(errors) > n_before:
            continue
        if check_each or regex_rewrite.unreadable(expanded):
            try:
                _regex(expanded)
            except re.error as exc:
                errors.append(FieldError(where, f"invalid regex: {exc}"))
                continue
        parts.append(expanded)
    return parts


def _compile_list(
    items: Iterable[tuple[str, str]],
    vocab: Mapping[str, str],
    errors: list[FieldError],
    *,
    optimise: bool,
    check_each: bool,
    search: bool = True,
) -> re.Pattern[str] | None:
    """One regex for the items (an alternation), or None if none is valid (errors say why)."""
    parts = _valid_parts(items, vocab, errors, check_each=check_each)
    return _compile_parts(parts, optimise=optimise, search=search)


def _compile_rule(
    rule: Rule,
    vocab: Mapping[str, str],
    anchors: Sequence[str],
    errors: list[FieldError],
    *,
    optimise: bool,
    check_each: bool,
) -> CompiledRule:
    base = f"rules.{rule.id}"
    pattern_items = [(f"{base}.patterns[{i}]", p) for i, p in enumerate(rule.patterns)]
    pattern_items += [
        (f"{base}.phrases[{i}]", _phrase_regex(p)) for i, p in enumerate(rule.phrases)
    ]
    sources = _valid_parts(pattern_items, vocab, errors, check_each=check_each)
    tails: dict[str, list[tuple[str, str]]] = {}
    rest_items: list[tuple[str, str]] = []
    for where, p in pattern_items:
        # Route each top-level alternative on its own: in ``{anchor}a|b`` only ``a`` follows
        # the anchor; ``b`` may match anywhere (treating the whole as ``{anchor}(?:a|b)``
        # would silently tie ``b`` to the anchor too).
        for alt in _split_top(p) if "|" in p else [p]:
            head = next((a for a in anchors if alt.startswith("{" + a + "}")), None)
            if head is None:
                rest_items.append((where, alt))
            else:
                tails.setdefault(head, []).append((where, alt[len(head) + 2 :]))
    silent: list[FieldError] = []  # already reported through `regex` above
    rest = _compile_list(rest_items, vocab, silent, optimise=optimise, check_each=check_each)
    # tails are only ever `match`ed right after an anchor: no need to distribute for `search`
    anchored = tuple(
        (a, tail)
        for a, items in tails.items()
        if (
            tail := _compile_list(
                items, vocab, silent, optimise=optimise, check_each=check_each, search=False
            )
        )
        is not None
    )
    negation = _compile_list(
        [(f"{base}.negations[{i}]", p) for i, p in enumerate(rule.negations)],
        vocab,
        errors,
        optimise=optimise,
        check_each=check_each,
    )
    unless = _compile_list(
        [(f"{base}.unless[{i}]", p) for i, p in enumerate(rule.unless)],
        vocab,
        errors,
        optimise=optimise,
        check_each=check_each,
    )
    unless_msg = _compile_list(
        [(f"{base}.unless_in_message[{i}]", p) for i, p in enumerate(rule.unless_in_message)],
        vocab,
        errors,
        optimise=optimise,
        check_each=check_each,
    )
    if rule.source == "message" and not sources and rule.enabled:
        errors.append(FieldError(f"{base}.patterns", "a message rule needs a pattern or phrase"))
    return CompiledRule(
        rule=rule,
        sources=tuple(sources),
        rest=rest,
        anchored=anchored,
        negation=negation,
        unless=unless,
        unless_in_message=unless_msg,
        reactions=frozenset(normalize_reaction(r) for r in rule.reactions),
        needs_question_mark=rule.mood == "question",
        optimised=optimise,
    )


def _compile_all(
    rs: RuleSet, *, optimise: bool
) -> tuple[tuple[CompiledRule, ...], tuple[tuple[str, re.Pattern[str]], ...]]:
    """Every rule compiled; RuleConfigError naming each invalid field.

    First without compiling each pattern on its own (see `_valid_parts`); if some alternation
    then fails to compile, once more checking each pattern, to report which one it is.
    """
    try:
        return _compile_all_once(rs, optimise=optimise, check_each=False)
    except re.error:
        return _compile_all_once(rs, optimise=optimise, check_each=True)


def _compile_all_once(
    rs: RuleSet, *, optimise: bool, check_each: bool
) -> tuple[tuple[CompiledRule, ...], tuple[tuple[str, re.Pattern[str]], ...]]:
    errors: list[FieldError] = []
    vocab = dict(rs.vocab)
    anchor_regex: list[tuple[str, re.Pattern[str]]] = []
    for i, name in enumerate(rs.anchors):
        if name not in vocab:
            errors.append(FieldError(f"anchors[{i}]", f"unknown vocabulary name {name!r}"))
            continue
        compiled_anchor = _compile_list(
            [(f"vocab.{name}", "{" + name + "}")],
            vocab,
            errors,
            optimise=optimise,
            check_each=True,
        )
        if compiled_anchor is not None:
            anchor_regex.append((name, compiled_anchor))
    for name, fragment in rs.vocab:
        n_before = len(errors)
        expanded = _expand(fragment, vocab, f"vocab.{name}", errors)
        if len(errors) == n_before:
            try:
                _regex(expanded)
            except re.error as exc:
                errors.append(FieldError(f"vocab.{name}", f"invalid regex: {exc}"))
    names = [a for a, _ in anchor_regex]
    compiled = tuple(
        _compile_rule(r, vocab, names, errors, optimise=optimise, check_each=check_each)
        for r in rs.rules
    )
    if errors:
        raise RuleConfigError(errors)
    return compiled, tuple(anchor_regex)


# --------------------------------------------------------------------------------------------
# Parsing and validation of plain data

_RULE_KEYS: Final = frozenset(
    {
        "id",
        "type",
        "source",
        "description",
        "patterns",
        "phrases",
        "negations",
        "negation_window",
        "unless",
        "unless_in_message",
        "mood",
        "reactions",
        "min_author_posts",
        "context",
        "weight",
        "enabled",
    }
)
_LIST_KEYS: Final = (
    "patterns",
    "phrases",
    "negations",
    "unless",
    "unless_in_message",
    "reactions",
)
_CONTEXT_KEYS: Final = frozenset(
    {"author_roles", "thread_owner_roles", "channel_kinds", "position"}
)
_OVERRIDE_RULE_KEYS: Final = (_RULE_KEYS - {"id", "type", "source"}) | {
    f"add_{k}" for k in _LIST_KEYS
}
_TOP_KEYS: Final = frozenset(
    {
        "version",
        "default_threshold",
        "types",
        "thresholds",
        "vocab",
        "defaults",
        "rules",
        "anchors",
    }
)
_OVERRIDE_TOP_KEYS: Final = frozenset(
    {"types", "thresholds", "vocab", "rules", "add_rules", "default_threshold"}
)


class _Checker:
    """Collects field errors while reading untrusted plain data."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def fail(self, where: str, message: str) -> None:
        self.errors.append(FieldError(where, message))

    def mapping(self, value: object, where: str) -> Mapping[str, Any] | None:
        if isinstance(value, Mapping):
            return cast(Mapping[str, Any], value)
        self.fail(where, "must be an object")
        return None

    def unknown_keys(self, data: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
        for key in sorted(set(data) - allowed, key=str):
            self.fail(f"{where}.{key}" if where else str(key), "unknown field")

    def number(self, value: object, where: str, lo: float, hi: float) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
            self.fail(where, f"must be a number between {lo:g} and {hi:g}")
            return None
        return float(value)

    def integer(self, value: object, where: str, lo: int, hi: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            self.fail(where, f"must be an integer between {lo} and {hi}")
            return None
        return value

    def boolean(self, value: object, where: str) -> bool | None:
        if not isinstance(value, bool):
            self.fail(where, "must be true or false")
            return None
        return value

    def text(self, value: object, where: str) -> str | None:
        if not isinstance(value, str):
            self.fail(where, "must be a string")
            return None
        return value

    def strings(self, value: object, where: str) -> tuple[str, ...] | None:
        if isinstance(value, str) or not isinstance(value, list | tuple):
            self.fail(where, "must be a list of strings")
            return None
        out: list[str] = []
        for i, item in enumerate(cast(Sequence[object], value)):
            if not isinstance(item, str) or not item.strip():
                self.fail(f"{where}[{i}]", "must be a non-empty string")
                continue
            out.append(item)
        return tuple(out)

    def choice(self, value: object, where: str, allowed: Sequence[str]) -> str | None:
        if value not in allowed:
            self.fail(where, f"must be one of {', '.join(allowed)}")
            return None
        return cast(str, value)

    def roles(self, value: object, where: str, allowed: Sequence[str]) -> frozenset[str] | None:
        items = self.strings(value, where)
        if items is None:
            return None
        bad = [x for x in items if x not in allowed]
        if bad:
            self.fail(where, f"unknown value {bad[0]!r}; expected {', '.join(allowed)}")
            return None
        return frozenset(items)


def _read_context(
    chk: _Checker, data: object, where: str, base: ContextRequirement
) -> ContextRequirement:
    mapping = chk.mapping(data, where)
    if mapping is None:
        return base
    chk.unknown_keys(mapping, _CONTEXT_KEYS, where)
    out = base
    if "author_roles" in mapping:
        v = chk.roles(mapping["author_roles"], f"{where}.author_roles", ROLES)
        out = replace(out, author_roles=v) if v is not None else out
    if "thread_owner_roles" in mapping:
        v = chk.roles(mapping["thread_owner_roles"], f"{where}.thread_owner_roles", ROLES)
        out = replace(out, thread_owner_roles=v) if v is not None else out
    if "channel_kinds" in mapping:
        v = chk.roles(mapping["channel_kinds"], f"{where}.channel_kinds", CHANNEL_KINDS)
        out = replace(out, channel_kinds=v) if v is not None else out
    if "position" in mapping:
        p = chk.choice(mapping["position"], f"{where}.position", POSITIONS)
        out = replace(out, position=cast(Position, p)) if p is not None else out
    return out


def _apply_rule_fields(
    chk: _Checker, rule: Rule, data: Mapping[str, Any], where: str, *, additive: bool
) -> Rule:
    """Apply the scalar/list fields present in `data` to `rule` (also `add_*` when additive)."""
    changes: dict[str, Any] = {}
    for key in _LIST_KEYS:
        if key in data:
            v = chk.strings(data[key], f"{where}.{key}")
            if v is not None:
                changes[key] = v
        if additive and f"add_{key}" in data:
            v = chk.strings(data[f"add_{key}"], f"{where}.add_{key}")
            if v is not None:
                changes[key] = tuple(changes.get(key, getattr(rule, key))) + v
    if "description" in data:
        d = chk.text(data["description"], f"{where}.description")
        if d is not None:
            changes["description"] = d
    if "weight" in data:
        w = chk.number(data["weight"], f"{where}.weight", 0.0, 1.0)
        if w is not None:
            changes["weight"] = w
    if "enabled" in data:
        b = chk.boolean(data["enabled"], f"{where}.enabled")
        if b is not None:
            changes["enabled"] = b
    if "negation_window" in data:
        n = chk.integer(data["negation_window"], f"{where}.negation_window", 0, 20)
        if n is not None:
            changes["negation_window"] = n
    if "min_author_posts" in data:
        n = chk.integer(data["min_author_posts"], f"{where}.min_author_posts", 1, 1000)
        if n is not None:
            changes["min_author_posts"] = n
    if "mood" in data:
        m = chk.choice(data["mood"], f"{where}.mood", MOODS)
        if m is not None:
            changes["mood"] = m
    if "context" in data:
        changes["context"] = _read_context(chk, data["context"], f"{where}.context", rule.context)
    return replace(rule, **changes)


def _read_new_rule(
    chk: _Checker,
    data: object,
    where: str,
    types: Mapping[str, Kind],
    defaults: Rule,
) -> Rule | None:
    mapping = chk.mapping(data, where)
    if mapping is None:
        return None
    chk.unknown_keys(mapping, _RULE_KEYS, where)
    rule_id = mapping.get("id")
    if not isinstance(rule_id, str) or not _ID.match(rule_id):
        chk.fail(f"{where}.id", "must be a lower-case id like 'takeover.contact'")
        return None
    here = f"rules.{rule_id}"
    signal_type = mapping.get("type")
    if not isinstance(signal_type, str) or signal_type not in types:
        chk.fail(f"{here}.type", f"must be one of {', '.join(types)}")
        return None
    source = chk.choice(mapping.get("source", "message"), f"{here}.source", SOURCES)
    if source is None:
        return None
    rule = replace(defaults, id=rule_id, type=signal_type, kind=types[signal_type])
    rule = replace(rule, source=cast(Source, source))
    return _apply_rule_fields(chk, rule, mapping, here, additive=False)


def _read_types(chk: _Checker, data: object, where: str) -> dict[str, Kind]:
    mapping = chk.mapping(data, where)
    out: dict[str, Kind] = {}
    if mapping is None:
        return out
    for name, kind in mapping.items():
        if not isinstance(name, str) or not _ID.match(name):
            chk.fail(f"{where}.{name}", "type names are lower-case ids")
            continue
        k = chk.choice(kind, f"{where}.{name}", KINDS)
        if k is not None:
            out[name] = cast(Kind, k)
    return out


def _read_thresholds(
    chk: _Checker, data: object, where: str, types: Mapping[str, Kind]
) -> dict[str, float]:
    mapping = chk.mapping(data, where)
    out: dict[str, float] = {}
    if mapping is None:
        return out
    for name, value in mapping.items():
        if name not in types:
            chk.fail(f"{where}.{name}", "unknown signal type")
            continue
        v = chk.number(value, f"{where}.{name}", 0.0, 1.0)
        if v is not None:
            out[str(name)] = v
    return out


def _read_vocab(chk: _Checker, data: object, where: str, base: Mapping[str, str]) -> dict[str, str]:
    """Vocab entries are a regex string, a list of literal alternatives, or {"add": [...]}."""
    mapping = chk.mapping(data, where)
    out = dict(base)
    if mapping is None:
        return out
    for name, value in mapping.items():
        here = f"{where}.{name}"
        if not isinstance(name, str) or not _MACRO.fullmatch("{" + name + "}"):
            chk.fail(here, "vocabulary names are lower-case identifiers")
            continue
        if isinstance(value, str):
            out[name] = value
        elif isinstance(value, list):
            items = chk.strings(value, here)
            if items is not None:
                out[name] = "|".join(_phrase_regex(x) for x in items)
        elif isinstance(value, Mapping):
            entry = cast(Mapping[str, Any], value)
            chk.unknown_keys(entry, frozenset({"add"}), here)
            if name not in out:
                chk.fail(here, "cannot add to an unknown vocabulary entry")
                continue
            items = chk.strings(entry.get("add"), f"{here}.add")
            if items is not None:
                out[name] = "|".join([out[name], *(_phrase_regex(x) for x in items)])
        else:
            chk.fail(here, "must be a regex string, a list of phrases or {add: [...]}")
    return out


def _finish(
    chk: _Checker,
    *,
    rules: Sequence[Rule],
    types: Mapping[str, Kind],
    thresholds: Mapping[str, float],
    vocab: Mapping[str, str],
    default_threshold: float,
    version: str,
    anchors: tuple[str, ...],
) -> RuleSet:
    seen: set[str] = set()
    for r in rules:
        if r.id in seen:
            chk.fail(f"rules.{r.id}", "duplicate rule id")
        seen.add(r.id)
    if chk.errors:
        raise RuleConfigError(chk.errors)
    return RuleSet(
        rules=tuple(rules),
        types=tuple(types.items()),
        thresholds=tuple(sorted(thresholds.items())),
        vocab=tuple(vocab.items()),
        default_threshold=default_threshold,
        version=version,
        anchors=anchors,
    )


def ruleset_from_dict(data: Mapping[str, Any]) -> RuleSet:
    """Build a complete rule set from plain data (the default YAML's shape)."""
    chk = _Checker()
    chk.unknown_keys(data, _TOP_KEYS, "")
    types = _read_types(chk, data.get("types", {}), "types")
    if not types:
        chk.fail("types", "at least one signal type is required")
    thresholds = _read_thresholds(chk, data.get("thresholds", {}), "thresholds", types)
    default_threshold = chk.number(
        data.get("default_threshold", 0.5), "default_threshold", 0.0, 1.0
    )
    vocab = _read_vocab(chk, data.get("vocab", {}), "vocab", {})
    defaults = Rule(id="_", type="_", kind="doing")
    raw_defaults = data.get("defaults")
    if raw_defaults is not None:
        dmap = chk.mapping(raw_defaults, "defaults")
        if dmap is not None:
            chk.unknown_keys(dmap, _RULE_KEYS - {"id", "type"}, "defaults")
            defaults = _apply_rule_fields(chk, defaults, dmap, "defaults", additive=False)
    rules: list[Rule] = []
    raw_rules = data.get("rules", [])
    if not isinstance(raw_rules, list):
        chk.fail("rules", "must be a list of rules")
        raw_rules = []
    for i, raw in enumerate(cast(list[object], raw_rules)):
        rule = _read_new_rule(chk, raw, f"rules[{i}]", types, defaults)
        if rule is not None:
            rules.append(rule)
    return _finish(
        chk,
        rules=rules,
        types=types,
        thresholds=thresholds,
        vocab=vocab,
        default_threshold=default_threshold if default_threshold is not None else 0.5,
        version=str(data.get("version", "1")),
        anchors=chk.strings(data.get("anchors", []), "anchors") or (),
    )


def _apply_overrides(base: RuleSet, data: Mapping[str, Any]) -> RuleSet:
    chk = _Checker()
    if not isinstance(data, Mapping):
        raise RuleConfigError([FieldError("$", "overrides must be an object")])
    chk.unknown_keys(data, _OVERRIDE_TOP_KEYS, "")
    types = dict(base.types)
    if "types" in data:
        types |= _read_types(chk, data["types"], "types")
    thresholds = dict(base.thresholds)
    if "thresholds" in data:
        thresholds |= _read_thresholds(chk, data["thresholds"], "thresholds", types)
    default_threshold: float | None = base.default_threshold
    if "default_threshold" in data:
        default_threshold = chk.number(data["default_threshold"], "default_threshold", 0.0, 1.0)
    vocab = dict(base.vocab)
    if "vocab" in data:
        vocab = _read_vocab(chk, data["vocab"], "vocab", vocab)
    rules = list(base.rules)
    index = {r.id: i for i, r in enumerate(rules)}
    if "rules" in data:
        changes = chk.mapping(data["rules"], "rules")
        for rule_id, change in (changes or {}).items():
            where = f"rules.{rule_id}"
            if rule_id not in index:
                chk.fail(where, "unknown rule id")
                continue
            cmap = chk.mapping(change, where)
            if cmap is None:
                continue
            chk.unknown_keys(cmap, frozenset(_OVERRIDE_RULE_KEYS), where)
            i = index[rule_id]
            rules[i] = _apply_rule_fields(chk, rules[i], cmap, where, additive=True)
    if "add_rules" in data:
        raw = data["add_rules"]
        if not isinstance(raw, list):
            chk.fail("add_rules", "must be a list of rules")
        else:
            defaults = Rule(id="_", type="_", kind="doing")
            for i, item in enumerate(cast(list[object], raw)):
                rule = _read_new_rule(chk, item, f"add_rules[{i}]", types, defaults)
                if rule is not None:
                    rules.append(rule)
    return _finish(
        chk,
        rules=rules,
        types=types,
        thresholds=thresholds,
        vocab=vocab,
        default_threshold=default_threshold if default_threshold is not None else 0.5,
        version=base.version,
        anchors=base.anchors,
    )


def load_default_rules() -> RuleSet:
    """Read and compile the packaged default rule set."""
    raw = resources.files("bot.domain").joinpath("data/default_rules.yaml").read_text("utf-8")
    data = yaml.safe_load(raw)
    if not isinstance(data, Mapping):
        raise RuleConfigError([FieldError("$", "default rules must be a mapping")])
    return ruleset_from_dict(cast(Mapping[str, Any], data))


@functools.cache
def default_rules() -> RuleSet:
    """The packaged default rule set, read and compiled once, on first use.

    Not at import: compiling takes seconds, which every `enabler` command (and `--help`) would
    pay even when it never classifies anything. `serve` asks for it at start-up (bootstrap), so
    a broken packaged file stops the bot there and the first event does not wait for it.
    """
    return load_default_rules()


def load_rules(overrides: Mapping[str, Any] | str | None = None) -> RuleSet:
    """The default rules, with a workspace's overrides applied when given."""
    base = default_rules()
    return base if overrides is None else base.with_overrides(overrides)
