from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.calendar import (
    WEEKDAYS,
    CalendarError,
    HolidayCalendar,
    add_working_hours,
    format_weekdays,
    is_working_time,
    local_datetime,
    parse_weekdays,
)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, sec, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tz", "day", "at", "expected_local", "expected_utc"),
    [
        # ordinary days
        (
            "America/New_York",
            date(2025, 1, 6),
            time(9),
            "2025-01-06T09:00:00-05:00",
            utc(2025, 1, 6, 14),
        ),
        (
            "Europe/London",
            date(2025, 7, 1),
            time(9),
            "2025-07-01T09:00:00+01:00",
            utc(2025, 7, 1, 8),
        ),
        # spring forward, northern: 09:00 still exists and is in the new offset
        (
            "America/New_York",
            date(2025, 3, 9),
            time(9),
            "2025-03-09T09:00:00-04:00",
            utc(2025, 3, 9, 13),
        ),
        (
            "Europe/London",
            date(2025, 3, 30),
            time(9),
            "2025-03-30T09:00:00+01:00",
            utc(2025, 3, 30, 8),
        ),
        # nonexistent times shift forward to the transition instant (03:00 / 02:00 local)
        (
            "America/New_York",
            date(2025, 3, 9),
            time(2, 30),
            "2025-03-09T03:00:00-04:00",
            utc(2025, 3, 9, 7),
        ),
        (
            "Europe/London",
            date(2025, 3, 30),
            time(1, 30),
            "2025-03-30T02:00:00+01:00",
            utc(2025, 3, 30, 1),
        ),
        (
            "Australia/Sydney",
            date(2025, 10, 5),
            time(2, 0),
            "2025-10-05T03:00:00+11:00",
            utc(2025, 10, 4, 16),
        ),
        # ambiguous times take the first pass (fold=0, still daylight time)
        (
            "America/New_York",
            date(2025, 11, 2),
            time(1, 30),
            "2025-11-02T01:30:00-04:00",
            utc(2025, 11, 2, 5, 30),
        ),
        (
            "Europe/London",
            date(2025, 10, 26),
            time(1, 15),
            "2025-10-26T01:15:00+01:00",
            utc(2025, 10, 26, 0, 15),
        ),
        (
            "Australia/Sydney",
            date(2025, 4, 6),
            time(2, 30),
            "2025-04-06T02:30:00+11:00",
            utc(2025, 4, 5, 15, 30),
        ),
        # southern hemisphere fall back at 09:00: already in standard time
        (
            "Australia/Sydney",
            date(2025, 4, 6),
            time(9),
            "2025-04-06T09:00:00+10:00",
            utc(2025, 4, 5, 23),
        ),
    ],
)
def test_local_datetime_resolves_dst(
    tz: str, day: date, at: time, expected_local: str, expected_utc: datetime
) -> None:
    result = local_datetime(day, at, tz)
    assert result.isoformat() == expected_local
    assert result.astimezone(UTC) == expected_utc
    assert result.fold == 0


def test_local_datetime_accepts_zoneinfo_and_rejects_unknown_zone() -> None:
    assert local_datetime(date(2025, 1, 1), time(9), ZoneInfo("UTC")) == utc(2025, 1, 1, 9)
    with pytest.raises(CalendarError, match="unknown time zone 'Mars/Olympus'"):
        local_datetime(date(2025, 1, 1), time(9), "Mars/Olympus")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mon", {0}),
        ("Mon, Wed ,FRI", {0, 2, 4}),
        ("mondays thursdays", {0, 3}),
        ("weekdays", {0, 1, 2, 3, 4}),
        ("mon-fri", {0, 1, 2, 3, 4}),
        ("sat-mon", {5, 6, 0}),
        ("daily", set(range(7))),
        ("Tuesday", {1}),
    ],
)
def test_parse_weekdays(text: str, expected: set[int]) -> None:
    assert parse_weekdays(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("funday", "unknown day 'funday'; use mon, tue"),
        ("", "choose at least one day"),
        ("mon-xyz", "unknown day 'mon-xyz'"),
    ],
)
def test_parse_weekdays_errors(text: str, message: str) -> None:
    with pytest.raises(CalendarError, match=message):
        parse_weekdays(text)


def test_parse_weekdays_numbers_and_format() -> None:
    assert parse_weekdays([0, 6]) == {0, 6}
    with pytest.raises(CalendarError, match="0 \\(mon\\) to 6 \\(sun\\)"):
        parse_weekdays([7])
    assert format_weekdays({3, 1}) == "Tue, Thu"


@pytest.mark.parametrize(
    ("countries", "day", "expected"),
    [
        (("US",), date(2025, 7, 4), "Independence Day"),
        (("GB",), date(2025, 7, 4), None),
        (("GB",), date(2025, 12, 26), "Boxing Day"),
        (("AU",), date(2024, 1, 26), "Australia Day"),
        (("US", "GB"), date(2025, 12, 25), "Christmas Day"),
        (("US-CA",), date(2025, 3, 31), "Cesar Chavez Day"),
        ((), date(2025, 12, 25), None),
    ],
)
def test_holiday_calendar(countries: tuple[str, ...], day: date, expected: str | None) -> None:
    assert HolidayCalendar(countries)(day) == expected


def test_holiday_calendar_rejects_unknown_country() -> None:
    with pytest.raises(CalendarError, match="unknown holiday country 'XX'"):
        HolidayCalendar(("XX",))


@pytest.mark.parametrize(
    ("instant", "tz", "expected"),
    [
        (utc(2025, 1, 6, 14), "America/New_York", True),  # Mon 09:00 opens
        (utc(2025, 1, 6, 13, 59), "America/New_York", False),  # 08:59
        (utc(2025, 1, 6, 22), "America/New_York", False),  # 17:00 closes (exclusive)
        (utc(2025, 1, 4, 15), "America/New_York", False),  # Saturday
        (utc(2025, 7, 4, 15), "America/New_York", False),  # holiday (US)
        (utc(2025, 1, 5, 23), "Australia/Sydney", True),  # Mon 10:00 in Sydney, Sun in UTC
    ],
)
def test_is_working_time(instant: datetime, tz: str, expected: bool) -> None:
    assert is_working_time(instant, tz=tz, holiday_countries=["US"]) is expected


@pytest.mark.parametrize(
    ("start", "hours", "tz", "countries", "expected"),
    [
        # Friday 16:00 London + 24 working hours = Wed 16:00 (1 + 8 + 8 + 7)
        (utc(2025, 1, 10, 16), 24, "Europe/London", (), utc(2025, 1, 15, 16)),
        # outside hours: Friday 21:00 counts from Monday 09:00
        (utc(2025, 1, 10, 21), 24, "Europe/London", (), utc(2025, 1, 15, 17)),
        # ends exactly at closing time, not the next morning
        (utc(2025, 1, 6, 9), 8, "Europe/London", (), utc(2025, 1, 6, 17)),
        (utc(2025, 1, 6, 9), 0, "Europe/London", (), utc(2025, 1, 6, 9)),
        # Christmas and Boxing Day are skipped in GB: Wed 24 Dec 09:00 + 16h = Mon 29 Dec 17:00
        (utc(2025, 12, 24, 9), 16, "Europe/London", ("GB",), utc(2025, 12, 29, 17)),
        # New York across spring forward: Fri 7 Mar 14:00 local + 8h = Mon 10 Mar 14:00 EDT
        (utc(2025, 3, 7, 19), 8, "America/New_York", ("US",), utc(2025, 3, 10, 18)),
        # Sydney: Monday morning local is Sunday in UTC
        (utc(2025, 1, 5, 22), 1, "Australia/Sydney", (), utc(2025, 1, 5, 23)),
    ],
)
def test_add_working_hours(
    start: datetime, hours: float, tz: str, countries: tuple[str, ...], expected: datetime
) -> None:
    assert add_working_hours(start, hours, tz=tz, holiday_countries=countries) == expected


def test_add_working_hours_custom_days_and_hours() -> None:
    # Sun-Thu week, 08:00-16:00, starting Thursday 15:00 Jerusalem: 1h Thu, then Sun 08:00 +1h
    result = add_working_hours(
        datetime(2025, 1, 9, 15, tzinfo=ZoneInfo("Asia/Jerusalem")),
        timedelta(hours=2),
        tz="Asia/Jerusalem",
        working_days={6, 0, 1, 2, 3},
        day_start=time(8),
        day_end=time(16),
    )
    assert result == datetime(2025, 1, 12, 9, tzinfo=ZoneInfo("Asia/Jerusalem"))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hours": -1}, "must not be negative"),
        ({"hours": 1, "working_days": set()}, "working_days is empty"),
        ({"hours": 1, "day_start": time(17), "day_end": time(9)}, "must start before it ends"),
    ],
)
def test_add_working_hours_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(CalendarError, match=message):
        add_working_hours(utc(2025, 1, 6, 9), tz="UTC", **kwargs)  # type: ignore[arg-type]


def test_naive_instant_is_rejected() -> None:
    with pytest.raises(CalendarError, match="must be timezone-aware"):
        add_working_hours(datetime(2025, 1, 6, 9), 1, tz="UTC")
    with pytest.raises(CalendarError, match="must be timezone-aware"):
        is_working_time(datetime(2025, 1, 6, 9), tz="UTC", working_days=WEEKDAYS)
