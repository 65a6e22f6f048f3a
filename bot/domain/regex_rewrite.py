"""Speed rewrite of rule regexes: first-character tries, with exactly the same meaning.

Python's regex engine (sre) runs `search` by trying the pattern at every position of the
text, and an alternation ``A|B|C`` by trying each alternative in turn. It has two shortcuts,
which rule patterns as written rarely qualify for:
- when every top-level alternative starts with a plain character, `search` scans the text in
  C for those characters and only enters the pattern there;
- inside an alternation, an alternative that starts with a plain character is skipped with
  one comparison when the text has another character at that position.
Written patterns start with groups (every ``{macro}`` expands to ``(?:…)``), ``\b`` or
look-behinds, so the engine enters every alternative at every position. `_optimise`
rewrites an alternation so that its alternatives start with a plain character, and merges
those that share one (a first-character trie):

    \b(?:ill|let me) call   ->  ill call(?<!\\will call)|let me call(?<!\\wlet me call)
    call|cut|tell           ->  c(?:all|ut)|tell

The result means exactly the same, including *which* alternative wins when several could
match at a position (sre takes the first that matches, in order). Every step is an identity:
- distributing a leading group over what follows: ``(?:A|B)R`` == ``AR|BR``;
  ``(?:A|B)?R`` == ``AR|BR|R`` (``R|AR|BR`` for the lazy ``??``); ``X*R`` == ``XX*R|R``
  when X cannot match empty (and ``X+`` == ``XX*``); a small class is a group of characters;
- moving a zero-width test after the character that follows it: ``\bc`` == ``c(?<!\\wc)`` for
  a word character c; ``^c`` == ``c(?<=^c)`` (likewise ``\\A \b \\B``); ``(?<!X)c`` ==
  ``c(?<!(?:X)c)`` and ``(?<=X)c`` == ``c(?<=(?:X)c)``;
- factoring a common prefix that matches in one way only: ``PA|PB`` == ``P(?:A|B)``;
- dropping an alternative identical to an earlier one (it was tried there and failed);
- reordering: alternatives that start with different characters never match at the same
  position, so their order cannot change a result. An alternative whose first character is
  unknown (a class, ``$``, one that may match empty…) keeps its place with respect to every
  alternative that might start where it does.
What the tokenizer does not understand (capturing or named groups, inline flags, comments,
numeric escapes, a literal ``{``…) is kept exactly as written, as one alternative whose first
character is unknown. tests/unit/test_rule_compiler.py compares every rewritten regex with
the plain one.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final

__all__ = ["optimise", "unreadable"]

_Alt = tuple["_Atom", ...]

#: characters that need a backslash to be literal outside a character class
_SPECIAL: Final = frozenset(".^$*+?{}[]\\|()")
#: escapes that stand for one literal (control) character, and back
_CONTROL_ESCAPES: Final = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v", "a": "\a"}
_ESCAPED_CONTROLS: Final = {char: "\\" + letter for letter, char in _CONTROL_ESCAPES.items()}
_QUANTIFIER: Final = re.compile(r"(?:[?*+]|\{(?:\d+(?:,\d*)?|,\d*)\})[?+]?")
_WORD_CHAR: Final = re.compile(r"\w")
#: classes of at most this many characters are distributed like groups of characters
_SMALL_CLASS: Final = 8
#: repetitions `_expose` unrolls once: quantifier -> quantifier of the remaining repetitions
_UNROLL: Final = {"*": "*", "*?": "*?", "+": "*", "+?": "*?"}
#: how much text (in characters) distributing leading groups may add to one `search`ed
#: regex: bounds compile time and memory for large rule sets. When it runs out, the rest of
#: the regex is left as written (still correct, only slower).
_DISTRIBUTE_BUDGET: Final = 30_000
#: elsewhere (inside the trie, or in a regex that is only `match`ed at one position) a
#: leading group costs little, and is distributed only if that adds at most this much text
_CHEAP_COPY: Final = 200


@dataclass(frozen=True)
class _Atom:
    """One regex item with its quantifier: a character, a class, a group, an assertion.

    `kind` is "lit" (one literal character, `char`), "class" (``[…]``, ``\\d``, ``.``),
    "anchor" (``^ $ \\b \\B \\A \\Z``), "group" (``(?:…)``), "ahead"/"behind" (look-aheads,
    look-behinds) or "raw" (a whole pattern kept as written). For a group or look-ahead,
    `text` is the opening (``(?:``, ``(?=``, ``(?!``), `alts` the parsed inside and `body` its
    text (None for groups the optimiser builds); otherwise `text` is the whole atom. `size`
    is the length of the atom's regex text, quantifier included.
    """

    kind: str
    text: str
    quant: str = ""
    char: str = ""
    alts: tuple[_Alt, ...] = ()
    body: str | None = None
    size: int = 0

    def __hash__(self) -> int:
        # Atoms are hashed often (to drop duplicate alternatives) and nest deeply: the
        # generated hash would walk the whole subtree every time.
        cached: int | None = self.__dict__.get("_hash")
        if cached is None:
            cached = hash((self.kind, self.text, self.quant, self.char, self.alts, self.body))
            object.__setattr__(self, "_hash", cached)
        return cached

    @property
    def zero_width(self) -> bool:
        return self.kind in ("anchor", "ahead", "behind")

    @property
    def movable(self) -> bool:
        """A zero-width test that can move after the next character (see `_behind`)."""
        return self.kind == "behind" or (
            self.kind == "anchor" and self.text in ("^", "\\A", "\\b", "\\B")
        )

    @property
    def deterministic(self) -> bool:
        """Matches in at most one way (no choice to backtrack into): safe to factor out."""
        return not self.quant and self.kind in ("lit", "class", "anchor", "ahead", "behind")


def _literal_text(char: str) -> str:
    """A literal character spelled canonically, so equal characters have equal text."""
    if char in _ESCAPED_CONTROLS:
        return _ESCAPED_CONTROLS[char]
    return "\\" + char if char in _SPECIAL else char


def _literal(char: str) -> _Atom:
    text = _literal_text(char)
    return _Atom("lit", text, char=char, size=len(text))


def _class_end(pattern: str, start: int) -> int:
    """Index just after the ``]`` closing the class opened at `start`, or -1."""
    i = start + 1
    if pattern[i : i + 1] == "^":
        i += 1
    if pattern[i : i + 1] == "]":
        i += 1  # a "]" right after "[" or "[^" is a literal
    while i < len(pattern):
        if pattern[i] == "\\":
            i += 2
            continue
        if pattern[i] == "]":
            return i + 1
        i += 1
    return -1


def _paren_end(pattern: str, start: int) -> int:
    """Index of the ``)`` closing the group opened at `start`, or -1."""
    depth, i = 0, start
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            i = _class_end(pattern, i)
            if i < 0:
                return -1
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


@functools.lru_cache(maxsize=4096)
def _parse(pattern: str) -> tuple[_Alt, ...] | None:
    """The top-level alternatives of `pattern` as atom sequences; None if not understood.

    Memoised: vocabulary macros put the same groups in many patterns.
    """
    if "(?#" in pattern:
        return None  # a comment may hold unbalanced parentheses: not worth the trouble
    alts: list[_Alt] = []
    current: list[_Atom] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "|":
            alts.append(tuple(current))
            current = []
            i += 1
            continue
        end = i + 1
        kind, text, char, body = "lit", "", "", None
        parsed: tuple[_Alt, ...] = ()
        if ch == "\\":
            nxt = pattern[i + 1 : i + 2]
            end = i + 2
            if not nxt:
                return None
            if nxt in "bBAZ":
                kind, text = "anchor", "\\" + nxt
            elif nxt in "dDsSwW":
                kind, text = "class", "\\" + nxt
            elif nxt in _CONTROL_ESCAPES:
                char = _CONTROL_ESCAPES[nxt]
            elif nxt.isascii() and nxt.isalnum():
                return None  # \x41, \u…, \N{…}, octal, back-references: keep as written
            else:
                char = nxt
        elif ch == "[":
            end = _class_end(pattern, i)
            if end < 0:
                return None
            kind, text = "class", pattern[i:end]
        elif ch == "(":
            close = _paren_end(pattern, i)
            if close < 0:
                return None
            end = close + 1
            text = pattern[i : i + 3]
            if text in ("(?:", "(?=", "(?!"):
                kind = "group" if text == "(?:" else "ahead"
                body = pattern[i + 3 : close]
            elif pattern.startswith(("(?<=", "(?<!"), i):
                kind, text = "behind", pattern[i:end]
            else:
                return None  # capturing, named, atomic, conditional, inline flags
            inside = _parse(body if body is not None else pattern[i + 4 : close])
            if inside is None:
                return None
            if body is not None:
                parsed = inside
        elif ch in ")*+?{":
            return None
        elif ch in "^$":
            kind, text = "anchor", ch
        elif ch == ".":
            kind, text = "class", "."
        else:
            char = ch
        if kind == "lit":
            text = _literal_text(char)
        quant = ""
        found = _QUANTIFIER.match(pattern, end)
        if found is not None:
            if kind in ("anchor", "ahead", "behind"):
                return None  # a repeated zero-width test: legal, pointless, left alone
            quant = found.group()
            end = found.end()
        elif pattern.startswith("{", end):
            return None  # a literal "{" could turn into a quantifier once moved
        current.append(_Atom(kind, text, quant, char, parsed, body, end - i))
        i = end
    alts.append(tuple(current))
    return tuple(alts)


def _size(alt: _Alt) -> int:
    return sum(a.size for a in alt)


@functools.lru_cache(maxsize=1024)
def _class_chars(text: str) -> frozenset[str] | None:
    """The characters a class like ``[.!?]`` or ``[a-c]`` matches; None for anything else.

    Only plain members, escaped punctuation, control escapes and small ranges are read;
    negated classes, ``\\w``-like escapes and set operations are "unknown".
    """
    body = text[1:-1] if text.startswith("[") and text.endswith("]") else ""
    if not body or body.startswith("^") or "[" in body or "&&" in body or "~~" in body:
        return None
    members: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            nxt = body[i + 1 : i + 2]
            if nxt in _CONTROL_ESCAPES:
                ch = _CONTROL_ESCAPES[nxt]
            elif not nxt or (nxt.isascii() and nxt.isalnum()):
                return None
            else:
                ch = nxt
            i += 2
        else:
            i += 1
        members.append(ch)
        if body[i : i + 1] == "-" and i + 1 < len(body):  # a range (a "-" at the end is literal)
            if body[i + 1] == "\\" or body[i + 1 : i + 3] == "--":
                return None
            low, high = ord(ch), ord(body[i + 1])
            if not low <= high <= low + 16:
                return None
            members += [chr(c) for c in range(low + 1, high + 1)]
            i += 2
    return frozenset(members)


def _first_chars(alt: _Alt) -> frozenset[str] | None:
    """Characters a match of `alt` can start with; None when unknown or it may match empty."""
    for a in alt:
        if a.zero_width:
            continue  # tests nothing consumes: the first character comes after
        if a.quant[:1] in ("?", "*") or a.quant.startswith(("{,", "{0")):
            return None  # the atom may be skipped altogether
        if a.kind == "lit":
            return frozenset(a.char)
        if a.kind == "class":
            return _class_chars(a.text)
        if a.kind == "group":
            out: set[str] = set()
            for inner in a.alts:
                first = _first_chars(inner)
                if first is None:
                    return None
                out |= first
            return frozenset(out)
        return None
    return None


def _behind(test: _Atom, lit: _Atom) -> _Atom:
    """Zero-width `test` just before the character `lit`, as a look-behind placed after it."""
    if test.text == "\\b" and _WORD_CHAR.match(lit.char):
        # before a word character, \b means "not preceded by one": the cheapest form
        text = f"(?<!\\w{lit.text})"
    elif test.kind == "anchor":
        text = f"(?<={test.text}{lit.text})"
    else:  # a look-behind: extend it by the character
        opener, body = test.text[:4], test.text[4:-1]
        parsed = _parse(body)
        if parsed is None or len(parsed) > 1:
            body = f"(?:{body})"
        text = f"{opener}{body}{lit.text})"
    return _Atom("behind", text, size=len(text))


def _defer_tests(alt: _Alt) -> _Alt:
    """Move zero-width tests after the plain characters that follow them (see `_behind`).

    ``\\bcall`` becomes ``call(?<!\\wcall)``: the alternative now starts with a plain
    character, and its test runs only where a whole "call" is, so letters inside other words
    are rejected by plain comparisons before any look-behind runs.
    """
    out = list(alt)
    i = 0
    while i < len(out) - 1:
        nxt = out[i + 1]
        if out[i].movable and nxt.kind == "lit" and not nxt.quant:
            out[i], out[i + 1] = nxt, _behind(out[i], nxt)
            i = max(i - 1, 0)  # a test just before the character may now move past it too
        else:
            i += 1
    return tuple(out)


class _Budget:
    """How much text distributing groups may still add to one regex (_DISTRIBUTE_BUDGET)."""

    def __init__(self, chars: int) -> None:
        self.left = chars

    def spend(self, chars: int) -> bool:
        if chars > self.left:
            return False
        self.left -= chars
        return True


def _expose(alt: _Alt, budget: _Budget | None) -> list[_Alt]:
    """Equivalent alternatives (in order) that start with a plain character where possible.

    A leading group is distributed over what follows it (``(?:A|B)R`` -> ``AR|BR``) one first
    character at a time (``(?:ab|ac|d)R`` -> ``a(?:b|c)R|dR``), so `R` is copied at most once
    per distinct first character. With `budget` None, only if the copies are small.
    """
    i = 0
    while i < len(alt) and alt[i].movable:
        i += 1
    if i == len(alt):
        return [alt]
    head = alt[i]
    if head.kind == "lit":
        if not head.quant:
            return [_defer_tests(alt)]
        # a repeated character is a one-character group: ``c?R`` == ``cR|R``
        alts: tuple[_Alt, ...] = ((_literal(head.char),),)
        head = _Atom("group", "(?:", head.quant, alts=alts, size=head.size + 4)
    elif head.kind == "class":
        # a small class is a group of characters: ``[.!]R`` == ``\.R|!R`` (any order: a
        # position has one character)
        chars = _class_chars(head.text)
        if chars is None or len(chars) > _SMALL_CLASS:
            return [alt]
        alts = tuple((_literal(c),) for c in sorted(chars))
        head = _Atom("group", "(?:", head.quant, alts=alts, size=head.size + 2 * len(alts))
    if head.kind != "group":
        return [alt]
    prefix, rest = alt[:i], alt[i + 1 :]
    once = replace(head, quant="")
    if head.quant in _UNROLL and _first_chars((once,)) is not None:
        # ``X*R`` == ``XX*R|R`` when X cannot match empty (sre tries the longest repetition
        # first, then fewer); ``X+`` is ``XX*``; the lazy forms try R first
        unrolled = (*prefix, once, replace(head, quant=_UNROLL[head.quant]), *rest)
        if head.quant == "*":
            return _expose(unrolled, budget) + _expose(prefix + rest, budget)
        if head.quant == "*?":
            return _expose(prefix + rest, budget) + _expose(unrolled, budget)
        return _expose(unrolled, budget)
    if head.quant not in ("", "?", "??"):
        return [alt]
    options = [prefix + h + rest for h in _items(head.alts, budget)]
    if head.quant == "?":
        options.append(prefix + rest)  # greedy: with the group first, then without it
    elif head.quant == "??":
        options.insert(0, prefix + rest)
    extra = _size(prefix + rest) * (len(options) - 1)
    if not (extra <= _CHEAP_COPY if budget is None else budget.spend(extra)):
        return [alt]
    return [e for option in options for e in _expose(option, budget)]


def _items(alts: Sequence[_Alt], budget: _Budget | None) -> list[_Alt]:
    """`alts` as one level of a first-character trie: equivalent alternatives, in order.

    Alternatives that start with the same character c become one ``c<common prefix>(?:…)``.
    Each joins the last group for its character, unless something that might start with c
    comes after that group (moving past it could change which alternative wins).
    """
    # (first character or None when not a plain character, what it may start with, members)
    groups: list[tuple[str | None, frozenset[str] | None, list[_Alt]]] = []
    seen: set[_Alt] = set()
    for alt in (e for a in alts for e in _expose(a, budget)):
        if alt in seen:
            continue  # tried already, at the same place, and failed: it would fail again
        seen.add(alt)
        lead = alt[0].char if alt and alt[0].kind == "lit" and not alt[0].quant else None
        if lead is None:
            groups.append((None, _first_chars(alt), [alt]))
            continue
        for group_lead, first, members in reversed(groups):
            if group_lead == lead:
                members.append(alt)
                break
            if group_lead is None and (first is None or lead in first):
                groups.append((lead, None, [alt]))  # must stay after that one
                break
        else:
            groups.append((lead, None, [alt]))
    return [_factor(members) for _, _, members in groups]


def _factor(members: list[_Alt]) -> _Alt:
    """Alternatives that start with the same character as one: ``c<prefix>(?:t1|t2|…)``."""
    if len(members) == 1:
        return members[0]
    prefix: list[_Atom] = [members[0][0]]
    tails = [m[1:] for m in members]
    while all(tails) and tails[0][0].deterministic and all(t[0] == tails[0][0] for t in tails):
        prefix.append(tails[0][0])
        tails = [t[1:] for t in tails]
    size = sum(map(_size, tails)) + len(tails) + 3
    return (*prefix, _Atom("group", "(?:", alts=tuple(tails), size=size))


def _render(alts: Sequence[_Alt]) -> str:
    """Regex text for alternatives already in trie order; the inside of groups optimised."""
    out: list[str] = []
    for alt in alts:
        parts: list[str] = []
        for a in alt:
            if a.kind not in ("group", "ahead"):
                parts.append(a.text + a.quant)
            elif a.body is not None:
                parts.append(f"{a.text}{_optimised_body(a.body)}){a.quant}")
            else:
                parts.append(f"{a.text}{_render(_items(a.alts, None))}){a.quant}")
        out.append("".join(parts))
    return "|".join(out)


@functools.lru_cache(maxsize=4096)
def _optimised_body(body: str) -> str:
    """The inside of a group as a trie (memoised: macros repeat the same groups)."""
    parsed = _parse(body)
    assert parsed is not None  # the group was parsed already
    return _render(_items(parsed, None))


def unreadable(pattern: str) -> bool:
    """Whether `optimise` keeps `pattern` as written, not understanding it (see the module doc).

    A readable pattern has balanced groups and only constructs the tokenizer knows, so put in
    an alternation as ``(?:pattern)`` it cannot change how the others are read.
    """
    try:
        return _parse(pattern) is None
    except RecursionError:
        return True


def optimise(patterns: Sequence[str], *, search: bool) -> str:
    """``(?:p1)|(?:p2)|…`` rewritten for speed with the same meaning (see above).

    `search`: the regex will be `search`ed, so its top-level alternatives should all start
    with a plain character, even at the cost of copying text (within _DISTRIBUTE_BUDGET).
    A regex only ever `match`ed at one position gains nothing from that: the alternatives
    inside a leading group already start with plain characters.
    """
    try:
        alts: list[_Alt] = []
        for p in patterns:
            parsed = _parse(p)
            if parsed is None:
                raw = f"(?:{p})"
                alts.append((_Atom("raw", raw, size=len(raw)),))
            else:
                alts.extend(parsed)
        return _render(_items(alts, _Budget(_DISTRIBUTE_BUDGET) if search else None))
    except RecursionError:  # absurdly deep nesting: not worth optimising
        return "|".join(f"(?:{p})" for p in patterns)
