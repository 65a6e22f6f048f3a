"""Small Block Kit builders shared by every surface. Pure functions returning dicts."""

from __future__ import annotations

from typing import Any

Block = dict[str, Any]

SECTION_TEXT_LIMIT = 3000


def plain(text: str, *, emoji: bool = True) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": emoji}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text[:150])}


def section(
    text: str, *, accessory: dict[str, Any] | None = None, block_id: str | None = None
) -> Block:
    if len(text) > SECTION_TEXT_LIMIT:
        text = text[: SECTION_TEXT_LIMIT - 1] + "…"
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if accessory is not None:
        block["accessory"] = accessory
    if block_id is not None:
        block["block_id"] = block_id
    return block


def fields(*items: str) -> Block:
    return {"type": "section", "fields": [mrkdwn(i) for i in items[:10]]}


def context(*items: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(i) for i in items[:10]]}


def divider() -> Block:
    return {"type": "divider"}


def button(
    text: str,
    action_id: str,
    *,
    value: str | None = None,
    style: str | None = None,
    url: str | None = None,
) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "button", "text": plain(text[:75]), "action_id": action_id}
    if value is not None:
        element["value"] = value[:2000]
    if style in ("primary", "danger"):
        element["style"] = style
    if url is not None:
        element["url"] = url
    return element


def overflow(action_id: str, options: list[tuple[str, str]]) -> dict[str, Any]:
    """A "⋯" menu: (label, value) options, at most five (Slack's limit)."""
    return {
        "type": "overflow",
        "action_id": action_id,
        "options": [{"text": plain(text[:75]), "value": value[:75]} for text, value in options[:5]],
    }


def actions(*elements: dict[str, Any], block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements[:25])}
    if block_id is not None:
        block["block_id"] = block_id
    return block


def user(user_id: str) -> str:
    return f"<@{user_id}>"


def permalink_text(label: str, url: str | None) -> str:
    return f"<{url}|{label}>" if url else label
