from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.schedules import (
    Cadence,
    ScheduleError,
    describe,
    due_decision,
    next_occurrence,
    occurrences,
    parse_cadence,
    parse_cron,
    parse_time,
)

START = date(2025, 1, 1)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, sec, tzinfo=UTC)


def daily_at(at: str, **kwargs: object) -> Cadence:
    return parse_cadence(start_date=START, days="daily", at=at, **kwargs)  # type: ignore[arg-type]


# ------------------------------------------------------------------ parsing and validation


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:00", time(9)),
        ("9:05", time(9, 5)),
        (" 16:30 ", time(16, 30)),
        ("23:59", time(23, 59)),
        ("00:00", time(0)),
    ],
)
def test_parse_time(text: str, expected: time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["9am", "24:00", "9:60", "09:00:00", "", "9", "noon"])
def test_parse_time_errors(text: str) -> None:
    with pytest.raises(ScheduleError) as info:
        parse_time(text)
    assert str(info.value) == f"time must be HH:MM (24h), got {text!r}"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"days": "mon", "at": "9am"}, "time must be HH:MM \\(24h\\), got '9am'"),
        ({"days": "funday", "at": "09:00"}, "unknown day 'funday'"),
        ({"at": "09:00"}, "choose at least one day"),
        ({"days": "mon"}, "needs a time of day"),
        ({"days": "mon", "cron": "0 9 * * 1"}, "either days or a cron expression"),
        ({"cron": "0 9 * * 1", "at": "09:00"}, "carries its own time of day"),
        ({"cron": "0 9 * * 1", "every_weeks": 2}, "can't be combined with a cron"),
        ({"days": "mon", "at": "09:00", "every_weeks": 0}, "N must be 1 to 52, got 0"),
        ({"days": "sat,sun", "at": "09:00", "skip_weekends": True}, "all at the weekend"),
        ({"cron": "0 9 * * sat,sun", "skip_weekends": True}, "only fires at weekends"),
        (
            {"days": "mon", "at": "09:00", "end_date": date(2024, 12, 31)},
            "end date 2024-12-31 is before start date 2025-01-01",
        ),
    ],
)
def test_cadence_validation(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        parse_cadence(start_date=START, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("0 9 * *", "cron needs 5 fields .* got 4"),
        ("61 9 * * *", "minute field: 61 is out of range 0-59"),
        ("0 24 * * *", "hour field: 24 is out of range 0-23"),
        ("0 9 0 * *", "day-of-month field: 0 is out of range 1-31"),
        ("0 9 * 13 *", "month field: 13 is out of range 1-12"),
        ("0 9 * * 8", "day-of-week field: 8 is out of range 0-7"),
        ("0 9 * * fri-mon", "range 'fri-mon' runs backwards"),
        ("*/0 9 * * *", "step must be a positive number"),
        ("0 9 * * funday", "can't read 'funday'"),
        ("0 9 1,,2 * *", "empty list item"),
        ("* 9 * * 1", "would send 60 prompts a day; at most 24"),
        ("0 9 30 feb *", "can never fire"),
    ],
)
def test_cron_errors(expr: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        parse_cron(expr)


@pytest.mark.parametrize(
    ("expr", "weekdays", "hours", "minutes"),
    [
        ("0 9 * * 1-5", {0, 1, 2, 3, 4}, {9}, {0}),  # standard cron: 1-5 is Mon-Fri
        ("30 16 * * 0", {6}, {16}, {30}),  # 0 is Sunday
        ("30 16 * * 7", {6}, {16}, {30}),  # and so is 7
        ("0 9,15 * * MON,wed", {0, 2}, {9, 15}, {0}),
        ("*/15 9 * * *", set(range(7)), {9}, {0, 15, 30, 45}),
        ("5/20 8-10/2 * * *", set(range(7)), {8, 10}, {5, 25, 45}),
    ],
)
def test_cron_parsing(expr: str, weekdays: set[int], hours: set[int], minutes: set[int]) -> None:
    cron = parse_cron(expr)
    assert cron.weekdays == weekdays
    assert cron.hours == hours
    assert cron.minutes == minutes


def test_cron_day_of_month_or_day_of_week() -> None:
    # Both restricted: classic cron fires on the 1st OR on Mondays.
    cadence = parse_cadence(start_date=START, cron="0 9 1 * mon")
    found = occurrences(cadence, "UTC", utc(2025, 9, 1), utc(2025, 10, 2))
    assert [o.local_date.day for o in found] == [1, 8, 15, 22, 29, 1]
    # Only day-of-month restricted: just the 1st.
    monthly = parse_cadence(start_date=START, cron="0 9 1 * *")
    assert len(occurrences(monthly, "UTC", utc(2025, 1, 1), utc(2026, 1, 1))) == 12


# ------------------------------------------------------------------ DST


@pytest.mark.parametrize(
    ("tz", "first", "last", "change_day"),
    [
        ("America/New_York", date(2025, 3, 7), date(2025, 3, 11), date(2025, 3, 9)),
        ("America/New_York", date(2025, 10, 31), date(2025, 11, 4), date(2025, 11, 2)),
        ("Europe/London", date(2025, 3, 28), date(2025, 4, 1), date(2025, 3, 30)),
        ("Europe/London", date(2025, 10, 24), date(2025, 10, 28), date(2025, 10, 26)),
        ("Australia/Sydney", date(2025, 10, 3), date(2025, 10, 7), date(2025, 10, 5)),
        ("Australia/Sydney", date(2025, 4, 4), date(2025, 4, 8), date(2025, 4, 6)),
    ],
)
def test_nine_am_fires_at_nine_local_once_a_day_across_dst(
    tz: str, first: date, last: date, change_day: date
) -> None:
    cadence = daily_at("09:00")
    found = occurrences(
        cadence,
        tz,
        utc(first.year, first.month, first.day) - timedelta(days=1),
        utc(last.year, last.month, last.day) + timedelta(days=1),
    )
    in_range = [o for o in found if first <= o.local_date <= last]
    assert [o.local_date for o in in_range] == [
        first + timedelta(days=i) for i in range((last - first).days + 1)
    ]
    assert all(o.local.time() == time(9) for o in in_range)
    assert all(o.local.astimezone(UTC) == o.utc for o in in_range)
    # The offset really changed across the window, so this test is about DST.
    offsets = {o.local.utcoffset() for o in in_range}
    assert len(offsets) == 2
    assert any(o.local_date == change_day for o in in_range)


@pytest.mark.parametrize(
    ("tz", "day", "at", "expected_local", "expected_utc"),
    [
        # nonexistent: shifted forward to the first valid instant
        ("America/New_York", date(2025, 3, 9), "02:30", time(3, 0), utc(2025, 3, 9, 7)),
        ("Europe/London", date(2025, 3, 30), "01:30", time(2, 0), utc(2025, 3, 30, 1)),
        # ambiguous: first pass only
        ("America/New_York", date(2025, 11, 2), "01:30", time(1, 30), utc(2025, 11, 2, 5, 30)),
        ("Australia/Sydney", date(2025, 4, 6), "02:30", time(2, 30), utc(2025, 4, 5, 15, 30)),
    ],
)
def test_dst_edge_times_fire_exactly_once(
    tz: str, day: date, at: str, expected_local: time, expected_utc: datetime
) -> None:
    found = occurrences(
        daily_at(at), tz, expected_utc - timedelta(hours=12), expected_utc + timedelta(hours=12)
    )
    on_day = [o for o in found if o.local_date == day]
    assert len(on_day) == 1
    assert on_day[0].local.time() == expected_local
    assert on_day[0].utc == expected_utc
    assert on_day[0].key == day.isoformat()


def test_cron_times_collapsing_in_a_gap_are_reported_once() -> None:
    cadence = parse_cadence(start_date=START, cron="0,30 2 * * *")
    found = occurrences(cadence, "America/New_York", utc(2025, 3, 9), utc(2025, 3, 10))
    assert [(o.key, o.utc) for o in found] == [("2025-03-09T02:00", utc(2025, 3, 9, 7))]


def test_same_schedule_different_zones() -> None:
    cadence = parse_cadence(start_date=START, days="mon", at="09:00")
    window = (utc(2025, 1, 5), utc(2025, 1, 8))
    by_zone = {
        tz: occurrences(cadence, tz, *window)[0].utc
        for tz in ("Pacific/Auckland", "Asia/Kolkata", "Europe/London", "America/Los_Angeles")
    }
    assert by_zone == {
        "Pacific/Auckland": utc(2025, 1, 5, 20),
        "Asia/Kolkata": utc(2025, 1, 6, 3, 30),
        "Europe/London": utc(2025, 1, 6, 9),
        "America/Los_Angeles": utc(2025, 1, 6, 17),
    }


# ------------------------------------------------------------------ rhythm, bounds, skips


def test_every_two_weeks_is_anchored_at_the_start_week() -> None:
    # Start on a Wednesday; that week is week 0, so its Thursday fires but not its Tuesday.
    cadence = parse_cadence(start_date=date(2025, 1, 8), days="tue,thu", at="16:30", every_weeks=2)
    found = occurrences(cadence, "UTC", utc(2025, 1, 1), utc(2025, 2, 8))
    assert [o.local_date for o in found] == [
        date(2025, 1, 9),
        date(2025, 1, 21),
        date(2025, 1, 23),
        date(2025, 2, 4),
        date(2025, 2, 6),
    ]


def test_start_and_end_dates_are_inclusive_local_dates() -> None:
    cadence = parse_cadence(
        start_date=date(2025, 1, 6), end_date=date(2025, 1, 8), days="daily", at="23:30"
    )
    found = occurrences(cadence, "America/Los_Angeles", utc(2025, 1, 1), utc(2025, 2, 1))
    assert [o.key for o in found] == ["2025-01-06", "2025-01-07", "2025-01-08"]
    assert found[-1].utc == utc(2025, 1, 9, 7, 30)  # next UTC day, same local date


@pytest.mark.parametrize(
    ("tz", "countries", "day", "reason"),
    [
        ("America/New_York", ["US"], date(2025, 7, 4), "holiday: Independence Day"),
        ("Europe/London", ["GB"], date(2025, 12, 26), "holiday: Boxing Day"),
        ("Australia/Sydney", ["AU"], date(2025, 4, 25), "holiday: ANZAC Day"),
        ("Europe/London", ["US"], date(2025, 7, 4), "holiday: Independence Day"),
        ("Europe/London", ["GB"], date(2025, 7, 4), None),
        ("Europe/London", [], date(2025, 12, 25), None),
    ],
)
def test_holidays_are_skipped_with_a_reason(
    tz: str, countries: list[str], day: date, reason: str | None
) -> None:
    found = occurrences(
        daily_at("09:00"),
        tz,
        utc(day.year, day.month, day.day) - timedelta(1),
        utc(day.year, day.month, day.day) + timedelta(2),
        holiday_countries=countries,
    )
    assert next(o for o in found if o.local_date == day).skipped_reason == reason


def test_holiday_is_judged_on_the_recipients_local_date() -> None:
    # 09:00 in Sydney on 26 Jan 2024 (Australia Day) is still 25 Jan in UTC.
    cadence = parse_cadence(start_date=date(2024, 1, 1), days="daily", at="09:00")
    found = occurrences(
        cadence,
        "Australia/Sydney",
        utc(2024, 1, 25, 21),
        utc(2024, 1, 25, 23),
        holiday_countries=["AU"],
    )
    assert [(o.local_date, o.skipped_reason) for o in found] == [
        (date(2024, 1, 26), "holiday: Australia Day")
    ]


def test_holidays_not_skipped_when_turned_off_and_weekends_skipped_when_on() -> None:
    cadence = daily_at("09:00", skip_holidays=False, skip_weekends=True)
    found = occurrences(
        cadence, "America/New_York", utc(2025, 7, 3), utc(2025, 7, 8), holiday_countries=["US"]
    )
    assert [(o.local_date.day, o.skipped_reason) for o in found] == [
        (3, None),
        (4, None),
        (5, "weekend"),
        (6, "weekend"),
        (7, None),
    ]


def test_unknown_zone_or_country_is_a_schedule_error() -> None:
    with pytest.raises(ScheduleError, match="unknown time zone"):
        occurrences(daily_at("09:00"), "Europe/Nowhere", utc(2025, 1, 1), utc(2025, 1, 2))
    with pytest.raises(ScheduleError, match="unknown holiday country"):
        occurrences(
            daily_at("09:00"), "UTC", utc(2025, 1, 1), utc(2025, 1, 2), holiday_countries=["ZZ"]
        )


def test_keys_include_time_only_when_a_cron_fires_more_than_once_a_day() -> None:
    twice = parse_cadence(start_date=START, cron="0 9,15 * * *")
    once = parse_cadence(start_date=START, cron="0 9 * * *")
    window = (utc(2025, 1, 6), utc(2025, 1, 7))
    assert [o.key for o in occurrences(twice, "UTC", *window)] == [
        "2025-01-06T09:00",
        "2025-01-06T15:00",
    ]
    assert [o.key for o in occurrences(once, "UTC", *window)] == ["2025-01-06"]


def test_changing_the_time_of_day_keeps_the_key() -> None:
    # Sales ops moves 09:00 to 10:00 mid-morning: same key, so the delivery table's unique
    # constraint stops a second prompt that day.
    window = (utc(2025, 1, 6), utc(2025, 1, 7))
    assert (
        occurrences(daily_at("09:00"), "UTC", *window)[0].key
        == occurrences(daily_at("10:00"), "UTC", *window)[0].key
    )


def test_empty_or_naive_window() -> None:
    assert occurrences(daily_at("09:00"), "UTC", utc(2025, 1, 2), utc(2025, 1, 1)) == []
    with pytest.raises(ValueError, match="timezone-aware"):
        occurrences(daily_at("09:00"), "UTC", datetime(2025, 1, 1), utc(2025, 1, 2))


ZONES = [
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "America/Sao_Paulo",
    "UTC",
]


@settings(max_examples=60, deadline=None)
@given(
    tz=st.sampled_from(ZONES),
    at=st.sampled_from(["00:00", "00:30", "01:30", "02:00", "02:30", "09:00", "23:59"]),
    days=st.sampled_from(["daily", "mon", "sat,sun", "tue,thu"]),
    offset_days=st.integers(min_value=0, max_value=700),
    cut_hours=st.integers(min_value=1, max_value=24 * 60),
)
def test_windows_compose_and_each_local_date_fires_once(
    tz: str, at: str, days: str, offset_days: int, cut_hours: int
) -> None:
    cadence = parse_cadence(start_date=START, days=days, at=at)
    start = utc(2025, 1, 1) + timedelta(days=offset_days)
    cut = start + timedelta(hours=cut_hours)
    end = start + timedelta(days=61)
    whole = occurrences(cadence, tz, start, end)
    assert occurrences(cadence, tz, start, cut) + occurrences(cadence, tz, cut, end) == whole
    keys = [o.key for o in whole]
    assert len(keys) == len(set(keys))
    assert all(o.utc < n.utc for o, n in itertools.pairwise(whole))
    assert all(o.local.date() == o.local_date for o in whole)


# ------------------------------------------------------------------ next and due


def test_next_occurrence_skips_holidays_unless_asked() -> None:
    cadence = parse_cadence(start_date=START, days="weekdays", at="09:00")
    after = utc(2025, 12, 24, 12)  # Wed 24 Dec 12:00 London
    nxt = next_occurrence(cadence, "Europe/London", after, holiday_countries=["GB"])
    assert nxt is not None
    assert nxt.local_date == date(2025, 12, 29)
    skipped = next_occurrence(
        cadence, "Europe/London", after, holiday_countries=["GB"], include_skipped=True
    )
    assert skipped is not None
    assert (skipped.local_date, skipped.skipped_reason) == (
        date(2025, 12, 25),
        "holiday: Christmas Day",
    )


def test_next_occurrence_is_strictly_after_and_ends() -> None:
    cadence = parse_cadence(start_date=START, end_date=date(2025, 1, 13), days="mon", at="09:00")
    first = next_occurrence(cadence, "UTC", utc(2025, 1, 6, 9))
    assert first is not None
    assert first.utc == utc(2025, 1, 13, 9)
    assert next_occurrence(cadence, "UTC", utc(2025, 1, 13, 9)) is None


def test_next_occurrence_finds_rare_crons() -> None:
    leap = parse_cadence(start_date=START, cron="0 9 29 2 *")
    found = next_occurrence(leap, "UTC", utc(2025, 1, 1))
    assert found is not None
    assert found.local_date == date(2028, 2, 29)


@pytest.mark.parametrize(
    ("now", "grace", "expected"),
    [
        (utc(2025, 1, 6, 8, 59, 59), timedelta(hours=2), "wait"),
        (utc(2025, 1, 6, 9), timedelta(hours=2), "send"),
        (utc(2025, 1, 6, 10, 30), timedelta(hours=2), "send"),  # missed while down, late
        (utc(2025, 1, 6, 11), timedelta(hours=2), "send"),  # grace boundary is inclusive
        (utc(2025, 1, 6, 11, 0, 1), timedelta(hours=2), "skip_late"),
        (utc(2025, 1, 7, 3), timedelta(hours=2), "skip_late"),  # never at 3 a.m.
        (utc(2025, 1, 6, 9, 10), timedelta(0), "skip_late"),
    ],
)
def test_due_decision(now: datetime, grace: timedelta, expected: str) -> None:
    assert due_decision(utc(2025, 1, 6, 9), now, grace) == expected


def test_due_decision_defaults_and_errors() -> None:
    assert due_decision(utc(2025, 1, 6, 9), utc(2025, 1, 6, 10, 59)) == "send"
    with pytest.raises(ScheduleError, match="grace must not be negative"):
        due_decision(utc(2025, 1, 6, 9), utc(2025, 1, 6, 9), timedelta(minutes=-1))


# ------------------------------------------------------------------ describe


@pytest.mark.parametrize(
    ("cadence", "text"),
    [
        (parse_cadence(start_date=START, days="mon", at="09:00"), "Mondays at 09:00"),
        (
            parse_cadence(start_date=START, days="tue,thu", at="16:30", every_weeks=2),
            "every 2 weeks on Tue, Thu at 16:30",
        ),
        (parse_cadence(start_date=START, days="mon,wed,fri", at="08:15"), "Mon, Wed, Fri at 08:15"),
        (parse_cadence(start_date=START, days="weekdays", at="09:00"), "weekdays at 09:00"),
        (parse_cadence(start_date=START, days="daily", at="07:00"), "every day at 07:00"),
        (parse_cadence(start_date=START, cron="0  9 * * 1-5"), "cron 0 9 * * 1-5"),
    ],
)
def test_describe(cadence: Cadence, text: str) -> None:
    assert describe(cadence) == text


def test_describe_verbose() -> None:
    cadence = parse_cadence(
        start_date=START, end_date=date(2025, 6, 30), days="mon", at="09:00", skip_weekends=True
    )
    assert describe(cadence, verbose=True) == (
        "Mondays at 09:00, from 2025-01-01, until 2025-06-30, skipping weekends and holidays"
    )
