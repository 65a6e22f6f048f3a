"""Block Kit validation: what Slack accepts passes, what Slack rejects is named."""

from __future__ import annotations

from typing import Any

import pytest

from bot.devtools.blockkit import validate_message_blocks, validate_view


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def section(text: str = "hello", **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": mrkdwn(text), **extra}


def button(action_id: str, text: str = "Go", **extra: Any) -> dict[str, Any]:
    return {"type": "button", "text": plain(text), "action_id": action_id, **extra}


def actions(*elements: dict[str, Any], block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "actions", "elements": list(elements)}
    if block_id is not None:
        block["block_id"] = block_id
    return block


def text_input(action_id: str, block_id: str = "in") -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "label": plain("Notes"),
        "element": {"type": "plain_text_input", "action_id": action_id, "multiline": True},
    }


def modal(*blocks: dict[str, Any], **extra: Any) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": "coach",
        "title": plain("Coach instead"),
        "submit": plain("Save"),
        "close": plain("Cancel"),
        "blocks": list(blocks),
    }
    view.update(extra)
    return view


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text), "value": value}


GOOD_MESSAGES: list[tuple[str, list[Any]]] = [
    ("empty list", []),
    ("one section", [section()]),
    ("section at the 3000 limit", [section("x" * 3000)]),
    ("fields only", [{"type": "section", "fields": [mrkdwn("*a*"), plain("b")]}]),
    ("header at 150", [{"type": "header", "text": plain("h" * 150)}]),
    ("divider and context", [{"type": "divider"}, {"type": "context", "elements": [mrkdwn("c")]}]),
    ("button at 75", [actions(button("a", "b" * 75))]),
    ("same action_id in two blocks", [actions(button("a")), actions(button("a"))]),
    ("50 blocks", [section(str(i)) for i in range(50)]),
    (
        "static select",
        [
            actions(
                {
                    "type": "static_select",
                    "action_id": "snooze",
                    "placeholder": plain("Snooze"),
                    "options": [option("1 day", "1d"), option("3 days", "3d")],
                }
            )
        ],
    ),
    ("accessory button", [section(accessory=button("why", "Why?"))]),
    ("button styles", [actions(button("a", style="primary"), button("b", style="danger"))]),
]

BAD_MESSAGES: list[tuple[str, Any, str]] = [
    ("not a list", {"type": "section"}, "must be a list"),
    ("51 blocks", [section(str(i)) for i in range(51)], "limit is 50"),
    ("unknown block type", [{"type": "carousel_of_doom"}], "unknown block type"),
    ("section text over 3000", [section("x" * 3001)], "limit is 3000"),
    ("section without text", [{"type": "section"}], "needs text or fields"),
    ("11 fields", [{"type": "section", "fields": [plain("f")] * 11}], "limit is 10"),
    ("header in mrkdwn", [{"type": "header", "text": mrkdwn("h")}], "must be plain_text"),
    ("header over 150", [{"type": "header", "text": plain("h" * 151)}], "limit is 150"),
    ("button text over 75", [actions(button("a", "b" * 76))], "limit is 75"),
    (
        "button text in mrkdwn",
        [actions({"type": "button", "text": mrkdwn("x"), "action_id": "a"})],
        "must be plain_text",
    ),
    ("empty text", [section("")], "non-empty"),
    ("bad text type", [{"type": "section", "text": {"type": "html", "text": "x"}}], "plain_text"),
    ("duplicate action_id in a block", [actions(button("a"), button("a"))], "duplicate action_id"),
    (
        "duplicate block_id",
        [actions(button("a"), block_id="x"), actions(button("b"), block_id="x")],
        "duplicate block_id",
    ),
    ("block_id over 255", [section(block_id="b" * 256)], "limit is 255"),
    ("empty actions", [actions()], "non-empty list"),
    ("26 action elements", [actions(*[button(f"a{i}") for i in range(26)])], "limit is 25"),
    ("bad button style", [actions(button("a", style="green"))], "'primary' or 'danger'"),
    ("unknown element", [actions({"type": "slider", "action_id": "s"})], "unknown element"),
    (
        "overflow with 6 options",
        [
            actions(
                {
                    "type": "overflow",
                    "action_id": "o",
                    "options": [option(str(i), str(i)) for i in range(6)],
                }
            )
        ],
        "limit is 5",
    ),
    (
        "select option text in mrkdwn",
        [
            actions(
                {
                    "type": "static_select",
                    "action_id": "s",
                    "placeholder": plain("p"),
                    "options": [{"text": mrkdwn("x"), "value": "x"}],
                }
            )
        ],
        "must be plain_text",
    ),
    ("block is a string", ["section"], "must be a block object"),
    # A limit only slack_sdk's own validators know about (video needs a thumbnail).
    (
        "video without thumbnail",
        [{"type": "video", "alt_text": "a", "title": plain("t"), "video_url": "https://v"}],
        "thumbnail_url",
    ),
]


@pytest.mark.parametrize(("name", "blocks"), GOOD_MESSAGES, ids=[c[0] for c in GOOD_MESSAGES])
def test_valid_message_blocks_pass(name: str, blocks: list[Any]) -> None:
    assert validate_message_blocks(blocks) == []


@pytest.mark.parametrize(
    ("name", "blocks", "expected"), BAD_MESSAGES, ids=[c[0] for c in BAD_MESSAGES]
)
def test_invalid_message_blocks_are_named(name: str, blocks: Any, expected: str) -> None:
    problems = validate_message_blocks(blocks)
    assert problems, f"{name} should be rejected"
    assert any(expected in p for p in problems), problems


GOOD_VIEWS: list[tuple[str, dict[str, Any]]] = [
    ("simple modal", modal(section())),
    ("modal title at 24", modal(section(), title=plain("t" * 24))),
    ("modal with input", modal(text_input("notes"))),
    ("home", {"type": "home", "blocks": [section(), actions(button("a"))]}),
    ("100 blocks", modal(*[section(str(i)) for i in range(100)])),
    ("modal without submit and no inputs", {"type": "modal", "title": plain("t"), "blocks": []}),
    ("private_metadata at 3000", modal(section(), private_metadata="m" * 3000)),
]

BAD_VIEWS: list[tuple[str, Any, str]] = [
    ("not a dict", ["modal"], "must be an object"),
    ("unknown type", {"type": "dialog", "blocks": []}, "'modal' or 'home'"),
    ("modal title over 24", modal(section(), title=plain("t" * 25)), "limit is 24"),
    ("modal without title", {"type": "modal", "blocks": [section()]}, "view.title: is required"),
    ("modal title in mrkdwn", modal(section(), title=mrkdwn("t")), "must be plain_text"),
    ("submit over 24", modal(section(), submit=plain("s" * 25)), "view.submit"),
    ("input without submit", modal(text_input("n"), submit=None), "needs a submit"),
    ("101 blocks", modal(*[section(str(i)) for i in range(101)]), "limit is 100"),
    (
        "duplicate action_id across the view",
        modal(actions(button("a")), actions(button("a"))),
        "duplicate action_id 'a' in this view",
    ),
    (
        "duplicate block_id",
        modal(text_input("x", block_id="b"), text_input("y", block_id="b")),
        "duplicate block_id",
    ),
    ("home with submit", {"type": "home", "submit": plain("s"), "blocks": []}, "home tab"),
    ("no blocks key", {"type": "home"}, "view.blocks: is required"),
    ("private_metadata over 3000", modal(section(), private_metadata="m" * 3001), "3000"),
    ("callback_id over 255", modal(section(), callback_id="c" * 256), "limit is 255"),
    (
        "input without label",
        modal({"type": "input", "element": {"type": "plain_text_input", "action_id": "a"}}),
        "label: is required",
    ),
    ("bad block inside", modal({"type": "header", "text": plain("h" * 151)}), "limit is 150"),
]


@pytest.mark.parametrize(("name", "view"), GOOD_VIEWS, ids=[c[0] for c in GOOD_VIEWS])
def test_valid_views_pass(name: str, view: dict[str, Any]) -> None:
    assert validate_view(view) == []


@pytest.mark.parametrize(("name", "view", "expected"), BAD_VIEWS, ids=[c[0] for c in BAD_VIEWS])
def test_invalid_views_are_named(name: str, view: Any, expected: str) -> None:
    problems = validate_view(view)
    assert problems, f"{name} should be rejected"
    assert any(expected in p for p in problems), problems


def test_problems_carry_the_path_to_the_offending_element() -> None:
    blocks = [section(), actions(button("ok"), button("long", "x" * 80))]
    assert validate_message_blocks(blocks) == [
        "blocks[1].elements[1].text: text is 80 characters; the limit is 75"
    ]


def test_validation_does_not_modify_its_input() -> None:
    blocks = [section(accessory=button("why")), actions(button("a"))]
    before = repr(blocks)
    validate_message_blocks(blocks)
    assert repr(blocks) == before
