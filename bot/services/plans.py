"""Development plans: skills rated 1–5 by manager and rep, goals, and progress over time.

Ratings are kept as one snapshot per day (editing twice on one day replaces that day's), so
`domain.plan_progress` can show where each skill started and where it is now.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.db.repositories.coaching import CoachingRepo
from bot.db.rows import DevelopmentPlanRow, PlanSnapshotRow
from bot.db.unit_of_work import UnitOfWork
from bot.domain import coaching as domain
from bot.domain.permissions import Action, Org, PermissionDenied, check, require
from bot.services.coaching import Submitted, get_defaults, today_for
from bot.services.org import authorize, load_org, person_or_stranger


@dataclass(frozen=True)
class GoalForm:
    text: str
    target: date | None = None
    done: bool = False


@dataclass(frozen=True)
class PlanView:
    rep_id: str
    ratings: tuple[domain.SkillRating, ...]
    goals: tuple[domain.Goal, ...]
    updated_on: date | None
    current: bool
    progress: Mapping[str, domain.SkillProgress]

    @property
    def goals_done(self) -> int:
        return sum(g.done for g in self.goals)


def _goal(raw: Mapping[str, Any]) -> domain.Goal:
    target = raw.get("target")
    return domain.Goal(
        text=str(raw.get("text") or ""),
        skill=raw.get("skill"),
        target=date.fromisoformat(target) if isinstance(target, str) and target else None,
        done=bool(raw.get("done")),
    )


def _ratings(raw: Sequence[Mapping[str, Any]]) -> tuple[domain.SkillRating, ...]:
    result: list[domain.SkillRating] = []
    for r in raw:
        try:
            result.append(
                domain.SkillRating(str(r.get("skill")), r.get("by_manager"), r.get("by_rep"))
            )
        except ValueError:
            continue  # a hand-edited bad value should not break a whole home tab
    return tuple(result)


def _view(
    row: DevelopmentPlanRow | None, snapshots: Sequence[PlanSnapshotRow], rep_id: str, today: date
) -> PlanView:
    history = [domain.PlanSnapshot(s.taken_on, _ratings(s.ratings)) for s in snapshots]
    latest = history[-1].ratings if history else ()
    updated_on = row.updated_on if row is not None else None
    return PlanView(
        rep_id=rep_id,
        ratings=latest,
        goals=tuple(_goal(g) for g in (row.goals if row is not None else [])),
        updated_on=updated_on,
        current=domain.is_current(updated_on, today),
        progress=domain.plan_progress(history),
    )


def get_plan(
    tx: UnitOfWork, *, workspace_id: str, actor_id: str, rep_id: str, now: datetime
) -> PlanView:
    """The full plan, for the rep and their manager only (leaders above see counts elsewhere)."""
    org = load_org(tx, workspace_id)
    decision = require(
        person_or_stranger(org, actor_id),
        Action.VIEW_DEVELOPMENT_PLAN,
        subject=person_or_stranger(org, rep_id),
        org=org,
    )
    if decision.aggregate_only:
        raise PermissionDenied(
            f"{org.person(rep_id).label}'s development plan is visible to them and their "
            "manager; you see how many of the team have a current plan.",
            action=Action.VIEW_DEVELOPMENT_PLAN,
        )
    repo = CoachingRepo(tx.session, workspace_id)
    today = today_for(tx, workspace_id, actor_id, now)
    return _view(repo.plan(rep_id), repo.snapshots(rep_id), rep_id, today)


def plans_for(
    tx: UnitOfWork,
    *,
    workspace_id: str,
    viewer_id: str,
    rep_ids: Sequence[str],
    org: Org,
    today: date,
) -> dict[str, PlanView]:
    """Plans of several reps for one viewer, skipping any the viewer may not see in full."""
    viewer = person_or_stranger(org, viewer_id)
    visible = [
        r
        for r in rep_ids
        if r in org
        and (
            d := check(viewer, Action.VIEW_DEVELOPMENT_PLAN, subject=org.person(r), org=org)
        ).allowed
        and not d.aggregate_only
    ]
    repo = CoachingRepo(tx.session, workspace_id)
    rows = repo.plans(visible)
    return {r: _view(rows.get(r), repo.snapshots(r), r, today) for r in visible}


def save_plan(
    tx: UnitOfWork,
    *,
    workspace_id: str,
    actor_id: str,
    rep_id: str,
    ratings: Mapping[str, tuple[int | None, int | None]],
    goals: Sequence[GoalForm],
    now: datetime,
) -> Submitted:
    """Save ratings and goals. The rep's own edits change only the rep's column: the manager's
    ratings are the manager's to give (and the other way round is not enforced: the manager
    may record both when they rate together in a 1:1)."""
    authorize(
        tx,
        workspace_id,
        actor_id=actor_id,
        action=Action.EDIT_DEVELOPMENT_PLAN,
        subject_id=rep_id,
    )
    today = today_for(tx, workspace_id, actor_id, now)
    skills = get_defaults(tx, workspace_id).skills
    errors = domain.validate_development_plan(
        ratings=ratings,
        goals=[domain.GoalInput(g.text, g.target) for g in goals],
        today=today,
        skills=skills,
    )
    # A goal already marked done may keep a past target date.
    errors = {
        k: v
        for k, v in errors.items()
        if not (k.endswith("_target") and goals[int(k.split("_")[1])].done)
    }
    if errors:
        return Submitted(errors=errors)
    repo = CoachingRepo(tx.session, workspace_id)
    previous = {r.skill: r for r in (_latest(repo, rep_id))}
    by_rep_only = actor_id == rep_id
    merged: list[dict[str, Any]] = []
    for skill in [s.id for s in skills if s.id in ratings or s.id in previous]:
        old = previous.get(skill)
        by_manager, by_rep = ratings.get(skill, (None, None))
        if by_rep_only:
            by_manager = old.by_manager if old else None
        if by_manager is None and by_rep is None:
            continue
        merged.append({"skill": skill, "by_manager": by_manager, "by_rep": by_rep})
    snapshot = repo.snapshot_on(rep_id, today)
    if snapshot is None:
        repo.add(
            PlanSnapshotRow(
                workspace_id=workspace_id,
                rep_id=rep_id,
                taken_on=today,
                ratings=merged,
                updated_at=now,
            )
        )
    else:
        snapshot.ratings = merged
        snapshot.updated_at = now
    stored_goals = [
        {
            "text": g.text.strip(),
            "skill": None,
            "target": g.target.isoformat() if g.target else None,
            "done": g.done,
        }
        for g in goals
        if g.text.strip()
    ]
    plan = repo.plan(rep_id)
    if plan is None:
        repo.add(
            DevelopmentPlanRow(
                workspace_id=workspace_id,
                rep_id=rep_id,
                goals=stored_goals,
                updated_on=today,
                updated_by=actor_id,
                updated_at=now,
            )
        )
    else:
        plan.goals = stored_goals
        plan.updated_on = today
        plan.updated_by = actor_id
        plan.updated_at = now
    return Submitted(id=None)


def _latest(repo: CoachingRepo, rep_id: str) -> tuple[domain.SkillRating, ...]:
    snapshots = repo.snapshots(rep_id)
    return _ratings(snapshots[-1].ratings) if snapshots else ()
