"""Sales ops manage reflection schedules from App Home: New, Edit, Pause/Resume, Delete.

Every handler asks the service, which checks bot/domain/permissions.py (MANAGE_SCHEDULES):
anyone but sales ops gets a modal that says so, and a forged submission gets a form error.
Saving wakes the local timers, and every other server sees the change on its next tick.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App

from bot.domain.permissions import PermissionDenied
from bot.services import schedules
from bot.slack import ids
from bot.slack.blocks.schedules import (
    build_schedule_modal,
    form_errors,
    not_allowed_modal,
    parse_schedule_form,
)
from bot.slack.deps import Deps
from bot.slack.listeners._common import Body, logged, user_message, who
from bot.slack.listeners._safety import failure_text
from bot.slack.listeners.events import publish_home


def _schedule_id(body: dict[str, Any]) -> int:
    action = (body.get("actions") or [{}])[0]
    value = str(action.get("value") or action.get("action_id", "").rpartition(":")[2])
    if not value.isdigit():
        raise schedules.ScheduleInvalid({"name": "That schedule no longer exists."})
    return int(value)


def _pattern(prefix: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(prefix)}:\d+$")


def register(app: App, deps: Deps) -> None:
    def clicked(where: str, work: Callable[[Body], None]) -> Callable[..., None]:
        """An App Home button: ack, then ``work(body)``; failures are logged and counted."""

        def handler(ack: Ack, body: dict[str, Any]) -> None:
            ack()
            logged(deps, where, body, lambda: work(body))

        return handler

    def open_form(body: dict[str, Any], ref: int | None) -> None:
        user_id, team_id = who(body)
        try:
            form = schedules.form_data(uow=deps.uow, workspace_id=team_id, actor=user_id, ref=ref)
            view = build_schedule_modal(
                today=deps.clock.now().date(), teams=form.teams, summary=form.summary
            )
        except PermissionDenied as denied:
            deps.metrics.rejections.labels(reason="forbidden").inc()
            view = not_allowed_modal(denied.message)
        except schedules.ScheduleInvalid as exc:
            view = not_allowed_modal(str(exc))
        deps.client.views_open(trigger_id=body["trigger_id"], view=view)

    def change(body: dict[str, Any], what: str) -> None:
        user_id, team_id = who(body)
        try:
            ref = _schedule_id(body)
            if what == "delete":
                schedules.delete_schedule(
                    uow=deps.uow, clock=deps.clock, workspace_id=team_id, ref=ref, actor=user_id
                )
            else:
                schedules.set_paused(
                    uow=deps.uow,
                    clock=deps.clock,
                    workspace_id=team_id,
                    ref=ref,
                    paused=what == "pause",
                    actor=user_id,
                )
        except (PermissionDenied, schedules.ScheduleInvalid) as exc:
            deps.metrics.rejections.labels(reason="forbidden").inc()
            if body.get("trigger_id"):
                deps.client.views_open(
                    trigger_id=body["trigger_id"], view=not_allowed_modal(user_message(exc))
                )
            return
        deps.wake()
        publish_home(deps, team_id, user_id)

    app.action(ids.ACTION_SCHEDULE_NEW)(clicked("schedule_new", lambda b: open_form(b, None)))
    app.action(_pattern(ids.ACTION_SCHEDULE_EDIT))(
        clicked("schedule_edit", lambda b: open_form(b, _schedule_id(b)))
    )
    app.action(_pattern(ids.ACTION_SCHEDULE_PAUSE))(
        clicked("schedule_pause", lambda b: change(b, "pause"))
    )
    app.action(_pattern(ids.ACTION_SCHEDULE_RESUME))(
        clicked("schedule_resume", lambda b: change(b, "resume"))
    )
    app.action(_pattern(ids.ACTION_SCHEDULE_DELETE))(
        clicked("schedule_delete", lambda b: change(b, "delete"))
    )

    @app.view(ids.VIEW_SCHEDULE)
    def schedule_submitted(ack: Ack, body: dict[str, Any]) -> None:
        user_id, team_id = who(body)
        view = body.get("view") or {}
        has_team_block = any(b.get("block_id") == "team" for b in view.get("blocks") or [])
        try:
            ref, spec = parse_schedule_form(view)
            if ref is None:
                schedules.create_schedule(
                    uow=deps.uow, clock=deps.clock, workspace_id=team_id, spec=spec, actor=user_id
                )
            else:
                schedules.update_schedule(
                    uow=deps.uow,
                    clock=deps.clock,
                    workspace_id=team_id,
                    ref=ref,
                    spec=spec,
                    actor=user_id,
                )
        except PermissionDenied as denied:
            deps.metrics.rejections.labels(reason="forbidden").inc()
            ack(response_action="errors", errors={"name": denied.message})
            return
        except schedules.ScheduleInvalid as exc:
            ack(
                response_action="errors",
                errors=form_errors(exc.problems, has_team_block=has_team_block),
            )
            return
        except Exception as exc:
            message = failure_text(deps, exc, where="schedule_submit", user=user_id)
            ack(response_action="errors", errors={"name": message})
            return
        ack()
        deps.wake()
        logged(deps, "schedule_home", body, lambda: publish_home(deps, team_id, user_id))
