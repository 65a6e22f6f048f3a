"""One-on-ones, coaching requests and development plans, as pure values and rules.

The services load and store these; Slack builders render them. Nothing here reads the clock:
every function that needs "now" or "today" takes it, and "today" is always the date in the
relevant person's own time zone (the caller knows which person that is).

Validation functions return ``{field: message}`` dicts. The keys are the field names documented on
each function; the modal builders use them as ``block_id`` so the dict can be returned as-is in a
``response_action: errors`` reply, and an empty dict means "valid".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from types import MappingProxyType

from bot.domain.permissions import Action, Org, Person, Role, check

__all__ = [
    "DEFAULT_CADENCE_DAYS",
    "PLAN_MAX_AGE_DAYS",
    "SKILLS",
    "SKILL_IDS",
    "TRANSITIONS",
    "Accept",
    "ActionItem",
    "ActionItemInput",
    "Agenda",
    "CoachingRequest",
    "Complete",
    "Decline",
    "DevelopmentPlan",
    "Errors",
    "Event",
    "Goal",
    "GoalInput",
    "InvalidTransition",
    "ManagerCoverage",
    "PlanSnapshot",
    "Propose",
    "Rate",
    "RepCadence",
    "RepCoverageInput",
    "RepDue",
    "RequestState",
    "RequestTiming",
    "Skill",
    "SkillProgress",
    "SkillRating",
    "Trend",
    "Urgency",
    "answered_on_time",
    "build_agenda",
    "carry_over",
    "coverage_report",
    "debrief_question",
    "due_reminder_at",
    "is_current",
    "is_overdue",
    "is_response_overdue",
    "manager_coverage",
    "next_due",
    "order_reps_for_home",
    "plan_progress",
    "skill_label",
    "transition",
    "validate_accept",
    "validate_coaching_request",
    "validate_decline",
    "validate_development_plan",
    "validate_one_on_one",
    "validate_outcome",
    "validate_propose",
    "validate_rating",
]

Errors = dict[str, str]
"""Field name -> message, ready for Slack's ``response_action: errors``."""

# Slack's plain_text_input accepts at most 3000 characters; saying so beats a silent truncation.
MAX_TEXT = 3000

# --------------------------------------------------------------------------------------------
# Skills taxonomy
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Skill:
    id: str
    label: str


SKILLS: tuple[Skill, ...] = (
    Skill("prospecting", "Prospecting"),
    Skill("discovery", "Discovery"),
    Skill("qualification", "Qualification"),
    Skill("demo", "Demo"),
    Skill("objection_handling", "Objection handling"),
    Skill("negotiation", "Negotiation"),
    Skill("closing", "Closing"),
    Skill("deal_strategy", "Deal strategy"),
    Skill("account_planning", "Account planning"),
    Skill("time_management", "Time management"),
    Skill("other", "Other"),
)
"""The default taxonomy; sales ops may configure another, which callers pass as ``skills=``."""

SKILL_IDS: frozenset[str] = frozenset(s.id for s in SKILLS)


def skill_label(skill_id: str, skills: Sequence[Skill] = SKILLS) -> str:
    """The label for a skill id; an id no longer in the taxonomy shows as itself, not an error,
    because old plans and requests outlive taxonomy edits."""
    for skill in skills:
        if skill.id == skill_id:
            return skill.label
    return skill_id


def _skill_ids(skills: Sequence[Skill]) -> frozenset[str]:
    return SKILL_IDS if skills is SKILLS else frozenset(s.id for s in skills)


# --------------------------------------------------------------------------------------------
# Coaching requests: a small state machine
# --------------------------------------------------------------------------------------------


class RequestState(StrEnum):
    REQUESTED = "requested"
    PROPOSED = "proposed"  # the manager proposed another time; the rep's turn
    ACCEPTED = "accepted"
    DECLINED = "declined"
    COMPLETED = "completed"
    RATED = "rated"


class Urgency(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"


@dataclass(frozen=True)
class CoachingRequest:
    """A rep's request for coaching and everything that happened to it since.

    ``responded_at`` is the manager's *first* answer (accept, propose or decline): it is what
    "met on time" measures, so later moves by the rep never change it.
    """

    id: str
    requester_id: str
    manager_id: str
    skill: str
    requested_at: datetime
    context: str = ""  # the deal or channel it concerns
    urgency: Urgency = Urgency.NORMAL
    preferred_times: str = ""
    note: str = ""
    state: RequestState = RequestState.REQUESTED
    responded_at: datetime | None = None
    proposed_for: datetime | None = None
    scheduled_for: datetime | None = None
    decline_note: str | None = None
    completed_at: datetime | None = None
    outcome: str | None = None
    next_steps: str | None = None
    rating: int | None = None
    rated_at: datetime | None = None


@dataclass(frozen=True)
class Accept:
    """Manager accepts at ``scheduled_for``; or, from PROPOSED, the rep takes the proposed time
    (leave ``scheduled_for`` empty)."""

    scheduled_for: datetime | None = None


@dataclass(frozen=True)
class Propose:
    proposed_for: datetime


@dataclass(frozen=True)
class Decline:
    note: str


@dataclass(frozen=True)
class Complete:
    outcome: str
    next_steps: str = ""


@dataclass(frozen=True)
class Rate:
    rating: int


Event = Accept | Propose | Decline | Complete | Rate

TRANSITIONS: Mapping[tuple[RequestState, type[Event]], RequestState] = MappingProxyType(
    {
        (RequestState.REQUESTED, Accept): RequestState.ACCEPTED,
        (RequestState.REQUESTED, Propose): RequestState.PROPOSED,
        (RequestState.REQUESTED, Decline): RequestState.DECLINED,
        (RequestState.PROPOSED, Accept): RequestState.ACCEPTED,
        (RequestState.PROPOSED, Propose): RequestState.PROPOSED,  # the manager moves it again
        (RequestState.PROPOSED, Decline): RequestState.DECLINED,
        (RequestState.ACCEPTED, Complete): RequestState.COMPLETED,
        (RequestState.COMPLETED, Rate): RequestState.RATED,
    }
)
"""Every allowed move; anything else raises :class:`InvalidTransition`."""

_VERB: Mapping[type[Event], str] = MappingProxyType(
    {
        Accept: "accepted",
        Propose: "moved to another time",
        Decline: "declined",
        Complete: "logged as done",
        Rate: "rated",
    }
)

_WHERE_IT_IS: Mapping[RequestState, str] = MappingProxyType(
    {
        RequestState.REQUESTED: "is still waiting for an answer",
        RequestState.PROPOSED: "is waiting for the rep to take the proposed time",
        RequestState.ACCEPTED: "is scheduled but hasn't happened yet",
        RequestState.DECLINED: "was declined",
        RequestState.COMPLETED: "is already done",
        RequestState.RATED: "is done and rated",
    }
)


class InvalidTransition(ValueError):  # noqa: N818 - the name the brief and callers use
    """The event does not apply in the request's current state (often a double click).

    ``str(exc)`` is a sentence fit for an ephemeral reply.
    """

    def __init__(self, state: RequestState, event: Event) -> None:
        self.state = state
        self.event = event
        super().__init__(
            f"This coaching request {_WHERE_IT_IS[state]}, so it can't be {_VERB[type(event)]} now."
        )


def transition(request: CoachingRequest, event: Event, *, at: datetime) -> CoachingRequest:
    """Apply ``event`` at instant ``at`` and return the new request; the old one is untouched.

    Raises :class:`InvalidTransition` for a move the state does not allow and ``ValueError`` for
    a bad payload (a time in the past, an empty note, a rating outside 1–5): the modal validators
    below catch those first with friendlier messages, this is the invariant behind them.
    """
    target = TRANSITIONS.get((request.state, type(event)))
    if target is None:
        raise InvalidTransition(request.state, event)
    first_answer = request.responded_at or at
    match event:
        case Accept(scheduled_for=when):
            if when is None:
                when = request.proposed_for if request.state is RequestState.PROPOSED else None
            if when is None:
                raise ValueError("accepting needs a date and time")
            if when <= at:
                raise ValueError("the session time has already passed")
            return replace(request, state=target, scheduled_for=when, responded_at=first_answer)
        case Propose(proposed_for=when):
            if when <= at:
                raise ValueError("the proposed time has already passed")
            return replace(request, state=target, proposed_for=when, responded_at=first_answer)
        case Decline(note=note):
            if not note.strip():
                raise ValueError("declining needs a note for the rep")
            return replace(
                request, state=target, decline_note=note.strip(), responded_at=first_answer
            )
        case Complete(outcome=outcome, next_steps=next_steps):
            if not outcome.strip():
                raise ValueError("say what was worked on")
            return replace(
                request,
                state=target,
                outcome=outcome.strip(),
                next_steps=next_steps.strip(),
                completed_at=at,
            )
        case Rate(rating=rating):
            if not _is_rating(rating):
                raise ValueError("a rating is a whole number from 1 to 5")
            return replace(request, state=target, rating=rating, rated_at=at)
    raise AssertionError(f"unhandled event {event!r}")  # pragma: no cover - exhaustive match


def is_response_overdue(request: CoachingRequest, *, deadline: datetime, now: datetime) -> bool:
    """Unanswered past its deadline (requested_at + 24 working hours, computed by schedules)."""
    return request.state is RequestState.REQUESTED and now > deadline


def answered_on_time(request: CoachingRequest, *, deadline: datetime) -> bool:
    return request.responded_at is not None and request.responded_at <= deadline


# --------------------------------------------------------------------------------------------
# One-on-one cadence
# --------------------------------------------------------------------------------------------

DEFAULT_CADENCE_DAYS = 7


def next_due(
    last_held: date | None,
    cadence_days: int = DEFAULT_CADENCE_DAYS,
    *,
    today: date,
    scheduled: date | None = None,
    since: date | None = None,
) -> date:
    """When the next 1:1 with a rep is due.

    An agreed next meeting (``scheduled``, from the 1:1 modal) wins over the cadence as long as it
    is after the last one. Without any 1:1 yet, the first is due one cadence after the rep joined
    the roster (``since``), or today if we don't know when that was.
    """
    if cadence_days < 1:
        raise ValueError("cadence_days must be at least 1")
    if scheduled is not None and (last_held is None or scheduled > last_held):
        return scheduled
    if last_held is not None:
        return last_held + timedelta(days=cadence_days)
    if since is not None:
        return since + timedelta(days=cadence_days)
    return today


def is_overdue(
    last_held: date | None,
    cadence_days: int = DEFAULT_CADENCE_DAYS,
    *,
    today: date,
    scheduled: date | None = None,
    since: date | None = None,
) -> bool:
    """Past its due date. A rep who has never had a 1:1, with no known start date and nothing
    scheduled, is overdue: that is exactly who the manager should see first."""
    if last_held is None and scheduled is None and since is None:
        return True
    due = next_due(last_held, cadence_days, today=today, scheduled=scheduled, since=since)
    return today > due


@dataclass(frozen=True)
class RepCadence:
    rep_id: str
    last_held: date | None
    cadence_days: int = DEFAULT_CADENCE_DAYS
    scheduled_next: date | None = None
    since: date | None = None


@dataclass(frozen=True)
class RepDue:
    """One row of the manager's App Home 1:1 list."""

    rep_id: str
    last_held: date | None
    next_due: date
    overdue: bool
    days_overdue: int


def order_reps_for_home(reps: Iterable[RepCadence], *, today: date) -> list[RepDue]:
    """Overdue first (never met, then most overdue), then by next due date; ties by rep id so
    the list does not reshuffle between renders."""
    rows: list[RepDue] = []
    for rep in reps:
        due = next_due(
            rep.last_held,
            rep.cadence_days,
            today=today,
            scheduled=rep.scheduled_next,
            since=rep.since,
        )
        overdue = is_overdue(
            rep.last_held,
            rep.cadence_days,
            today=today,
            scheduled=rep.scheduled_next,
            since=rep.since,
        )
        rows.append(RepDue(rep.rep_id, rep.last_held, due, overdue, max(0, (today - due).days)))

    def key(row: RepDue) -> tuple[bool, bool, date, str]:
        never_met_first = not (row.overdue and row.last_held is None)
        return (not row.overdue, never_met_first, row.next_due, row.rep_id)

    return sorted(rows, key=key)


# --------------------------------------------------------------------------------------------
# Action items and the next 1:1's agenda
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionItem:
    id: str
    text: str
    owner_id: str
    due: date | None = None
    done: bool = False
    carried_over: int = 0  # how many 1:1s it has been carried into


def carry_over(items: Iterable[ActionItem]) -> tuple[ActionItem, ...]:
    """The undone items, in their original order, marked as carried once more."""
    return tuple(replace(i, carried_over=i.carried_over + 1) for i in items if not i.done)


def debrief_question(deal: str) -> str:
    """An agenda item for a takeover the manager justified or was nudged about."""
    return f"{deal.strip()}: what would you do next time?"


@dataclass(frozen=True)
class Agenda:
    carried: tuple[ActionItem, ...]
    debriefs: tuple[str, ...]


def build_agenda(previous_items: Iterable[ActionItem], debrief_deals: Iterable[str]) -> Agenda:
    """The next 1:1's agenda: undone action items, then one debrief per deal (deduplicated,
    because several signals on one deal deserve one conversation, not five)."""
    seen: dict[str, None] = {}
    for deal in debrief_deals:
        if deal.strip():
            seen.setdefault(deal.strip(), None)
    return Agenda(carry_over(previous_items), tuple(debrief_question(d) for d in seen))


def due_reminder_at(
    due_date: date,
    tz: tzinfo,
    lead: timedelta = timedelta(days=1),
    *,
    at: time = time(9, 0),
) -> datetime:
    """When to remind an item's owner: ``lead`` before ``at`` o'clock on the due date, in the
    owner's zone, returned as a UTC instant for the scheduler.

    The subtraction is done on the wall clock, so "the day before at 9:00" stays 9:00 local even
    when a DST change falls in between.
    """
    if lead < timedelta(0):
        raise ValueError("lead cannot be negative")
    wall = datetime.combine(due_date, at) - lead
    return wall.replace(tzinfo=tz).astimezone(UTC)


# --------------------------------------------------------------------------------------------
# Development plans
# --------------------------------------------------------------------------------------------

PLAN_MAX_AGE_DAYS = 90


def _is_rating(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5


@dataclass(frozen=True)
class SkillRating:
    """A skill rated 1–5 by the manager and by the rep; either may be missing."""

    skill: str
    by_manager: int | None = None
    by_rep: int | None = None

    def __post_init__(self) -> None:
        for value in (self.by_manager, self.by_rep):
            if value is not None and not _is_rating(value):
                raise ValueError(f"ratings are 1 to 5, got {value!r}")


@dataclass(frozen=True)
class Goal:
    text: str
    skill: str | None = None
    target: date | None = None
    done: bool = False


@dataclass(frozen=True)
class DevelopmentPlan:
    rep_id: str
    ratings: tuple[SkillRating, ...]
    goals: tuple[Goal, ...]
    updated_on: date


@dataclass(frozen=True)
class PlanSnapshot:
    """The ratings as they stood on a date; a plan's history is a list of these."""

    on: date
    ratings: tuple[SkillRating, ...]


@dataclass(frozen=True)
class Trend:
    first: int
    first_on: date
    last: int
    last_on: date

    @property
    def delta(self) -> int:
        return self.last - self.first


@dataclass(frozen=True)
class SkillProgress:
    skill: str
    by_manager: Trend | None
    by_rep: Trend | None


def _trend(points: list[tuple[date, int]]) -> Trend | None:
    if not points:
        return None
    (first_on, first), (last_on, last) = points[0], points[-1]
    return Trend(first, first_on, last, last_on)


def plan_progress(history: Iterable[PlanSnapshot]) -> dict[str, SkillProgress]:
    """Per skill, the first and latest rating from each side and the change between them.

    Snapshots may come in any order; each side's trend uses only the snapshots where that side
    gave a rating, so a skill the rep rated once and the manager rated twice still shows both.
    """
    by_manager: dict[str, list[tuple[date, int]]] = {}
    by_rep: dict[str, list[tuple[date, int]]] = {}
    for snapshot in sorted(history, key=lambda s: s.on):
        for rating in snapshot.ratings:
            if rating.by_manager is not None:
                by_manager.setdefault(rating.skill, []).append((snapshot.on, rating.by_manager))
            if rating.by_rep is not None:
                by_rep.setdefault(rating.skill, []).append((snapshot.on, rating.by_rep))
    return {
        skill: SkillProgress(
            skill, _trend(by_manager.get(skill, [])), _trend(by_rep.get(skill, []))
        )
        for skill in sorted(by_manager.keys() | by_rep.keys())
    }


def is_current(
    plan_updated_at: date | None, today: date, max_age_days: int = PLAN_MAX_AGE_DAYS
) -> bool:
    """A plan touched in the last ``max_age_days`` days (a quarter by default) is current."""
    return plan_updated_at is not None and (today - plan_updated_at).days <= max_age_days


# --------------------------------------------------------------------------------------------
# Modal validation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionItemInput:
    text: str
    owner_id: str | None
    due: date | None = None


@dataclass(frozen=True)
class GoalInput:
    text: str
    target: date | None = None


def _too_long(text: str) -> bool:
    return len(text) > MAX_TEXT


_TOO_LONG = f"Please keep this under {MAX_TEXT} characters."


def validate_one_on_one(
    *,
    manager: Person,
    rep_id: str | None,
    org: Org,
    held_on: date | None,
    notes: str,
    next_meeting: date | None,
    action_items: Sequence[ActionItemInput] = (),
    skills_focus: Iterable[str] = (),
    today: date,
    skills: Sequence[Skill] = SKILLS,
) -> Errors:
    """Fields: ``rep``, ``held_on``, ``notes``, ``next_meeting``, ``skills_focus``,
    ``action_item_{i}_text``, ``action_item_{i}_owner``, ``action_item_{i}_due``.

    "A rep who is not yours" is asked of the permission module, so the modal and every other
    path agree on who may log a 1:1 with whom.
    """
    errors: Errors = {}
    rep_label = "the rep"
    if rep_id is None:
        errors["rep"] = "Pick the rep you met with."
    else:
        rep = org.get(rep_id)
        subject = rep if rep is not None else Person(rep_id, Role.REP)
        decision = check(manager, Action.LOG_ONE_ON_ONE, subject=subject, org=org)
        if not decision.allowed:
            errors["rep"] = decision.reason
        elif rep is not None:
            rep_label = rep.label
    if held_on is None:
        errors["held_on"] = "Pick the date you met."
    elif held_on > today:
        errors["held_on"] = "That date is in the future. Log the 1:1 once it has happened."
    if not notes.strip():
        errors["notes"] = (
            "Add a few words about what you discussed. Notes stay private to you unless you "
            "share them."
        )
    elif _too_long(notes):
        errors["notes"] = _TOO_LONG
    if next_meeting is not None and next_meeting < today:
        errors["next_meeting"] = "The next meeting can't be in the past. Pick today or later."
    unknown = sorted(set(skills_focus) - _skill_ids(skills))
    if unknown:
        errors["skills_focus"] = f"Unknown skill: {', '.join(unknown)}. Pick from the list."
    allowed_owners = {manager.user_id, rep_id}
    for i, item in enumerate(action_items):
        if not item.text.strip():
            if item.due is not None or item.owner_id is not None:
                errors[f"action_item_{i}_text"] = "Describe the action item, or clear it."
            continue
        if _too_long(item.text):
            errors[f"action_item_{i}_text"] = _TOO_LONG
        # With no valid rep there is no one to own it but the manager; the rep error says why.
        if "rep" not in errors and item.owner_id not in allowed_owners:
            errors[f"action_item_{i}_owner"] = f"An action item belongs to you or {rep_label}."
        if item.due is not None and item.due < today:
            errors[f"action_item_{i}_due"] = "That due date has passed. Pick today or later."
    return errors


def validate_coaching_request(
    *,
    skill: str | None,
    note: str,
    urgency: str | None,
    context: str = "",
    skills: Sequence[Skill] = SKILLS,
) -> Errors:
    """Fields: ``skill``, ``note``, ``urgency``, ``context``. The note is optional except for
    "other", where the topic alone would tell the manager nothing."""
    errors: Errors = {}
    if not skill:
        errors["skill"] = "Pick what you'd like coaching on."
    elif skill not in _skill_ids(skills):
        errors["skill"] = "That topic isn't on the list any more. Pick another."
    if skill == "other" and not note.strip():
        errors["note"] = "Tell your manager what you'd like help with."
    elif _too_long(note):
        errors["note"] = _TOO_LONG
    if urgency is not None and urgency not in {u.value for u in Urgency}:
        errors["urgency"] = "Pick low, normal or high."
    if _too_long(context):
        errors["context"] = _TOO_LONG
    return errors


def _future_time(field: str, when: datetime | None, now: datetime) -> Errors:
    if when is None:
        return {field: "Pick a date and time."}
    if when <= now:
        return {field: "That time has passed. Pick a time in the future."}
    return {}


def validate_accept(*, scheduled_for: datetime | None, now: datetime) -> Errors:
    """Field: ``scheduled_for``."""
    return _future_time("scheduled_for", scheduled_for, now)


def validate_propose(*, proposed_for: datetime | None, now: datetime) -> Errors:
    """Field: ``proposed_for``."""
    return _future_time("proposed_for", proposed_for, now)


def validate_decline(*, note: str) -> Errors:
    """Field: ``note``."""
    if not note.strip():
        return {"note": "Add a short note for the rep: what to try instead, or when to ask again."}
    if _too_long(note):
        return {"note": _TOO_LONG}
    return {}


def validate_outcome(*, worked_on: str, next_steps: str = "") -> Errors:
    """Fields: ``worked_on``, ``next_steps``."""
    errors: Errors = {}
    if not worked_on.strip():
        errors["worked_on"] = "Say what you worked on, so you both can come back to it."
    elif _too_long(worked_on):
        errors["worked_on"] = _TOO_LONG
    if _too_long(next_steps):
        errors["next_steps"] = _TOO_LONG
    return errors


def validate_rating(rating: int | None, *, field: str = "rating") -> Errors:
    if rating is None or not _is_rating(rating):
        return {field: "Pick a rating from 1 to 5."}
    return {}


def validate_development_plan(
    *,
    ratings: Mapping[str, tuple[int | None, int | None]],
    goals: Sequence[GoalInput],
    today: date,
    skills: Sequence[Skill] = SKILLS,
) -> Errors:
    """Fields: ``rating_{skill}_manager``, ``rating_{skill}_rep``, ``goal_{i}_text``,
    ``goal_{i}_target``. ``ratings`` maps skill -> (by manager, by rep)."""
    errors: Errors = {}
    known = _skill_ids(skills)
    for skill, (by_manager, by_rep) in ratings.items():
        for side, value in (("manager", by_manager), ("rep", by_rep)):
            field = f"rating_{skill}_{side}"
            if skill not in known:
                errors[field] = "That skill isn't on the list any more."
            elif value is not None:
                errors |= validate_rating(value, field=field)
    for i, goal in enumerate(goals):
        if not goal.text.strip():
            if goal.target is not None:
                errors[f"goal_{i}_text"] = "Describe the goal, or clear its date."
            continue
        if _too_long(goal.text):
            errors[f"goal_{i}_text"] = _TOO_LONG
        if goal.target is not None and goal.target < today:
            errors[f"goal_{i}_target"] = "That date has passed. Pick today or later."
    return errors


# --------------------------------------------------------------------------------------------
# Coverage for second-line leaders (counts only, never notes or reflections)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RepCoverageInput:
    rep_id: str
    last_one_on_one: date | None
    cadence_days: int = DEFAULT_CADENCE_DAYS
    plan_updated_on: date | None = None
    since: date | None = None


@dataclass(frozen=True)
class RequestTiming:
    """A coaching request addressed to the manager. ``deadline`` is requested_at plus 24 working
    hours in the manager's calendar, computed by the schedules module."""

    request_id: str
    deadline: datetime
    responded_at: datetime | None


@dataclass(frozen=True)
class ManagerCoverage:
    """One first-line manager's row on a second-line home.

    ``requests_decided`` counts requests that were answered or whose deadline passed; a request
    still inside its 24 working hours is neither on time nor late yet.
    """

    manager_id: str
    reps: int
    reps_within_cadence: int
    reps_with_current_plan: int
    requests_decided: int
    requests_on_time: int
    requests_overdue_open: int
    #: reps who have never had a 1:1 logged (new to the roster, so not yet overdue)
    reps_never_met: int = 0

    @property
    def one_on_one_coverage(self) -> float | None:
        return None if self.reps == 0 else self.reps_within_cadence / self.reps

    @property
    def requests_on_time_share(self) -> float | None:
        if self.requests_decided == 0:
            return None
        return self.requests_on_time / self.requests_decided

    @property
    def plan_coverage(self) -> float | None:
        return None if self.reps == 0 else self.reps_with_current_plan / self.reps


def manager_coverage(
    manager_id: str,
    reps: Iterable[RepCoverageInput],
    requests: Iterable[RequestTiming],
    *,
    today: date,
    now: datetime,
    plan_max_age_days: int = PLAN_MAX_AGE_DAYS,
) -> ManagerCoverage:
    """A rep is within cadence when their 1:1 is not overdue (a rep still in their first cadence
    counts as covered). A request is on time when answered by its deadline; late when answered
    after it or still unanswered past it."""
    rep_list = list(reps)
    within = sum(
        not is_overdue(r.last_one_on_one, r.cadence_days, today=today, since=r.since)
        for r in rep_list
    )
    with_plan = sum(is_current(r.plan_updated_on, today, plan_max_age_days) for r in rep_list)
    on_time = decided = overdue_open = 0
    for request in requests:
        if request.responded_at is not None:
            decided += 1
            on_time += request.responded_at <= request.deadline
        elif now > request.deadline:
            decided += 1
            overdue_open += 1
    return ManagerCoverage(
        manager_id=manager_id,
        reps=len(rep_list),
        reps_within_cadence=within,
        reps_with_current_plan=with_plan,
        requests_decided=decided,
        requests_on_time=on_time,
        requests_overdue_open=overdue_open,
        reps_never_met=sum(r.last_one_on_one is None for r in rep_list),
    )


def coverage_report(
    org: Org,
    leader_id: str,
    reps_by_manager: Mapping[str, Sequence[RepCoverageInput]],
    requests_by_manager: Mapping[str, Sequence[RequestTiming]],
    *,
    today: date,
    now: datetime,
) -> list[ManagerCoverage]:
    """One row per first-line manager in ``leader_id``'s organisation, in org order.

    Managers are taken from the org, not from the inputs, so data about managers outside the
    leader's organisation can never leak into the report even if a caller passes it; and reps
    are counted only when they really report to that manager.
    """
    rows: list[ManagerCoverage] = []
    for manager in org.first_line_managers_under(leader_id):
        team = {p.user_id for p in org.direct_reports(manager.user_id)}
        reps = [r for r in reps_by_manager.get(manager.user_id, ()) if r.rep_id in team]
        rows.append(
            manager_coverage(
                manager.user_id,
                reps,
                requests_by_manager.get(manager.user_id, ()),
                today=today,
                now=now,
            )
        )
    return rows
