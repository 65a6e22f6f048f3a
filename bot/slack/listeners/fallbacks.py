"""Registered last: anything no other listener claimed is acked, counted and explained.

Without these, Bolt answers 404 and Slack shows the person a red error (and retries events).
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.observability import get_logger
from bot.slack.deps import Deps

log = get_logger(__name__)


def register(app: App, deps: Deps) -> None:
    @app.action(re.compile(".*"))
    def unknown_action(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        action_id = (body.get("actions") or [{}])[0].get("action_id", "?")
        deps.metrics.rejections.labels(reason="unknown_action").inc()
        log.warning("unknown_action", action_id=action_id)
        if body.get("response_url"):
            respond(
                text="That button belongs to an older version of Enabler and no longer works. "
                "Try `/enabler help`.",
                response_type="ephemeral",
                replace_original=False,
            )

    @app.view(re.compile(".*"))
    def unknown_view(ack: Ack, body: dict[str, Any]) -> None:
        deps.metrics.rejections.labels(reason="unknown_view").inc()
        log.warning("unknown_view", callback_id=(body.get("view") or {}).get("callback_id"))
        ack()

    @app.shortcut(re.compile(".*"))
    def unknown_shortcut(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        deps.metrics.rejections.labels(reason="unknown_shortcut").inc()
        log.warning("unknown_shortcut", callback_id=body.get("callback_id"))
