"""The doing/enabling ledger a manager sees, team totals for their leaders, and nudge reports.

Privacy: a manager's own ledger, nudges and signals are shown to that manager only
(VIEW_SIGNALS / VIEW_NUDGES are self-only). Their leaders and sales ops get team counts, never
text or names, and only for teams of at least five managers (VIEW_TEAM_AGGREGATES is
aggregate-only; :func:`bot.domain.scoring.team_aggregates` applies k >= 5).

"Did nudges change anything?": :func:`nudge_report` gives, per sent nudge, the action the
manager clicked and the manager's doing-signals per type in the 14 days before vs after
(:func:`bot.domain.scoring.nudge_effect`); :func:`effect_by_type` sums them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.db.repositories.core import PeopleRepo
from bot.db.repositories.nudges import NudgeRepo
from bot.db.repositories.schedules import PrefsRepo
from bot.db.repositories.signals import SignalRepo
from bot.db.rows import SignalRow
from bot.db.unit_of_work import UnitOfWork
from bot.domain.calendar import zone
from bot.domain.permissions import Action, Role, check
from bot.domain.scoring import (
    BeforeAfter,
    Counts,
    Ledger,
    SignalFact,
    TeamAggregate,
    WeekPoint,
    ledger,
    nudge_effect,
    team_aggregates,
    weekly_trend,
)
from bot.services.nudging import card_for
from bot.services.org import load_org, person_or_stranger

__all__ = [
    "EFFECT_WINDOW",
    "HomeSection",
    "NudgeReportLine",
    "NudgesHome",
    "RecentNudge",
    "TeamView",
    "effect_by_type",
    "facts",
    "home_section",
    "manager_ledger",
    "nudge_report",
    "team_view",
]

EFFECT_WINDOW = timedelta(days=14)
TREND_WEEKS = 6
TEAM_WINDOW = timedelta(days=28)


def _fact(row: SignalRow) -> SignalFact:
    return SignalFact(
        type=row.type,
        kind=row.kind,
        weight=row.weight,
        at=row.occurred_at,
        manager_id=row.manager_id,
        rep_id=row.rep_id,
        justified=row.justified and row.kind == "doing",
        moment=row.source_key,
    )


def facts(
    tx: UnitOfWork,
    *,
    workspace_id: str,
    manager_id: str | None,
    since: datetime,
    until: datetime | None = None,
) -> list[SignalFact]:
    rows = SignalRepo(tx.session, workspace_id).list(
        manager_id=manager_id, since=since, until=until
    )
    return [_fact(r) for r in rows]


@dataclass(frozen=True)
class RecentNudge:
    nudge_id: int
    headline: str
    at: datetime
    status: str  # sent | suppressed
    reason: str
    first_action: str | None
    permalink: str | None


@dataclass(frozen=True)
class NudgesHome:
    """A manager's own view: this week's ledger, the trend, the last few nudges."""

    week: Ledger
    trend: list[WeekPoint]
    recent: list[RecentNudge]
    enabled: bool = True
    snoozed_until: datetime | None = None
    muted_count: int = 0
    tz: str = "UTC"


def _tz(tx: UnitOfWork, workspace_id: str, user_id: str) -> str:
    person = PeopleRepo(tx.session, workspace_id).get(user_id)
    name = person.timezone if person is not None and person.timezone else "UTC"
    try:
        zone(name)
    except ValueError:
        return "UTC"
    return name


def manager_ledger(
    tx: UnitOfWork, *, workspace_id: str, manager_id: str, viewer_id: str, now: datetime
) -> NudgesHome | None:
    """The manager's own ledger; None for anyone else (self-only, like the signals)."""
    org = load_org(tx, workspace_id)
    if (
        viewer_id not in org
        or not check(
            person_or_stranger(org, viewer_id),
            Action.VIEW_SIGNALS,
            subject=person_or_stranger(org, manager_id),
            org=org,
        ).allowed
    ):
        return None
    tz_name = _tz(tx, workspace_id, manager_id)
    tz = zone(tz_name)
    trend_start = now - timedelta(weeks=TREND_WEEKS + 1)
    signal_facts = facts(tx, workspace_id=workspace_id, manager_id=manager_id, since=trend_start)
    trend = weekly_trend(signal_facts, weeks=TREND_WEEKS, now=now, tz=tz)
    local_monday = now.astimezone(tz).date() - timedelta(days=now.astimezone(tz).weekday())
    week_start = datetime.combine(local_monday, datetime.min.time(), tzinfo=tz)
    week_end = datetime.combine(local_monday + timedelta(days=7), datetime.min.time(), tzinfo=tz)
    week = ledger(signal_facts, start=week_start, end=week_end)
    repo = NudgeRepo(tx.session, workspace_id)
    recent = [
        RecentNudge(
            nudge_id=n.id,
            headline=card_for(tx, n).headline,
            at=n.created_at,
            status=n.status,
            reason=n.reason,
            first_action=n.first_action,
            permalink=n.permalink,
        )
        for n in repo.recent(manager_id=manager_id, limit=5)
    ]
    prefs = PrefsRepo(tx.session, workspace_id).get(manager_id)
    snoozed = prefs.snoozed_until if prefs is not None else None
    return NudgesHome(
        week=week,
        trend=trend,
        recent=recent,
        enabled=prefs.nudges_enabled if prefs is not None else True,
        snoozed_until=snoozed if snoozed is not None and snoozed > now else None,
        muted_count=len(prefs.muted_channels or []) if prefs is not None else 0,
        tz=tz_name,
    )


@dataclass(frozen=True)
class TeamView:
    """Team totals (counts only) over the last ``days`` days; small teams are suppressed."""

    days: int
    teams: list[TeamAggregate] = field(default_factory=list)


def team_view(
    tx: UnitOfWork, *, workspace_id: str, viewer_id: str, now: datetime
) -> TeamView | None:
    """For a second-line leader (their organisation) or sales ops (everyone): doing, enabling
    and justified counts per team of first-line managers, k >= 5. None when nothing may be
    shown (a rep, a first-line manager, someone off the roster)."""
    org = load_org(tx, workspace_id)
    if viewer_id not in org:
        return None
    role = org.role_of(viewer_id)
    if role is Role.SALES_OPS:
        managers = [p for p in org if org.role_of(p.user_id) is Role.MANAGER]
    elif role is Role.SECOND_LINE:
        managers = list(org.first_line_managers_under(viewer_id))
    else:
        return None
    viewer = org.person(viewer_id)
    allowed = [
        m
        for m in managers
        if (d := check(viewer, Action.VIEW_TEAM_AGGREGATES, subject=m, org=org)).allowed
        and d.aggregate_only
    ]
    people = PeopleRepo(tx.session, workspace_id)
    since = now - TEAM_WINDOW
    per_team: dict[str, dict[str, Counts]] = {}
    for manager in allowed:
        row = people.get(manager.user_id)
        team = (row.team if row is not None and row.team else None) or "(no team)"
        week = ledger(
            facts(tx, workspace_id=workspace_id, manager_id=manager.user_id, since=since),
            start=since,
            end=now + timedelta(microseconds=1),
        )
        per_team.setdefault(team, {})[manager.user_id] = week.counts
    return TeamView(days=TEAM_WINDOW.days, teams=team_aggregates(per_team))


@dataclass(frozen=True)
class HomeSection:
    """What App Home shows from this module: one's own ledger and/or team totals."""

    own: NudgesHome | None = None
    team: TeamView | None = None


def home_section(
    tx: UnitOfWork, *, workspace_id: str, user_id: str, audience: str, now: datetime
) -> HomeSection | None:
    own = None
    if audience in ("manager", "second_line"):
        own = manager_ledger(
            tx, workspace_id=workspace_id, manager_id=user_id, viewer_id=user_id, now=now
        )
    team = None
    if audience in ("second_line", "sales_ops"):
        team = team_view(tx, workspace_id=workspace_id, viewer_id=user_id, now=now)
    if own is None and team is None:
        return None
    return HomeSection(own=own, team=team)


# --------------------------------------------------------------------------------------------
# Measured: what followed each nudge


@dataclass(frozen=True)
class NudgeReportLine:
    nudge_id: int
    manager_id: str
    at: datetime
    status: str
    reason: str
    signal_type: str
    actions: tuple[str, ...]  # every click, in order; () when the manager did nothing
    effect: Mapping[str, BeforeAfter]  # per doing type, 14 days before vs after
    complete: bool  # the after-window has fully passed

    @property
    def clicked(self) -> str | None:
        return self.actions[0] if self.actions else None


def nudge_report(
    tx: UnitOfWork,
    *,
    workspace_id: str,
    now: datetime,
    manager_id: str | None = None,
    since: datetime | None = None,
    include_suppressed: bool = False,
    window: timedelta = EFFECT_WINDOW,
) -> list[NudgeReportLine]:
    """One line per nudge (oldest first): the action clicked and the doing signals per type in
    ``window`` before vs after it. Counts only, never text."""
    repo = NudgeRepo(tx.session, workspace_id)
    statuses: Sequence[str] = ("sent", "suppressed") if include_suppressed else ("sent",)
    nudges = list(reversed(repo.recent(manager_id=manager_id, since=since, statuses=statuses)))
    actions = repo.actions_for([n.id for n in nudges])
    cache: dict[str, list[SignalFact]] = {}
    lines: list[NudgeReportLine] = []
    for nudge in nudges:
        if nudge.manager_id not in cache:
            first = min(n.created_at for n in nudges if n.manager_id == nudge.manager_id)
            cache[nudge.manager_id] = facts(
                tx,
                workspace_id=workspace_id,
                manager_id=nudge.manager_id,
                since=first - window,
            )
        lines.append(
            NudgeReportLine(
                nudge_id=nudge.id,
                manager_id=nudge.manager_id,
                at=nudge.created_at,
                status=nudge.status,
                reason=nudge.reason,
                signal_type=nudge.signal_type,
                actions=tuple(a.action for a in actions.get(nudge.id, [])),
                effect=nudge_effect(
                    cache[nudge.manager_id],
                    nudge_at=nudge.created_at,
                    window=window,
                    manager_id=nudge.manager_id,
                ),
                complete=now >= nudge.created_at + window,
            )
        )
    return lines


def effect_by_type(lines: Sequence[NudgeReportLine]) -> dict[str, BeforeAfter]:
    """Before/after summed over nudges, per doing type."""
    totals: dict[str, list[int]] = {}
    for line in lines:
        for signal_type, ba in line.effect.items():
            pair = totals.setdefault(signal_type, [0, 0])
            pair[0] += ba.before
            pair[1] += ba.after
    return {t: BeforeAfter(v[0], v[1]) for t, v in sorted(totals.items())}
