"""Reflection prompt DMs: Answer (opens the modal), Skip, Remind me in 2 hours; the modal.

Each click is acked first; the database work and the views.open follow within Slack's
trigger window. Confirmations are edits of the clicked DM, queued in the outbox.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.services import reflection
from bot.services.schedules import PlannerState, plan_due
from bot.slack import ids
from bot.slack.blocks.reflection import (
    PROMPT_MESSAGES,
    REFLECTION_BLOCK,
    build_reflection_modal,
    reflection_value,
)
from bot.slack.deps import Deps
from bot.slack.listeners._common import Body, action_value, guarded, reject_field, tell, who
from bot.slack.listeners._safety import failure_text


def out_of_office_check(deps: Deps) -> Callable[[str, str], bool]:
    """For the planner: is this person away according to their Slack status? (users.info,
    cached by the directory; Slack keeps it fresh with user_change events)."""

    def check(workspace_id: str, user_id: str) -> bool:
        user = deps.directory.get(workspace_id, user_id)
        if user is None:
            return False
        return reflection.looks_out_of_office(user.status_text, user.status_emoji)

    return check


def register(app: App, deps: Deps) -> None:
    def clicked(
        where: str, work: Callable[[Body, Respond, str, str, int, str], None]
    ) -> Callable[..., None]:
        """A prompt's button: ack, then ``work(body, respond, user, team, occurrence, key)``;
        the person's own problems (ReflectionError) are told to them."""

        def handler(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
            ack()
            user_id, team_id = who(body)

            def run() -> None:
                occurrence_id, key = reflection.parse_button_value(action_value(body))
                work(body, respond, user_id, team_id, occurrence_id, key)

            guarded(
                deps,
                where,
                body,
                respond,
                run,
                expected=(reflection.ReflectionError,),
                count_expected=False,
            )

        return handler

    def open_answer(
        body: Body, respond: Respond, user_id: str, team_id: str, occurrence: int, key: str
    ) -> None:
        opened = reflection.open_prompt(
            uow=deps.uow,
            workspace_id=team_id,
            user_id=user_id,
            occurrence_id=occurrence,
            message_key=key,
        )
        deps.client.views_open(
            trigger_id=body["trigger_id"],
            view=build_reflection_modal(opened.card, previous_text=opened.previous_text),
        )

    @app.view(ids.VIEW_REFLECTION)
    def reflection_submitted(ack: Ack, body: dict[str, Any]) -> None:
        user_id, team_id = who(body)
        value, text = reflection_value(body.get("view") or {})
        try:
            occurrence_id, key = reflection.parse_button_value(value)
            reflection.answer(
                uow=deps.uow,
                clock=deps.clock,
                messages=PROMPT_MESSAGES,
                workspace_id=team_id,
                user_id=user_id,
                occurrence_id=occurrence_id,
                message_key=key,
                text=text,
            )
        except reflection.ReflectionError as exc:
            reject_field(ack, REFLECTION_BLOCK, str(exc))
            return
        except Exception as exc:
            message = failure_text(deps, exc, where="reflection_submit", user=user_id)
            reject_field(ack, REFLECTION_BLOCK, message)
            return
        ack()
        deps.wake()

    def do_skip(
        body: Body, respond: Respond, user_id: str, team_id: str, occurrence: int, key: str
    ) -> None:
        skipped = reflection.skip(
            uow=deps.uow,
            clock=deps.clock,
            messages=PROMPT_MESSAGES,
            workspace_id=team_id,
            user_id=user_id,
            occurrence_id=occurrence,
            message_key=key,
        )
        if not skipped:
            tell(body, respond, "You've already answered this one — your answer is kept.")
        deps.wake()

    def do_later(
        body: Body, respond: Respond, user_id: str, team_id: str, occurrence: int, key: str
    ) -> None:
        reflection.remind_later(
            uow=deps.uow,
            clock=deps.clock,
            messages=PROMPT_MESSAGES,
            workspace_id=team_id,
            user_id=user_id,
            occurrence_id=occurrence,
            message_key=key,
        )
        deps.wake()

    app.action(ids.ACTION_PROMPT_ANSWER)(clicked("prompt_answer", open_answer))
    app.action(ids.ACTION_PROMPT_SKIP)(clicked("prompt_skip", do_skip))
    app.action(ids.ACTION_PROMPT_LATER)(clicked("prompt_later", do_later))


def prompt_planner(deps: Deps) -> Callable[[], object]:
    """The reflection planner's tick, wired with the Slack-side pieces (Block Kit, status
    check) and one PlannerState per process. bootstrap puts it on the local timer."""
    state = PlannerState()
    is_away = out_of_office_check(deps)

    def tick() -> object:
        return plan_due(
            uow=deps.uow,
            clock=deps.clock,
            messages=PROMPT_MESSAGES,
            is_out_of_office=is_away,
            state=state,
        )

    return tick
