"""What each person's App Home shows, as plain data; Block Kit lives in bot/slack/blocks/home.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from bot.db.repositories.core import ChannelRepo, PeopleRepo
from bot.db.unit_of_work import UnitOfWork
from bot.services import coaching, one_on_ones, plans
from bot.services import ledger as nudge_ledger
from bot.services import schedules as prompt_schedules
from bot.services.org import load_org
from bot.services.people import Member, resolve


@dataclass(frozen=True)
class ReportLine:
    user_id: str
    name: str | None
    role: str


@dataclass(frozen=True)
class HomeData:
    member: Member
    reports: list[ReportLine] = field(default_factory=list)
    # sales ops: setup status
    deal_channel_patterns: list[str] = field(default_factory=list)
    roster_counts: dict[str, int] = field(default_factory=dict)
    # one-on-ones, coaching requests, development plans (issue 6); None when not on the roster
    coaching: CoachingHome | None = None
    # reflection prompts: own reflections; schedules for sales ops (issue 5)
    prompts: prompt_schedules.PromptsHome | None = None
    # nudges (issue 4): own doing-vs-enabling ledger, trend, recent nudges; team totals (k>=5)
    nudges: nudge_ledger.HomeSection | None = None


def home_data(
    tx: UnitOfWork, *, workspace_id: str, user_id: str, now: datetime | None = None
) -> HomeData:
    member = resolve(tx, workspace_id, user_id)
    people = PeopleRepo(tx.session, workspace_id)
    reports = [
        ReportLine(r.user_id, r.name, r.role)
        for r in (people.reports_of(user_id) if member.role == "manager" else [])
    ]
    patterns: list[str] = []
    counts: dict[str, int] = {}
    if member.audience == "sales_ops":
        patterns = [p.pattern for p in ChannelRepo(tx.session, workspace_id).patterns()]
        for person in people.all():
            counts[person.role] = counts.get(person.role, 0) + 1
    return HomeData(
        member=member,
        reports=reports,
        deal_channel_patterns=patterns,
        roster_counts=counts,
        coaching=coaching_home(
            tx, workspace_id=workspace_id, member=member, now=now or datetime.now(UTC)
        ),
        prompts=prompt_schedules.home_section(
            tx, workspace_id=workspace_id, user_id=user_id, audience=member.audience
        ),
        nudges=nudge_ledger.home_section(
            tx,
            workspace_id=workspace_id,
            user_id=user_id,
            audience=member.audience,
            now=now or datetime.now(UTC),
        ),
    )


# --------------------------------------------------------------------------------------------
# One-on-ones, coaching requests and development plans (issue 6)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoachingHome:
    """The coaching part of a home tab; which fields are filled depends on the audience.

    Every list here was filtered through permissions: a manager gets their own reps, a
    second-line leader gets counts per first-line manager, sales ops the defaults.
    """

    audience: str
    today: date
    # rep
    my_requests: list[coaching.RequestView] = field(default_factory=list)
    my_items: list[coaching.ItemView] = field(default_factory=list)
    my_plan: plans.PlanView | None = None
    my_schedule: one_on_ones.RepSchedule | None = None
    has_manager: bool = False
    # manager
    reps: list[one_on_ones.RepRow] = field(default_factory=list)
    open_requests: list[coaching.RequestView] = field(default_factory=list)
    rep_plans: dict[str, plans.PlanView] = field(default_factory=dict)
    # second line (and sales ops: the whole organisation)
    coverage: list[one_on_ones.CoverageRow] = field(default_factory=list)
    # sales ops
    defaults: coaching.CoachingDefaults | None = None


def coaching_home(
    tx: UnitOfWork, *, workspace_id: str, member: Member, now: datetime
) -> CoachingHome | None:
    if member.audience == "unknown":
        return None
    org = load_org(tx, workspace_id)
    if member.user_id not in org:
        return None
    today = coaching.today_for(tx, workspace_id, member.user_id, now)
    user_id = member.user_id
    if member.audience == "rep":
        mine = plans.plans_for(
            tx,
            workspace_id=workspace_id,
            viewer_id=user_id,
            rep_ids=[user_id],
            org=org,
            today=today,
        )
        return CoachingHome(
            audience="rep",
            today=today,
            my_requests=coaching.requests_for(tx, workspace_id=workspace_id, requester_id=user_id),
            my_items=one_on_ones.items_for_rep(tx, workspace_id=workspace_id, rep_id=user_id),
            my_plan=mine.get(user_id),
            my_schedule=one_on_ones.schedule_for_rep(
                tx, workspace_id=workspace_id, rep_id=user_id, today=today
            ),
            has_manager=org.manager_of(user_id) is not None,
        )
    if member.audience == "manager":
        reps = one_on_ones.reps_for_manager(
            tx, workspace_id=workspace_id, manager_id=user_id, org=org, today=today
        )
        return CoachingHome(
            audience="manager",
            today=today,
            reps=reps,
            open_requests=coaching.open_requests_to(
                tx, workspace_id=workspace_id, manager_id=user_id, org=org
            ),
            rep_plans=plans.plans_for(
                tx,
                workspace_id=workspace_id,
                viewer_id=user_id,
                rep_ids=[r.rep_id for r in reps],
                org=org,
                today=today,
            ),
            has_manager=org.manager_of(user_id) is not None,
        )
    if member.audience == "second_line":
        return CoachingHome(
            audience="second_line",
            today=today,
            coverage=one_on_ones.coverage(
                tx, workspace_id=workspace_id, leader_id=user_id, org=org, now=now, today=today
            ),
        )
    return CoachingHome(
        audience="sales_ops",
        today=today,
        defaults=coaching.get_defaults(tx, workspace_id),
        coverage=one_on_ones.coverage(
            tx,
            workspace_id=workspace_id,
            leader_id=user_id,
            org=org,
            now=now,
            today=today,
            managers=[p.user_id for p in org if org.role_of(p.user_id).value == "manager"],
        ),
    )
