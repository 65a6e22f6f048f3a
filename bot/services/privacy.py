"""What Enabler stores about a person: show it, export it, erase it.

Erasure keeps the numbers honest. Counts that other people's views depend on (a manager's
"requests answered on time", "1:1s within cadence", average ratings) are kept: the rows stay,
their free text is blanked and the erased person's id is replaced by a pseudonym that cannot be
turned back into the Slack id. What only concerned the erased person (their development plan,
their cadence) is deleted. Queued messages to them are cancelled and the text of messages
already sent to them is dropped from the outbox.

Export includes everything the person wrote or was shown, plus rows about them; 1:1 notes a
manager kept private are withheld (their existence and dates are listed), because the
permission model makes them the manager's, and sales ops running an export must not read them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete

from bot.db.repositories.coaching import CoachingRepo
from bot.db.repositories.core import PeopleRepo
from bot.db.repositories.delivery import DeliveryRepo
from bot.db.rows import (
    ActionItemRow,
    CoachingRequestRow,
    DevelopmentPlanRow,
    PlanSnapshotRow,
    RepCadenceRow,
)
from bot.db.unit_of_work import UnitOfWork
from bot.domain.permissions import Action
from bot.services.org import authorize

ERASED_TEXT = ""


@dataclass(frozen=True)
class PrivacySummary:
    lines: list[str]
    footer: str


def pseudonym(workspace_id: str, user_id: str) -> str:
    digest = hashlib.sha256(f"enabler-erased:{workspace_id}:{user_id}".encode()).hexdigest()
    return f"ERASED{digest[:16].upper()}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary(tx: UnitOfWork, *, workspace_id: str, user_id: str) -> PrivacySummary:
    """For `/enabler privacy`: the categories and counts, never other people's text."""
    authorize(
        tx, workspace_id, actor_id=user_id, action=Action.VIEW_PRIVACY_SUMMARY, subject_id=user_id
    )
    person = PeopleRepo(tx.session, workspace_id).get(user_id)
    repo = CoachingRepo(tx.session, workspace_id)
    lines: list[str] = []
    if person is not None:
        manager = f"<@{person.manager_id}>" if person.manager_id else "none"
        lines.append(
            f"*Roster:* your role ({person.role}), your manager ({manager}), "
            f"time zone ({person.timezone or 'unknown'})"
            + (f", name ({person.name})" if person.name else "")
            + ". Sales ops maintain this."
        )
    requests = repo.requests_involving(user_id)
    asked = [r for r in requests if r.requester_id == user_id]
    answered = [r for r in requests if r.manager_id == user_id]
    if asked:
        rated = sum(r.rating is not None for r in asked)
        lines.append(
            f"*Coaching you asked for:* {_plural(len(asked), 'request')} with your topic, "
            f"notes and preferred times; {_plural(rated, 'rating')} you gave."
        )
    if answered:
        lines.append(
            f"*Coaching requests to you:* {_plural(len(answered), 'request')} with your "
            "answers and session notes."
        )
    meetings = repo.one_on_ones_involving(user_id)
    as_manager = [m for m in meetings if m.manager_id == user_id]
    as_rep = [m for m in meetings if m.rep_id == user_id]
    if as_manager:
        lines.append(
            f"*1:1s you logged:* {_plural(len(as_manager), '1:1')}; your notes stay private "
            "unless you shared them."
        )
    if as_rep:
        shared = sum(m.shared for m in as_rep)
        lines.append(
            f"*Your 1:1s:* {_plural(len(as_rep), '1:1')} logged by your manager "
            f"({shared} with notes shared with you; the others' notes are private to them)."
        )
    items = repo.action_items_involving(user_id)
    if items:
        open_items = sum(not i.done for i in items)
        lines.append(f"*Action items:* {len(items)} ({open_items} open).")
    plan = repo.plan(user_id)
    if plan is not None:
        lines.append(
            f"*Development plan:* your goals and {_plural(len(repo.snapshots(user_id)), 'rating')}"
            " snapshot(s) over time."
        )
    debriefs = repo.debriefs_involving(user_id)
    if debriefs:
        lines.append(f"*Debrief questions for 1:1s:* {len(debriefs)}.")
    if not lines:
        lines.append("Nothing about you in one-on-ones, coaching or development plans.")
    footer = (
        "Signals, nudges and reflections about a manager are private to that manager. "
        "Sales ops can export or erase your data on request (`enabler privacy export|erase`)."
    )
    return PrivacySummary(lines=lines, footer=footer)


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _request_json(r: CoachingRequestRow) -> dict[str, Any]:
    return {
        "id": r.id,
        "requester_id": r.requester_id,
        "manager_id": r.manager_id,
        "skill": r.skill,
        "context": r.context,
        "urgency": r.urgency,
        "preferred_times": r.preferred_times,
        "note": r.note,
        "state": r.state,
        "requested_at": _iso(r.requested_at),
        "responded_at": _iso(r.responded_at),
        "proposed_for": _iso(r.proposed_for),
        "proposal_note": r.proposal_note,
        "scheduled_for": _iso(r.scheduled_for),
        "decline_note": r.decline_note,
        "completed_at": _iso(r.completed_at),
        "outcome": r.outcome,
        "next_steps": r.next_steps,
        "rating": r.rating,
        "rated_at": _iso(r.rated_at),
    }


def _item_json(i: ActionItemRow) -> dict[str, Any]:
    return {
        "id": i.id,
        "one_on_one_id": i.one_on_one_id,
        "manager_id": i.manager_id,
        "rep_id": i.rep_id,
        "owner_id": i.owner_id,
        "text": i.text,
        "due": _iso(i.due),
        "done": i.done,
        "done_at": _iso(i.done_at),
        "carried_over": i.carried_over,
        "created_at": _iso(i.created_at),
    }


def export(
    tx: UnitOfWork, *, workspace_id: str, user_id: str, actor_id: str | None = None
) -> dict[str, Any]:
    """Everything about ``user_id`` as JSON-ready data. ``actor_id=None``: the server operator."""
    if actor_id is not None:
        authorize(
            tx,
            workspace_id,
            actor_id=actor_id,
            action=Action.PRIVACY_EXPORT,
            subject_id=user_id,
        )
    repo = CoachingRepo(tx.session, workspace_id)
    person = PeopleRepo(tx.session, workspace_id).get(user_id)
    meetings: list[dict[str, Any]] = []
    for m in repo.one_on_ones_involving(user_id):
        readable = m.manager_id == user_id or m.shared
        meetings.append(
            {
                "id": m.id,
                "manager_id": m.manager_id,
                "rep_id": m.rep_id,
                "held_on": _iso(m.held_on),
                "shared_with_rep": m.shared,
                "notes": m.notes if readable else None,
                "notes_withheld": None if readable else "private to the manager who wrote them",
                "skills_focus": list(m.skills_focus or []),
                "next_meeting": _iso(m.next_meeting),
            }
        )
    plan = repo.plan(user_id)
    return {
        "workspace_id": workspace_id,
        "user_id": user_id,
        "roster": None
        if person is None
        else {
            "role": person.role,
            "manager_id": person.manager_id,
            "name": person.name,
            "team": person.team,
            "timezone": person.timezone,
            "active": person.active,
        },
        "coaching_requests": [_request_json(r) for r in repo.requests_involving(user_id)],
        "one_on_ones": meetings,
        "action_items": [_item_json(i) for i in repo.action_items_involving(user_id)],
        "debrief_items": [
            {
                "id": d.id,
                "manager_id": d.manager_id,
                "rep_id": d.rep_id,
                "text": d.text,
                "one_on_one_id": d.one_on_one_id,
                "created_at": _iso(d.created_at),
            }
            for d in repo.debriefs_involving(user_id)
        ],
        "development_plan": None
        if plan is None
        else {
            "goals": plan.goals,
            "updated_on": _iso(plan.updated_on),
            "snapshots": [
                {"taken_on": _iso(s.taken_on), "ratings": s.ratings}
                for s in repo.snapshots(user_id)
            ],
        },
        "not_included": "Signals, nudges and reflections are kept by other parts of Enabler.",
    }


@dataclass
class ErasureReport:
    pseudonym: str
    coaching_requests: int = 0
    one_on_ones: int = 0
    action_items: int = 0
    debrief_items: int = 0
    plans_deleted: int = 0
    messages_cancelled: int = 0
    messages_scrubbed: int = 0
    roster: str = "not on the roster"
    notes: list[str] = field(default_factory=list)


def erase(
    tx: UnitOfWork,
    *,
    workspace_id: str,
    user_id: str,
    now: datetime,
    actor_id: str | None = None,
) -> ErasureReport:
    """Erase ``user_id``'s coaching data, keeping counts (see the module docstring)."""
    if actor_id is not None:
        authorize(
            tx,
            workspace_id,
            actor_id=actor_id,
            action=Action.PRIVACY_ERASE,
            subject_id=user_id,
        )
    alias = pseudonym(workspace_id, user_id)
    report = ErasureReport(pseudonym=alias)
    repo = CoachingRepo(tx.session, workspace_id)
    for r in repo.requests_involving(user_id):
        if r.requester_id == user_id:
            r.requester_id = alias
            r.context = r.preferred_times = r.note = ERASED_TEXT
            r.outcome = r.next_steps = r.decline_note = r.proposal_note = None
        if r.manager_id == user_id:
            r.manager_id = alias
            r.outcome = r.next_steps = r.decline_note = r.proposal_note = None
        r.updated_at = now
        report.coaching_requests += 1
    for m in repo.one_on_ones_involving(user_id):
        m.notes = ERASED_TEXT
        m.shared = False
        if m.rep_id == user_id:
            m.rep_id = alias
        if m.manager_id == user_id:
            m.manager_id = alias
        report.one_on_ones += 1
    for i in repo.action_items_involving(user_id):
        if user_id in (i.owner_id, i.rep_id):
            i.text = ERASED_TEXT
        i.owner_id = alias if i.owner_id == user_id else i.owner_id
        i.rep_id = alias if i.rep_id == user_id else i.rep_id
        i.manager_id = alias if i.manager_id == user_id else i.manager_id
        report.action_items += 1
    for d in repo.debriefs_involving(user_id):
        d.text = ERASED_TEXT
        d.rep_id = alias if d.rep_id == user_id else d.rep_id
        d.manager_id = alias if d.manager_id == user_id else d.manager_id
        report.debrief_items += 1
    session = tx.session
    for table in (PlanSnapshotRow, DevelopmentPlanRow, RepCadenceRow):
        result = session.execute(
            delete(table).where(table.workspace_id == workspace_id, table.rep_id == user_id)
        )
        if table is DevelopmentPlanRow:
            report.plans_deleted = int(getattr(result, "rowcount", 0) or 0)
    deliveries = DeliveryRepo(session, workspace_id)
    for row in deliveries.list(limit=100_000):
        if row.recipient_user_id != user_id:
            continue
        if row.status in ("pending", "claimed"):
            row.status = "cancelled"
            row.last_error = "erased"
            report.messages_cancelled += 1
        if row.status != "sending":
            row.payload = {"text": "(erased)"}
            report.messages_scrubbed += 1
    person = PeopleRepo(session, workspace_id).get(user_id)
    if person is not None:
        person.name = None
        person.team = None
        person.timezone = None
        person.active = False
        person.updated_at = now
        report.roster = "deactivated, name/team/time zone cleared"
    report.notes.append(
        "Counts and timings were kept under a pseudonym so managers' coverage stays correct."
    )
    return report
