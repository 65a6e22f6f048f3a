"""Coaching requests, end to end: ask, answer, remind, log the session, rate it.

Every function works inside the caller's unit of work (the caller commits), takes ``now``, and
asks :mod:`bot.domain.permissions` before touching anything. Messages are queued with the outbox
in the same transaction, so "the manager accepted" and "the rep will be told" commit together.

Services never import Slack: the Block Kit for each message comes from a
:class:`CoachingMessages` implementation the caller passes in (the Slack layer's lives in
``bot/slack/blocks/coaching.py``; bootstrap hands the same one to the reminder timer).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.clock import Clock
from bot.db.repositories.coaching import OPEN_REQUEST_STATES, CoachingRepo
from bot.db.repositories.core import WorkspaceRepo
from bot.db.rows import ActionItemRow, CoachingRequestRow
from bot.db.unit_of_work import UnitOfWork, UnitOfWorkFactory
from bot.domain import coaching as domain
from bot.domain.calendar import add_working_hours
from bot.domain.permissions import Action, Org, PermissionDenied, Person, check, require
from bot.services import outbox
from bot.services.org import authorize, load_org, person_or_stranger
from bot.services.outbox import Message

# --------------------------------------------------------------------------------------------
# Workspace defaults (sales ops): cadence, reminder timings, skills taxonomy
# --------------------------------------------------------------------------------------------

SETTINGS_KEY = "coaching"


@dataclass(frozen=True)
class CoachingDefaults:
    """Stored in ``workspaces.settings["coaching"]``; anything missing falls back to these."""

    cadence_days: int = domain.DEFAULT_CADENCE_DAYS
    response_hours: int = 24  # working hours before an unanswered request reminds the manager
    escalate_after_hours: int = 24  # further working hours before the skip-level sees the count
    item_reminder_days: int = 1  # remind an action item's owner this many days before it is due
    skills: tuple[domain.Skill, ...] = domain.SKILLS

    def to_json(self) -> dict[str, Any]:
        return {
            "cadence_days": self.cadence_days,
            "response_hours": self.response_hours,
            "escalate_after_hours": self.escalate_after_hours,
            "item_reminder_days": self.item_reminder_days,
            "skills": [[s.id, s.label] for s in self.skills],
        }


class CoachingError(ValueError):
    """Something the person can fix or should know; ``str(exc)`` is shown to them as-is."""


def _as_int(value: object, default: int, low: int, high: int) -> int:
    return value if isinstance(value, int) and low <= value <= high else default


def get_defaults(tx: UnitOfWork, workspace_id: str) -> CoachingDefaults:
    workspace = WorkspaceRepo(tx.session).get(workspace_id)
    stored = dict((workspace.settings or {}).get(SETTINGS_KEY) or {}) if workspace else {}
    base = CoachingDefaults()
    skills = base.skills
    raw_skills = stored.get("skills")
    if isinstance(raw_skills, list) and raw_skills:
        parsed = tuple(
            domain.Skill(str(s[0]), str(s[1]))
            for s in raw_skills
            if isinstance(s, list | tuple) and len(s) == 2
        )
        skills = parsed or skills
    return CoachingDefaults(
        cadence_days=_as_int(stored.get("cadence_days"), base.cadence_days, 1, 365),
        response_hours=_as_int(stored.get("response_hours"), base.response_hours, 1, 24 * 30),
        escalate_after_hours=_as_int(
            stored.get("escalate_after_hours"), base.escalate_after_hours, 1, 24 * 30
        ),
        item_reminder_days=_as_int(
            stored.get("item_reminder_days"), base.item_reminder_days, 0, 30
        ),
        skills=skills,
    )


def parse_skills(text: str) -> tuple[domain.Skill, ...]:
    """One skill per line, ``id: Label`` or just ``Label`` (the id is derived from it).

    Raises CoachingError naming the bad line; an empty list is refused because requests and
    plans need at least one topic.
    """
    skills: list[domain.Skill] = []
    seen: set[str] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if ":" in line:
            skill_id, label = (part.strip() for part in line.split(":", 1))
        else:
            label = line
            skill_id = "_".join(label.lower().split())
        if not skill_id or not label or len(skill_id) > 60 or len(label) > 75:
            raise CoachingError(f"Line {number}: write it as `id: Label` (short), got {raw!r}.")
        if not all(c.isalnum() or c == "_" for c in skill_id):
            raise CoachingError(
                f"Line {number}: a skill id uses letters, digits and _ only, got {skill_id!r}."
            )
        if skill_id in seen:
            raise CoachingError(f"Line {number}: {skill_id!r} appears twice.")
        seen.add(skill_id)
        skills.append(domain.Skill(skill_id, label))
    if not skills:
        raise CoachingError("Give at least one skill.")
    if len(skills) > 50:
        raise CoachingError("Keep the taxonomy to 50 skills or fewer; Slack menus get long.")
    return tuple(skills)


def set_defaults(
    tx: UnitOfWork,
    *,
    workspace_id: str,
    now: datetime,
    actor_id: str | None,
    cadence_days: int | None = None,
    response_hours: int | None = None,
    escalate_after_hours: int | None = None,
    item_reminder_days: int | None = None,
    skills: Sequence[domain.Skill] | None = None,
) -> CoachingDefaults:
    """Change the workspace defaults. ``actor_id=None`` means the server operator (CLI)."""
    if actor_id is not None:
        authorize(
            tx, workspace_id, actor_id=actor_id, action=Action.MANAGE_DEFAULTS, subject_id=None
        )
    current = get_defaults(tx, workspace_id)
    checks = (
        ("cadence_days", cadence_days, 1, 365, "Cadence is 1 to 365 days."),
        ("response_hours", response_hours, 1, 720, "Reminder time is 1 to 720 working hours."),
        ("escalate_after_hours", escalate_after_hours, 1, 720, "Escalation is 1 to 720 hours."),
        ("item_reminder_days", item_reminder_days, 0, 30, "Reminder lead is 0 to 30 days."),
    )
    changes: dict[str, Any] = {}
    for name, value, low, high, message in checks:
        if value is not None:
            if not low <= value <= high:
                raise CoachingError(message)
            changes[name] = value
    if skills is not None:
        changes["skills"] = tuple(skills)
    updated = CoachingDefaults(**{**current.__dict__, **changes})
    workspace = WorkspaceRepo(tx.session).ensure(workspace_id, now=now)
    # Reassign (not mutate) so SQLAlchemy sees the JSON column change.
    workspace.settings = {**(workspace.settings or {}), SETTINGS_KEY: updated.to_json()}
    workspace.updated_at = now
    return updated


# --------------------------------------------------------------------------------------------
# What messages look like: a port the Slack layer implements
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestView:
    """A coaching request as the people in it see it, for rendering messages and homes."""

    id: int
    requester_id: str
    requester_label: str
    manager_id: str
    manager_label: str
    skill: str
    skill_label: str
    context: str
    urgency: str
    preferred_times: str
    note: str
    state: str
    requested_at: datetime
    response_deadline: datetime
    proposed_for: datetime | None = None
    proposal_note: str | None = None
    scheduled_for: datetime | None = None
    decline_note: str | None = None
    outcome: str | None = None
    next_steps: str | None = None
    rating: int | None = None


@dataclass(frozen=True)
class ItemView:
    id: int
    text: str
    owner_id: str
    rep_id: str
    manager_id: str
    due: date | None
    carried_over: int = 0
    done: bool = False


@dataclass(frozen=True)
class OneOnOneSummary:
    """What the rep is sent after a 1:1: the notes only when shared, always their items."""

    one_on_one_id: int
    manager_id: str
    manager_label: str
    rep_id: str
    held_on: date
    shared_notes: str | None
    skills_focus: tuple[str, ...]
    next_meeting: date | None
    items: tuple[ItemView, ...]


class CoachingMessages(Protocol):
    """Renders each message Enabler sends about coaching; implemented in the Slack layer."""

    def request_for_manager(self, request: RequestView) -> Message: ...
    def request_sent(self, request: RequestView) -> Message: ...
    def outcome_for_rep(self, request: RequestView) -> Message: ...
    def time_taken_for_manager(self, request: RequestView) -> Message: ...
    def manager_reminder(self, request: RequestView) -> Message: ...
    def skip_level_overdue(self, manager_label: str, count: int, days: int) -> Message: ...
    def rating_question(self, request: RequestView) -> Message: ...
    def rating_thanks(self, request: RequestView) -> Message: ...
    def one_on_one_for_rep(self, summary: OneOnOneSummary) -> Message: ...
    def action_item_reminder(self, item: ItemView, counterpart_label: str) -> Message: ...
    def action_item_done(self, item: ItemView) -> Message: ...


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def tz_of(org_tz: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(org_tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def person_tz(tx: UnitOfWork, workspace_id: str, user_id: str) -> ZoneInfo:
    from bot.db.repositories.core import PeopleRepo

    row = PeopleRepo(tx.session, workspace_id).get(user_id)
    return tz_of(row.timezone if row else None)


def today_for(tx: UnitOfWork, workspace_id: str, user_id: str, now: datetime) -> date:
    """The date in the person's own time zone: what "today" means in their modals."""
    return now.astimezone(person_tz(tx, workspace_id, user_id)).date()


def _label(org: Org, user_id: str) -> str:
    person = org.get(user_id)
    return person.label if person is not None else f"<@{user_id}>"


def to_domain(row: CoachingRequestRow) -> domain.CoachingRequest:
    return domain.CoachingRequest(
        id=str(row.id),
        requester_id=row.requester_id,
        manager_id=row.manager_id,
        skill=row.skill,
        requested_at=row.requested_at,
        context=row.context,
        urgency=domain.Urgency(row.urgency),
        preferred_times=row.preferred_times,
        note=row.note,
        state=domain.RequestState(row.state),
        responded_at=row.responded_at,
        proposed_for=row.proposed_for,
        scheduled_for=row.scheduled_for,
        decline_note=row.decline_note,
        completed_at=row.completed_at,
        outcome=row.outcome,
        next_steps=row.next_steps,
        rating=row.rating,
        rated_at=row.rated_at,
    )


def _apply(row: CoachingRequestRow, new: domain.CoachingRequest, now: datetime) -> None:
    row.state = new.state.value
    row.responded_at = new.responded_at
    row.proposed_for = new.proposed_for
    row.scheduled_for = new.scheduled_for
    row.decline_note = new.decline_note
    row.completed_at = new.completed_at
    row.outcome = new.outcome
    row.next_steps = new.next_steps
    row.rating = new.rating
    row.rated_at = new.rated_at
    row.updated_at = now


def view_of(
    row: CoachingRequestRow, org: Org, skills: Sequence[domain.Skill] = domain.SKILLS
) -> RequestView:
    return RequestView(
        id=row.id,
        requester_id=row.requester_id,
        requester_label=_label(org, row.requester_id),
        manager_id=row.manager_id,
        manager_label=_label(org, row.manager_id),
        skill=row.skill,
        skill_label=domain.skill_label(row.skill, skills),
        context=row.context,
        urgency=row.urgency,
        preferred_times=row.preferred_times,
        note=row.note,
        state=row.state,
        requested_at=row.requested_at,
        response_deadline=row.response_deadline,
        proposed_for=row.proposed_for,
        proposal_note=row.proposal_note,
        scheduled_for=row.scheduled_for,
        decline_note=row.decline_note,
        outcome=row.outcome,
        next_steps=row.next_steps,
        rating=row.rating,
    )


def _actor(org: Org, user_id: str) -> Person:
    return person_or_stranger(org, user_id)


def _load(tx: UnitOfWork, workspace_id: str, request_id: int) -> CoachingRequestRow:
    row = CoachingRepo(tx.session, workspace_id).request(request_id, for_update=True)
    if row is None:
        raise CoachingError("That coaching request no longer exists.")
    return row


def _load_for(
    tx: UnitOfWork,
    workspace_id: str,
    request_id: int,
    actor_id: str,
    action: Action,
    *,
    managers_own: bool = False,
) -> tuple[CoachingRequestRow, Org]:
    """The request, locked, once ``actor_id`` may do ``action`` to it (its requester is the
    subject). ``managers_own``: the manager it was sent to owns it, whoever manages the rep now."""
    row = _load(tx, workspace_id, request_id)
    org = authorize(
        tx,
        workspace_id,
        actor_id=actor_id,
        action=action,
        subject_id=row.requester_id,
        resource_owner=row.manager_id if managers_own else None,
    )
    return row, org


def _advance(
    tx: UnitOfWork,
    workspace_id: str,
    row: CoachingRequestRow,
    org: Org,
    new: domain.CoachingRequest,
    now: datetime,
) -> RequestView:
    """Store the request's new state and return it as its people will now see it."""
    _apply(row, new, now)
    return view_of(row, org, get_defaults(tx, workspace_id).skills)


def _edit_rep_message(
    tx: UnitOfWork,
    *,
    workspace_id: str,
    row: CoachingRequestRow,
    kind: str,
    dedupe_key: str,
    message: Message,
    now: datetime,
) -> None:
    """Edit the DM the rep was last sent about this request (if any) in place."""
    if row.rep_message_id is None:
        return
    outbox.update(
        tx,
        workspace_id=workspace_id,
        kind=kind,
        dedupe_key=dedupe_key,
        of_delivery=row.rep_message_id,
        message=message,
        now=now,
    )


def _refresh_manager_message(
    tx: UnitOfWork,
    *,
    workspace_id: str,
    row: CoachingRequestRow,
    view: RequestView,
    now: datetime,
    messages: CoachingMessages,
    key: str,
) -> None:
    """Edit the manager's original DM in place so its buttons match the request's state."""
    if row.manager_message_id is None:
        return
    outbox.update(
        tx,
        workspace_id=workspace_id,
        kind="coaching_request",
        dedupe_key=f"coaching:{row.id}:manager-edit:{key}",
        of_delivery=row.manager_message_id,
        message=messages.request_for_manager(view),
        now=now,
    )


def _deadline(
    tx: UnitOfWork, workspace_id: str, manager_id: str, start: datetime, hours: int
) -> datetime:
    workspace = WorkspaceRepo(tx.session).get(workspace_id)
    countries = list(workspace.holiday_countries or []) if workspace else []
    return add_working_hours(
        start,
        hours,
        tz=person_tz(tx, workspace_id, manager_id),
        holiday_countries=countries,
    )


# --------------------------------------------------------------------------------------------
# Use cases
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestForm:
    skill: str | None
    context: str = ""
    urgency: str | None = "normal"
    preferred_times: str = ""
    note: str = ""


@dataclass(frozen=True)
class Submitted:
    """A modal submission's result: field errors for the modal, or the id that was saved."""

    errors: domain.Errors = field(default_factory=dict)
    id: int | None = None


def manager_for_request(tx: UnitOfWork, *, workspace_id: str, requester_id: str) -> Person:
    """Whom ``requester_id`` would ask; raises when there is no one (or they may not ask)."""
    org = load_org(tx, workspace_id)
    requester = _actor(org, requester_id)
    if requester_id not in org:
        raise PermissionDenied(
            "You're not on Enabler's roster for this workspace yet. Ask sales ops to add you.",
            action=Action.REQUEST_COACHING,
        )
    manager = org.manager_of(requester_id)
    if manager is None:
        raise CoachingError(
            "You don't have a manager on Enabler's roster yet, so there is no one to ask. "
            "Sales ops can add them."
        )
    require(requester, Action.REQUEST_COACHING, subject=manager, org=org)
    return manager


def request_coaching(
    tx: UnitOfWork,
    *,
    workspace_id: str,
    requester_id: str,
    form: RequestForm,
    now: datetime,
    messages: CoachingMessages,
) -> Submitted:
    manager = manager_for_request(tx, workspace_id=workspace_id, requester_id=requester_id)
    defaults = get_defaults(tx, workspace_id)
    errors = domain.validate_coaching_request(
        skill=form.skill,
        note=form.note,
        urgency=form.urgency,
        context=form.context,
        skills=defaults.skills,
    )
    if errors:
        return Submitted(errors=errors)
    assert form.skill is not None
    row = CoachingRequestRow(
        workspace_id=workspace_id,
        requester_id=requester_id,
        manager_id=manager.user_id,
        skill=form.skill,
        context=form.context.strip(),
        urgency=form.urgency or "normal",
        preferred_times=form.preferred_times.strip(),
        note=form.note.strip(),
        state="requested",
        requested_at=now,
        response_deadline=_deadline(
            tx, workspace_id, manager.user_id, now, defaults.response_hours
        ),
        updated_at=now,
    )
    CoachingRepo(tx.session, workspace_id).add(row)
    org = load_org(tx, workspace_id)
    view = view_of(row, org, defaults.skills)
    row.manager_message_id = outbox.post(
        tx,
        workspace_id=workspace_id,
        kind="coaching_request",
        dedupe_key=f"coaching:{row.id}:manager",
        message=messages.request_for_manager(view),
        now=now,
        to_user=manager.user_id,
    )
    outbox.post(
        tx,
        workspace_id=workspace_id,
        kind="coaching_request",
        dedupe_key=f"coaching:{row.id}:sent",
        message=messages.request_sent(view),
        now=now,
        to_user=requester_id,
    )
    return Submitted(id=row.id)


def get_request(
    tx: UnitOfWork, *, workspace_id: str, actor_id: str, request_id: int
) -> RequestView:
    """For opening the accept/propose/decline/outcome modals: only the two people involved."""
    row, org = _load_for(
        tx, workspace_id, request_id, actor_id, Action.VIEW_COACHING_REQUEST, managers_own=True
    )
    return view_of(row, org, get_defaults(tx, workspace_id).skills)


def respond(
    tx: UnitOfWork,
    *,
    workspace_id: str,
    actor_id: str,
    request_id: int,
    event: domain.Accept | domain.Propose | domain.Decline,
    now: datetime,
    messages: CoachingMessages,
    note: str = "",
) -> Submitted:
    """The manager's answer: accept at a time, propose another time, or decline with a note."""
    match event:
        case domain.Accept(scheduled_for=when):
            errors = domain.validate_accept(scheduled_for=when, now=now)
        case domain.Propose(proposed_for=when):
            errors = domain.validate_propose(proposed_for=when, now=now)
        case domain.Decline(note=decline_note):
            errors = domain.validate_decline(note=decline_note)
    if errors:
        return Submitted(errors=errors)
    row, org = _load_for(
        tx,
        workspace_id,
        request_id,
        actor_id,
        Action.RESPOND_TO_COACHING_REQUEST,
        managers_own=True,
    )
    new = domain.transition(to_domain(row), event, at=now)
    if isinstance(event, domain.Propose):
        row.proposal_note = note.strip() or None
    view = _advance(tx, workspace_id, row, org, new, now)
    key = f"{row.state}:{int((row.proposed_for or row.scheduled_for or now).timestamp())}"
    _refresh_manager_message(
        tx, workspace_id=workspace_id, row=row, view=view, now=now, messages=messages, key=key
    )
    delivery = outbox.post(
        tx,
        workspace_id=workspace_id,
        kind="coaching_outcome",
        dedupe_key=f"coaching:{row.id}:rep:{key}",
        message=messages.outcome_for_rep(view),
        now=now,
        to_user=row.requester_id,
    )
    if isinstance(event, domain.Propose):
        row.rep_message_id = delivery
    return Submitted(id=row.id)


def take_proposed_time(
    tx: UnitOfWork,
    *,
    workspace_id: str,
    actor_id: str,
    request_id: int,
    now: datetime,
    messages: CoachingMessages,
) -> RequestView:
    """The rep takes the time the manager proposed."""
    row, org = _load_for(tx, workspace_id, request_id, actor_id, Action.ANSWER_PROPOSED_TIME)
    try:
        new = domain.transition(to_domain(row), domain.Accept(), at=now)
    except ValueError as exc:
        if isinstance(exc, domain.InvalidTransition):
            raise
        raise CoachingError(
            "That proposed time has already passed. Ask your manager for another one."
        ) from exc
    view = _advance(tx, workspace_id, row, org, new, now)
    key = f"taken:{int((row.scheduled_for or now).timestamp())}"
    _refresh_manager_message(
        tx, workspace_id=workspace_id, row=row, view=view, now=now, messages=messages, key=key
    )
    outbox.post(
        tx,
        workspace_id=workspace_id,
        kind="coaching_outcome",
        dedupe_key=f"coaching:{row.id}:manager:{key}",
        message=messages.time_taken_for_manager(view),
        now=now,
        to_user=row.manager_id,
    )
    _edit_rep_message(
        tx,
        workspace_id=workspace_id,
        row=row,
        kind="coaching_outcome",
        dedupe_key=f"coaching:{row.id}:rep-edit:{key}",
        message=messages.outcome_for_rep(view),
        now=now,
    )
    return view


def log_outcome(
    tx: UnitOfWork,
    *,
    workspace_id: str,
    actor_id: str,
    request_id: int,
    worked_on: str,
    next_steps: str,
    now: datetime,
    messages: CoachingMessages,
) -> Submitted:
    """After the session: what was worked on and next steps; then the rep gets one question."""
    errors = domain.validate_outcome(worked_on=worked_on, next_steps=next_steps)
    if errors:
        return Submitted(errors=errors)
    row, org = _load_for(
        tx, workspace_id, request_id, actor_id, Action.LOG_COACHING_OUTCOME, managers_own=True
    )
    new = domain.transition(to_domain(row), domain.Complete(worked_on, next_steps), at=now)
    view = _advance(tx, workspace_id, row, org, new, now)
    _refresh_manager_message(
        tx, workspace_id=workspace_id, row=row, view=view, now=now, messages=messages, key="done"
    )
    row.rep_message_id = outbox.post(
        tx,
        workspace_id=workspace_id,
        kind="coaching_rating",
        dedupe_key=f"coaching:{row.id}:rating-question",
        message=messages.rating_question(view),
        now=now,
        to_user=row.requester_id,
    )
    return Submitted(id=row.id)


def rate(
    tx: UnitOfWork,
    *,
    workspace_id: str,
    actor_id: str,
    request_id: int,
    rating: int,
    now: datetime,
    messages: CoachingMessages,
) -> RequestView:
    if domain.validate_rating(rating):
        raise CoachingError("Pick a rating from 1 to 5.")
    row, org = _load_for(tx, workspace_id, request_id, actor_id, Action.RATE_COACHING_SESSION)
    new = domain.transition(to_domain(row), domain.Rate(rating), at=now)
    view = _advance(tx, workspace_id, row, org, new, now)
    _edit_rep_message(
        tx,
        workspace_id=workspace_id,
        row=row,
        kind="coaching_rating",
        dedupe_key=f"coaching:{row.id}:rating-thanks",
        message=messages.rating_thanks(view),
        now=now,
    )
    return view


def requests_for(
    tx: UnitOfWork, *, workspace_id: str, requester_id: str, limit: int = 10
) -> list[RequestView]:
    """A rep's own requests, newest first (their App Home)."""
    org = load_org(tx, workspace_id)
    skills = get_defaults(tx, workspace_id).skills
    rows = CoachingRepo(tx.session, workspace_id).requests(requester_id=requester_id, limit=limit)
    return [view_of(r, org, skills) for r in rows]


def open_requests_to(
    tx: UnitOfWork, *, workspace_id: str, manager_id: str, org: Org
) -> list[RequestView]:
    """Requests waiting on a manager (requested, proposed, accepted), oldest first."""
    skills = get_defaults(tx, workspace_id).skills
    rows = CoachingRepo(tx.session, workspace_id).requests(
        manager_ids=[manager_id], states=OPEN_REQUEST_STATES
    )
    views = [view_of(r, org, skills) for r in reversed(rows)]
    viewer = _actor(org, manager_id)
    return [
        v
        for v in views
        if check(
            viewer,
            Action.VIEW_COACHING_REQUEST,
            subject=person_or_stranger(org, v.requester_id),
            org=org,
            resource_owner=v.manager_id,
        ).allowed
    ]


# --------------------------------------------------------------------------------------------
# Reminders (run by the timer)
# --------------------------------------------------------------------------------------------


@dataclass
class SweepResult:
    manager_reminders: int = 0
    escalations: int = 0
    item_reminders: int = 0


def sweep(
    tx: UnitOfWork, *, workspace_id: str, now: datetime, messages: CoachingMessages
) -> SweepResult:
    """Everything time-driven, idempotent (each reminder is sent once, keyed in the outbox):

    * a request unanswered after its deadline reminds the manager;
    * still unanswered ``escalate_after_hours`` working hours later, the manager's own manager
      is told how many (a count, never the content);
    * an open action item reminds its owner ``item_reminder_days`` before it is due, at 09:00
      in the owner's time zone.
    """
    result = SweepResult()
    repo = CoachingRepo(tx.session, workspace_id)
    defaults = get_defaults(tx, workspace_id)
    org: Org | None = None
    late_by_manager: dict[str, list[CoachingRequestRow]] = {}
    for row in repo.unanswered_past(now):
        org = org or load_org(tx, workspace_id)
        if row.reminded_at is None:
            view = view_of(row, org, defaults.skills)
            outbox.post(
                tx,
                workspace_id=workspace_id,
                kind="coaching_reminder",
                dedupe_key=f"coaching:{row.id}:reminder",
                message=messages.manager_reminder(view),
                now=now,
                to_user=row.manager_id,
            )
            row.reminded_at = now
            result.manager_reminders += 1
        escalate_at = _deadline(
            tx, workspace_id, row.manager_id, row.response_deadline, defaults.escalate_after_hours
        )
        if row.escalated_at is None and now >= escalate_at:
            late_by_manager.setdefault(row.manager_id, []).append(row)
    for manager_id, rows in late_by_manager.items():
        assert org is not None
        skip = org.manager_of(manager_id) if manager_id in org else None
        if skip is not None:
            decision = check(
                skip,
                Action.VIEW_OVERDUE_COACHING_COUNT,
                subject=org.person(manager_id),
                org=org,
            )
            if decision.allowed:
                waiting = _waiting(repo, manager_id, now)
                days = max(1, (defaults.response_hours + defaults.escalate_after_hours) // 8)
                ids = "-".join(str(r.id) for r in rows)
                outbox.post(
                    tx,
                    workspace_id=workspace_id,
                    kind="coaching_escalation",
                    dedupe_key=f"coaching:escalation:{manager_id}:{ids}"[:200],
                    message=messages.skip_level_overdue(_label(org, manager_id), waiting, days),
                    now=now,
                    to_user=skip.user_id,
                )
                result.escalations += 1
        for row in rows:
            row.escalated_at = now
    result.item_reminders = _remind_items(
        tx, workspace_id=workspace_id, repo=repo, defaults=defaults, now=now, messages=messages
    )
    return result


def _waiting(repo: CoachingRepo, manager_id: str, now: datetime) -> int:
    return sum(1 for r in repo.unanswered_past(now) if r.manager_id == manager_id)


def _remind_items(
    tx: UnitOfWork,
    *,
    workspace_id: str,
    repo: CoachingRepo,
    defaults: CoachingDefaults,
    now: datetime,
    messages: CoachingMessages,
) -> int:
    lead = timedelta(days=defaults.item_reminder_days)
    # Anyone's "today" is at most a day ahead of UTC; due dates beyond that plus the lead are
    # not due for a reminder yet.
    horizon = now.date() + lead + timedelta(days=1)
    org: Org | None = None
    sent = 0
    for item in repo.items_to_remind(horizon):
        assert item.due is not None
        tz = person_tz(tx, workspace_id, item.owner_id)
        if now < domain.due_reminder_at(item.due, tz, lead):
            continue
        org = org or load_org(tx, workspace_id)
        counterpart = item.manager_id if item.owner_id == item.rep_id else item.rep_id
        outbox.post(
            tx,
            workspace_id=workspace_id,
            kind="action_item_reminder",
            dedupe_key=f"action_item:{item.id}:reminder",
            message=messages.action_item_reminder(item_view(item), _label(org, counterpart)),
            now=now,
            to_user=item.owner_id,
        )
        item.reminded_at = now
        sent += 1
    return sent


def item_view(item: ActionItemRow) -> ItemView:
    return ItemView(
        id=item.id,
        text=item.text,
        owner_id=item.owner_id,
        rep_id=item.rep_id,
        manager_id=item.manager_id,
        due=item.due,
        carried_over=item.carried_over,
        done=item.done,
    )


def sweep_all(uow: UnitOfWorkFactory, *, clock: Clock, messages: CoachingMessages) -> SweepResult:
    """Every workspace, one transaction each: what bootstrap's timer calls."""
    total = SweepResult()
    with uow() as tx:
        workspaces = [w.team_id for w in WorkspaceRepo(tx.session).all()]
    for workspace_id in workspaces:
        with uow() as tx:
            result = sweep(tx, workspace_id=workspace_id, now=clock.now(), messages=messages)
            tx.commit()
        total.manager_reminders += result.manager_reminders
        total.escalations += result.escalations
        total.item_reminders += result.item_reminders
    return total
