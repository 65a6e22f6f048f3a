"""Rule data: text normalisation, workspace overrides and their validation errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.domain.rules import RuleConfigError, RuleSet, default_rules, load_rules, ruleset_from_dict
from bot.domain.signals import MessageContext, classify_message
from bot.domain.text import normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<@U0123ABC> Leave it", "@user leave it"),
        ("<@U0123ABC|ana> hi", "@user hi"),
        ("see <#C024BE7LR|deals-acme>", "see #deals-acme"),
        ("see <#C024BE7LR>", "see #channel"),
        ("<!here> heads up", "@here heads up"),
        ("<https://x.example/p|the proposal> and <https://y.example>", "the proposal and [url]"),
        ("bare https://x.example/p?q=1 link", "bare [url] link"),
        ("a `code` b ```block\nI'll send``` c", "a b c"),
        ("done :white_check_mark::skin-tone-2:", "done :white_check_mark:"),
        ("I’ll ‘handle’ it", "ill handle it"),
        ("*BOLD* _italic_ ~strike~ snake_case", "bold italic strike snake_case"),
        ("Déjalo  CONMIGO\tya", "dejalo conmigo ya"),
        ("Straße", "strasse"),
        ("&gt; quoted line\nmine &amp; yours", "mine & yours"),
        ('they said "leave it with me"', "they said"),
        ("one\n\n  two", "one\ntwo"),
        ("who else is in the buying group Question mark", "who else is in the buying group?"),
        ("what happens if legal stalls question mark ok", "what happens if legal stalls? ok"),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected
    assert normalize(expected) == expected


def _types(rules: RuleSet, text: str) -> list[str]:
    return [m.type for m in classify_message(MessageContext(text, "manager", "rep", "deal"), rules)]


def test_default_rules_compile_and_round_trip() -> None:
    rebuilt = ruleset_from_dict(default_rules().to_dict())
    assert [r.id for r in rebuilt.rules] == [r.id for r in default_rules().rules]
    assert rebuilt.rules == default_rules().rules
    assert _types(rebuilt, "leave it with me") == ["thread_takeover"]


@pytest.mark.parametrize(
    ("overrides", "text", "expected"),
    [
        ({}, "leave it with me", ["thread_takeover"]),
        ({"rules": {"takeover.leave_with_me": {"enabled": False}}}, "leave it with me", []),
        ({"rules": {"takeover.leave_with_me": {"weight": 0.3}}}, "leave it with me", []),
        ({"thresholds": {"thread_takeover": 1.0}}, "I've got this", []),
        ({"thresholds": {"thread_takeover": 0.9}}, "I've got this", ["thread_takeover"]),
        ({}, "I'll wrangle the CFO", []),
        (
            {"rules": {"takeover.first_person_own": {"add_phrases": ["I'll wrangle"]}}},
            "I'll wrangle the CFO",
            ["thread_takeover"],
        ),
        (
            {"rules": {"deal.commit_deliverable": {"add_patterns": [r"\bimpl\b"]}}},
            "I'll build the implementation timeline",
            [],
        ),
        (
            {"vocab": {"deal_noun": {"add": ["implementation timeline"]}}},
            "I'll build the implementation timeline",
            ["deal_commitment"],
        ),
        (
            {
                "rules": {
                    "takeover.leave_with_me": {"context": {"channel_kinds": ["deal", "other"]}}
                }
            },
            "leave it with me",
            ["thread_takeover"],
        ),
        (
            {
                "types": {"escalation": "doing"},
                "add_rules": [
                    {
                        "id": "custom.exec",
                        "type": "escalation",
                        "phrases": ["escalating to our CEO"],
                    }
                ],
            },
            "escalating to our CEO now",
            ["escalation"],
        ),
        # in "{anchor}a|b" only "a" is tied to the anchor; "b" matches anywhere
        (
            {
                "types": {"escalation": "doing"},
                "add_rules": [
                    {
                        "id": "custom.alt",
                        "type": "escalation",
                        "patterns": [r"{i_will} wrangle\b|\bwrangled them\b"],
                    }
                ],
            },
            "honestly we wrangled them",
            ["escalation"],
        ),
    ],
)
def test_overrides_change_behaviour(
    overrides: dict[str, Any], text: str, expected: list[str]
) -> None:
    assert _types(default_rules().with_overrides(overrides), text) == expected


def test_overrides_accept_json_text_and_leave_defaults_untouched() -> None:
    rules = load_rules(json.dumps({"rules": {"takeover.leave_with_me": {"enabled": False}}}))
    assert _types(rules, "leave it with me") == []
    assert _types(default_rules(), "leave it with me") == ["thread_takeover"]
    assert load_rules() is default_rules()


def test_context_override_applies_to_the_other_channel() -> None:
    rules = default_rules().with_overrides(
        {"rules": {"takeover.leave_with_me": {"context": {"channel_kinds": ["deal", "other"]}}}}
    )
    ctx = MessageContext("leave it with me", "manager", "rep", "other")
    assert [m.rule for m in classify_message(ctx, rules)] == ["takeover.leave_with_me"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        (
            {"rules": {"takeover.leave_with_me": {"weight": 2}}},
            "rules.takeover.leave_with_me.weight",
        ),
        (
            {"rules": {"takeover.leave_with_me": {"weight": "x"}}},
            "rules.takeover.leave_with_me.weight",
        ),
        (
            {"rules": {"takeover.leave_with_me": {"enabled": "no"}}},
            "rules.takeover.leave_with_me.enabled",
        ),
        ({"rules": {"nope": {"enabled": False}}}, "rules.nope"),
        (
            {"rules": {"takeover.leave_with_me": {"colour": 1}}},
            "rules.takeover.leave_with_me.colour",
        ),
        (
            {"rules": {"takeover.leave_with_me": {"add_patterns": ["(unclosed"]}}},
            "rules.takeover.leave_with_me.patterns[2]",
        ),
        # patterns the speed rewrite reads but `re` rejects: found when their alternation
        # fails to compile, then named by compiling each pattern on its own
        (
            {"rules": {"takeover.leave_with_me": {"add_patterns": ["a{2,1}"]}}},
            "rules.takeover.leave_with_me.patterns[2]",
        ),
        (
            {"rules": {"coach.think_prompt": {"add_patterns": ["{i_will}(?<=a+)b"]}}},
            "rules.coach.think_prompt.patterns[31]",
        ),
        (
            {"rules": {"takeover.leave_with_me": {"add_negations": ["[z-a]"]}}},
            "rules.takeover.leave_with_me.negations[1]",
        ),
        # unbalanced on its own, balanced with its neighbour: still rejected
        (
            {"rules": {"takeover.leave_with_me": {"add_patterns": ["x)(?:y", "z"]}}},
            "rules.takeover.leave_with_me.patterns[2]",
        ),
        (
            {"rules": {"takeover.leave_with_me": {"add_patterns": ["{no_such_word}"]}}},
            "rules.takeover.leave_with_me.patterns[2]",
        ),
        (
            {"rules": {"takeover.leave_with_me": {"add_phrases": "one"}}},
            "rules.takeover.leave_with_me.add_phrases",
        ),
        (
            {"rules": {"takeover.leave_with_me": {"add_phrases": [""]}}},
            "rules.takeover.leave_with_me.add_phrases[0]",
        ),
        (
            {"rules": {"takeover.leave_with_me": {"negation_window": -1}}},
            "rules.takeover.leave_with_me.negation_window",
        ),
        (
            {"rules": {"takeover.leave_with_me": {"mood": "sad"}}},
            "rules.takeover.leave_with_me.mood",
        ),
        (
            {"rules": {"takeover.leave_with_me": {"context": {"channel_kinds": ["slack"]}}}},
            "rules.takeover.leave_with_me.context.channel_kinds",
        ),
        (
            {"rules": {"takeover.leave_with_me": {"context": {"author_roles": ["ceo"]}}}},
            "rules.takeover.leave_with_me.context.author_roles",
        ),
        ({"thresholds": {"thread_takeover": -0.1}}, "thresholds.thread_takeover"),
        ({"thresholds": {"made_up": 0.5}}, "thresholds.made_up"),
        ({"vocab": {"deal_noun": {"add": [3]}}}, "vocab.deal_noun.add[0]"),
        ({"vocab": {"neg": "(bad"}}, "vocab.neg"),
        ({"vocab": {"nothing_here": {"add": ["x"]}}}, "vocab.nothing_here"),
        ({"add_rules": [{"id": "x.y", "type": "nope", "phrases": ["a"]}]}, "rules.x.y.type"),
        ({"add_rules": [{"id": "Bad Id", "type": "hand_back"}]}, "add_rules[0].id"),
        ({"add_rules": [{"id": "x.empty", "type": "hand_back"}]}, "rules.x.empty.patterns"),
        (
            {
                "add_rules": [
                    {"id": "takeover.leave_with_me", "type": "hand_back", "phrases": ["a"]}
                ]
            },
            "rules.takeover.leave_with_me",
        ),
        ({"surprise": True}, "surprise"),
    ],
)
def test_invalid_overrides_name_the_bad_field(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(RuleConfigError) as info:
        default_rules().with_overrides(overrides)
    assert field in info.value.fields
    assert field in str(info.value)


def test_invalid_json_override() -> None:
    with pytest.raises(RuleConfigError) as info:
        default_rules().with_overrides("{not json")
    assert info.value.fields == ("$",)


def test_every_error_is_reported_at_once() -> None:
    with pytest.raises(RuleConfigError) as info:
        default_rules().with_overrides(
            {"thresholds": {"thread_close": 9}, "rules": {"takeover.claim": {"weight": -1}}}
        )
    assert set(info.value.fields) == {"thresholds.thread_close", "rules.takeover.claim.weight"}
