"""The sample company the demo plays: who is who, where they work, which deals they own.

A sales ops lead, a second-line leader, three first-line managers in three time zones with four
reps each, and one deal channel per team. The names are made up; the shapes are real.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

SALES_OPS = "sales_ops"
SECOND_LINE = "second_line"
MANAGER = "manager"
REP = "rep"


@dataclass(frozen=True)
class Person:
    user_id: str
    name: str
    role: str  # sales_ops | second_line | manager | rep
    tz: str
    team: str
    title: str
    manager_id: str | None = None

    @property
    def first_name(self) -> str:
        return self.name.split()[0]

    @property
    def handle(self) -> str:
        return self.name.split()[0].lower()

    @property
    def roster_role(self) -> str:
        """The roster knows reps, managers and sales ops; a second-line leader is a manager
        whose reports are managers."""
        return MANAGER if self.role == SECOND_LINE else self.role

    @property
    def city(self) -> str:
        return self.tz.rsplit("/", 1)[-1].replace("_", " ")


@dataclass(frozen=True)
class Team:
    name: str
    manager: Person
    reps: tuple[Person, ...]
    channel_id: str
    channel_name: str  # deal-acme
    account: str  # Acme


@dataclass(frozen=True)
class Company:
    sales_ops: Person
    second_line: Person
    teams: tuple[Team, ...]
    general_channel_id: str = "C0GENERAL"

    def people(self) -> Iterator[Person]:
        yield self.sales_ops
        yield self.second_line
        for team in self.teams:
            yield team.manager
            yield from team.reps

    def person(self, user_id: str) -> Person:
        for person in self.people():
            if person.user_id == user_id:
                return person
        raise KeyError(user_id)

    def names(self) -> dict[str, str]:
        return {p.user_id: p.name for p in self.people()}

    def channels(self) -> dict[str, str]:
        found = {t.channel_id: t.channel_name for t in self.teams}
        found[self.general_channel_id] = "general"
        return found

    def team_of(self, user_id: str) -> Team:
        for team in self.teams:
            if team.manager.user_id == user_id or any(r.user_id == user_id for r in team.reps):
                return team
        raise KeyError(user_id)

    def roster_csv(self) -> str:
        lines = ["user_id,role,manager_id,name,team,timezone"]
        for p in self.people():
            lines.append(
                ",".join([p.user_id, p.roster_role, p.manager_id or "", _csv(p.name), p.team, p.tz])
            )
        return "\n".join(lines) + "\n"


def _csv(value: str) -> str:
    return f'"{value}"' if any(c in value for c in ',"') else value


# Three first-line teams: (team, manager, time zone, account, reps). Four reps each.
_TEAMS = (
    (
        "Americas",
        ("U0MAYA", "Maya Patel"),
        "America/New_York",
        "Acme",
        (
            ("U0JORDAN", "Jordan Lee"),
            ("U0SAM", "Sam Rivera"),
            ("U0ALEX", "Alex Kim"),
            ("U0TAYLOR", "Taylor Brooks"),
        ),
    ),
    (
        "EMEA",
        ("U0OLIVER", "Oliver Bennett"),
        "Europe/London",
        "Globex",
        (
            ("U0AMARA", "Amara Okafor"),
            ("U0HARRY", "Harry Collins"),
            ("U0SOPHIE", "Sophie Turner"),
            ("U0RAVI", "Ravi Shah"),
        ),
    ),
    (
        "APAC",
        ("U0CHLOE", "Chloe Nguyen"),
        "Australia/Sydney",
        "Initech",
        (
            ("U0LIAM", "Liam O'Brien"),
            ("U0MIA", "Mia Thompson"),
            ("U0NOAH", "Noah Wilson"),
            ("U0ISLA", "Isla Martin"),
        ),
    ),
)


def sample_company(seed: int = 0) -> Company:
    """The demo's company. ``seed`` shuffles which rep in each team owns the featured deal, so
    repeated runs show a different cast while the story stays the same."""
    rng = random.Random(seed)
    ops = Person(
        "U0DANA", "Dana Whitfield", SALES_OPS, "America/Chicago", "Revenue Ops", "Sales ops lead"
    )
    vp = Person(
        "U0MARCUS",
        "Marcus Reid",
        SECOND_LINE,
        "America/New_York",
        "Leadership",
        "VP Sales (second-line)",
    )
    teams = []
    for team_name, (mgr_id, mgr_name), tz, account, reps in _TEAMS:
        manager = Person(
            mgr_id, mgr_name, MANAGER, tz, team_name, f"Sales manager, {team_name}", vp.user_id
        )
        people = [
            Person(uid, name, REP, tz, team_name, "Account executive", mgr_id) for uid, name in reps
        ]
        lead = rng.randrange(len(people))
        people.insert(0, people.pop(lead))  # the first rep owns the featured deal
        teams.append(
            Team(
                name=team_name,
                manager=manager,
                reps=tuple(people),
                channel_id=f"C0{account.upper()}",
                channel_name=f"deal-{account.lower()}",
                account=account,
            )
        )
    return Company(sales_ops=ops, second_line=vp, teams=tuple(teams))
