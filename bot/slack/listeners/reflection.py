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
from bot.slack.listeners._safety import failure_text


def _who(body: dict[str, Any]) -> tuple[str, str]:
    user = body.get("user") or {}
    team = (body.get("team") or {}).get("id") or user.get("team_id") or ""
    return str(user.get("id") or ""), str(team)


def _value(body: dict[str, Any]) -> str:
    return str(((body.get("actions") or [{}])[0]).get("value") or "")


def _tell(respond: Respond, body: dict[str, Any], text: str) -> None:
    if body.get("response_url"):
        respond(text=text, response_type="ephemeral", replace_original=False)


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
    @app.action(ids.ACTION_PROMPT_ANSWER)
    def answer_clicked(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        user_id, team_id = _who(body)
        try:
            occurrence_id, key = reflection.parse_button_value(_value(body))
            opened = reflection.open_prompt(
                uow=deps.uow,
                workspace_id=team_id,
                user_id=user_id,
                occurrence_id=occurrence_id,
                message_key=key,
            )
            deps.client.views_open(
                trigger_id=body["trigger_id"],
                view=build_reflection_modal(opened.card, previous_text=opened.previous_text),
            )
        except reflection.ReflectionError as exc:
            _tell(respond, body, str(exc))
        except Exception as exc:
            _tell(respond, body, failure_text(deps, exc, where="prompt_answer", user=user_id))

    @app.view(ids.VIEW_REFLECTION)
    def reflection_submitted(ack: Ack, body: dict[str, Any]) -> None:
        user_id, team_id = _who(body)
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
            ack(response_action="errors", errors={REFLECTION_BLOCK: str(exc)})
            return
        except Exception as exc:
            message = failure_text(deps, exc, where="reflection_submit", user=user_id)
            ack(response_action="errors", errors={REFLECTION_BLOCK: message[:150]})
            return
        ack()
        deps.wake()

    @app.action(ids.ACTION_PROMPT_SKIP)
    def skip_clicked(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        user_id, team_id = _who(body)
        try:
            occurrence_id, key = reflection.parse_button_value(_value(body))
            skipped = reflection.skip(
                uow=deps.uow,
                clock=deps.clock,
                messages=PROMPT_MESSAGES,
                workspace_id=team_id,
                user_id=user_id,
                occurrence_id=occurrence_id,
                message_key=key,
            )
            if not skipped:
                _tell(respond, body, "You've already answered this one — your answer is kept.")
            deps.wake()
        except reflection.ReflectionError as exc:
            _tell(respond, body, str(exc))
        except Exception as exc:
            _tell(respond, body, failure_text(deps, exc, where="prompt_skip", user=user_id))

    @app.action(ids.ACTION_PROMPT_LATER)
    def later_clicked(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        user_id, team_id = _who(body)
        try:
            occurrence_id, key = reflection.parse_button_value(_value(body))
            reflection.remind_later(
                uow=deps.uow,
                clock=deps.clock,
                messages=PROMPT_MESSAGES,
                workspace_id=team_id,
                user_id=user_id,
                occurrence_id=occurrence_id,
                message_key=key,
            )
            deps.wake()
        except reflection.ReflectionError as exc:
            _tell(respond, body, str(exc))
        except Exception as exc:
            _tell(respond, body, failure_text(deps, exc, where="prompt_later", user=user_id))


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
