"""App Home: the buttons on the home tab. (Opening the tab is an event: see events.py.)"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.services.people import resolve
from bot.slack import ids
from bot.slack.deps import Deps
from bot.slack.listeners._safety import failure_text
from bot.slack.listeners.commands import help_reply
from bot.slack.listeners.events import publish_home


def _user_and_team(body: dict[str, Any]) -> tuple[str, str]:
    return body["user"]["id"], (body.get("team") or {}).get("id") or body.get("user", {}).get(
        "team_id", ""
    )


def register(app: App, deps: Deps) -> None:
    @app.action(ids.ACTION_HOME_REFRESH)
    def refresh(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        user_id, team_id = _user_and_team(body)
        publish_home(deps, team_id, user_id)

    @app.action(ids.ACTION_HOME_HELP)
    def show_help(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        user_id, team_id = _user_and_team(body)
        try:
            with deps.uow() as tx:
                member = resolve(tx, team_id, user_id)
            reply = help_reply(member.audience)
            deps.client.views_open(
                trigger_id=body["trigger_id"],
                view={
                    "type": "modal",
                    "title": {"type": "plain_text", "text": "Enabler help"},
                    "close": {"type": "plain_text", "text": "Close"},
                    "blocks": reply.blocks or [],
                },
            )
        except Exception as exc:
            failure_text(deps, exc, where="home_help", user=user_id)
