"""The reflection prompt DM, its in-place confirmations, and the reflection modal. Pure."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bot.services.outbox import Message
from bot.services.reflection import (
    MAX_REFLECTION_CHARS,
    Closed,
    PromptCard,
    button_value,
)
from bot.slack import ids
from bot.slack.blocks.common import Block, actions, button, context, plain, section
from bot.slack.forms import Form, metadata

REFLECTION_BLOCK = "reflection"
REFLECTION_INPUT = "reflection_text"


def escape(text: str) -> str:
    """Slack mrkdwn control characters; prompt text is plain and may contain & < >."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_LEADS = {
    "prompt": None,
    "followup": "A gentle reminder — this one is still waiting for you:",
    "later": "Here it is again, as you asked:",
}


def build_prompt_blocks(card: PromptCard) -> list[Block]:
    value = button_value(card.occurrence_id, card.message_key)
    blocks: list[Block] = [context(f":thought_balloon: *{escape(card.schedule_name)}*")]
    lead = _LEADS[card.kind]
    if lead:
        blocks.append(section(lead))
    blocks.append(section(f"*{escape(card.prompt_text)}*", block_id="prompt"))
    blocks.append(
        actions(
            button("Answer", ids.ACTION_PROMPT_ANSWER, value=value, style="primary"),
            button("Skip", ids.ACTION_PROMPT_SKIP, value=value),
            button("Remind me in 2 hours", ids.ACTION_PROMPT_LATER, value=value),
            block_id="prompt_actions",
        )
    )
    blocks.append(context("A couple of minutes, just for you: only you can see your answers."))
    return blocks


_CLOSED = {
    "answered": ":white_check_mark: Reflected — thank you. Your answers live in your App Home, "
    "visible only to you.",
    "skipped": ":fast_forward: Skipped — no problem. See you next time.",
    "later": ":alarm_clock: OK — I'll bring this back at {detail}.",
    "gone": "This prompt is no longer available.",
}


def build_closed_blocks(card: PromptCard, outcome: Closed, detail: str | None) -> list[Block]:
    return [
        context(f":thought_balloon: *{escape(card.schedule_name)}*"),
        section(f"*{escape(card.prompt_text)}*", block_id="prompt"),
        context(_CLOSED[outcome].format(detail=detail or "later")),
    ]


class SlackPromptMessages:
    """Implements bot.services.reflection.PromptMessages with the builders above."""

    def prompt(self, card: PromptCard) -> Message:
        return Message(
            text=f"Time to reflect: {card.prompt_text}"[:3000], blocks=build_prompt_blocks(card)
        )

    def closed(self, card: PromptCard, outcome: Closed, detail: str | None) -> Message:
        label = _CLOSED[outcome].format(detail=detail or "later").split(" ", 1)[1]
        return Message(
            text=f"{label} ({card.prompt_text})"[:3000],
            blocks=build_closed_blocks(card, outcome, detail),
        )


PROMPT_MESSAGES = SlackPromptMessages()


def build_reflection_modal(card: PromptCard, *, previous_text: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": REFLECTION_INPUT,
        "multiline": True,
        "max_length": MAX_REFLECTION_CHARS,
        "placeholder": plain("A sentence or two is plenty."),
    }
    if previous_text:
        element["initial_value"] = previous_text
    return {
        "type": "modal",
        "callback_id": ids.VIEW_REFLECTION,
        "private_metadata": json.dumps(
            {"value": button_value(card.occurrence_id, card.message_key)}
        ),
        "title": plain("Reflect"),
        "submit": plain("Save"),
        "close": plain("Cancel"),
        "blocks": [
            section(f"*{escape(card.prompt_text)}*"),
            {
                "type": "input",
                "block_id": REFLECTION_BLOCK,
                "label": plain("Your reflection"),
                "element": element,
            },
            context(
                ":lock: Private: only you will ever see this — not your manager, not sales ops."
            ),
        ],
    }


def reflection_value(view: Mapping[str, Any]) -> tuple[str, str]:
    """(button value, typed text) from a submitted reflection modal."""
    value = str(metadata(view).get("value", ""))
    return value, Form(view).text(REFLECTION_BLOCK, REFLECTION_INPUT)
