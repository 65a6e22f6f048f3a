"""Roster CSV: parse and validate before anything touches the database.

Header `user_id,role,manager_id` plus optional `name,team,timezone`. Every problem is reported
with its line number, and a file with any problem imports nothing.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ROLES = ("rep", "manager", "sales_ops")
REQUIRED_COLUMNS = ("user_id", "role", "manager_id")
OPTIONAL_COLUMNS = ("name", "team", "timezone")
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,31}$")


@dataclass(frozen=True)
class RosterEntry:
    user_id: str
    role: str
    manager_id: str | None
    name: str | None = None
    team: str | None = None
    timezone: str | None = None


@dataclass(frozen=True)
class RosterProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class RosterError(Exception):
    def __init__(self, problems: list[RosterProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def valid_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def parse_roster(text: str, *, known_user_ids: frozenset[str] = frozenset()) -> list[RosterEntry]:
    """Parse the CSV, or raise RosterError listing every bad line.

    `known_user_ids` are people already on the roster: a manager_id may point at them.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise RosterError(
            [
                RosterProblem(
                    1,
                    f"header must include {', '.join(REQUIRED_COLUMNS)}; "
                    f"missing {', '.join(missing)}",
                )
            ]
        )
    unknown = [c for c in header if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    problems: list[RosterProblem] = []
    if unknown:
        problems.append(RosterProblem(1, f"unknown column(s): {', '.join(unknown)}"))

    entries: list[RosterEntry] = []
    lines: dict[str, int] = {}
    for raw in reader:
        line = reader.line_num
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(row.values()):
            continue
        user_id = row.get("user_id", "")
        role = row.get("role", "").lower()
        manager_id = row.get("manager_id") or None
        tz = row.get("timezone") or None
        if not USER_ID.match(user_id):
            problems.append(
                RosterProblem(line, f"user_id {user_id!r} is not a Slack user ID (like U012AB3CD)")
            )
        elif user_id in lines:
            problems.append(
                RosterProblem(line, f"{user_id} already appears on line {lines[user_id]}")
            )
        else:
            lines[user_id] = line
        if role not in ROLES:
            problems.append(RosterProblem(line, f"role {role!r} must be one of {', '.join(ROLES)}"))
        if manager_id is not None and not USER_ID.match(manager_id):
            problems.append(
                RosterProblem(line, f"manager_id {manager_id!r} is not a Slack user ID")
            )
        if manager_id is not None and manager_id == user_id:
            problems.append(RosterProblem(line, "a person cannot be their own manager"))
        if role == "rep" and manager_id is None:
            problems.append(RosterProblem(line, "a rep needs a manager_id"))
        if tz is not None and not valid_timezone(tz):
            problems.append(
                RosterProblem(line, f"timezone {tz!r} is not an IANA zone like Europe/London")
            )
        entries.append(
            RosterEntry(
                user_id=user_id,
                role=role,
                manager_id=manager_id,
                name=row.get("name") or None,
                team=row.get("team") or None,
                timezone=tz,
            )
        )

    roles = {e.user_id: e.role for e in entries}
    for entry in entries:
        if entry.manager_id is None:
            continue
        line = lines.get(entry.user_id, 0)
        if entry.manager_id in roles:
            if roles[entry.manager_id] != "manager":
                problems.append(
                    RosterProblem(
                        line,
                        f"manager_id {entry.manager_id} has role "
                        f"{roles[entry.manager_id]}, not manager",
                    )
                )
        elif entry.manager_id not in known_user_ids:
            problems.append(
                RosterProblem(line, f"manager_id {entry.manager_id} is not on the roster")
            )
    problems.extend(_cycles(entries, lines))
    if problems:
        raise RosterError(sorted(problems, key=lambda p: p.line))
    return entries


def _cycles(entries: list[RosterEntry], lines: dict[str, int]) -> list[RosterProblem]:
    manager_of = {e.user_id: e.manager_id for e in entries}
    found: list[RosterProblem] = []
    for start in manager_of:
        seen = {start}
        current = manager_of.get(start)
        while current is not None and current in manager_of:
            if current == start:
                found.append(RosterProblem(lines.get(start, 0), f"{start} is in a reporting cycle"))
                break
            if current in seen:
                break
            seen.add(current)
            current = manager_of.get(current)
    return found
