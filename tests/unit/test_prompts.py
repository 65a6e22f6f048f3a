from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.prompts import (
    CONTEXT_KEYS,
    Condition,
    Mode,
    Prompt,
    PromptError,
    PromptLibrary,
    choose_prompt,
    load_library,
    prompt_from_mapping,
    render,
    validate_selection,
)

LIBRARY = load_library()
PLAIN_IDS = {p.id for p in LIBRARY.active if not p.requires}
FULL_CONTEXT: dict[str, object] = {
    "manager_name": "Alex",
    "rep_name": "Sam",
    "deal_name": "Acme renewal",
    "call_join_count": 3,
    "takeover_count": 4,
    "doing_count": 7,
    "enabling_count": 2,
    "coaching_question_count": 5,
    "handback_count": 2,
    "justified_count": 2,
    "one_on_one_count": 3,
    "overdue_one_on_one_count": 2,
    "team_message_count": 4,
    "open_coaching_requests": 1,
    "rep_count": 6,
    "reps_without_plan": 2,
}
THEMES = {
    "doing_vs_enabling",
    "individual_paths",
    "what_good_looks_like",
    "removing_obstacles",
    "knowing_the_why",
    "one_on_one_first",
    "delegation_systems",
    "hiring",
    "coaching_vs_telling",
    "development_plans",
}


def sequence(
    library: PromptLibrary,
    n: int,
    *,
    mode: Mode = "rotation",
    tag: str | None = None,
    fixed_ids: Sequence[str] = (),
    context: Mapping[str, object] | None = None,
    seed: str = "T1:U1:S1",
    history: Sequence[str] = (),
) -> list[str]:
    sent = list(history)
    for _ in range(n):
        prompt = choose_prompt(
            library,
            mode=mode,
            tag=tag,
            fixed_ids=fixed_ids,
            already_sent_ids=sent,
            context=context or {},
            seed=seed,
        )
        sent.append(prompt.id)
    return sent[len(history) :]


# ------------------------------------------------------------------ the shipped library


def test_library_is_big_grounded_and_covers_every_theme() -> None:
    assert len(LIBRARY.active) >= 48
    texts = {p.text for p in LIBRARY.prompts}
    assert "Is it more important that I do the work, or that the work gets done?" in texts
    for theme in THEMES:
        assert sum(theme in p.tags for p in LIBRARY.prompts) >= 4, theme
    assert LIBRARY.tags == THEMES
    assert sum(1 for p in LIBRARY.prompts if p.template) >= 8


def test_every_template_renders_fully_and_plain_text_stands_alone() -> None:
    for prompt in LIBRARY.prompts:
        assert "{" not in prompt.text
        rendered = render(prompt, FULL_CONTEXT)
        assert "{" not in rendered
        assert "}" not in rendered
        if prompt.template is not None:
            assert prompt.fits(FULL_CONTEXT), prompt.id
            assert rendered != prompt.text
        assert render(prompt, {}) == prompt.text


def test_shipped_file_ids_are_unique_slugs() -> None:
    raw = resources.files("bot.domain").joinpath("data/prompts.json").read_text("utf-8")
    ids = [p["id"] for p in json.loads(raw)["prompts"]]
    assert len(ids) == len(set(ids))


def test_example_from_the_issue() -> None:
    prompt = LIBRARY.get("call-join-next-one")
    assert prompt is not None
    assert render(prompt, {"rep_name": "Sam", "call_join_count": 3}) == (
        "You joined 3 of Sam's calls this week — what would it take for Sam to run the next one?"
    )
    # One joined call is not a pattern: the condition says at least two.
    assert not prompt.fits({"rep_name": "Sam", "call_join_count": 1})


# ------------------------------------------------------------------ definitions


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"id": "Bad Id", "text": "x"}, "must be a lowercase slug"),
        ({"id": "ok", "text": "  "}, "text is empty"),
        ({"id": "ok", "text": "x" * 501}, "over 500 characters"),
        ({"id": "ok", "text": "Hi {rep_name}"}, "plain text can't contain"),
        ({"id": "ok", "text": "x", "tags": ["Bad Tag"]}, "must be lowercase_snake_case"),
        ({"id": "ok", "text": "x", "tags": "doing"}, "tags must be a list of strings"),
        (
            {"id": "ok", "text": "x", "template": "{rep_nam}", "requires": ["rep_name"]},
            "unknown placeholder \\{rep_nam\\}",
        ),
        ({"id": "ok", "text": "x", "template": "{rep_name}"}, "must also be listed in 'requires'"),
        (
            {"id": "ok", "text": "x", "template": "{rep_name.__class__}", "requires": ["rep_name"]},
            "unknown placeholder",
        ),
        (
            {"id": "ok", "text": "x", "template": "{rep_name!r}", "requires": ["rep_name"]},
            "unknown placeholder",
        ),
        ({"id": "ok", "text": "x", "requires": ["call_join_count >> 2"]}, "can't read condition"),
        ({"id": "ok", "text": "x", "requires": ["mood"]}, "unknown context name 'mood'"),
        ({"id": "ok", "text": "x", "colour": "red"}, "unknown prompt field\\(s\\): colour"),
        ({"text": "x"}, "needs an 'id' and a 'text'"),
        ({"id": "ok", "text": "x", "template": 3}, "template must be a string"),
    ],
)
def test_prompt_validation(data: dict[str, object], message: str) -> None:
    with pytest.raises(PromptError, match=message):
        prompt_from_mapping(data)


@pytest.mark.parametrize(
    ("condition", "context", "holds"),
    [
        ("rep_name", {"rep_name": "Sam"}, True),
        ("rep_name", {"rep_name": ""}, False),
        ("rep_name", {}, False),
        ("takeover_count", {"takeover_count": 0}, False),
        ("takeover_count", {"takeover_count": 1}, True),
        ("takeover_count", {"takeover_count": True}, False),
        ("call_join_count>=2", {"call_join_count": 2}, True),
        ("call_join_count>=2", {"call_join_count": 1}, False),
        ("call_join_count >= 2", {"call_join_count": "2"}, False),
        ("doing_count<3", {"doing_count": 2}, True),
        ("doing_count==0", {"doing_count": 0}, True),
        ("doing_count!=0", {"doing_count": 0}, False),
        ("doing_count>0", {"doing_count": 1.5}, True),
    ],
)
def test_conditions(condition: str, context: dict[str, object], holds: bool) -> None:
    assert Condition.parse(condition).holds(context) is holds


def test_context_keys_documented() -> None:
    assert all(isinstance(v, str) and v for v in CONTEXT_KEYS.values())


# ------------------------------------------------------------------ custom prompts


def test_custom_prompts_added_edited_and_retired() -> None:
    library = load_library(
        [
            {
                "id": "ops-pipeline-review",
                "text": "Which deal would you coach, not close?",
                "tags": ["coaching_vs_telling"],
            },
            {
                "id": "doing-or-getting-done",
                "text": "Do I need to do this, or does it need doing?",
                "tags": ["doing_vs_enabling"],
            },
        ],
        retired_ids={"hire-for-what"},
    )
    added = library.get("ops-pipeline-review")
    assert added is not None
    assert added.custom
    edited = library.get("doing-or-getting-done")
    assert edited is not None
    assert edited.text == "Do I need to do this, or does it need doing?"
    assert [p.id for p in library.prompts].index("doing-or-getting-done") == 0  # position kept
    retired = library.get("hire-for-what")
    assert retired is not None
    assert retired.retired
    assert "hire-for-what" not in {p.id for p in library.active}
    assert len(library.prompts) == len(LIBRARY.prompts) + 1


def test_custom_prompt_errors() -> None:
    with pytest.raises(PromptError, match="two custom prompts share an id"):
        load_library([{"id": "a", "text": "x"}, {"id": "a", "text": "y"}])
    with pytest.raises(PromptError, match="duplicate prompt id"):
        PromptLibrary((Prompt("a", "x"), Prompt("a", "y")))


# ------------------------------------------------------------------ choosing


def test_rotation_exhausts_the_plain_library_without_repeats_then_starts_over() -> None:
    n = len(PLAIN_IDS)
    first = sequence(LIBRARY, n)
    assert set(first) == PLAIN_IDS
    assert len(first) == len(set(first))
    second = sequence(LIBRARY, n, history=first)
    assert set(second) == PLAIN_IDS
    assert second != first  # a new cycle gets a new order


def test_rotation_is_deterministic_and_differs_per_seed() -> None:
    assert sequence(LIBRARY, 10, seed="a") == sequence(LIBRARY, 10, seed="a")
    assert sequence(LIBRARY, 10, seed="a") != sequence(LIBRARY, 10, seed="b")


def test_fitting_context_prompts_are_preferred_once_per_cycle() -> None:
    context = {"rep_name": "Sam", "call_join_count": 3}
    picks = sequence(LIBRARY, 3, context=context)
    assert picks[0] == "call-join-next-one"
    assert "call-join-next-one" not in picks[1:]
    assert all(p in PLAIN_IDS for p in picks[1:])


def test_history_outside_the_pool_is_ignored() -> None:
    picks = sequence(LIBRARY, 2, history=["deleted-prompt", "another-gone"])
    assert len(set(picks)) == 2


def test_tag_mode() -> None:
    picks = sequence(LIBRARY, 4, mode="tag", tag="hiring")
    assert sorted(picks) == sorted(p.id for p in LIBRARY.active if "hiring" in p.tags)
    assert sequence(LIBRARY, 1, mode="tag", tag="hiring", history=picks)[0] in picks
    with pytest.raises(PromptError, match="no active prompts are tagged 'golf'; tags in use"):
        sequence(LIBRARY, 1, mode="tag", tag="golf")
    with pytest.raises(PromptError, match="tag mode needs a tag"):
        sequence(LIBRARY, 1, mode="tag")


def test_fixed_mode_keeps_order_skips_retired_and_cycles() -> None:
    library = load_library(retired_ids={"stop-doing"})
    fixed = ["multiply-not-add", "stop-doing", "doing-or-getting-done", "multiply-not-add"]
    assert sequence(library, 5, mode="fixed", fixed_ids=fixed) == [
        "multiply-not-add",
        "doing-or-getting-done",
        "multiply-not-add",
        "doing-or-getting-done",
        "multiply-not-add",
    ]
    with pytest.raises(PromptError, match="unknown prompt id\\(s\\): nope"):
        sequence(library, 1, mode="fixed", fixed_ids=["nope"])
    with pytest.raises(PromptError, match="every prompt in the fixed list has been retired"):
        sequence(library, 1, mode="fixed", fixed_ids=["stop-doing"])


def test_only_context_prompts_fall_back_to_least_recently_sent() -> None:
    fixed = ["call-join-next-one", "deal-takeover-debrief"]
    context = {"rep_name": "Sam", "call_join_count": 2, "deal_name": "Acme"}
    assert sequence(LIBRARY, 4, mode="fixed", fixed_ids=fixed, context=context) == [
        "call-join-next-one",
        "deal-takeover-debrief",
        "call-join-next-one",
        "deal-takeover-debrief",
    ]
    with pytest.raises(PromptError, match="no prompt in this selection fits"):
        sequence(LIBRARY, 1, mode="fixed", fixed_ids=fixed)
    with pytest.raises(PromptError, match="include at least one plain prompt"):
        validate_selection(LIBRARY, mode="fixed", fixed_ids=fixed)
    validate_selection(LIBRARY, mode="tag", tag="hiring")


@settings(max_examples=40, deadline=None)
@given(
    seed=st.text(min_size=1, max_size=12),
    tag=st.sampled_from(sorted(THEMES)),
    draws=st.integers(min_value=1, max_value=30),
)
def test_no_repeat_before_the_plain_pool_is_exhausted(seed: str, tag: str, draws: int) -> None:
    plain = {p.id for p in LIBRARY.active if tag in p.tags and not p.requires}
    picks = sequence(LIBRARY, draws, mode="tag", tag=tag, seed=seed)
    for start in range(0, len(picks), len(plain)):
        chunk = picks[start : start + len(plain)]
        assert len(chunk) == len(set(chunk))
        assert set(chunk) <= plain


# ------------------------------------------------------------------ rendering


@pytest.mark.parametrize(
    ("template", "requires", "context", "expected"),
    [
        ("Hi {rep_name}", ("rep_name",), {"rep_name": "Sam"}, "Hi Sam"),
        ("Hi {rep_name}", ("rep_name",), {}, "plain"),
        ("Hi {rep_name}", ("rep_name",), {"rep_name": None}, "plain"),
        ("{{literal}} {rep_name}", ("rep_name",), {"rep_name": "Sam"}, "{literal} Sam"),
        ("{takeover_count} takeovers", ("takeover_count>=2",), {"takeover_count": 1}, "plain"),
        (
            "{takeover_count} takeovers",
            ("takeover_count>=2",),
            {"takeover_count": 2},
            "2 takeovers",
        ),
        (
            "{rep_name} {rep_name}",
            ("rep_name",),
            {"rep_name": "{deal_name}", "deal_name": "X"},
            "{deal_name} {deal_name}",
        ),  # values are not re-interpreted
    ],
)
def test_render(
    template: str, requires: tuple[str, ...], context: dict[str, object], expected: str
) -> None:
    prompt = Prompt(
        "t", "plain", template=template, requires=tuple(Condition.parse(r) for r in requires)
    )
    assert render(prompt, context) == expected


def test_render_never_raises_even_if_conditions_disagree_with_template() -> None:
    # Built directly (not validated through a mapping) with a condition that doesn't cover
    # the placeholder value being present: rendering still falls back instead of crashing.
    prompt = Prompt("t", "plain", template="{rep_name}", requires=(Condition("rep_name", ">=", 1),))
    assert render(prompt, {"rep_name": 5}) == "5"
    assert render(prompt, {"rep_name": "Sam"}) == "plain"
