"""`normalize` skips two steps when they cannot change the text: these tests prove the conditions.

- Quote folding (`str.translate`) is skipped for ASCII text without a backtick: every other
  character the table maps must be non-ASCII.
- Whitespace collapsing is skipped for printable text without a double space: every
  character the collapse touches must be a space or unprintable, so in such text each run it
  replaces is a single " " replaced by " ".
"""

from __future__ import annotations

import sys

import pytest

from bot.domain.text import _QUOTE_FOLD, _SPACE, normalize


def test_quote_folding_maps_only_the_backtick_and_non_ascii_characters() -> None:
    assert all(chr(code) == "`" or not chr(code).isascii() for code in _QUOTE_FOLD)


def test_whitespace_collapse_touches_only_spaces_and_unprintable_characters() -> None:
    touched = [chr(c) for c in range(sys.maxunicode + 1) if _SPACE.match(chr(c))]
    assert " " in touched
    assert [ch for ch in touched if ch != " " and ch.isprintable()] == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a\tb", "a b"),
        ("a \u2003 b", "a b"),  # an em space between spaces
        ("a\u00a0\u00a0b", "a b"),  # no-break spaces (folded to spaces first)
        ("it`s fine", "its fine"),  # a stray backtick folds to an apostrophe
        ("ok  done", "ok done"),
        ("ok done", "ok done"),
        ("line\x0bbreak", "line break"),
    ],
)
def test_whitespace_and_quotes_are_still_folded(raw: str, expected: str) -> None:
    assert normalize(raw) == expected
