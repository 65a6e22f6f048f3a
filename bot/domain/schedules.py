"""Cadences and their occurrences, per recipient time zone, DST-correct, holiday-aware.

A schedule says *when in local time* ("Mondays at 09:00"); each recipient has their own IANA
time zone, so one schedule becomes a different UTC instant per recipient. This module turns
(cadence, time zone, window) into concrete occurrences, each with a stable key so the delivery
table can hold one row per (schedule, recipient, occurrence) under a unique constraint.

Cron: we parse 5-field expressions ourselves rather than use APScheduler's ``CronTrigger``.
Its ``from_crontab`` maps the day-of-week field with 0 = Monday, so the standard
``0 9 * * 1-5`` would silently mean Tuesday-Saturday; its firing times in DST gaps differ
from ours; and it is untyped. The grammar we need (numbers, names, ``*``, ranges, lists,
steps, and the classic rule that day-of-month and day-of-week are OR-ed when both are
restricted) is about a hundred lines, and keeping it here makes occurrences a pure function.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import Literal

from bot.domain.calendar import (
    ALL_DAYS,
    WEEKDAYS,
    CalendarError,
    HolidayLookup,
    format_weekdays,
    holiday_lookup,
    local_datetime,
    parse_weekdays,
    require_aware,
    zone,
)

__all__ = [
    "DEFAULT_GRACE",
    "MAX_CRON_FIRES_PER_DAY",
    "Cadence",
    "CronExpr",
    "DueDecision",
    "Occurrence",
    "ScheduleError",
    "describe",
    "due_decision",
    "next_occurrence",
    "occurrences",
    "parse_cadence",
    "parse_cron",
    "parse_time",
]

DEFAULT_GRACE = timedelta(hours=2)
#: A reflection prompt is not an alarm clock; a cron that fires more often is a typo.
MAX_CRON_FIRES_PER_DAY = 24

DueDecision = Literal["send", "wait", "skip_late"]
SkipReason = str  # "weekend" or "holiday: <name>"


class ScheduleError(ValueError):
    """A cadence that cannot be understood or could never fire; the message is for people."""


# --------------------------------------------------------------------------------------------
# cron


_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_CRON_DOW_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_DAYS_IN_MONTH_MAX = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@dataclass(frozen=True)
class _Field:
    name: str
    lo: int
    hi: int
    names: tuple[str, ...] = ()
    names_start: int = 0


_FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day-of-month", 1, 31),
    _Field("month", 1, 12, _MONTH_NAMES, 1),
    _Field("day-of-week", 0, 7, _CRON_DOW_NAMES, 0),
)


@dataclass(frozen=True)
class CronExpr:
    """A parsed 5-field cron expression evaluated in local (wall-clock) time.

    ``weekdays`` uses Python numbering (Monday = 0) after conversion from cron's Sunday = 0/7.
    """

    source: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    dom_restricted: bool
    dow_restricted: bool

    def matches_date(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        dom_ok = day.day in self.days_of_month
        dow_ok = day.weekday() in self.weekdays
        if self.dom_restricted and self.dow_restricted:
            return dom_ok or dow_ok  # the classic (Vixie) cron rule
        return dom_ok and dow_ok

    def times(self) -> tuple[time, ...]:
        return tuple(time(h, m) for h in sorted(self.hours) for m in sorted(self.minutes))


def _parse_value(token: str, spec: _Field, expr: str) -> int:
    lowered = token.lower()
    if lowered in spec.names:
        return spec.names.index(lowered) + spec.names_start
    if not token.isdigit():
        raise ScheduleError(f"cron {spec.name} field: can't read {token!r} in {expr!r}")
    value = int(token)
    if not spec.lo <= value <= spec.hi:
        raise ScheduleError(
            f"cron {spec.name} field: {value} is out of range {spec.lo}-{spec.hi} in {expr!r}"
        )
    return value


def _parse_field(text: str, spec: _Field, expr: str) -> tuple[frozenset[int], bool]:
    values: set[int] = set()
    restricted = True
    for part in text.split(","):
        if not part:
            raise ScheduleError(f"cron {spec.name} field: empty list item in {expr!r}")
        base, slash, step_text = part.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ScheduleError(
                    f"cron {spec.name} field: step must be a positive number, got "
                    f"{step_text!r} in {expr!r}"
                )
            step = int(step_text)
        if base == "*":
            lo, hi = spec.lo, spec.hi
            if not slash and text == "*":
                restricted = False
        elif "-" in base:
            first, _, last = base.partition("-")
            lo, hi = _parse_value(first, spec, expr), _parse_value(last, spec, expr)
            if lo > hi:
                raise ScheduleError(
                    f"cron {spec.name} field: range {base!r} runs backwards in {expr!r}"
                )
        else:
            lo = _parse_value(base, spec, expr)
            hi = spec.hi if slash else lo  # "5/15" means 5, 20, 35, 50
        values.update(range(lo, hi + 1, step))
    return frozenset(values), restricted


def parse_cron(expr: str) -> CronExpr:
    """Parse 'minute hour day-of-month month day-of-week' (names like mon, jan allowed)."""
    parts = expr.split()
    if len(parts) != 5:
        raise ScheduleError(
            f"cron needs 5 fields (minute hour day-of-month month day-of-week), "
            f"got {len(parts)} in {expr!r}"
        )
    parsed = [_parse_field(p, f, expr) for p, f in zip(parts, _FIELDS, strict=True)]
    (minutes, _), (hours, _), (dom, dom_r), (months, _), (dow_cron, dow_r) = parsed
    # cron: 0 and 7 are Sunday; Python: Monday is 0 and Sunday is 6.
    weekdays = frozenset((d - 1) % 7 for d in dow_cron)
    cron = CronExpr(
        source=" ".join(parts),
        minutes=minutes,
        hours=hours,
        days_of_month=dom,
        months=months,
        weekdays=weekdays,
        dom_restricted=dom_r,
        dow_restricted=dow_r,
    )
    fires = len(minutes) * len(hours)
    if fires > MAX_CRON_FIRES_PER_DAY:
        raise ScheduleError(
            f"cron {expr!r} would send {fires} prompts a day; at most "
            f"{MAX_CRON_FIRES_PER_DAY} a day are allowed (did you mean '0' in the minute field?)"
        )
    if not (dom_r and dow_r) and not any(
        d <= _DAYS_IN_MONTH_MAX[m - 1] for m in months for d in dom
    ):
        raise ScheduleError(f"cron {expr!r} can never fire: no month has those days")
    return cron


# --------------------------------------------------------------------------------------------
# cadence


_TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_time(text: str) -> time:
    """'09:00' / '9:00' / '16:30' -> time. Anything else is an error with the expected form."""
    match = _TIME_RE.match(text.strip())
    if not match:
        raise ScheduleError(f"time must be HH:MM (24h), got {text!r}")
    return time(int(match.group(1)), int(match.group(2)))


@dataclass(frozen=True)
class Cadence:
    """When a schedule fires, in the recipient's local time.

    Exactly one of ``days`` (weekly or every ``every_weeks`` weeks, counted from the week that
    contains ``start_date``) or ``cron`` is given. ``at`` is the local time of day for a days
    cadence; a cron expression carries its own times. ``start_date``/``end_date`` are local
    dates, both inclusive.

    ``skip_holidays`` skips public holidays of the workspace's countries (looked up on the
    recipient's local date). ``skip_weekends`` skips Saturday and Sunday even if the rhythm
    selects them, which is how "every day, but not weekends" and a cron with ``*`` in the
    day-of-week field are tamed. Skipped occurrences are still reported (with a reason) so the
    delivery table and `schedule preview` can show them.
    """

    start_date: date
    days: frozenset[int] = frozenset()
    at: time | None = None
    every_weeks: int = 1
    cron: str | None = None
    end_date: date | None = None
    skip_holidays: bool = True
    skip_weekends: bool = False

    def __post_init__(self) -> None:
        if self.cron is not None:
            if self.days:
                raise ScheduleError("give either days or a cron expression, not both")
            if self.at is not None:
                raise ScheduleError(
                    "a cron expression carries its own time of day; don't also give a time"
                )
            if self.every_weeks != 1:
                raise ScheduleError("'every N weeks' can't be combined with a cron expression")
            cron = parse_cron(self.cron)
            if (
                self.skip_weekends
                and cron.dow_restricted
                and not cron.dom_restricted
                and cron.weekdays <= {5, 6}
            ):
                raise ScheduleError(
                    f"cron {self.cron!r} only fires at weekends but weekends are skipped"
                )
        else:
            if not self.days:
                raise ScheduleError("choose at least one day (mon..sun) or give a cron expression")
            if not self.days <= ALL_DAYS:
                raise ScheduleError("days must be weekday numbers 0 (mon) to 6 (sun)")
            if self.at is None:
                raise ScheduleError("a days cadence needs a time of day, e.g. 09:00")
            if not 1 <= self.every_weeks <= 52:
                raise ScheduleError(f"every N weeks: N must be 1 to 52, got {self.every_weeks}")
            if self.skip_weekends and self.days <= {5, 6}:
                raise ScheduleError(
                    "the chosen days are all at the weekend but weekends are skipped"
                )
        if self.at is not None and (
            self.at.tzinfo is not None or self.at.second or self.at.microsecond
        ):
            raise ScheduleError("time of day must be a plain local HH:MM without seconds or zone")
        if self.end_date is not None and self.end_date < self.start_date:
            raise ScheduleError(
                f"end date {self.end_date.isoformat()} is before start date "
                f"{self.start_date.isoformat()}"
            )

    @cached_property
    def cron_expr(self) -> CronExpr | None:
        return parse_cron(self.cron) if self.cron is not None else None

    def _times(self, cron: CronExpr | None) -> tuple[time, ...]:
        if cron is not None:
            return cron.times()
        assert self.at is not None
        return (self.at,)

    def _matches_date(self, day: date, cron: CronExpr | None) -> bool:
        if day < self.start_date or (self.end_date is not None and day > self.end_date):
            return False
        if cron is not None:
            return cron.matches_date(day)
        if day.weekday() not in self.days:
            return False
        if self.every_weeks == 1:
            return True
        anchor = self.start_date - timedelta(days=self.start_date.weekday())
        week_index = (day - anchor).days // 7
        return week_index % self.every_weeks == 0


def parse_cadence(
    *,
    start_date: date,
    days: str | Iterable[str] | None = None,
    at: str | None = None,
    every_weeks: int = 1,
    cron: str | None = None,
    end_date: date | None = None,
    skip_holidays: bool = True,
    skip_weekends: bool = False,
) -> Cadence:
    """Build a cadence from what a person typed (CLI flags, modal fields)."""
    try:
        day_set = parse_weekdays(days) if days is not None else frozenset()
    except CalendarError as exc:
        raise ScheduleError(str(exc)) from exc
    return Cadence(
        start_date=start_date,
        days=day_set,
        at=parse_time(at) if at is not None else None,
        every_weeks=every_weeks,
        cron=cron.strip() if cron is not None else None,
        end_date=end_date,
        skip_holidays=skip_holidays,
        skip_weekends=skip_weekends,
    )


# --------------------------------------------------------------------------------------------
# occurrences


@dataclass(frozen=True)
class Occurrence:
    """One firing for one recipient.

    ``key`` is stable across restarts, replicas and edits of the time of day: the local date
    ('2025-03-09') for cadences that fire once a day, plus the local time ('2025-03-09T09:00')
    for cron expressions that can fire several times a day. Together with the schedule and
    recipient ids it is the delivery table's unique key.
    """

    key: str
    local_date: date
    local: datetime
    utc: datetime
    skipped_reason: SkipReason | None = None

    @property
    def skipped(self) -> bool:
        return self.skipped_reason is not None


def _skip_reason(cadence: Cadence, day: date, holidays: HolidayLookup | None) -> SkipReason | None:
    if cadence.skip_weekends and day.weekday() not in WEEKDAYS:
        return "weekend"
    if holidays is not None:
        name = holidays(day)
        if name is not None:
            return f"holiday: {name}"
    return None


def occurrences(
    cadence: Cadence,
    tz: str,
    start: datetime,
    end: datetime,
    *,
    holiday_countries: Sequence[str] | HolidayLookup = (),
) -> list[Occurrence]:
    """Occurrences whose UTC instant lies in ``[start, end)``, in time order, skipped ones included.

    Times are local to ``tz``; see :func:`bot.domain.calendar.local_datetime` for the DST
    rules (ambiguous -> first pass; nonexistent -> the transition instant). Should two cron
    times collapse onto one instant in a DST gap, it is reported once.
    """
    require_aware(start, "start")
    require_aware(end, "end")
    try:
        tzinfo = zone(tz)
        lookup = holiday_lookup(holiday_countries) if cadence.skip_holidays else None
    except CalendarError as exc:
        raise ScheduleError(str(exc)) from exc
    if end <= start:
        return []
    cron = cadence.cron_expr
    times = cadence._times(cron)
    many_a_day = len(times) > 1
    # One local day either side covers every offset (-12h..+14h) between UTC and local dates.
    first = max(start.astimezone(tzinfo).date() - timedelta(days=1), cadence.start_date)
    last = end.astimezone(tzinfo).date() + timedelta(days=1)
    if cadence.end_date is not None:
        last = min(last, cadence.end_date)
    found: list[Occurrence] = []
    seen_instants: set[datetime] = set()
    day = first
    while day <= last:
        if cadence._matches_date(day, cron):
            reason = _skip_reason(cadence, day, lookup)
            for at in times:
                local = local_datetime(day, at, tzinfo)
                utc = local.astimezone(UTC)
                if not start <= utc < end or utc in seen_instants:
                    continue
                seen_instants.add(utc)
                key = f"{day.isoformat()}T{at:%H:%M}" if many_a_day else day.isoformat()
                found.append(Occurrence(key, day, local, utc, reason))
        day += timedelta(days=1)
    found.sort(key=lambda o: o.utc)
    return found


#: Far enough for 'every 52 weeks' and for a cron that only matches 29 February.
_NEXT_HORIZON = timedelta(days=8 * 366)
_NEXT_CHUNK = timedelta(days=62)


def next_occurrence(
    cadence: Cadence,
    tz: str,
    after: datetime,
    *,
    holiday_countries: Sequence[str] | HolidayLookup = (),
    include_skipped: bool = False,
) -> Occurrence | None:
    """The first occurrence strictly after ``after`` (by default the first one that is sent).

    None when the cadence has ended (or nothing fires within eight years).
    """
    require_aware(after, "after")
    try:
        lookup = holiday_lookup(holiday_countries) if cadence.skip_holidays else None
    except CalendarError as exc:
        raise ScheduleError(str(exc)) from exc
    window_start = after + timedelta(microseconds=1)
    limit = window_start + _NEXT_HORIZON
    while window_start < limit:
        if cadence.end_date is not None and window_start.date() > cadence.end_date + timedelta(
            days=2
        ):
            return None
        window_end = window_start + _NEXT_CHUNK
        for occ in occurrences(
            cadence, tz, window_start, window_end, holiday_countries=lookup or ()
        ):
            if include_skipped or not occ.skipped:
                return occ
        window_start = window_end
    return None


def due_decision(
    occurrence_utc: datetime, now: datetime, grace: timedelta = DEFAULT_GRACE
) -> DueDecision:
    """What to do with an occurrence at ``now``.

    ``wait`` before it; ``send`` from its instant until ``grace`` after it (inclusive), which is
    how occurrences missed while the bot was down are delivered late; ``skip_late`` after that,
    so a 09:00 prompt is never delivered at 3 a.m. after a long outage.
    """
    require_aware(occurrence_utc, "occurrence_utc")
    require_aware(now, "now")
    if grace < timedelta(0):
        raise ScheduleError(f"grace must not be negative, got {grace}")
    if now < occurrence_utc:
        return "wait"
    if now - occurrence_utc <= grace:
        return "send"
    return "skip_late"


# --------------------------------------------------------------------------------------------
# description


_PLURAL_DAYS = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")


def _describe_days(days: frozenset[int]) -> str:
    if days == ALL_DAYS:
        return "every day"
    if days == WEEKDAYS:
        return "weekdays"
    if len(days) == 1:
        return _PLURAL_DAYS[next(iter(days))]
    return format_weekdays(days)


def describe(cadence: Cadence, *, verbose: bool = False) -> str:
    """A human summary: 'Mondays at 09:00', 'every 2 weeks on Tue, Thu at 16:30',
    'cron 0 9 * * 1-5'. ``verbose`` adds the date range and skip rules."""
    if cadence.cron is not None:
        text = f"cron {' '.join(cadence.cron.split())}"
    else:
        assert cadence.at is not None
        days = _describe_days(cadence.days)
        at = f"{cadence.at:%H:%M}"
        if cadence.every_weeks == 1:
            text = f"{days} at {at}"
        else:
            text = f"every {cadence.every_weeks} weeks on {format_weekdays(cadence.days)} at {at}"
    if not verbose:
        return text
    extras = [f"from {cadence.start_date.isoformat()}"]
    if cadence.end_date is not None:
        extras.append(f"until {cadence.end_date.isoformat()}")
    skips = [
        name
        for name, on in (("weekends", cadence.skip_weekends), ("holidays", cadence.skip_holidays))
        if on
    ]
    if skips:
        extras.append("skipping " + " and ".join(skips))
    return f"{text}, {', '.join(extras)}"
