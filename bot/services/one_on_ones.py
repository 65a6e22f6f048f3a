"""One-on-ones: log them, carry undone action items over, keep a cadence, build the agenda.

Like the other services: inside the caller's unit of work, ``now`` as an argument, every
decision about who may see or do what asked of :mod:`bot.domain.permissions`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from bot.db.repositories.coaching import CoachingRepo
from bot.db.repositories.core import PeopleRepo
from bot.db.rows import ActionItemRow, DebriefItemRow, OneOnOneRow, RepCadenceRow
from bot.db.unit_of_work import UnitOfWork
from bot.domain import coaching as domain
from bot.domain.permissions import Action, Org, check
from bot.services import outbox
from bot.services.coaching import (
    CoachingError,
    CoachingMessages,
    ItemView,
    OneOnOneSummary,
    Submitted,
    get_defaults,
    item_view,
    today_for,
)
from bot.services.org import authorize, load_org, person_or_stranger

MAX_ACTION_ITEMS = 5


@dataclass(frozen=True)
class OneOnOneForm:
    rep_id: str | None
    held_on: date | None
    notes: str
    shared: bool = False
    skills_focus: tuple[str, ...] = ()
    next_meeting: date | None = None
    action_items: tuple[domain.ActionItemInput, ...] = ()
    # Carried-over items the manager ticked as done in the modal.
    done_item_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class AgendaView:
    """What the next 1:1 with a rep starts from: undone items and debrief questions."""

    rep_id: str
    carried: tuple[ItemView, ...]
    debriefs: tuple[str, ...]
    cadence_days: int
    suggested_next: date


def add_debrief_item(
    tx: UnitOfWork,
    workspace_id: str,
    manager_id: str,
    rep_id: str,
    text: str,
    *,
    now: datetime | None = None,
) -> int | None:
    """Put a debrief on the rep's next 1:1 agenda; called by the nudges flow.

    ``text`` is either the deal ("Acme" becomes "Acme: what would you do next time?") or a
    whole question (ending in "?", kept as-is). The same open question twice is stored once:
    several signals on one deal deserve one conversation. Returns the item id, or None when it
    was already on the agenda. Raises PermissionDenied unless ``manager_id`` manages the rep.
    """
    authorize(
        tx,
        workspace_id,
        actor_id=manager_id,
        action=Action.ADD_DEBRIEF_ITEM,
        subject_id=rep_id,
    )
    cleaned = " ".join(text.split())
    if not cleaned:
        raise CoachingError("A debrief item needs the deal or a question.")
    question = cleaned if cleaned.endswith("?") else domain.debrief_question(cleaned)
    repo = CoachingRepo(tx.session, workspace_id)
    if any(d.text == question for d in repo.open_debriefs(manager_id=manager_id, rep_id=rep_id)):
        return None
    row = DebriefItemRow(
        workspace_id=workspace_id,
        manager_id=manager_id,
        rep_id=rep_id,
        text=question[: domain.MAX_TEXT],
        created_at=now or datetime.now(UTC),
    )
    repo.add(row)
    return row.id


def cadence_for(tx: UnitOfWork, workspace_id: str, rep_id: str) -> int:
    row = CoachingRepo(tx.session, workspace_id).cadence_row(rep_id)
    return row.cadence_days if row is not None else get_defaults(tx, workspace_id).cadence_days


def set_cadence(
    tx: UnitOfWork,
    *,
    workspace_id: str,
    actor_id: str,
    rep_id: str,
    cadence_days: int,
    now: datetime,
) -> None:
    authorize(
        tx,
        workspace_id,
        actor_id=actor_id,
        action=Action.SET_ONE_ON_ONE_CADENCE,
        subject_id=rep_id,
    )
    if not 1 <= cadence_days <= 365:
        raise CoachingError("Pick a cadence between 1 and 365 days.")
    repo = CoachingRepo(tx.session, workspace_id)
    row = repo.cadence_row(rep_id)
    if row is None:
        repo.add(
            RepCadenceRow(
                workspace_id=workspace_id,
                rep_id=rep_id,
                cadence_days=cadence_days,
                updated_by=actor_id,
                updated_at=now,
            )
        )
    else:
        row.cadence_days = cadence_days
        row.updated_by = actor_id
        row.updated_at = now


def agenda(
    tx: UnitOfWork, *, workspace_id: str, manager_id: str, rep_id: str, now: datetime
) -> AgendaView:
    """For the 1:1 modal. Raises PermissionDenied unless the manager may log a 1:1 with them."""
    authorize(
        tx,
        workspace_id,
        actor_id=manager_id,
        action=Action.LOG_ONE_ON_ONE,
        subject_id=rep_id,
    )
    repo = CoachingRepo(tx.session, workspace_id)
    items = repo.action_items(rep_ids=[rep_id])
    debriefs = repo.open_debriefs(manager_id=manager_id, rep_id=rep_id)
    cadence = cadence_for(tx, workspace_id, rep_id)
    today = today_for(tx, workspace_id, manager_id, now)
    return AgendaView(
        rep_id=rep_id,
        carried=tuple(item_view(i) for i in items),
        # Stored as whole questions (see add_debrief_item); one per question.
        debriefs=tuple(dict.fromkeys(d.text for d in debriefs)),
        cadence_days=cadence,
        suggested_next=domain.next_due(today, cadence, today=today),
    )


def log_one_on_one(
    tx: UnitOfWork,
    *,
    workspace_id: str,
    manager_id: str,
    form: OneOnOneForm,
    now: datetime,
    messages: CoachingMessages,
) -> Submitted:
    """Validate (returning modal errors), then store the 1:1, carry undone items over, add the
    new ones, attach the agenda's debriefs, and tell the rep what concerns them."""
    org = load_org(tx, workspace_id)
    manager = person_or_stranger(org, manager_id)
    today = today_for(tx, workspace_id, manager_id, now)
    defaults = get_defaults(tx, workspace_id)
    errors = domain.validate_one_on_one(
        manager=manager,
        rep_id=form.rep_id,
        org=org,
        held_on=form.held_on,
        notes=form.notes,
        next_meeting=form.next_meeting,
        action_items=form.action_items,
        skills_focus=form.skills_focus,
        today=today,
        skills=defaults.skills,
    )
    if errors:
        return Submitted(errors=errors)
    assert form.rep_id is not None
    assert form.held_on is not None
    rep_id = form.rep_id
    repo = CoachingRepo(tx.session, workspace_id)
    meeting = OneOnOneRow(
        workspace_id=workspace_id,
        manager_id=manager_id,
        rep_id=rep_id,
        held_on=form.held_on,
        notes=form.notes.strip(),
        shared=form.shared,
        skills_focus=list(form.skills_focus),
        next_meeting=form.next_meeting,
        created_at=now,
    )
    repo.add(meeting)
    # Carry over: what was not ticked done stays open and is counted as carried once more.
    open_items = repo.action_items(rep_ids=[rep_id])
    carried = {
        int(i.id): i.carried_over
        for i in domain.carry_over(_domain_items(open_items, form.done_item_ids))
    }
    for item in open_items:
        if item.id in carried:
            item.carried_over = carried[item.id]
        else:
            item.done = True
            item.done_at = now
            outbox.cancel(tx, workspace_id=workspace_id, dedupe_key=_reminder_key(item.id))
    new_items: list[ActionItemRow] = []
    for entry in form.action_items:
        if not entry.text.strip():
            continue
        row = ActionItemRow(
            workspace_id=workspace_id,
            one_on_one_id=meeting.id,
            manager_id=manager_id,
            rep_id=rep_id,
            owner_id=entry.owner_id or rep_id,
            text=entry.text.strip(),
            due=entry.due,
            done=False,
            carried_over=0,
            created_at=now,
        )
        repo.add(row)
        new_items.append(row)
    for debrief in repo.open_debriefs(manager_id=manager_id, rep_id=rep_id):
        debrief.one_on_one_id = meeting.id
    still_open = [i for i in open_items if not i.done] + new_items
    summary = OneOnOneSummary(
        one_on_one_id=meeting.id,
        manager_id=manager_id,
        manager_label=manager.label,
        rep_id=rep_id,
        held_on=form.held_on,
        shared_notes=meeting.notes if meeting.shared else None,
        skills_focus=tuple(domain.skill_label(s, defaults.skills) for s in form.skills_focus),
        next_meeting=form.next_meeting,
        items=tuple(item_view(i) for i in still_open),
    )
    outbox.post(
        tx,
        workspace_id=workspace_id,
        kind="one_on_one",
        dedupe_key=f"one_on_one:{meeting.id}:rep",
        message=messages.one_on_one_for_rep(summary),
        now=now,
        to_user=rep_id,
    )
    return Submitted(id=meeting.id)


def _domain_items(
    rows: Sequence[ActionItemRow], done_ids: Collection[int]
) -> list[domain.ActionItem]:
    return [
        domain.ActionItem(
            id=str(r.id),
            text=r.text,
            owner_id=r.owner_id,
            due=r.due,
            done=r.id in done_ids,
            carried_over=r.carried_over,
        )
        for r in rows
    ]


def _reminder_key(item_id: int) -> str:
    return f"action_item:{item_id}:reminder"


def mark_item_done(
    tx: UnitOfWork,
    *,
    workspace_id: str,
    actor_id: str,
    item_id: int,
    now: datetime,
    messages: CoachingMessages,
) -> ItemView:
    """The owner (or the rep's manager) ticks an item off; its pending reminder is cancelled."""
    repo = CoachingRepo(tx.session, workspace_id)
    item = repo.action_item(item_id)
    if item is None:
        raise CoachingError("That action item no longer exists.")
    authorize(
        tx,
        workspace_id,
        actor_id=actor_id,
        action=Action.UPDATE_ACTION_ITEM,
        subject_id=item.rep_id,
        resource_owner=item.owner_id,
    )
    if item.done:
        return item_view(item)
    item.done = True
    item.done_at = now
    key = _reminder_key(item.id)
    if not outbox.cancel(tx, workspace_id=workspace_id, dedupe_key=key):
        reminder = outbox.by_key(tx, workspace_id=workspace_id, dedupe_key=key)
        if reminder is not None and reminder.status not in ("failed", "cancelled"):
            # The reminder went out: turn its "Mark done" button into a done line.
            outbox.update(
                tx,
                workspace_id=workspace_id,
                kind="action_item_reminder",
                dedupe_key=f"{key}:done",
                of_delivery=reminder.id,
                message=messages.action_item_done(item_view(item)),
                now=now,
            )
    return item_view(item)


# --------------------------------------------------------------------------------------------
# Read models for App Home
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RepRow:
    """One rep on the manager's home."""

    rep_id: str
    label: str
    last_held: date | None
    next_due: date
    overdue: bool
    days_overdue: int
    cadence_days: int
    open_items: tuple[ItemView, ...] = ()
    debriefs: int = 0


def cadence_inputs(
    tx: UnitOfWork, workspace_id: str, rep_ids: Collection[str]
) -> list[domain.RepCadence]:
    """What the cadence rules need per rep: last 1:1, agreed next date, cadence, roster start."""
    repo = CoachingRepo(tx.session, workspace_id)
    last = repo.last_one_on_ones(rep_ids)
    cadences = repo.cadences(rep_ids)
    default = get_defaults(tx, workspace_id).cadence_days
    people = PeopleRepo(tx.session, workspace_id)
    result: list[domain.RepCadence] = []
    for rep_id in rep_ids:
        meeting = last.get(rep_id)
        person = people.get(rep_id)
        result.append(
            domain.RepCadence(
                rep_id=rep_id,
                last_held=meeting.held_on if meeting else None,
                cadence_days=cadences.get(rep_id, default),
                scheduled_next=meeting.next_meeting if meeting else None,
                since=person.created_at.date() if person is not None else None,
            )
        )
    return result


def reps_for_manager(
    tx: UnitOfWork, *, workspace_id: str, manager_id: str, org: Org, today: date
) -> list[RepRow]:
    """The manager's direct reports with last/next 1:1, overdue first, and their open items."""
    viewer = person_or_stranger(org, manager_id)
    reps = [
        p
        for p in org.direct_reports(manager_id)
        if check(viewer, Action.VIEW_ONE_ON_ONE_SCHEDULE, subject=p, org=org).allowed
    ]
    inputs = cadence_inputs(tx, workspace_id, [p.user_id for p in reps])
    cadence_by_rep = {c.rep_id: c.cadence_days for c in inputs}
    repo = CoachingRepo(tx.session, workspace_id)
    items_by_rep: dict[str, list[ItemView]] = {}
    for item in repo.action_items(rep_ids=[p.user_id for p in reps]):
        items_by_rep.setdefault(item.rep_id, []).append(item_view(item))
    rows: list[RepRow] = []
    for due in domain.order_reps_for_home(inputs, today=today):
        person = org.person(due.rep_id)
        visible_items = check(viewer, Action.VIEW_ACTION_ITEMS, subject=person, org=org).allowed
        rows.append(
            RepRow(
                rep_id=due.rep_id,
                label=person.label,
                last_held=due.last_held,
                next_due=due.next_due,
                overdue=due.overdue,
                days_overdue=due.days_overdue,
                cadence_days=cadence_by_rep[due.rep_id],
                open_items=tuple(items_by_rep.get(due.rep_id, ())) if visible_items else (),
                debriefs=len(repo.open_debriefs(manager_id=manager_id, rep_id=due.rep_id)),
            )
        )
    return rows


def items_for_rep(tx: UnitOfWork, *, workspace_id: str, rep_id: str) -> list[ItemView]:
    """A rep's own open action items (theirs and their manager's, from their 1:1s)."""
    org = load_org(tx, workspace_id)
    rep = person_or_stranger(org, rep_id)
    if not check(rep, Action.VIEW_ACTION_ITEMS, subject=rep, org=org).allowed:
        return []
    return [
        item_view(i) for i in CoachingRepo(tx.session, workspace_id).action_items(rep_ids=[rep_id])
    ]


@dataclass(frozen=True)
class RepSchedule:
    last_held: date | None
    next_due: date
    overdue: bool
    shared_notes: list[tuple[date, str]] = field(default_factory=list)


def schedule_for_rep(
    tx: UnitOfWork, *, workspace_id: str, rep_id: str, today: date
) -> RepSchedule | None:
    """The rep's own view of their 1:1s: last, next, and notes their manager shared."""
    org = load_org(tx, workspace_id)
    rep = person_or_stranger(org, rep_id)
    if not check(rep, Action.VIEW_ONE_ON_ONE_SCHEDULE, subject=rep, org=org).allowed:
        return None
    [cadence] = cadence_inputs(tx, workspace_id, [rep_id])
    due = domain.order_reps_for_home([cadence], today=today)[0]
    shared: list[tuple[date, str]] = []
    for meeting in CoachingRepo(tx.session, workspace_id).one_on_ones(rep_id=rep_id, limit=5):
        decision = check(
            rep,
            Action.VIEW_ONE_ON_ONE_NOTES,
            subject=rep,
            org=org,
            resource_owner=meeting.manager_id,
            shared=meeting.shared,
        )
        if decision.allowed and meeting.notes:
            shared.append((meeting.held_on, meeting.notes))
    return RepSchedule(due.last_held, due.next_due, due.overdue, shared[:2])


# --------------------------------------------------------------------------------------------
# Coverage for leaders above first-line managers: counts only
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoverageRow:
    manager_id: str
    label: str
    coverage: domain.ManagerCoverage


def coverage(
    tx: UnitOfWork,
    *,
    workspace_id: str,
    leader_id: str,
    org: Org,
    now: datetime,
    today: date,
    managers: Sequence[str] | None = None,
) -> list[CoverageRow]:
    """Per first-line manager in ``leader_id``'s organisation (or the given ``managers``, for
    sales ops): 1:1 coverage, coaching requests answered on time, reps with a current plan.

    Only managers the leader may see coverage for are included, and only counts leave here:
    no notes, no request text, no names of the reps counted.
    """
    leader = person_or_stranger(org, leader_id)
    if managers is None:
        candidates = [p.user_id for p in org.first_line_managers_under(leader_id)]
    else:
        candidates = [m for m in managers if m in org]
    allowed = [
        m
        for m in candidates
        if check(leader, Action.VIEW_COVERAGE, subject=org.person(m), org=org).allowed
    ]
    repo = CoachingRepo(tx.session, workspace_id)
    rows: list[CoverageRow] = []
    for manager_id in allowed:
        team = [p.user_id for p in org.direct_reports(manager_id)]
        plans = repo.plans(team)
        reps = [
            domain.RepCoverageInput(
                rep_id=c.rep_id,
                last_one_on_one=c.last_held,
                cadence_days=c.cadence_days,
                plan_updated_on=plans[c.rep_id].updated_on if c.rep_id in plans else None,
                since=c.since,
            )
            for c in cadence_inputs(tx, workspace_id, team)
        ]
        timings = [
            domain.RequestTiming(str(r.id), r.response_deadline, r.responded_at)
            for r in repo.requests(manager_ids=[manager_id])
        ]
        rows.append(
            CoverageRow(
                manager_id=manager_id,
                label=org.person(manager_id).label,
                coverage=domain.manager_coverage(manager_id, reps, timings, today=today, now=now),
            )
        )
    return rows
