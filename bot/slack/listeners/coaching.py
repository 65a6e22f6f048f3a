"""Coaching requests, one-on-ones and development plans: commands, shortcuts, buttons, modals.

Who handles what (grep the id to land here):
  /enabler coach, shortcut request_coaching, home_request_coaching -> request modal
  coach_accept / coach_propose / coach_decline (manager's DM)     -> answer modals
  coach_take_time (rep's DM), coach_rate_1..5                     -> done in place
  coach_log_outcome[:id]                                           -> outcome modal
  /enabler 1on1 @rep, shortcut log_one_on_one, home_log_1on1:REP  -> 1:1 modal
  action_item_done:ID, plan_edit:REP, set_cadence:REP, edit_coaching_defaults
  /enabler privacy

Every decision about who may do what is made by the services through
``bot.domain.permissions``; this module parses Slack payloads and renders answers. Modal
submissions are validated before the ack so errors show next to the field
(``response_action: errors``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond

from bot.db.unit_of_work import UnitOfWork
from bot.domain import coaching as domain
from bot.domain.permissions import Action, PermissionDenied
from bot.services import coaching, home, one_on_ones, plans, privacy
from bot.services.org import authorize, person_or_stranger
from bot.slack import ids
from bot.slack.blocks import coaching as blocks
from bot.slack.blocks.home import build_home
from bot.slack.deps import Deps, UserError
from bot.slack.forms import Form, metadata
from bot.slack.listeners._common import (
    Body,
    action_id_of,
    action_value,
    guarded,
    reply,
    team_of,
    tell,
    user_message,
    user_of,
)
from bot.slack.listeners._safety import failure_text

if TYPE_CHECKING:
    from bot.slack.listeners.commands import CommandContext, Reply

MESSAGES = blocks.SlackCoachingMessages()
# Problems the person can act on; their str() is written for them.
EXPECTED = (PermissionDenied, domain.InvalidTransition, coaching.CoachingError, UserError)


# --------------------------------------------------------------------------------------------
# Payload parsing
# --------------------------------------------------------------------------------------------


def _request_id(view: dict[str, Any]) -> int:
    value = metadata(view).get("id")
    if not isinstance(value, int):
        raise UserError("This form is from an older version of Enabler. Please start again.")
    return value


def _int_value(text: str) -> int:
    if not text.isdigit():
        raise UserError("That button is from an older version of Enabler; it no longer works.")
    return int(text)


MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>|^([UW][A-Z0-9]{2,})$")


def parse_user_arg(text: str) -> str | None:
    """`<@U123|jordan>`, `<@U123>` or a bare `U123`; None for anything else."""
    match = MENTION.search(text.strip())
    if match is None:
        return None
    return match.group(1) or match.group(2)


# --------------------------------------------------------------------------------------------
# Shared plumbing
# --------------------------------------------------------------------------------------------


@contextmanager
def _tx(deps: Deps) -> Iterator[UnitOfWork]:
    with deps.uow() as tx:
        yield tx


def publish_home(deps: Deps, workspace_id: str, user_id: str) -> None:
    """Re-render the person's home (after they changed something shown there), with the app's
    clock so overdue flags match what the services decided."""
    try:
        with deps.uow() as tx:
            data = home.home_data(
                tx, workspace_id=workspace_id, user_id=user_id, now=deps.clock.now()
            )
        deps.client.views_publish(user_id=user_id, view=build_home(data))
    except Exception as exc:  # the change is saved; a stale home is not worth an error
        failure_text(deps, exc, where="coaching:publish_home", user=user_id)


def _open(deps: Deps, trigger_id: str, view: dict[str, Any]) -> None:
    deps.client.views_open(trigger_id=trigger_id, view=view)


def _guarded(
    deps: Deps,
    where: str,
    body: dict[str, Any],
    respond: Respond,
    work: Callable[[], None],
) -> None:
    def answer(body: Body, respond: Respond, text: str) -> None:
        """Ephemeral under a message; from a home tab (no response URL), a small modal."""
        if body.get("response_url"):
            tell(body, respond, text)
        elif body.get("trigger_id"):
            _open(deps, body["trigger_id"], blocks.info_modal("Enabler", text))

    guarded(deps, where, body, respond, work, expected=EXPECTED, answer=answer)


def _request_modal_for(deps: Deps, workspace_id: str, user_id: str) -> dict[str, Any]:
    try:
        with _tx(deps) as tx:
            manager = coaching.manager_for_request(
                tx, workspace_id=workspace_id, requester_id=user_id
            )
            skills = coaching.get_defaults(tx, workspace_id).skills
    except EXPECTED as exc:
        return blocks.info_modal("Request coaching", user_message(exc))
    return blocks.request_modal(manager.label, skills)


def _one_on_one_modal(
    deps: Deps, workspace_id: str, manager_id: str, rep_id: str | None, notes: str = ""
) -> dict[str, Any]:
    """Raises PermissionDenied when ``rep_id`` is not the manager's rep."""
    now = deps.clock.now()
    with _tx(deps) as tx:
        agenda = (
            one_on_ones.agenda(
                tx, workspace_id=workspace_id, manager_id=manager_id, rep_id=rep_id, now=now
            )
            if rep_id
            else None
        )
        today = coaching.today_for(tx, workspace_id, manager_id, now)
        skills = coaching.get_defaults(tx, workspace_id).skills
    return blocks.one_on_one_modal(
        rep_id=rep_id, today=today, skills=skills, agenda=agenda, notes=notes
    )


# --------------------------------------------------------------------------------------------
# /enabler subcommands (listed in commands.SUBCOMMANDS)
# --------------------------------------------------------------------------------------------


def coach_command(ctx: CommandContext) -> Reply | None:
    view = _request_modal_for(ctx.deps, ctx.workspace_id, ctx.user_id)
    if view["callback_id"] != ids.VIEW_COACH_REQUEST:
        return reply(view["blocks"][0]["text"]["text"])
    _open(ctx.deps, ctx.trigger_id, view)
    return None


def one_on_one_command(ctx: CommandContext) -> Reply | None:
    rep_id = parse_user_arg(ctx.raw_args) if ctx.raw_args else None
    if ctx.raw_args and rep_id is None:
        return reply(
            "Mention the rep, like `/enabler 1on1 @jordan`, or run `/enabler 1on1` and pick "
            "them in the form."
        )
    try:
        view = _one_on_one_modal(ctx.deps, ctx.workspace_id, ctx.user_id, rep_id)
    except EXPECTED as exc:
        return reply(user_message(exc))
    _open(ctx.deps, ctx.trigger_id, view)
    return None


def privacy_command(ctx: CommandContext) -> Reply | None:
    if ctx.member.audience == "unknown":
        return reply(
            "You're not on Enabler's roster, so Enabler keeps nothing about you in one-on-ones, "
            "coaching or development plans."
        )
    with _tx(ctx.deps) as tx:
        summary = privacy.summary(tx, workspace_id=ctx.workspace_id, user_id=ctx.user_id)
    return reply("What Enabler stores about you", blocks.privacy_blocks(summary))


# --------------------------------------------------------------------------------------------
# Registration
# --------------------------------------------------------------------------------------------


def register(app: App, deps: Deps) -> None:
    def wake() -> None:
        deps.wake()

    # -- shortcuts --------------------------------------------------------------------------

    @app.shortcut(ids.SHORTCUT_REQUEST_COACHING)
    def request_shortcut(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        _guarded(
            deps,
            "shortcut:request_coaching",
            body,
            respond,
            lambda: _open(
                deps, body["trigger_id"], _request_modal_for(deps, team_of(body), user_of(body))
            ),
        )

    @app.shortcut(ids.SHORTCUT_LOG_ONE_ON_ONE)
    def log_shortcut(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        message = body.get("message") or {}
        rep_id = str(message.get("user") or "") or None
        quoted = str(message.get("text") or "")[:1000]

        def work() -> None:
            try:
                view = _one_on_one_modal(
                    deps,
                    team_of(body),
                    user_of(body),
                    rep_id,
                    notes=f"About: “{quoted}”\n" if quoted else "",
                )
            except PermissionDenied as exc:
                view = blocks.info_modal("Log a 1:1", exc.message)
            _open(deps, body["trigger_id"], view)

        _guarded(deps, "shortcut:log_one_on_one", body, respond, work)

    # -- the manager's answer ---------------------------------------------------------------

    def answer_modal(kind: str) -> Callable[..., None]:
        def handler(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
            ack()

            def work() -> None:
                with _tx(deps) as tx:
                    view = coaching.get_request(
                        tx,
                        workspace_id=team_of(body),
                        actor_id=user_of(body),
                        request_id=_int_value(action_value(body)),
                    )
                if kind == "outcome":
                    if view.state != "accepted":
                        raise domain.InvalidTransition(
                            domain.RequestState(view.state), domain.Complete("-")
                        )
                    modal = blocks.outcome_modal(view)
                else:
                    if view.state not in ("requested", "proposed"):
                        raise domain.InvalidTransition(
                            domain.RequestState(view.state), domain.Decline("-")
                        )
                    modal = {
                        "accept": lambda: blocks.accept_modal(view, deps.clock.now()),
                        "propose": lambda: blocks.propose_modal(view),
                        "decline": lambda: blocks.decline_modal(view),
                    }[kind]()
                _open(deps, body["trigger_id"], modal)

            _guarded(deps, f"action:coach_{kind}", body, respond, work)

        return handler

    app.action(ids.ACTION_COACH_ACCEPT)(answer_modal("accept"))
    app.action(ids.ACTION_COACH_PROPOSE)(answer_modal("propose"))
    app.action(ids.ACTION_COACH_DECLINE)(answer_modal("decline"))
    app.action(re.compile(rf"^{ids.ACTION_COACH_LOG_OUTCOME}(:\d+)?$"))(answer_modal("outcome"))

    def submit(
        where: str, run: Callable[[UnitOfWork, dict[str, Any], str, str], coaching.Submitted]
    ) -> Callable[..., None]:
        """A modal submission: validate and save before the ack, errors beside the fields."""

        def handler(ack: Ack, body: dict[str, Any]) -> None:
            view = body.get("view") or {}
            workspace_id, user_id = team_of(body), user_of(body)
            try:
                with _tx(deps) as tx:
                    result = run(tx, view, workspace_id, user_id)
                    if result.errors:
                        ack(response_action="errors", errors=result.errors)
                        return
                    tx.commit()
            except EXPECTED as exc:
                deps.metrics.rejections.labels(reason="user_error").inc()
                ack(
                    response_action="update",
                    view=blocks.info_modal("Not saved", user_message(exc)),
                )
                return
            except Exception as exc:
                text = failure_text(deps, exc, where=where, user=user_id)
                ack(response_action="update", view=blocks.info_modal("Not saved", text))
                return
            ack()
            wake()
            if where in ("view:one_on_one", "view:plan", "view:defaults"):
                publish_home(deps, workspace_id, user_id)

        return handler

    def save_request(
        tx: UnitOfWork, view: dict[str, Any], workspace_id: str, user_id: str
    ) -> coaching.Submitted:
        values = Form(view)
        return coaching.request_coaching(
            tx,
            workspace_id=workspace_id,
            requester_id=user_id,
            form=coaching.RequestForm(
                skill=values.selected("skill"),
                context=values.text("context"),
                urgency=values.selected("urgency") or "normal",
                preferred_times=values.text("preferred_times"),
                note=values.text("note"),
            ),
            now=deps.clock.now(),
            messages=MESSAGES,
        )

    def answer(kind: str) -> Callable[[UnitOfWork, dict[str, Any], str, str], coaching.Submitted]:
        def run(
            tx: UnitOfWork, view: dict[str, Any], workspace_id: str, user_id: str
        ) -> coaching.Submitted:
            values = Form(view)
            event: domain.Accept | domain.Propose | domain.Decline
            if kind == "accept":
                when = values.moment("scheduled_for")
                if when is None:
                    return coaching.Submitted(errors={"scheduled_for": "Pick a date and time."})
                event = domain.Accept(when)
            elif kind == "propose":
                when = values.moment("proposed_for")
                if when is None:
                    return coaching.Submitted(errors={"proposed_for": "Pick a date and time."})
                event = domain.Propose(when)
            else:
                event = domain.Decline(values.text("note"))
            return coaching.respond(
                tx,
                workspace_id=workspace_id,
                actor_id=user_id,
                request_id=_request_id(view),
                event=event,
                note=values.text("note") if kind == "propose" else "",
                now=deps.clock.now(),
                messages=MESSAGES,
            )

        return run

    def save_outcome(
        tx: UnitOfWork, view: dict[str, Any], workspace_id: str, user_id: str
    ) -> coaching.Submitted:
        values = Form(view)
        return coaching.log_outcome(
            tx,
            workspace_id=workspace_id,
            actor_id=user_id,
            request_id=_request_id(view),
            worked_on=values.text("worked_on"),
            next_steps=values.text("next_steps"),
            now=deps.clock.now(),
            messages=MESSAGES,
        )

    def save_one_on_one(
        tx: UnitOfWork, view: dict[str, Any], workspace_id: str, user_id: str
    ) -> coaching.Submitted:
        values = Form(view)
        items = tuple(
            domain.ActionItemInput(
                text=values.text(f"action_item_{i}_text"),
                owner_id=values.user(f"action_item_{i}_owner"),
                due=values.day(f"action_item_{i}_due"),
            )
            for i in range(blocks.MAX_ITEM_ROWS)
        )
        # An untouched row has the rep pre-filled as owner: that alone is not an item.
        items = tuple(
            i if i.text.strip() or i.due is not None else domain.ActionItemInput("", None)
            for i in items
        )
        return one_on_ones.log_one_on_one(
            tx,
            workspace_id=workspace_id,
            manager_id=user_id,
            form=one_on_ones.OneOnOneForm(
                rep_id=values.user("rep"),
                held_on=values.day("held_on"),
                notes=values.text("notes"),
                shared=values.selected("sharing") == "shared",
                skills_focus=tuple(values.selected_many("skills_focus")),
                next_meeting=values.day("next_meeting"),
                action_items=items,
                done_item_ids=frozenset(
                    int(v) for v in values.selected_many("carried") if v.isdigit()
                ),
            ),
            now=deps.clock.now(),
            messages=MESSAGES,
        )

    def save_plan(
        tx: UnitOfWork, view: dict[str, Any], workspace_id: str, user_id: str
    ) -> coaching.Submitted:
        values = Form(view)
        rep_id = str(metadata(view).get("rep") or "")
        ratings: dict[str, tuple[int | None, int | None]] = {}
        for block_id in values:
            match = re.fullmatch(r"rating_(.+)_(manager|rep)", block_id)
            if match is None:
                continue
            skill, side = match.groups()
            picked = values.selected(block_id)
            score = int(picked) if picked and picked.isdigit() else None
            by_manager, by_rep = ratings.get(skill, (None, None))
            ratings[skill] = (score, by_rep) if side == "manager" else (by_manager, score)
        goals = [
            plans.GoalForm(
                text=values.text(f"goal_{i}_text"),
                target=values.day(f"goal_{i}_target"),
                done="done" in values.selected_many(f"goal_{i}_done"),
            )
            for i in range(blocks.MAX_ITEM_ROWS)
        ]
        return plans.save_plan(
            tx,
            workspace_id=workspace_id,
            actor_id=user_id,
            rep_id=rep_id,
            ratings=ratings,
            goals=goals,
            now=deps.clock.now(),
        )

    def save_defaults(
        tx: UnitOfWork, view: dict[str, Any], workspace_id: str, user_id: str
    ) -> coaching.Submitted:
        values = Form(view)
        try:
            skills = coaching.parse_skills(values.text("skills"))
        except coaching.CoachingError as exc:
            return coaching.Submitted(errors={"skills": str(exc)})
        numbers = {
            name: values.number(name)
            for name in ("cadence_days", "response_hours", "escalate_after_hours")
        }
        lead = values.number("item_reminder_days")
        coaching.set_defaults(
            tx,
            workspace_id=workspace_id,
            now=deps.clock.now(),
            actor_id=user_id,
            cadence_days=numbers["cadence_days"],
            response_hours=numbers["response_hours"],
            escalate_after_hours=numbers["escalate_after_hours"],
            item_reminder_days=lead,
            skills=skills,
        )
        return coaching.Submitted()

    app.view(ids.VIEW_COACH_REQUEST)(submit("view:coach_request", save_request))
    app.view(ids.VIEW_COACH_ACCEPT)(submit("view:coach_accept", answer("accept")))
    app.view(ids.VIEW_COACH_PROPOSE)(submit("view:coach_propose", answer("propose")))
    app.view(ids.VIEW_COACH_DECLINE)(submit("view:coach_decline", answer("decline")))
    app.view(ids.VIEW_COACH_OUTCOME)(submit("view:coach_outcome", save_outcome))
    app.view(ids.VIEW_ONE_ON_ONE)(submit("view:one_on_one", save_one_on_one))
    app.view(ids.VIEW_PLAN)(submit("view:plan", save_plan))
    app.view(ids.VIEW_COACHING_DEFAULTS)(submit("view:defaults", save_defaults))

    # -- the rep's clicks -------------------------------------------------------------------

    @app.action(ids.ACTION_COACH_TAKE_TIME)
    def take_time(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()

        def work() -> None:
            with _tx(deps) as tx:
                coaching.take_proposed_time(
                    tx,
                    workspace_id=team_of(body),
                    actor_id=user_of(body),
                    request_id=_int_value(action_value(body)),
                    now=deps.clock.now(),
                    messages=MESSAGES,
                )
                tx.commit()
            wake()

        _guarded(deps, "action:coach_take_time", body, respond, work)

    @app.action(re.compile(rf"^{ids.ACTION_COACH_RATE_PREFIX}[1-5]$"))
    def rate(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()

        def work() -> None:
            score = int(action_id_of(body).removeprefix(ids.ACTION_COACH_RATE_PREFIX))
            with _tx(deps) as tx:
                coaching.rate(
                    tx,
                    workspace_id=team_of(body),
                    actor_id=user_of(body),
                    request_id=_int_value(action_value(body)),
                    rating=score,
                    now=deps.clock.now(),
                    messages=MESSAGES,
                )
                tx.commit()
            wake()

        _guarded(deps, "action:coach_rate", body, respond, work)

    @app.action(re.compile(rf"^{ids.ACTION_ITEM_DONE}:\d+$"))
    def item_done(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()

        def work() -> None:
            with _tx(deps) as tx:
                one_on_ones.mark_item_done(
                    tx,
                    workspace_id=team_of(body),
                    actor_id=user_of(body),
                    item_id=_int_value(action_value(body)),
                    now=deps.clock.now(),
                    messages=MESSAGES,
                )
                tx.commit()
            wake()
            if (body.get("container") or {}).get("type") == "view":
                publish_home(deps, team_of(body), user_of(body))

        _guarded(deps, "action:action_item_done", body, respond, work)

    # -- App Home buttons -------------------------------------------------------------------

    @app.action(ids.ACTION_HOME_REQUEST_COACHING)
    def home_request(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        _guarded(
            deps,
            "action:home_request_coaching",
            body,
            respond,
            lambda: _open(
                deps, body["trigger_id"], _request_modal_for(deps, team_of(body), user_of(body))
            ),
        )

    @app.action(re.compile(rf"^{ids.ACTION_HOME_LOG_ONE_ON_ONE}:\w+$"))
    def home_log(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        _guarded(
            deps,
            "action:home_log_1on1",
            body,
            respond,
            lambda: _open(
                deps,
                body["trigger_id"],
                _one_on_one_modal(deps, team_of(body), user_of(body), action_value(body)),
            ),
        )

    @app.action(ids.ACTION_ONE_ON_ONE_REP)
    def rep_picked(ack: Ack, body: dict[str, Any]) -> None:
        """The manager picked another rep in the 1:1 form: show that rep's agenda."""
        ack()
        view = body.get("view") or {}
        action = (body.get("actions") or [{}])[0]
        rep_id = str(action.get("selected_user") or "") or None
        try:
            modal = _one_on_one_modal(deps, team_of(body), user_of(body), rep_id)
        except PermissionDenied:
            return  # submitting says why, next to the field
        try:
            deps.client.views_update(view_id=view.get("id"), hash=view.get("hash"), view=modal)
        except Exception as exc:
            failure_text(deps, exc, where="action:one_on_one_rep", user=user_of(body))

    @app.action(re.compile(rf"^{ids.ACTION_PLAN_EDIT}:\w+$"))
    def plan_edit(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()

        def work() -> None:
            workspace_id, user_id = team_of(body), user_of(body)
            value = action_value(body)
            rep_id = user_id if value == "me" else value
            with _tx(deps) as tx:
                org = authorize(
                    tx,
                    workspace_id,
                    actor_id=user_id,
                    action=Action.EDIT_DEVELOPMENT_PLAN,
                    subject_id=rep_id,
                )
                plan = plans.get_plan(
                    tx,
                    workspace_id=workspace_id,
                    actor_id=user_id,
                    rep_id=rep_id,
                    now=deps.clock.now(),
                )
                skills = coaching.get_defaults(tx, workspace_id).skills
                label = person_or_stranger(org, rep_id).label
            _open(
                deps,
                body["trigger_id"],
                blocks.plan_modal(
                    rep_id=rep_id,
                    rep_label=label,
                    editor_is_rep=rep_id == user_id,
                    plan=plan,
                    skills=skills,
                ),
            )

        _guarded(deps, "action:plan_edit", body, respond, work)

    @app.action(re.compile(rf"^{ids.ACTION_SET_CADENCE}:\w+$"))
    def set_cadence(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()

        def work() -> None:
            rep_id = action_id_of(body).split(":", 1)[1]
            with _tx(deps) as tx:
                one_on_ones.set_cadence(
                    tx,
                    workspace_id=team_of(body),
                    actor_id=user_of(body),
                    rep_id=rep_id,
                    cadence_days=_int_value(action_value(body)),
                    now=deps.clock.now(),
                )
                tx.commit()
            publish_home(deps, team_of(body), user_of(body))

        _guarded(deps, "action:set_cadence", body, respond, work)

    @app.action(ids.ACTION_EDIT_COACHING_DEFAULTS)
    def edit_defaults(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()

        def work() -> None:
            workspace_id, user_id = team_of(body), user_of(body)
            with _tx(deps) as tx:
                authorize(
                    tx,
                    workspace_id,
                    actor_id=user_id,
                    action=Action.MANAGE_DEFAULTS,
                    subject_id=None,
                )
                defaults = coaching.get_defaults(tx, workspace_id)
            _open(deps, body["trigger_id"], blocks.defaults_modal(defaults))

        _guarded(deps, "action:edit_coaching_defaults", body, respond, work)
