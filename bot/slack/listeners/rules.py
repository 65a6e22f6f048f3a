"""`/enabler rules test …` for sales ops: try the live rules on a sentence, from Slack."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.domain.evaluation import ExampleError, classify_jsonl_line
from bot.domain.rules import CHANNEL_KINDS, ROLES
from bot.services import detection
from bot.slack.blocks.common import context, section
from bot.slack.deps import UserError

if TYPE_CHECKING:
    from bot.slack.listeners.commands import CommandContext, Reply

USAGE = (
    'Usage: `/enabler rules test "leave it with me, I\'ll call their CFO"` '
    "[--author-role manager|rep|sales_ops] [--thread-owner-role rep|manager|sales_ops] "
    "[--channel-kind deal|other|dm]"
)
FLAGS = {
    "--author-role": "author_role",
    "--thread-owner-role": "thread_owner_role",
    "--channel-kind": "channel_kind",
}


def rules_command(ctx: CommandContext) -> Reply:
    from bot.slack.listeners.commands import Reply

    if not ctx.args or ctx.args[0].lower() != "test":
        raise UserError(USAGE)
    options = {"author_role": "manager", "thread_owner_role": "rep", "channel_kind": "deal"}
    words: list[str] = []
    rest = ctx.args[1:]
    i = 0
    while i < len(rest):
        flag = rest[i].lower()
        if flag in FLAGS:
            if i + 1 >= len(rest):
                raise UserError(f"`{flag}` needs a value. {USAGE}")
            options[FLAGS[flag]] = rest[i + 1].lower()
            i += 2
            continue
        words.append(rest[i])
        i += 1
    text = " ".join(words).strip()
    if not text:
        raise UserError(USAGE)
    for key in ("author_role", "thread_owner_role"):
        if options[key] not in ROLES:
            raise UserError(f"`{options[key]}` is not a role: use one of {', '.join(ROLES)}.")
    if options["channel_kind"] not in CHANNEL_KINDS:
        raise UserError(f"Channel kind must be one of {', '.join(CHANNEL_KINDS)}.")
    with ctx.deps.uow() as tx:
        rules = detection.rules_for(tx, ctx.workspace_id)
    try:
        out = classify_jsonl_line({"text": text, **options}, rules)
    except ExampleError as exc:
        raise UserError(str(exc)) from None
    found = out["signals"]
    lines = [
        f"• *{s['type']}* ({s['kind']}) — rule `{s['rule']}`, weight {s['weight']:.2f}"
        for s in found
    ] or ["No signal: Enabler would stay quiet."]
    blocks = [
        section(f"*Rules test* — “{text[:500]}”\n" + "\n".join(lines)),
        context(
            f"As a {options['author_role']} in a {options['thread_owner_role']}'s thread, "
            f"{options['channel_kind']} channel. Live rules for this workspace."
        ),
    ]
    return Reply(text=f"Rules test: {len(found)} signal(s)", blocks=blocks)
