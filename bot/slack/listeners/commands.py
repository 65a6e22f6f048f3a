"""`/enabler <subcommand>`: one table says who may run what and what it does.

Add a subcommand by adding a `Subcommand` to `SUBCOMMANDS`; help is generated from the same table.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.services.people import Member, resolve
from bot.slack import ids
from bot.slack.blocks.help import CommandHelp, build_help
from bot.slack.deps import Deps, UserError
from bot.slack.listeners import coaching, rules
from bot.slack.listeners import nudges as nudges_listener
from bot.slack.listeners._safety import failure_text

EVERYONE = frozenset({"rep", "manager", "second_line", "sales_ops", "unknown"})
ON_ROSTER = frozenset({"rep", "manager", "second_line", "sales_ops"})
MANAGERS = frozenset({"manager", "second_line"})
SALES_OPS = frozenset({"sales_ops"})


@dataclass(frozen=True)
class Reply:
    text: str
    blocks: list[dict[str, Any]] | None = None


@dataclass
class CommandContext:
    deps: Deps
    workspace_id: str
    user_id: str
    channel_id: str
    trigger_id: str
    args: list[str]
    raw_args: str
    member: Member
    client: WebClient
    respond: Respond


Handler = Callable[[CommandContext], Reply | None]


@dataclass(frozen=True)
class Subcommand:
    name: str
    usage: str
    summary: str
    audiences: frozenset[str]
    handler: Handler
    # Slow handlers are acked first and answer through the response_url.
    slow: bool = False
    aliases: tuple[str, ...] = field(default=())


def _help(ctx: CommandContext) -> Reply:
    return help_reply(ctx.member.audience)


def help_reply(audience: str, problem: str | None = None) -> Reply:
    visible = [
        CommandHelp(c.usage, c.summary) for c in SUBCOMMANDS.values() if audience in c.audiences
    ]
    return Reply(
        text="Enabler help", blocks=build_help(visible, audience=audience, problem=problem)
    )


SUBCOMMANDS: dict[str, Subcommand] = {
    "help": Subcommand(
        "help", "help", "what Enabler does and the commands you can use", EVERYONE, _help
    ),
    # Detection (sales ops): handler in listeners/rules.py.
    "rules": Subcommand(
        "rules",
        'rules test "text"',
        "see which signals a sentence would produce with the live rules",
        SALES_OPS,
        rules.rules_command,
        # a workspace's own rules compile in a few seconds when first used after a change
        slow=True,
    ),
    # One-on-ones, coaching, privacy (issue 6): handlers in listeners/coaching.py.
    "coach": Subcommand(
        "coach",
        "coach",
        "ask your manager for a coaching session",
        frozenset({"rep", "manager", "second_line"}),
        coaching.coach_command,
    ),
    "1on1": Subcommand(
        "1on1",
        "1on1 @rep",
        "log a one-on-one with one of your reps",
        MANAGERS,
        coaching.one_on_one_command,
        aliases=("1:1", "oneonone"),
    ),
    "privacy": Subcommand(
        "privacy",
        "privacy",
        "see what Enabler stores about you",
        EVERYONE,
        coaching.privacy_command,
    ),
    # Nudges (issue 4): handlers in listeners/nudges.py.
    "why": Subcommand(
        "why",
        "why",
        "see your last nudge: the rules that noticed it, links and times",
        MANAGERS,
        nudges_listener.why_command,
    ),
    "snooze": Subcommand(
        "snooze",
        "snooze 3d | today | this week | off",
        "pause nudges and reflection prompts for a while",
        ON_ROSTER,
        nudges_listener.snooze_command,
    ),
    "nudges": Subcommand(
        "nudges",
        "nudges off | on | unmute",
        "turn your nudges off or on, or unmute channels",
        MANAGERS,
        nudges_listener.nudges_command,
    ),
}


def parse(text: str) -> tuple[str, list[str]]:
    """Split the command text like a shell would, tolerating Slack's escaping and bad quotes."""
    text = (text or "").strip()
    try:
        words = shlex.split(text)
    except ValueError:  # unbalanced quotes: fall back to whitespace
        words = text.split()
    if not words:
        return "help", []
    return words[0].lower(), words[1:]


def lookup(name: str) -> Subcommand | None:
    if name in SUBCOMMANDS:
        return SUBCOMMANDS[name]
    for command in SUBCOMMANDS.values():
        if name in command.aliases:
            return command
    return None


def register(app: App, deps: Deps) -> None:
    @app.command(ids.COMMAND)
    def enabler_command(
        ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        deps.metrics.requests.labels(kind="command").inc()
        name, args = parse(body.get("text", ""))
        workspace_id = body.get("team_id", "")
        user_id = body.get("user_id", "")
        acked = False
        try:
            with deps.uow() as tx:
                member = resolve(tx, workspace_id, user_id)
            command = lookup(name)
            if command is None:
                deps.metrics.rejections.labels(reason="unknown_subcommand").inc()
                unknown = help_reply(
                    member.audience, problem=f"I don't know `{name[:40]}`. Here's what I can do:"
                )
                ack(text=unknown.text, blocks=unknown.blocks, response_type="ephemeral")
                return
            if member.audience not in command.audiences:
                deps.metrics.rejections.labels(reason="forbidden").inc()
                ack(
                    text=f"`/enabler {command.name}` is for {_who(command.audiences)}. "
                    "Try `/enabler help` to see what you can do.",
                    response_type="ephemeral",
                )
                return
            ctx = CommandContext(
                deps=deps,
                workspace_id=workspace_id,
                user_id=user_id,
                channel_id=body.get("channel_id", ""),
                trigger_id=body.get("trigger_id", ""),
                args=args,
                raw_args=(body.get("text", "") or "").strip()[len(name) :].strip(),
                member=member,
                client=client,
                respond=respond,
            )
            if command.slow:
                ack()
                acked = True
            reply = command.handler(ctx)
            if acked:
                if reply is not None:
                    respond(text=reply.text, blocks=reply.blocks, response_type="ephemeral")
            elif reply is not None:
                ack(text=reply.text, blocks=reply.blocks, response_type="ephemeral")
            else:
                ack()
        except Exception as exc:
            text = failure_text(deps, exc, where=f"command:{name}", user=user_id)
            if acked:
                respond(text=text, response_type="ephemeral")
            else:
                ack(text=text, response_type="ephemeral")


def _who(audiences: frozenset[str]) -> str:
    names = {
        "rep": "reps",
        "manager": "managers",
        "second_line": "second-line managers",
        "sales_ops": "sales ops",
    }
    return " and ".join(names[a] for a in sorted(audiences) if a in names)


__all__ = ["UserError"]
