"""App Home tabs, one builder per audience. Pure: data in, a `home` view out."""

from __future__ import annotations

from typing import Any

from bot.services.home import HomeData
from bot.slack import ids
from bot.slack.blocks.coaching import home_sections as coaching_home_sections
from bot.slack.blocks.common import Block, actions, button, context, divider, header, section, user
from bot.slack.blocks.nudges import home_sections as nudge_home_sections
from bot.slack.blocks.schedules import home_sections as prompt_home_sections


def build_home(data: HomeData) -> dict[str, Any]:
    builders = {
        "rep": _rep,
        "manager": _manager,
        "second_line": _second_line,
        "sales_ops": _sales_ops,
        "unknown": _unknown,
    }
    blocks = builders[data.member.audience](data)
    blocks.extend(nudge_home_sections(data.nudges))
    blocks.extend(coaching_home_sections(data.coaching))
    blocks.extend(prompt_home_sections(data.prompts))
    blocks.append(divider())
    blocks.append(
        actions(
            button("Help", ids.ACTION_HOME_HELP),
            button("Refresh", ids.ACTION_HOME_REFRESH),
            block_id="home_footer",
        )
    )
    return {"type": "home", "blocks": blocks[:100]}


def _greeting(data: HomeData) -> str:
    name = data.member.name.split()[0] if data.member.name else user(data.member.user_id)
    return f"Hi {name}"


def _rep(data: HomeData) -> list[Block]:
    return [
        header(f"{_greeting(data)} 👋"),
        section(
            "This is your space for growing as a seller: ask your manager for coaching, "
            "see your action items and your development plan."
        ),
        context(f"Your manager: {user(data.member.manager_id) if data.member.manager_id else '—'}"),
    ]


def _nobody_yet(data: HomeData) -> list[Block]:
    """Each report gets a card further down; say so when the roster has none yet."""
    if data.reports:
        return []
    return [context("No one reports to you on the roster yet. Ask your sales ops team.")]


def _manager(data: HomeData) -> list[Block]:
    return [
        header(f"{_greeting(data)} — your week as a coach"),
        section(
            "*Is it more important that I do the work, or that the work gets done?*\n"
            "Enabler nudges you, privately, when you step into a rep's deal, and counts the "
            "times you enable instead."
        ),
        *_nobody_yet(data),
    ]


def _second_line(data: HomeData) -> list[Block]:
    return [
        header(f"{_greeting(data)} — your managers"),
        section(
            "You see, per first-line manager, how their coaching is going: 1:1 coverage, "
            "coaching requests met, development plans. Never their private notes or nudges."
        ),
        *_nobody_yet(data),
    ]


def _sales_ops(data: HomeData) -> list[Block]:
    counts = data.roster_counts
    roster = ", ".join(f"{n} {role}s" for role, n in sorted(counts.items())) or "empty"
    patterns = ", ".join(f"`{p}`" for p in data.deal_channel_patterns) or "_none yet_"
    return [
        header(f"{_greeting(data)} — Enabler setup"),
        section(f"*Roster:* {roster}\n*Deal channels watched:* {patterns}"),
        context(
            "Load the roster with `enabler roster import roster.csv` and mark deal channels with "
            "`enabler channels add deal-*` on the server."
        ),
    ]


def _unknown(data: HomeData) -> list[Block]:
    return [
        header("Welcome to Enabler"),
        section(
            "Enabler helps sales managers coach their reps instead of doing their deals. "
            "You're not on the roster yet, so there's nothing here for you. "
            "Ask your sales ops team to add you."
        ),
    ]
