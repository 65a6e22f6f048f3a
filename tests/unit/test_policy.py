from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.calendar import HolidayCalendar
from bot.domain.policy import (
    DEFAULT_POLICY,
    REASONS,
    Decision,
    NudgePolicy,
    PolicyError,
    decide,
    merge_policy,
    parse_duration,
    snooze_until,
)

NY = "America/New_York"
LONDON = "Europe/London"
SYDNEY = "Australia/Sydney"
EVERY_DAY = frozenset(range(7))


def at(tz: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A local wall-clock time in ``tz`` as a UTC instant (fold=0)."""
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, sec, tzinfo=UTC)


@dataclass(frozen=True)
class Case:
    name: str
    now: datetime
    expected: Decision
    tz: str = NY
    policy: NudgePolicy = DEFAULT_POLICY
    sent: tuple[datetime, ...] = ()
    last: datetime | None = None
    channel: str | None = "C1"
    countries: tuple[str, ...] = ("US",)


# Tuesday 11 March 2025, New York (EDT, UTC-4).
TUE_10 = at(NY, 2025, 3, 11, 10)
WED_0830 = at(NY, 2025, 3, 12, 8, 30)

CASES = [
    Case("plain send", TUE_10, Decision("send", "ok")),
    Case(
        "opted out wins over everything",
        TUE_10,
        Decision("suppress", "opted_out"),
        policy=NudgePolicy(opted_out=True, muted_channels=frozenset({"C1"})),
    ),
    Case(
        "snoozed until tomorrow noon",
        TUE_10,
        Decision("suppress", "snoozed", at(NY, 2025, 3, 12, 12)),
        policy=NudgePolicy(snoozed_until=at(NY, 2025, 3, 12, 12)),
    ),
    Case(
        "snooze ending in quiet hours resumes at 08:30",
        TUE_10,
        Decision("suppress", "snoozed", WED_0830),
        policy=NudgePolicy(snoozed_until=at(NY, 2025, 3, 11, 23)),
    ),
    Case(
        "snooze that has ended",
        TUE_10,
        Decision("send", "ok"),
        policy=NudgePolicy(snoozed_until=TUE_10),
    ),
    Case(
        "muted channel",
        TUE_10,
        Decision("suppress", "channel_muted"),
        policy=NudgePolicy(muted_channels=frozenset({"C1"})),
    ),
    Case(
        "other channel not muted",
        TUE_10,
        Decision("send", "ok"),
        channel="C2",
        policy=NudgePolicy(muted_channels=frozenset({"C1"})),
    ),
    Case(
        "signal 1h after a nudge is appended",
        TUE_10,
        Decision("append", "cooldown_append", TUE_10 + timedelta(hours=3)),
        last=TUE_10 - timedelta(hours=1),
        sent=(TUE_10 - timedelta(hours=1),),
    ),
    Case(
        "cool-down boundary: exactly 4h later is a new nudge",
        TUE_10,
        Decision("send", "ok"),
        last=TUE_10 - timedelta(hours=4),
        sent=(TUE_10 - timedelta(hours=4),),
    ),
    Case(
        "append allowed even after quiet hours begin (an edit does not notify)",
        at(NY, 2025, 3, 11, 18, 30),
        Decision("append", "cooldown_append", at(NY, 2025, 3, 11, 21)),
        last=at(NY, 2025, 3, 11, 17),
        sent=(at(NY, 2025, 3, 11, 17),),
    ),
    Case(
        "append even when the daily cap is used up",
        TUE_10,
        Decision("append", "cooldown_append", TUE_10 + timedelta(hours=3)),
        last=TUE_10 - timedelta(hours=1),
        sent=(TUE_10 - timedelta(hours=1), TUE_10 - timedelta(hours=1, minutes=30)),
    ),
    Case(
        "quiet hours start at 18:00",
        at(NY, 2025, 3, 11, 18),
        Decision("suppress", "quiet_hours", WED_0830),
    ),
    Case("17:59 is not quiet", at(NY, 2025, 3, 11, 17, 59), Decision("send", "ok")),
    Case(
        "after midnight is quiet until 08:30 the same day",
        at(NY, 2025, 3, 12, 2),
        Decision("suppress", "quiet_hours", WED_0830),
    ),
    Case(
        "08:29 is quiet", at(NY, 2025, 3, 12, 8, 29), Decision("suppress", "quiet_hours", WED_0830)
    ),
    Case("08:30 is not", WED_0830, Decision("send", "ok")),
    Case(
        "Saturday",
        at(NY, 2025, 3, 15, 11),
        Decision("suppress", "non_working_day", at(NY, 2025, 3, 17, 8, 30)),
    ),
    Case(
        "holiday (Friday 4 July) resumes Monday",
        at(NY, 2025, 7, 4, 11),
        Decision("suppress", "holiday", at(NY, 2025, 7, 7, 8, 30), "Independence Day"),
    ),
    Case(
        "holiday of another country is a working day",
        at(NY, 2025, 7, 4, 11),
        Decision("send", "ok"),
        countries=("GB",),
    ),
    Case(
        "cap: 2nd nudge of the day allowed",
        TUE_10,
        Decision("send", "ok"),
        sent=(at(NY, 2025, 3, 11, 9),),
    ),
    Case(
        "cap: 3rd nudge of the day suppressed",
        at(NY, 2025, 3, 11, 16),
        Decision("suppress", "daily_cap", WED_0830),
        sent=(at(NY, 2025, 3, 11, 9), at(NY, 2025, 3, 11, 10)),
    ),
    Case(
        "day is local: yesterday 23:30 local is today in UTC but doesn't count",
        TUE_10,
        Decision("send", "ok"),
        sent=(at(NY, 2025, 3, 10, 23, 30), at(NY, 2025, 3, 11, 8, 45)),
    ),
    Case(
        "cap: 6th nudge of the week allowed",
        at(NY, 2025, 3, 13, 15),
        Decision("send", "ok"),
        sent=(
            at(NY, 2025, 3, 10, 9),
            at(NY, 2025, 3, 10, 14),
            at(NY, 2025, 3, 11, 9),
            at(NY, 2025, 3, 11, 14),
            at(NY, 2025, 3, 12, 9),
        ),
    ),
    Case(
        "cap: 7th nudge of the week suppressed until Monday 08:30",
        at(NY, 2025, 3, 13, 15),
        Decision("suppress", "weekly_cap", at(NY, 2025, 3, 17, 8, 30)),
        sent=(
            at(NY, 2025, 3, 10, 9),
            at(NY, 2025, 3, 10, 14),
            at(NY, 2025, 3, 11, 9),
            at(NY, 2025, 3, 11, 14),
            at(NY, 2025, 3, 12, 9),
            at(NY, 2025, 3, 12, 14),
        ),
    ),
    Case(
        "week is local ISO week: Sunday-night local nudges belong to the previous week",
        at(NY, 2025, 3, 17, 9),
        Decision("send", "ok"),
        policy=NudgePolicy(working_days=EVERY_DAY, quiet_start=time(0), quiet_end=time(0)),
        sent=(
            at(NY, 2025, 3, 14, 9),
            at(NY, 2025, 3, 14, 14),
            at(NY, 2025, 3, 15, 9),
            at(NY, 2025, 3, 15, 14),
            at(NY, 2025, 3, 16, 21),
            at(NY, 2025, 3, 16, 23),
        ),
    ),
    Case(
        "Sydney Monday morning (Sunday in UTC) counts in the new week",
        at(SYDNEY, 2025, 3, 17, 15),
        tz=SYDNEY,
        countries=("AU",),
        expected=Decision("suppress", "daily_cap", at(SYDNEY, 2025, 3, 18, 8, 30)),
        sent=(at(SYDNEY, 2025, 3, 17, 8, 45), at(SYDNEY, 2025, 3, 17, 9, 45)),
    ),
    # DST change days: every day is a working day here so the clock change itself is tested.
    Case(
        "spring forward: quiet until 08:30 EDT",
        at(NY, 2025, 3, 9, 7),
        Decision("suppress", "quiet_hours", utc(2025, 3, 9, 12, 30)),
        policy=NudgePolicy(working_days=EVERY_DAY),
    ),
    Case(
        "fall back, second 01:30: quiet until 08:30 EST",
        datetime(2025, 11, 2, 1, 30, fold=1, tzinfo=ZoneInfo(NY)).astimezone(UTC),
        Decision("suppress", "quiet_hours", utc(2025, 11, 2, 13, 30)),
        policy=NudgePolicy(working_days=EVERY_DAY),
    ),
    Case(
        "fall back: a 25-hour day still caps at 2",
        at(NY, 2025, 11, 2, 10),
        Decision("suppress", "daily_cap", at(NY, 2025, 11, 3, 0)),
        policy=NudgePolicy(working_days=EVERY_DAY, quiet_start=time(0), quiet_end=time(0)),
        sent=(utc(2025, 11, 2, 4, 30), utc(2025, 11, 2, 6, 30)),
    ),
    Case(
        "London spring forward at 08:45 BST",
        at(LONDON, 2025, 3, 30, 8, 45),
        Decision("send", "ok"),
        tz=LONDON,
        countries=("GB",),
        policy=NudgePolicy(working_days=EVERY_DAY),
    ),
    Case(
        "Sydney spring forward: 08:00 AEDT is quiet",
        at(SYDNEY, 2025, 10, 5, 8),
        Decision("suppress", "quiet_hours", utc(2025, 10, 4, 21, 30)),
        tz=SYDNEY,
        countries=("AU",),
        policy=NudgePolicy(working_days=EVERY_DAY),
    ),
    Case(
        "quiet hours off",
        at(NY, 2025, 3, 11, 23),
        Decision("send", "ok"),
        policy=NudgePolicy(quiet_start=time(0), quiet_end=time(0)),
    ),
    Case(
        "daytime quiet window (lunch)",
        at(NY, 2025, 3, 11, 12, 15),
        Decision("suppress", "quiet_hours", at(NY, 2025, 3, 11, 13)),
        policy=NudgePolicy(quiet_start=time(12), quiet_end=time(13)),
    ),
    Case(
        "Sun-Thu working week: Friday off",
        at("Asia/Jerusalem", 2025, 3, 14, 11),
        Decision("suppress", "non_working_day", at("Asia/Jerusalem", 2025, 3, 16, 8, 30)),
        tz="Asia/Jerusalem",
        countries=(),
        policy=NudgePolicy(working_days=frozenset({6, 0, 1, 2, 3})),
    ),
    Case(
        "caps of zero never send, so there is no retry time",
        TUE_10,
        Decision("suppress", "daily_cap", None),
        policy=NudgePolicy(max_per_day=0, max_per_week=0),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_decide(case: Case) -> None:
    result = decide(
        case.policy,
        now=case.now,
        manager_tz=case.tz,
        recent_nudges=case.sent,
        last_nudge_at=case.last,
        signal_channel_id=case.channel,
        holidays=HolidayCalendar(case.countries),
    )
    assert result == case.expected


def test_reason_codes_are_the_documented_ones() -> None:
    assert set(REASONS) == {
        "ok",
        "opted_out",
        "snoozed",
        "channel_muted",
        "quiet_hours",
        "non_working_day",
        "holiday",
        "daily_cap",
        "weekly_cap",
        "cooldown_append",
    }


def test_decide_uses_policy_countries_by_default() -> None:
    policy = NudgePolicy(holiday_countries=("GB",))
    result = decide(
        policy,
        now=at(LONDON, 2025, 12, 26, 11),
        manager_tz=LONDON,
        recent_nudges=(),
        last_nudge_at=None,
        signal_channel_id=None,
    )
    assert (result.action, result.reason, result.detail) == ("suppress", "holiday", "Boxing Day")


def test_decide_rejects_naive_now_and_unknown_zone() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        decide(
            DEFAULT_POLICY,
            now=datetime(2025, 3, 11, 10),
            manager_tz=NY,
            recent_nudges=(),
            last_nudge_at=None,
            signal_channel_id=None,
        )
    with pytest.raises(PolicyError, match="unknown time zone"):
        decide(
            DEFAULT_POLICY,
            now=TUE_10,
            manager_tz="Nowhere/Land",
            recent_nudges=(),
            last_nudge_at=None,
            signal_channel_id=None,
        )


# ------------------------------------------------------------------ merging


def test_merge_policy_layers_in_order_and_none_inherits() -> None:
    workspace = {
        "max_per_day": 3,
        "max_per_week": 10,
        "cooldown": "2h",
        "holiday_countries": ["GB"],
        "quiet_start": "19:00",
    }
    manager = {
        "max_per_day": 1,
        "quiet_start": None,
        "working_days": "sun-thu",
        "muted_channels": ["C9"],
        "snoozed_until": "2025-03-12T12:00:00+00:00",
    }
    policy = merge_policy(DEFAULT_POLICY, workspace, None, manager)
    assert policy == NudgePolicy(
        max_per_day=1,
        max_per_week=10,
        cooldown=timedelta(hours=2),
        quiet_start=time(19),
        quiet_end=time(8, 30),
        working_days=frozenset({6, 0, 1, 2, 3}),
        holiday_countries=("GB",),
        muted_channels=frozenset({"C9"}),
        snoozed_until=utc(2025, 3, 12, 12),
    )


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        ({"max_per_dya": 3}, "unknown nudge setting\\(s\\): max_per_dya"),
        ({"max_per_day": "3"}, "max_per_day must be a whole number, got '3'"),
        ({"max_per_day": True}, "max_per_day must be a whole number"),
        ({"opted_out": "yes"}, "opted_out must be true or false"),
        ({"max_per_day": 7, "max_per_week": 6}, "daily cap \\(7\\) can't exceed the weekly cap"),
        ({"max_per_day": -1}, "zero or more"),
        ({"quiet_start": "6pm"}, "quiet_start must be HH:MM \\(24h\\), got '6pm'"),
        ({"cooldown": "forever"}, "cooldown: can't read 'forever'"),
        ({"working_days": "funday"}, "working_days: unknown day 'funday'"),
        ({"holiday_countries": ["XX"]}, "unknown holiday country 'XX'"),
        ({"snoozed_until": "2025-03-12T12:00:00"}, "snoozed_until must be timezone-aware"),
    ],
)
def test_merge_policy_errors(layer: dict[str, object], message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        merge_policy(DEFAULT_POLICY, layer)


# ------------------------------------------------------------------ durations and snooze


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2h", timedelta(hours=2)),
        ("3d", timedelta(days=3)),
        ("1w", timedelta(weeks=1)),
        ("30m", timedelta(minutes=30)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1h 30m", timedelta(hours=1, minutes=30)),
        (" 2 Hours ", timedelta(hours=2)),
        ("90 minutes", timedelta(minutes=90)),
        ("2 weeks", timedelta(weeks=2)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "say how long"),
        ("3", "'3' needs a unit: m, h, d or w"),
        ("3x", "can't read '3x' as a duration; try 2h, 3d, 1w"),
        ("h2", "can't read 'h2'"),
        ("2h and 3m", "can't read"),
        ("0h", "longer than zero"),
        ("today", "depends on the date"),
    ],
)
def test_parse_duration_errors(text: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "now", "tz", "expected"),
    [
        ("2h", TUE_10, NY, TUE_10 + timedelta(hours=2)),
        ("3d", TUE_10, NY, TUE_10 + timedelta(days=3)),
        ("today", TUE_10, NY, at(NY, 2025, 3, 12, 0)),
        ("Today", utc(2025, 3, 11, 23), SYDNEY, at(SYDNEY, 2025, 3, 13, 0)),  # already 12th there
        ("tomorrow", TUE_10, NY, at(NY, 2025, 3, 13, 0)),
        ("this week", TUE_10, NY, at(NY, 2025, 3, 17, 0)),
        ("this  week", at(NY, 2025, 3, 16, 23), NY, at(NY, 2025, 3, 17, 0)),  # Sunday night
        ("today", at(NY, 2025, 3, 8, 12), NY, utc(2025, 3, 9, 5)),  # EST midnight before DST
        ("this week", at(LONDON, 2025, 3, 26, 12), LONDON, utc(2025, 3, 30, 23)),  # BST Monday
    ],
)
def test_snooze_until(text: str, now: datetime, tz: str, expected: datetime) -> None:
    assert snooze_until(text, now=now, tz=tz) == expected


def test_snooze_until_limits() -> None:
    with pytest.raises(PolicyError, match="at most 90 days; use `/enabler nudges off`"):
        snooze_until("13w", now=TUE_10, tz=NY)
    with pytest.raises(PolicyError, match="unknown time zone"):
        snooze_until("2h", now=TUE_10, tz="Nowhere/Land")


def test_snooze_round_trip_through_decide() -> None:
    until = snooze_until("this week", now=TUE_10, tz=NY)
    policy = merge_policy(DEFAULT_POLICY, {"snoozed_until": until})
    during = decide(
        policy,
        now=at(NY, 2025, 3, 14, 11),
        manager_tz=NY,
        recent_nudges=(),
        last_nudge_at=None,
        signal_channel_id=None,
    )
    after = decide(
        policy,
        now=at(NY, 2025, 3, 17, 11),
        manager_tz=NY,
        recent_nudges=(),
        last_nudge_at=None,
        signal_channel_id=None,
    )
    assert during == Decision("suppress", "snoozed", at(NY, 2025, 3, 17, 8, 30))
    assert after == Decision("send", "ok")
    assert date(2025, 3, 17).weekday() == 0
