"""The speed rewrite of rule regexes and the prefilters of `TextPlan` change no result.

Everything is compared with `RuleSet.unoptimised()`: the same rules compiled exactly as
written (plain alternations, plain prefilters). Classification is also compared with a
reference classifier written the straightforward way: every applicable rule, every regex, no
prefilter, no shortcut.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.domain.regex_rewrite import optimise as _optimise
from bot.domain.rules import RuleConfigError, RuleSet, default_rules, ruleset_from_dict
from bot.domain.signals import (
    MessageContext,
    SignalMatch,
    _pick,
    _valid_span,
    classify_message,
)
from bot.domain.text import normalize

DATA = Path(__file__).resolve().parents[1] / "data"
LINES: list[dict[str, Any]] = [
    json.loads(line)
    for path in sorted(DATA.glob("signals_*.jsonl"))
    for line in path.read_text(encoding="utf-8").splitlines()
    if line.strip()
]
TEXTS = sorted({normalize(line["text"]) for line in LINES})
PLAIN = default_rules().unoptimised()
#: every context a labelled line is in, as a reply and as a thread root
CONTEXT_KEYS = sorted(
    {
        (line["author_role"], line["thread_owner_role"], line["channel_kind"], is_reply)
        for line in LINES
        for is_reply in (True, False)
    },
    key=repr,
)


def _reference(ctx: MessageContext, rules: RuleSet) -> list[SignalMatch]:
    """`classify_message` written the straightforward way: every rule runs every regex."""
    text = normalize(ctx.text)
    anchors = dict(rules.anchor_regex)
    where = (ctx.author_role, ctx.thread_owner_role, ctx.channel_kind)
    found: list[SignalMatch] = []
    for c in rules.applicable("message", *where, is_reply=ctx.is_reply):
        spans = [
            (a.start(), m.end())
            for name, tail in c.anchored
            for a in anchors[name].finditer(text)
            if (m := tail.match(text, a.end())) is not None
        ]
        if c.rest is not None:
            first = c.rest.search(text)
            if first is not None:
                spans += [first.span(), *(m.span() for m in c.rest.finditer(text, first.end()))]
        span = _valid_span(c, text, spans) if spans else None
        if span is not None:
            found.append(SignalMatch(c.rule.type, c.rule.kind, c.rule.id, c.rule.weight, span))
    posts = ctx.author_posts_in_thread + 1
    for c in rules.applicable("thread_activity", *where, is_reply=ctx.is_reply):
        r = c.rule
        if posts >= r.min_author_posts and posts > ctx.owner_posts_in_thread:
            found.append(SignalMatch(r.type, r.kind, r.id, r.weight, (0, 0)))
    return _pick(found, rules) if found else []


def _assert_same_classification(ctx: MessageContext, rules: RuleSet, plain: RuleSet) -> None:
    got = classify_message(ctx, rules)
    assert got == classify_message(ctx, plain), ctx
    assert got == _reference(ctx, plain), ctx


# --------------------------------------------------------------------------------------------
# Every labelled line


def _regex_pairs() -> Iterator[tuple[str, str, re.Pattern[str], re.Pattern[str]]]:
    """(name, how classification uses it, optimised regex, plain regex) for every regex."""
    for fast, plain in zip(default_rules().compiled, PLAIN.compiled, strict=True):
        rid = fast.rule.id
        for attr in ("regex", "rest", "negation", "unless", "unless_in_message"):
            a, b = getattr(fast, attr), getattr(plain, attr)
            assert (a is None) == (b is None), (rid, attr)
            if a is not None and b is not None:
                yield f"{rid}.{attr}", "search", a, b
        for (name, a), (_, b) in zip(fast.anchored, plain.anchored, strict=True):
            yield f"{rid}.anchored.{name}", "match", a, b
    for (name, a), (_, b) in zip(default_rules().anchor_regex, PLAIN.anchor_regex, strict=True):
        yield f"anchor.{name}", "search", a, b
    for key in CONTEXT_KEYS:
        fast_plan = default_rules().text_plan(*key[:3], is_reply=key[3])
        plain_plan = PLAIN.text_plan(*key[:3], is_reply=key[3])
        if fast_plan.rest_union is not None and plain_plan.rest_union is not None:
            yield f"{key}.rest_union", "search", fast_plan.rest_union, plain_plan.rest_union
        for (anchor, a, _), (_, b, _) in zip(fast_plan.anchors, plain_plan.anchors, strict=True):
            yield f"{key}.tails_after.{anchor.pattern[:24]}", "match", a, b


def _match_positions(text: str) -> list[int]:
    """Where tails are matched: after every anchor occurrence (and at every word start)."""
    starts = {i for i in range(len(text)) if text[i].isalnum() and not text[i - 1 : i].isalnum()}
    ends = {m.end() for _, a in default_rules().anchor_regex for m in a.finditer(text)}
    return sorted(starts | ends | {0, len(text)})


POSITIONS = {text: _match_positions(text) for text in TEXTS}


@pytest.mark.parametrize(
    ("name", "use", "fast", "plain"), [pytest.param(*p, id=p[0]) for p in _regex_pairs()]
)
def test_each_optimised_regex_finds_what_the_plain_one_finds(
    name: str, use: str, fast: re.Pattern[str], plain: re.Pattern[str]
) -> None:
    for text in TEXTS:
        if use == "search":
            assert [m.span() for m in fast.finditer(text)] == [
                m.span() for m in plain.finditer(text)
            ], (name, text)
        else:
            for pos in POSITIONS[text]:
                got, want = fast.match(text, pos), plain.match(text, pos)
                assert (got and got.span()) == (want and want.span()), (name, text, pos)


def test_every_labelled_line_classifies_as_with_the_plain_rules() -> None:
    for line in LINES:
        for ctx in (
            MessageContext(
                line["text"], line["author_role"], line["thread_owner_role"], line["channel_kind"]
            ),
            MessageContext(line["text"], "manager", "rep", "deal", is_reply=False),
            MessageContext(line["text"], "manager", "rep", "deal", author_posts_in_thread=3),
        ):
            _assert_same_classification(ctx, default_rules(), PLAIN)


# --------------------------------------------------------------------------------------------
# Generated messages: rule vocabulary, punctuation and Slack markup in any order

_WORDS = sorted(
    {
        word
        for source in [
            *(p for r in default_rules().rules for p in (*r.patterns, *r.phrases)),
            *(fragment for _, fragment in default_rules().vocab),
        ]
        for word in re.findall(r"[a-z]{2,}", source)
    }
)
_MARKUP = [
    *[".", ",", "?", "!", ";", ":", "-", "...", "(", ")", "'", '"', "’", "“", "é", "¿", "—"],
    *["@user", "15%", "$5", "3pm"],
    " - ",
    "\n",
    "I'll",
    "I’m",
    "don't",
    "we'll",
    "<@U0123>",
    "<https://x.example|the quote>",
    "<https://x.example>",
    "*bold*",
    "_it_",
    "`code`",
    "> quoted\n",
    "&gt; quoted\n",
    ":white_check_mark:",
    "✅",
    "✔️",
]
_TOKENS = st.one_of(st.sampled_from(_WORDS), st.sampled_from(_MARKUP))
_MESSAGES = st.lists(
    st.tuples(_TOKENS, st.sampled_from([" ", " ", " ", "", "  ", "\n"])), max_size=25
).map(lambda pairs: "".join(token + gap for token, gap in pairs))


@settings(max_examples=300, deadline=None)
@given(
    text=_MESSAGES,
    is_reply=st.booleans(),
    author_posts=st.integers(0, 4),
    owner_posts=st.integers(0, 4),
)
def test_generated_messages_classify_as_with_the_plain_rules(
    text: str, is_reply: bool, author_posts: int, owner_posts: int
) -> None:
    ctx = MessageContext(text, "manager", "rep", "deal", is_reply, author_posts, owner_posts)
    _assert_same_classification(ctx, default_rules(), PLAIN)


# --------------------------------------------------------------------------------------------
# Generated patterns: the rewrite holds for any rule set, not only the default one

_ATOMS = ["a", "b", "c", " ", "\\.", ".", "[ab]", "[^a ]", "\\s", "\\w", "\\d", "\\(", "]", "-"]
_TESTS = ["\\b", "\\B", "^", "$", "\\A", "\\Z", "(?<!a)", "(?<![ab])", "(?<=b)", "(?<= )"]
_QUANTIFIERS = ["", "", "", "", "?", "*", "+", "??", "*?", "+?", "{1,2}", "{0,2}", "{2}", "*+"]


def _valid(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


def _alternation(item: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.lists(st.lists(item, max_size=3).map("".join), min_size=1, max_size=3).map("|".join)


def _grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    body = _alternation(inner)
    return st.one_of(
        inner,
        st.tuples(body, st.sampled_from(_QUANTIFIERS)).map(lambda g: f"(?:{g[0]}){g[1]}"),
        body.map(lambda b: f"(?={b})"),
        body.map(lambda b: f"(?!{b})"),
        body.map(lambda b: f"({b})"),  # capturing: left as written by the rewrite
    )


_LEAVES = st.one_of(
    st.tuples(st.sampled_from(_ATOMS), st.sampled_from(_QUANTIFIERS)).map("".join),
    st.sampled_from(_TESTS),
)
PATTERNS = _alternation(st.recursive(_LEAVES, _grow, max_leaves=6)).filter(_valid)
_TEXTS = st.text(alphabet="abc .-(]\n", max_size=8)


@settings(max_examples=250, deadline=None)
@given(parts=st.lists(PATTERNS, min_size=1, max_size=3), texts=st.lists(_TEXTS, max_size=3))
def test_any_alternation_matches_like_the_plain_one(parts: list[str], texts: list[str]) -> None:
    plain = re.compile("|".join(f"(?:{p})" for p in parts), re.MULTILINE)
    for search in (True, False):
        fast = re.compile(_optimise(parts, search=search), re.MULTILINE)
        for text in ["", "abc", " a.b-c", *texts]:
            assert [m.span() for m in fast.finditer(text)] == [
                m.span() for m in plain.finditer(text)
            ], (fast.pattern, text)
            for pos in range(len(text) + 1):
                for how in ("match", "search"):
                    got = getattr(fast, how)(text, pos)
                    want = getattr(plain, how)(text, pos)
                    assert (got and got.span()) == (want and want.span()), (
                        fast.pattern,
                        text,
                        pos,
                        how,
                    )


_RULE_TEXTS = st.lists(
    st.sampled_from(["a", "b", "c", "ab", "ba", "cab", ".", ",", "?", "!", "-", "\n"]),
    max_size=12,
).map(" ".join)


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_any_rule_set_classifies_as_its_unoptimised_self(data: st.DataObject) -> None:
    def draw_patterns(n: int) -> list[str]:
        return data.draw(st.lists(PATTERNS, min_size=1, max_size=n))

    spec = {
        "types": {"one": "doing", "two": "enabling"},
        "vocab": {"me": draw_patterns(1)[0], "w": draw_patterns(1)[0]},
        "anchors": ["me"],
        "rules": [
            {
                "id": "r.anchored",
                "type": "one",
                "patterns": [f"{{me}}{p}" for p in draw_patterns(3)] + draw_patterns(2),
                "negations": draw_patterns(1),
                "unless": draw_patterns(1),
                "mood": data.draw(st.sampled_from(["any", "statement"])),
            },
            {
                "id": "r.question",
                "type": "two",
                "patterns": [f"{p}{{w}}" for p in draw_patterns(2)],
                "mood": "question",
            },
            {
                "id": "r.plain",
                "type": "one",
                "patterns": [f"{{w}}|{p}" for p in draw_patterns(2)],
                "phrases": data.draw(st.lists(st.sampled_from(["ab", "c a", "b!"]), max_size=2)),
                "unless_in_message": draw_patterns(1),
                "weight": 0.9,
            },
        ],
    }
    try:
        rules = ruleset_from_dict(spec)
    except (RuleConfigError, re.error):
        assume(False)  # e.g. a macro that makes a look-behind variable-width
        raise
    plain = rules.unoptimised()
    for text in data.draw(st.lists(_RULE_TEXTS, min_size=1, max_size=4)):
        _assert_same_classification(MessageContext(text, "manager", "rep", "deal"), rules, plain)


# --------------------------------------------------------------------------------------------
# What the rewrite produces (documents the steps; meaning is covered above)


@pytest.mark.parametrize(
    ("patterns", "expected"),
    [
        # a leading \b moves after the word; alternatives sharing a character are merged
        (["\\bcall", "\\bcut"], "c(?:all(?<!\\wcall)|ut(?<!\\wcut))"),
        # a leading group is distributed, one first character at a time
        (["(?:ab|ac|d)R"], "a(?:b|c)R|dR"),
        # an optional group: with it first, then without (the lazy form: without first)
        (["(?:x )?y"], "x y|y"),
        (["(?:x )??y"], "y|x y"),
        # a repetition is unrolled once
        (["(?:ab)*c"], "ab(?:ab)*c|c"),
        # ^ and look-behinds become look-behinds after the characters that follow them
        (["^ok"], "ok(?<=^ok)"),
        (["(?<![a-z])ok"], "ok(?<![a-z]ok)"),
        # a small class is distributed like a group of characters
        (["[.!] go"], "! go|\\. go"),
        # something that may start with "a" keeps the later "a…" behind it...
        (["ab", "[a-z]c", "ad"], "ab|[a-z]c|ad"),
        (["ab", "\\wc", "ad"], "ab|\\wc|ad"),
        # ...but what cannot start with "a" does not
        (["ab", "[k-z]c", "ad"], "a(?:b|d)|[k-z]c"),
        # an alternative identical to an earlier one is dropped
        (["(?:a|b)c", "ac"], "ac|bc"),
        # capturing groups, back-references, inline flags: kept as written
        (["(a)\\1", "b"], "(?:(a)\\1)|b"),
    ],
)
def test_rewrite_steps(patterns: list[str], expected: str) -> None:
    assert _optimise(patterns, search=True) == expected


def _scans_quickly(regex: re.Pattern[str]) -> bool:
    """Whether sre can skip text to candidate characters (a literal prefix or a charset)."""
    parsed = re._parser.parse(regex.pattern, regex.flags)  # type: ignore[attr-defined]
    prefix, _, _ = re._compiler._get_literal_prefix(parsed, regex.flags)  # type: ignore[attr-defined]
    charset = re._compiler._get_charset_prefix(parsed, regex.flags)  # type: ignore[attr-defined]
    return bool(prefix) or charset is not None


def test_rule_shaped_patterns_get_the_quick_scan() -> None:
    """The point of the rewrite: patterns as rules write them become quick to search."""
    rules = ruleset_from_dict(
        {
            "types": {"one": "doing"},
            "vocab": {
                "me": "(?:i(?<![a-z]i)(?: ?ll| will)|let me)\\b",
                "verb": "(?:call|email|ping)",
                "noun": "(?:the |their )?(?:quote|contract)s?",
            },
            "anchors": ["me"],
            "rules": [
                {
                    "id": "r",
                    "type": "one",
                    "patterns": [
                        "{me} {verb}\\b",
                        "\\b(?:just )?(?:send|sent) {noun}\\b",
                        "^(?:ok )?done\\b",
                        "\\b{verb} (?:them|him)",
                    ],
                    "phrases": ["leave it with me"],
                }
            ],
        }
    )
    (fast,), (plain,) = rules.compiled, rules.unoptimised().compiled
    assert fast.rest is not None
    assert plain.rest is not None
    assert _scans_quickly(fast.rest)
    assert not _scans_quickly(plain.rest)
    plan = rules.text_plan("manager", "rep", "deal", is_reply=True)
    assert plan.rest_union is not None
    assert _scans_quickly(plan.rest_union)
