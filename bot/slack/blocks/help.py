"""`/enabler help`: built from the same command table that dispatches, so it never lies."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.slack.blocks.common import Block, context, divider, header, section


@dataclass(frozen=True)
class CommandHelp:
    usage: str
    summary: str


def build_help(
    commands: Sequence[CommandHelp], *, audience: str, problem: str | None = None
) -> list[Block]:
    blocks: list[Block] = []
    if problem:
        blocks.append(section(f":warning: {problem}"))
    blocks.append(header("Enabler: help your reps win, without doing their deals"))
    blocks.append(
        section(
            "Enabler notices when you step into a rep's deal and offers an enabling "
            "alternative, privately and only to you. _Is it more important that I do the "
            "work, or that the work gets done?_"
        )
    )
    blocks.append(divider())
    lines = [f"`/enabler {c.usage}`  {c.summary}" for c in commands]
    blocks.append(section("\n".join(lines) if lines else "No commands are available to you yet."))
    if audience == "unknown":
        blocks.append(
            context("You're not on Enabler's roster yet. Ask your sales ops team to add you.")
        )
    else:
        blocks.append(context("Replies to these commands are visible only to you."))
    return blocks
