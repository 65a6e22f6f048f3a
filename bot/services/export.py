"""CSV-ready exports for sales ops: one-on-ones, coaching, plans, signals. Aggregates only.

The permission module grants EXPORT as *aggregate only*, so no export carries free text (notes,
outcomes, goals, request notes) or names the reps counted. Each row is about one first-line
manager's coaching practice in one month (the same figures their leaders see on App Home).
Figures that come from reps' own answers (session ratings) are left blank when fewer than
``MIN_GROUP_SIZE`` answers stand behind them, so nobody's single rating can be read off.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import String, func, inspect, select

from bot.db.base import Base
from bot.db.repositories.coaching import CoachingRepo
from bot.db.unit_of_work import UnitOfWork
from bot.domain import coaching as domain
from bot.domain.permissions import MIN_GROUP_SIZE, Action, Org, Role, aggregate_visible
from bot.services.one_on_ones import cadence_inputs
from bot.services.org import authorize, load_org

WHAT = ("one_on_ones", "coaching", "plans", "signals")
Progress = Callable[[int, int], None]  # (done, total)


class ExportError(ValueError):
    """Shown to the operator as-is."""


@dataclass
class ExportResult:
    columns: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _month(value: date | datetime) -> str:
    return value.strftime("%Y-%m")


def _managers(org: Org) -> list[str]:
    return sorted(p.user_id for p in org if org.role_of(p.user_id) is Role.MANAGER)


def _each_manager(org: Org, report: Progress) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every manager in order, with the cells that start their rows; progress is reported as
    each one is finished."""
    managers = _managers(org)
    for done, manager_id in enumerate(managers, start=1):
        yield manager_id, {"manager_id": manager_id, "manager": _label(org, manager_id)}
        report(done, len(managers))


def export(
    tx: UnitOfWork,
    *,
    workspace_id: str,
    what: str,
    now: datetime,
    actor_id: str | None = None,
    progress: Progress | None = None,
) -> ExportResult:
    """Build the export. ``actor_id=None`` is the server operator; the rules apply either way."""
    if what not in WHAT:
        raise ExportError(f"--what must be one of {', '.join(WHAT)}, not {what!r}")
    org = load_org(tx, workspace_id)
    if actor_id is not None:
        authorize(tx, workspace_id, actor_id=actor_id, action=Action.EXPORT, subject_id=None)
    report = progress or (lambda _done, _total: None)
    if what == "signals":
        return _signals(tx, workspace_id, report)
    builders = {"one_on_ones": _one_on_ones, "coaching": _coaching, "plans": _plans}
    return builders[what](tx, workspace_id, org, now, report)


def _label(org: Org, user_id: str) -> str:
    person = org.get(user_id)
    return (person.display_name if person else None) or user_id


def _one_on_ones(
    tx: UnitOfWork, workspace_id: str, org: Org, now: datetime, report: Progress
) -> ExportResult:
    columns = [
        "manager_id",
        "manager",
        "month",
        "team_size",
        "one_on_ones",
        "reps_met",
        "notes_shared",
        "action_items_created",
        "action_items_done",
        "action_items_carried_over",
    ]
    result = ExportResult(columns)
    repo = CoachingRepo(tx.session, workspace_id)
    for manager_id, who in _each_manager(org, report):
        team = len(org.direct_reports(manager_id))
        months: dict[str, dict[str, Any]] = defaultdict(
            lambda: dict.fromkeys(columns[4:], 0) | {"_reps": set()}
        )
        for meeting in repo.one_on_ones(manager_id=manager_id):
            bucket = months[_month(meeting.held_on)]
            bucket["one_on_ones"] += 1
            bucket["_reps"].add(meeting.rep_id)
            bucket["notes_shared"] += int(meeting.shared)
        for item in repo.action_items(
            rep_ids=[p.user_id for p in org.direct_reports(manager_id)], open_only=False
        ):
            if item.manager_id != manager_id:
                continue
            bucket = months[_month(item.created_at)]
            bucket["action_items_created"] += 1
            bucket["action_items_done"] += int(item.done)
            bucket["action_items_carried_over"] += int(item.carried_over > 0)
        for month in sorted(months):
            bucket = months[month]
            bucket["reps_met"] = len(bucket.pop("_reps"))
            result.rows.append({**who, "month": month, "team_size": team, **bucket})
    return result


def _coaching(
    tx: UnitOfWork, workspace_id: str, org: Org, now: datetime, report: Progress
) -> ExportResult:
    columns = [
        "manager_id",
        "manager",
        "month",
        "requests",
        "answered_on_time",
        "answered_late",
        "unanswered_past_deadline",
        "declined",
        "sessions_completed",
        "ratings",
        "average_rating",
    ]
    result = ExportResult(columns)
    repo = CoachingRepo(tx.session, workspace_id)
    suppressed = 0
    for manager_id, who in _each_manager(org, report):
        months: dict[str, list[Any]] = defaultdict(list)
        for request in repo.requests(manager_ids=[manager_id]):
            months[_month(request.requested_at)].append(request)
        for month in sorted(months):
            requests = months[month]
            ratings = [r.rating for r in requests if r.rating is not None]
            answered = [r for r in requests if r.responded_at is not None]
            on_time = sum(
                domain.answered_on_time(
                    domain.CoachingRequest(
                        id=str(r.id),
                        requester_id="",
                        manager_id=manager_id,
                        skill=r.skill,
                        requested_at=r.requested_at,
                        responded_at=r.responded_at,
                    ),
                    deadline=r.response_deadline,
                )
                for r in answered
            )
            visible = aggregate_visible(len(ratings))
            suppressed += int(bool(ratings) and not visible)
            result.rows.append(
                {
                    **who,
                    "month": month,
                    "requests": len(requests),
                    "answered_on_time": on_time,
                    "answered_late": len(answered) - on_time,
                    "unanswered_past_deadline": sum(
                        r.responded_at is None and r.response_deadline < now for r in requests
                    ),
                    "declined": sum(r.state == "declined" for r in requests),
                    "sessions_completed": sum(r.state in ("completed", "rated") for r in requests),
                    "ratings": len(ratings),
                    "average_rating": round(sum(ratings) / len(ratings), 2)
                    if ratings and visible
                    else "",
                }
            )
    if suppressed:
        result.notes.append(
            f"average_rating left blank in {suppressed} row(s) with fewer than "
            f"{MIN_GROUP_SIZE} ratings, so no single rep's rating can be read off."
        )
    return result


def _plans(
    tx: UnitOfWork, workspace_id: str, org: Org, now: datetime, report: Progress
) -> ExportResult:
    columns = [
        "manager_id",
        "manager",
        "team_size",
        "reps_with_plan",
        "reps_with_current_plan",
        "goals",
        "goals_done",
        "reps_within_1on1_cadence",
    ]
    result = ExportResult(columns)
    repo = CoachingRepo(tx.session, workspace_id)
    for manager_id, who in _each_manager(org, report):
        team = [p.user_id for p in org.direct_reports(manager_id)]
        plans = repo.plans(team)
        today = now.date()
        goals = [g for p in plans.values() for g in (p.goals or [])]
        within = sum(
            not domain.is_overdue(
                c.last_held, c.cadence_days, today=today, scheduled=c.scheduled_next, since=c.since
            )
            for c in cadence_inputs(tx, workspace_id, team)
        )
        result.rows.append(
            {
                **who,
                "team_size": len(team),
                "reps_with_plan": len(plans),
                "reps_with_current_plan": sum(
                    domain.is_current(p.updated_on, today) for p in plans.values()
                ),
                "goals": len(goals),
                "goals_done": sum(bool(g.get("done")) for g in goals),
                "reps_within_1on1_cadence": within,
            }
        )
    return result


def _signals(tx: UnitOfWork, workspace_id: str, report: Progress) -> ExportResult:
    """Signals belong to the detection feature and are private to each manager: export only
    monthly totals per kind and type across the workspace, and only rows that at least
    ``MIN_GROUP_SIZE`` managers contribute to. Nothing if the table is not there yet."""
    table = Base.metadata.tables.get("signals")
    present = table is not None and inspect(tx.session.connection()).has_table("signals")
    if table is None or not present or not {"workspace_id", "manager_id"} <= set(table.c.keys()):
        result = ExportResult(["what", "status"])
        result.notes.append("signals: not yet recorded (this version of Enabler stores none).")
        report(1, 1)
        return result
    time_col = next((table.c[n] for n in ("occurred_at", "created_at") if n in table.c), None)
    keys: list[Any] = [table.c[n] for n in ("kind", "type") if n in table.c]
    columns = [str(k.name) for k in keys]
    if time_col is not None:
        keys.insert(0, func.substr(func.cast(time_col, String()), 1, 7))
        columns.insert(0, "month")
    stmt = select(
        *keys,
        func.count().label("signals"),
        func.count(table.c.manager_id.distinct()).label("managers"),
    ).where(table.c.workspace_id == workspace_id)
    if "status" in table.c:
        stmt = stmt.where(table.c.status == "active")
    if keys:
        stmt = stmt.group_by(*keys).order_by(*keys)
    result = ExportResult([*columns, "signals", "managers"])
    suppressed = 0
    for row in tx.session.execute(stmt).all():
        record = dict(zip(result.columns, row, strict=True))
        if aggregate_visible(int(record["managers"])):
            result.rows.append(record)
        else:
            suppressed += 1
    result.notes.append("signals: totals per month, kind and type only; no messages, no people.")
    if suppressed:
        result.notes.append(
            f"{suppressed} row(s) left out: fewer than {MIN_GROUP_SIZE} managers behind them."
        )
    report(1, 1)
    return result
