"""What each person's App Home shows, as plain data; Block Kit lives in bot/slack/blocks/home.py."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.db.repositories.core import ChannelRepo, PeopleRepo
from bot.db.unit_of_work import UnitOfWork
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


def home_data(tx: UnitOfWork, *, workspace_id: str, user_id: str) -> HomeData:
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
        member=member, reports=reports, deal_channel_patterns=patterns, roster_counts=counts
    )
