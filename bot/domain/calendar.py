"""Local calendars: weekdays, holidays, wall-clock -> instant, working hours.

Everything time-related in the domain goes through here so there is exactly one answer to
"what instant is 09:00 on this date in this person's time zone?" and "is this a holiday?".

Pure: no clock reads (every function takes its instants as arguments), no I/O beyond the data
that ships inside the ``holidays`` and ``tzdata`` packages.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

__all__ = [
    "ALL_DAYS",
    "DAY_NAMES",
    "WEEKDAYS",
    "CalendarError",
    "HolidayCalendar",
    "HolidayLookup",
    "add_working_hours",
    "format_weekdays",
    "holiday_lookup",
    "is_working_time",
    "local_datetime",
    "parse_weekdays",
    "require_aware",
    "zone",
]

#: Monday is 0, as in ``date.weekday()``.
DAY_NAMES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAYS: frozenset[int] = frozenset(range(5))
ALL_DAYS: frozenset[int] = frozenset(range(7))

#: Looks a local date up and answers the holiday's name, or None on an ordinary day.
HolidayLookup = Callable[[date], str | None]

_DAY_ALIASES: dict[str, int] = {
    **{name: i for i, name in enumerate(DAY_NAMES)},
    **{
        full: i
        for i, full in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
    "tues": 1,
    "wednes": 2,
    "thur": 3,
    "thurs": 3,
}
_DAY_GROUPS: dict[str, frozenset[int]] = {
    "weekdays": WEEKDAYS,
    "workdays": WEEKDAYS,
    "weekends": frozenset({5, 6}),
    "daily": ALL_DAYS,
    "everyday": ALL_DAYS,
}


class CalendarError(ValueError):
    """A time zone, country code or weekday that we cannot interpret."""


def require_aware(value: datetime, name: str) -> datetime:
    """Reject naive datetimes: a naive 'now' is the classic source of off-by-an-offset bugs."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise CalendarError(f"{name} must be timezone-aware (UTC), got naive {value.isoformat()}")
    return value


def zone(tz: str | ZoneInfo) -> ZoneInfo:
    """Resolve an IANA name such as 'Europe/London', with an error a person can act on."""
    if isinstance(tz, ZoneInfo):
        return tz
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CalendarError(
            f"unknown time zone {tz!r}; use an IANA name such as 'America/New_York'"
        ) from exc


def parse_weekdays(value: str | Iterable[str | int]) -> frozenset[int]:
    """'mon,wed,fri' / ['Mon', 'Tuesday'] / 'weekdays' / 'mon-fri' -> {0, 2, 4} etc."""
    items: Iterable[str | int]
    items = value.replace(" ", ",").split(",") if isinstance(value, str) else value
    days: set[int] = set()
    for item in items:
        if isinstance(item, int):
            if not 0 <= item <= 6:
                raise CalendarError(f"weekday numbers run 0 (mon) to 6 (sun), got {item}")
            days.add(item)
            continue
        token = item.strip().lower()
        if not token:
            continue
        if token in _DAY_GROUPS:
            days |= _DAY_GROUPS[token]
        elif "-" in token:
            first, _, last = token.partition("-")
            lo, hi = _day(first, item), _day(last, item)
            days |= {d % 7 for d in range(lo, hi + 1 if hi >= lo else hi + 8)}
        else:
            days.add(_day(token, item))
    if not days:
        raise CalendarError("choose at least one day (mon, tue, wed, thu, fri, sat, sun)")
    return frozenset(days)


def _day(token: str, original: str) -> int:
    token = token.strip().lower()
    for candidate in (token, token.removesuffix("s")):  # 'mondays' reads as 'monday'
        if candidate in _DAY_ALIASES:
            return _DAY_ALIASES[candidate]
    raise CalendarError(f"unknown day {original.strip()!r}; use mon, tue, wed, thu, fri, sat, sun")


def format_weekdays(days: Collection[int]) -> str:
    """{0, 2} -> 'Mon, Wed'; used in human summaries."""
    return ", ".join(DAY_NAMES[d].capitalize() for d in sorted(days))


def local_datetime(day: date, at: time, tz: str | ZoneInfo) -> datetime:
    """The instant at which wall-clock ``at`` happens on ``day`` in ``tz``.

    DST rules, chosen so a schedule fires exactly once a day:

    * ambiguous times (the repeated hour when clocks go back) resolve to the *first* pass,
      ``fold=0``;
    * nonexistent times (inside the hour skipped when clocks go forward, e.g. 02:30 in New
      York on spring-forward day) resolve to the first instant that exists after the gap,
      i.e. the moment of the transition (03:00 local). This is what cron implementations do
      for jobs in the skipped hour, and unlike Python's default (which would give 03:30) it
      never moves a message later than necessary.
    """
    tzinfo = zone(tz)
    naive = datetime.combine(day, at.replace(tzinfo=None, fold=0))
    candidate = naive.replace(tzinfo=tzinfo)
    round_trip = candidate.astimezone(UTC).astimezone(tzinfo)
    if round_trip.replace(tzinfo=None) == naive:
        return round_trip
    # In a gap. fold=0 applies the offset from before the transition, fold=1 the one after.
    before = candidate.utcoffset()
    after = candidate.replace(fold=1).utcoffset()
    assert before is not None
    assert after is not None
    lo = naive.replace(tzinfo=UTC) - after  # local clock still in the old offset here
    hi = naive.replace(tzinfo=UTC) - before  # and already in the new offset here
    # Binary search for the first whole second whose offset is the post-transition one.
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        mid = mid.replace(microsecond=0)
        if mid.astimezone(tzinfo).utcoffset() == after:
            hi = mid
        else:
            lo = mid
    return hi.astimezone(tzinfo)


@lru_cache(maxsize=256)
def _country_table(code: str) -> Any:
    country, _, subdiv = code.partition("-")
    try:
        return holidays_lib.country_holidays(country.upper(), subdiv=subdiv.upper() or None)
    except NotImplementedError as exc:
        raise CalendarError(
            f"unknown holiday country {code!r}; use an ISO code such as 'US', 'GB', 'AU' "
            "or a subdivision such as 'US-CA', 'GB-SCT'"
        ) from exc


@dataclass(frozen=True)
class HolidayCalendar:
    """Public holidays for a workspace's list of countries (or country-subdivisions).

    Callable so it can be passed wherever a :data:`HolidayLookup` is expected. Country codes
    are validated eagerly so a typo fails when sales ops saves the setting, not at 9 a.m.
    """

    countries: tuple[str, ...] = ()
    _tables: tuple[Any, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_tables", tuple(_country_table(c) for c in self.countries))

    def __call__(self, day: date) -> str | None:
        names: list[str] = []
        for table in self._tables:
            found = table.get(day)
            if found:
                for name in str(found).split("; "):
                    if name not in names:
                        names.append(name)
        return "; ".join(names) or None


def holiday_lookup(countries: Sequence[str] | HolidayLookup) -> HolidayLookup:
    """Accept either a country list or a ready lookup (so callers can cache their own)."""
    if callable(countries):
        return countries
    return HolidayCalendar(tuple(countries))


def _working_day(day: date, working_days: Collection[int], holidays: HolidayLookup) -> bool:
    return day.weekday() in working_days and holidays(day) is None


def _check_day(day_start: time, day_end: time) -> None:
    if day_start >= day_end:
        raise CalendarError(
            f"working day must start before it ends, got {day_start:%H:%M}-{day_end:%H:%M}"
        )


def is_working_time(
    instant: datetime,
    *,
    tz: str | ZoneInfo,
    working_days: Collection[int] = WEEKDAYS,
    day_start: time = time(9),
    day_end: time = time(17),
    holiday_countries: Sequence[str] | HolidayLookup = (),
) -> bool:
    """Whether ``instant`` falls within working hours (start inclusive, end exclusive)."""
    require_aware(instant, "instant")
    _check_day(day_start, day_end)
    tzinfo = zone(tz)
    local = instant.astimezone(tzinfo)
    if not _working_day(local.date(), working_days, holiday_lookup(holiday_countries)):
        return False
    opens = local_datetime(local.date(), day_start, tzinfo)
    closes = local_datetime(local.date(), day_end, tzinfo)
    return opens <= instant < closes


#: How far we look for working days before deciding the configuration has none.
_MAX_DAYS_SEARCHED = 3 * 366


def add_working_hours(
    start_utc: datetime,
    hours: float | timedelta,
    *,
    tz: str | ZoneInfo,
    working_days: Collection[int] = WEEKDAYS,
    day_start: time = time(9),
    day_end: time = time(17),
    holiday_countries: Sequence[str] | HolidayLookup = (),
) -> datetime:
    """The UTC instant after ``hours`` of the person's working time have elapsed since start.

    Used for "an unanswered coaching request reminds the manager after 24 working hours": with
    09:00-17:00 on weekdays, a request made on Friday at 16:00 comes due on Wednesday at 16:00.
    Time outside working hours, on non-working days and on holidays does not count. A span
    that ends exactly at closing time returns closing time, not the next morning. Working
    hours are measured in real elapsed time, so a (rare) daytime DST change is honoured.
    """
    require_aware(start_utc, "start_utc")
    _check_day(day_start, day_end)
    remaining = hours if isinstance(hours, timedelta) else timedelta(hours=hours)
    if remaining < timedelta(0):
        raise CalendarError(f"hours must not be negative, got {hours}")
    if not working_days:
        raise CalendarError("working_days is empty: there is no working time to add")
    tzinfo = zone(tz)
    lookup = holiday_lookup(holiday_countries)
    cursor = start_utc.astimezone(UTC)
    if remaining == timedelta(0):
        return cursor
    day = cursor.astimezone(tzinfo).date()
    for _ in range(_MAX_DAYS_SEARCHED):
        if _working_day(day, working_days, lookup):
            opens = local_datetime(day, day_start, tzinfo).astimezone(UTC)
            closes = local_datetime(day, day_end, tzinfo).astimezone(UTC)
            begin = max(cursor, opens)
            if begin < closes:
                available = closes - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        day += timedelta(days=1)
    raise CalendarError(
        f"no working time found within {_MAX_DAYS_SEARCHED} days; check working days and holidays"
    )
