"""What every listener does around its one call into a service: find who clicked in which
workspace, read the clicked button, and answer problems in a way only that person sees.

Problems come in two kinds. Expected ones (the surface's own error classes, PermissionDenied)
carry a message written for the person and are shown as-is; anything else goes through
``failure_text`` (logged with a reference, counted, apologised for).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, Respond

from bot.domain.permissions import PermissionDenied
from bot.slack.deps import Deps
from bot.slack.listeners._safety import failure_text

if TYPE_CHECKING:
    from bot.slack.listeners.commands import Reply

Body = dict[str, Any]
Tell = Callable[[Body, Respond, str], None]


def team_of(body: Body) -> str:
    """The workspace a payload comes from, wherever this kind of payload keeps it."""
    return str(
        (body.get("team") or {}).get("id")
        or body.get("team_id")
        or (body.get("view") or {}).get("team_id")
        or (body.get("user") or {}).get("team_id")
        or ""
    )


def user_of(body: Body) -> str:
    """Who clicked, submitted or ran the shortcut."""
    return str((body.get("user") or {}).get("id") or body.get("user_id") or "")


def who(body: Body) -> tuple[str, str]:
    """(user id, workspace id)."""
    return user_of(body), team_of(body)


def action_value(body: Body) -> str:
    """The clicked button's value (or the picked option's, for a select in a message)."""
    action = (body.get("actions") or [{}])[0]
    return str(action.get("value") or (action.get("selected_option") or {}).get("value") or "")


def action_id_of(body: Body) -> str:
    return str((body.get("actions") or [{}])[0].get("action_id") or "")


def user_message(exc: BaseException) -> str:
    """An expected problem's text, written for the person."""
    return exc.message if isinstance(exc, PermissionDenied) else str(exc)


def reply(text: str, block_list: list[dict[str, Any]] | None = None) -> Reply:
    """What a `/enabler` subcommand answers with (commands imports the surfaces, hence late)."""
    from bot.slack.listeners.commands import Reply

    return Reply(text=text, blocks=block_list)


def tell(body: Body, respond: Respond, text: str) -> None:
    """An answer only the clicker sees, under the message they clicked (when there is one)."""
    if body.get("response_url"):
        respond(text=text, response_type="ephemeral", replace_original=False)


def guarded(
    deps: Deps,
    where: str,
    body: Body,
    respond: Respond,
    work: Callable[[], None],
    *,
    expected: tuple[type[BaseException], ...],
    answer: Tell = tell,
    count_expected: bool = True,
) -> None:
    """Run a click's ``work`` (after the ack) and answer any problem with ``answer``.

    ``count_expected``: expected problems are counted on /metrics as user errors.
    """
    try:
        work()
    except expected as exc:
        if count_expected:
            deps.metrics.rejections.labels(reason="user_error").inc()
        answer(body, respond, user_message(exc))
    except Exception as exc:
        answer(body, respond, failure_text(deps, exc, where=where, user=user_of(body)))


def logged(deps: Deps, where: str, body: Body, work: Callable[[], None]) -> None:
    """Run ``work`` where there is no one to answer (App Home buttons without a response URL):
    an unexpected failure is still logged and counted."""
    try:
        work()
    except Exception as exc:
        failure_text(deps, exc, where=where, user=user_of(body))


def reject_field(ack: Ack, block_id: str, text: str) -> None:
    """Refuse a modal submission with ``text`` shown under one field (Slack's limit: 150)."""
    ack(response_action="errors", errors={block_id: text[:150]})
