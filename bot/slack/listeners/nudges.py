"""Nudge DMs: Coach instead, Hand back, It was needed, Reflect, Add to 1:1, Snooze, Mute; their
modals; and `/enabler snooze | nudges | why` (listed in commands.SUBCOMMANDS).

Who handles what (grep the id to land here):
  nudge_coach -> coach modal -> nudge_coach (view): questions posted in the rep's thread
  nudge_hand_back, nudge_debrief, nudge_snooze_today, nudge_snooze_week, nudge_mute -> in place
  nudge_needed -> reason modal -> nudge_needed (view); nudge_reflect -> nudge_reflect (view)

Every button is acked first. The services check permissions (a nudge is its manager's alone),
record the click and queue an in-place edit of the DM; `deps.wake()` gets the outbox worker to
send it within a second or so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond

from bot.domain.permissions import PermissionDenied
from bot.domain.policy import PolicyError
from bot.services import nudging
from bot.slack import ids
from bot.slack.blocks import nudges as blocks
from bot.slack.deps import Deps
from bot.slack.listeners._common import (
    action_value,
    guarded,
    reject_field,
    reply,
    tell,
    user_message,
    who,
)
from bot.slack.listeners._safety import failure_text

if TYPE_CHECKING:
    from bot.slack.listeners.commands import CommandContext, Reply

MESSAGES = blocks.NUDGE_MESSAGES
# Problems the person can act on; their str() is written for them.
EXPECTED = (nudging.NudgeError, PermissionDenied, PolicyError)


def _nudge_id(body: dict[str, Any]) -> int:
    # A button's value is the nudge id; a "More" menu option's is "<option key>:<nudge id>".
    raw = action_value(body).rpartition(":")[2]
    if not raw.isdigit():
        raise nudging.NudgeError("That button is from an older version of Enabler.")
    return int(raw)


# --------------------------------------------------------------------------------------------
# /enabler subcommands


def snooze_command(ctx: CommandContext) -> Reply:
    try:
        label = nudging.snooze(
            uow=ctx.deps.uow,
            clock=ctx.deps.clock,
            workspace_id=ctx.workspace_id,
            user_id=ctx.user_id,
            text=ctx.raw_args,
        )
    except EXPECTED as exc:
        return reply(user_message(exc))
    if label is None:
        return reply(":arrow_forward: Snooze lifted — nudges and reflection prompts are back on.")
    return reply(
        f":zzz: Snoozed until {label} (your time): no nudges or reflection prompts until then. "
        "Signals still count in your ledger. `/enabler snooze off` ends it early."
    )


_NUDGES_USAGE = (
    "Use `/enabler nudges off` to stop nudges, `/enabler nudges on` to turn them back on, or "
    "`/enabler nudges unmute` to hear about muted channels again."
)


def nudges_command(ctx: CommandContext) -> Reply:
    choice = (ctx.args[0].lower() if ctx.args else "").strip()
    deps = ctx.deps
    try:
        if choice in ("off", "on"):
            nudging.set_enabled(
                uow=deps.uow,
                clock=deps.clock,
                workspace_id=ctx.workspace_id,
                user_id=ctx.user_id,
                enabled=choice == "on",
            )
            if choice == "off":
                return reply(
                    ":no_bell: Nudges are off. Enabler still counts doing and enabling in your "
                    "private ledger (App Home). `/enabler nudges on` whenever you want them back."
                )
            return reply(":bell: Nudges are on. Thanks for giving them another go.")
        if choice == "unmute":
            count = nudging.unmute_all(
                uow=deps.uow, clock=deps.clock, workspace_id=ctx.workspace_id, user_id=ctx.user_id
            )
            if count == 0:
                return reply("No channels were muted.")
            return reply(f":loud_sound: Unmuted {count} channel(s).")
    except EXPECTED as exc:
        return reply(user_message(exc))
    return reply(f"I didn't understand `{choice[:20] or '(nothing)'}`. {_NUDGES_USAGE}")


def why_command(ctx: CommandContext) -> Reply:
    try:
        why = nudging.explain_last(
            uow=ctx.deps.uow,
            clock=ctx.deps.clock,
            workspace_id=ctx.workspace_id,
            user_id=ctx.user_id,
        )
    except EXPECTED as exc:
        return reply(user_message(exc))
    return reply("Why you were nudged", blocks.why_blocks(why))


# --------------------------------------------------------------------------------------------
# Buttons and modals


def register(app: App, deps: Deps) -> None:
    def clicked(
        where: str, work: Callable[[dict[str, Any], str, str, int], str | None]
    ) -> Callable[..., None]:
        """A button: ack, run `work`, tell the clicker (ephemerally) what it returned, wake."""

        def handler(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
            ack()
            user_id, team_id = who(body)

            def run() -> None:
                note = work(body, user_id, team_id, _nudge_id(body))
                if note:
                    tell(body, respond, note)
                deps.wake()

            guarded(deps, where, body, respond, run, expected=EXPECTED)

        return handler

    def open_coach(body: dict[str, Any], user_id: str, team_id: str, nudge_id: int) -> None:
        form = nudging.coach_form(
            uow=deps.uow, workspace_id=team_id, user_id=user_id, nudge_id=nudge_id
        )
        deps.client.views_open(trigger_id=body["trigger_id"], view=blocks.coach_modal(form))

    def open_needed(body: dict[str, Any], user_id: str, team_id: str, nudge_id: int) -> None:
        card = nudging.open_card(
            uow=deps.uow, workspace_id=team_id, user_id=user_id, nudge_id=nudge_id
        )
        deps.client.views_open(trigger_id=body["trigger_id"], view=blocks.needed_modal(card))

    def open_reflect(body: dict[str, Any], user_id: str, team_id: str, nudge_id: int) -> None:
        card = nudging.open_card(
            uow=deps.uow, workspace_id=team_id, user_id=user_id, nudge_id=nudge_id
        )
        deps.client.views_open(trigger_id=body["trigger_id"], view=blocks.reflect_modal(card))

    def do_hand_back(body: dict[str, Any], user_id: str, team_id: str, nudge_id: int) -> str | None:
        done = nudging.hand_back(
            uow=deps.uow,
            clock=deps.clock,
            messages=MESSAGES,
            workspace_id=team_id,
            user_id=user_id,
            nudge_id=nudge_id,
        )
        return None if done else "You've already handed this one back."

    def do_debrief(body: dict[str, Any], user_id: str, team_id: str, nudge_id: int) -> str | None:
        added = nudging.add_to_one_on_one(
            uow=deps.uow,
            clock=deps.clock,
            messages=MESSAGES,
            workspace_id=team_id,
            user_id=user_id,
            nudge_id=nudge_id,
        )
        return None if added else "That's already on the agenda for your next 1:1."

    def do_snooze(period: str) -> Callable[[dict[str, Any], str, str, int], None]:
        def work(body: dict[str, Any], user_id: str, team_id: str, nudge_id: int) -> None:
            nudging.snooze_from_nudge(
                uow=deps.uow,
                clock=deps.clock,
                messages=MESSAGES,
                workspace_id=team_id,
                user_id=user_id,
                nudge_id=nudge_id,
                period=period,
            )

        return work

    def do_mute(body: dict[str, Any], user_id: str, team_id: str, nudge_id: int) -> None:
        nudging.mute_channel(
            uow=deps.uow,
            clock=deps.clock,
            messages=MESSAGES,
            workspace_id=team_id,
            user_id=user_id,
            nudge_id=nudge_id,
        )

    app.action(ids.ACTION_NUDGE_COACH)(clicked("nudge_coach", open_coach))
    app.action(ids.ACTION_NUDGE_NEEDED)(clicked("nudge_needed", open_needed))
    app.action(ids.ACTION_NUDGE_REFLECT)(clicked("nudge_reflect", open_reflect))
    app.action(ids.ACTION_NUDGE_HAND_BACK)(clicked("nudge_hand_back", do_hand_back))
    app.action(ids.ACTION_NUDGE_DEBRIEF)(clicked("nudge_debrief", do_debrief))
    menu: dict[str, Callable[[dict[str, Any], str, str, int], str | None]] = {
        ids.ACTION_NUDGE_SNOOZE_TODAY: do_snooze("today"),
        ids.ACTION_NUDGE_SNOOZE_WEEK: do_snooze("this week"),
        ids.ACTION_NUDGE_MUTE: do_mute,
    }

    def from_menu(body: dict[str, Any], user_id: str, team_id: str, nudge_id: int) -> str | None:
        choice = menu.get(action_value(body).partition(":")[0])
        if choice is None:
            raise nudging.NudgeError("That menu item is from an older version of Enabler.")
        return choice(body, user_id, team_id, nudge_id)

    app.action(ids.ACTION_NUDGE_MORE)(clicked("nudge_more", from_menu))

    def submitted(
        where: str,
        error_block: Callable[[BaseException], str],
        work: Callable[[dict[str, Any], str, str, int], None],
    ) -> Callable[..., None]:
        """A modal: do the work before acking, so problems show next to the field."""

        def handler(ack: Ack, body: dict[str, Any]) -> None:
            user_id, team_id = who(body)
            view = body.get("view") or {}
            nudge_id = blocks.nudge_id_of(view)
            try:
                if nudge_id is None:
                    raise nudging.NudgeError("This form is from an older version of Enabler.")
                work(view, user_id, team_id, nudge_id)
            except EXPECTED as exc:
                deps.metrics.rejections.labels(reason="user_error").inc()
                reject_field(ack, error_block(exc), user_message(exc))
                return
            except Exception as exc:
                text = failure_text(deps, exc, where=where, user=user_id)
                reject_field(ack, error_block(exc), text)
                return
            ack()
            deps.wake()

        return handler

    def save_coach(view: dict[str, Any], user_id: str, team_id: str, nudge_id: int) -> None:
        nudging.coach_instead(
            uow=deps.uow,
            clock=deps.clock,
            messages=MESSAGES,
            workspace_id=team_id,
            user_id=user_id,
            nudge_id=nudge_id,
            questions_text=blocks.coach_value(view),
            request_key=str(view.get("id") or view.get("hash") or ""),
        )

    def save_needed(view: dict[str, Any], user_id: str, team_id: str, nudge_id: int) -> None:
        reason, note = blocks.needed_values(view)
        nudging.justify(
            uow=deps.uow,
            clock=deps.clock,
            messages=MESSAGES,
            workspace_id=team_id,
            user_id=user_id,
            nudge_id=nudge_id,
            reason=reason,
            note=note,
        )

    def save_reflection(view: dict[str, Any], user_id: str, team_id: str, nudge_id: int) -> None:
        nudging.reflect(
            uow=deps.uow,
            clock=deps.clock,
            messages=MESSAGES,
            workspace_id=team_id,
            user_id=user_id,
            nudge_id=nudge_id,
            text=blocks.reflect_value(view),
        )

    def needed_error_block(exc: BaseException) -> str:
        return blocks.NEEDED_BLOCK if "reason" in str(exc).lower() else blocks.NOTE_BLOCK

    app.view(ids.VIEW_NUDGE_COACH)(
        submitted("nudge_coach_submit", lambda _: blocks.COACH_BLOCK, save_coach)
    )
    app.view(ids.VIEW_NUDGE_NEEDED)(
        submitted("nudge_needed_submit", needed_error_block, save_needed)
    )
    app.view(ids.VIEW_NUDGE_REFLECT)(
        submitted("nudge_reflect_submit", lambda _: blocks.REFLECT_BLOCK, save_reflection)
    )
