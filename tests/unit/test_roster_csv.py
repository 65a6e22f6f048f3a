from __future__ import annotations

import pytest

from bot.db.repositories.core import channel_matches
from bot.domain.roster import RosterError, parse_roster
from bot.services.roster import normalise_channel_pattern


@pytest.mark.parametrize(
    ("csv_text", "expected"),
    [
        ("user_id,role\nU1AA,rep\n", "header must include user_id, role, manager_id"),
        ("user_id,role,manager_id,color\nU1AA,sales_ops,\n", "unknown column(s): color"),
        ("user_id,role,manager_id\nU1AA,rep,U2BB\n", "manager_id U2BB is not on the roster"),
        ("user_id,role,manager_id\nU1AA,manager,U1AA\n", "cannot be their own manager"),
        ("user_id,role,manager_id\nU1AA,rep,U2BB\nU2BB,rep,U3CC\nU3CC,manager,\n", "has role rep"),
        ("user_id,role,manager_id\nU1AA,manager,U2BB\nU2BB,manager,U1AA\n", "reporting cycle"),
        (
            "user_id,role,manager_id\nU1AA,sales_ops,\nU1AA,sales_ops,\n",
            "already appears on line 2",
        ),
    ],
)
def test_problems_are_named(csv_text: str, expected: str) -> None:
    with pytest.raises(RosterError) as caught:
        parse_roster(csv_text)
    assert expected in str(caught.value)


def test_bom_blank_lines_and_case() -> None:
    entries = parse_roster("\ufeffuser_id,role,manager_id\nU1AA,Manager,\n\nU2BB,REP,U1AA\n")
    assert [(e.user_id, e.role, e.manager_id) for e in entries] == [
        ("U1AA", "manager", None),
        ("U2BB", "rep", "U1AA"),
    ]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("C0123ABC", "C0123ABC"),
        ("#deal-*", "deal-*"),
        ("Deal-ACME", "deal-acme"),
        ("<#C9|x>", "C9"),
    ],
)
def test_channel_patterns(given: str, expected: str) -> None:
    assert normalise_channel_pattern(given) == expected


@pytest.mark.parametrize(
    ("channel_id", "name", "patterns", "matches"),
    [
        ("C1", "deal-acme", ["deal-*"], True),
        ("C1", "Deal-Acme", ["deal-*"], True),
        ("C1", "general", ["deal-*"], False),
        ("C1", None, ["C1"], True),
        ("C2", None, ["C1", "deal-*"], False),
    ],
)
def test_channel_matching(
    channel_id: str, name: str | None, patterns: list[str], matches: bool
) -> None:
    assert channel_matches(channel_id, name, patterns) is matches
