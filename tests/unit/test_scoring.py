from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.scoring import (
    BeforeAfter,
    Counts,
    SignalFact,
    TeamAggregate,
    justified_weight_factor,
    ledger,
    nudge_effect,
    team_aggregates,
    visible_total,
    weekly_trend,
)

T0 = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)  # a Monday


def sig(
    type_: str,
    at: datetime,
    *,
    weight: float = 1.0,
    justified: bool = False,
    manager: str = "M1",
) -> SignalFact:
    kind = "enabling" if type_ in {"coaching_question", "hand_back"} else "doing"
    return SignalFact(type_, kind, weight, at, manager, "R1", justified)


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


@pytest.mark.parametrize(
    ("signals", "expected"),
    [
        # (doing count, doing weight, enabling count, enabling weight, justified count, share)
        ([], (0, 0.0, 0, 0.0, 0, None)),
        ([sig("thread_takeover", h(1))], (1, 1.0, 0, 0.0, 0, 0.0)),
        ([sig("coaching_question", h(1), weight=0.5)], (0, 0.0, 1, 0.5, 0, 1.0)),
        (
            [
                sig("thread_takeover", h(1), weight=2.0),
                sig("deal_commitment", h(2), weight=1.0),
                sig("hand_back", h(3), weight=1.0),
            ],
            (2, 3.0, 1, 1.0, 0, 0.25),
        ),
        # Justified doing is shown apart and does not count as doing in the share.
        (
            [
                sig("thread_takeover", h(1), weight=2.0, justified=True),
                sig("coaching_question", h(2), weight=1.0),
            ],
            (0, 0.0, 1, 1.0, 1, 1.0),
        ),
        # Only justified signals: nothing to compare.
        ([sig("call_join", h(1), justified=True)], (0, 0.0, 0, 0.0, 1, None)),
    ],
)
def test_ledger_totals(
    signals: list[SignalFact],
    expected: tuple[int, float, int, float, int, float | None],
) -> None:
    result = ledger(signals, start=T0, end=h(24))
    got = (
        result.doing_count,
        result.doing_weight,
        result.enabling_count,
        result.enabling_weight,
        result.justified_count,
        result.enabling_share,
    )
    assert got == pytest.approx(expected)


@pytest.mark.parametrize(
    ("at", "inside"),
    [
        (T0, True),  # start is inclusive
        (h(24) - timedelta(microseconds=1), True),
        (h(24), False),  # end is exclusive
        (T0 - timedelta(seconds=1), False),
        # Same instant written in another zone: compared as instants, not wall clocks.
        (T0.astimezone(ZoneInfo("America/Los_Angeles")), True),
        (h(24).astimezone(ZoneInfo("Asia/Kolkata")), False),
    ],
)
def test_ledger_window_is_half_open(at: datetime, inside: bool) -> None:
    assert ledger([sig("thread_close", at)], start=T0, end=h(24)).doing_count == int(inside)


def test_ledger_per_type() -> None:
    result = ledger(
        [
            sig("thread_takeover", h(1), weight=2.0),
            sig("thread_takeover", h(2), weight=1.0, justified=True),
            sig("thread_takeover", h(3), weight=2.0),
            sig("hand_back", h(4), weight=0.5),
        ],
        start=T0,
        end=h(24),
    )
    takeover = result.per_type["thread_takeover"]
    assert (takeover.kind, takeover.count, takeover.weight) == ("doing", 2, 4.0)
    assert (takeover.justified_count, takeover.justified_weight) == (1, 1.0)
    assert result.per_type["hand_back"].weight == 0.5
    assert list(result.per_type) == ["hand_back", "thread_takeover"]
    assert result.counts == Counts(doing=2, enabling=1, justified=1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start": T0, "end": T0.replace(tzinfo=None)}, "aware"),
        ({"start": h(2), "end": h(1)}, "before"),
    ],
)
def test_ledger_rejects_bad_windows(kwargs: dict[str, datetime], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ledger([], **kwargs)


def test_ledger_rejects_a_type_with_two_kinds() -> None:
    a = SignalFact("odd", "doing", 1.0, h(1), "M1")
    b = SignalFact("odd", "enabling", 1.0, h(2), "M1")
    with pytest.raises(ValueError, match="both"):
        ledger([a, b], start=T0, end=h(24))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "neutral"}, "kind"),
        ({"weight": -1.0}, "weight"),
        ({"weight": float("nan")}, "weight"),
        ({"at": datetime(2024, 5, 6, 9, 0)}, "aware"),  # naive on purpose
        ({"kind": "enabling", "justified": True}, "justified"),
    ],
)
def test_signal_fact_validation(kwargs: dict[str, object], message: str) -> None:
    base: dict[str, object] = {
        "type": "thread_takeover",
        "kind": "doing",
        "weight": 1.0,
        "at": T0,
        "manager_id": "M1",
    }
    with pytest.raises(ValueError, match=message):
        SignalFact(**(base | kwargs))  # type: ignore[arg-type]


BERLIN = ZoneInfo("Europe/Berlin")
LA = ZoneInfo("America/Los_Angeles")


@pytest.mark.parametrize(
    ("tz", "now", "signal_at", "expected_week"),
    [
        # Berlin springs forward on Sunday 2024-03-31. 23:30 local Sunday (CEST, UTC+2) is
        # still the week of 25 March; 00:30 on Monday is the next week.
        (BERLIN, datetime(2024, 4, 3, 10, tzinfo=UTC), datetime(2024, 3, 31, 21, 30, tzinfo=UTC),
         date(2024, 3, 25)),
        (BERLIN, datetime(2024, 4, 3, 10, tzinfo=UTC), datetime(2024, 3, 31, 22, 30, tzinfo=UTC),
         date(2024, 4, 1)),
        # Monday 00:30 CET (before the change) opens the week of 25 March.
        (BERLIN, datetime(2024, 4, 3, 10, tzinfo=UTC), datetime(2024, 3, 24, 23, 30, tzinfo=UTC),
         date(2024, 3, 25)),
        # Sunday evening in Los Angeles is already Monday in UTC: it is still last week there.
        (LA, datetime(2024, 5, 8, 18, tzinfo=UTC), datetime(2024, 5, 6, 3, 0, tzinfo=UTC),
         date(2024, 4, 29)),
        (LA, datetime(2024, 5, 8, 18, tzinfo=UTC), datetime(2024, 5, 6, 8, 0, tzinfo=UTC),
         date(2024, 5, 6)),
        # "now" on a Sunday night in LA (Monday in UTC) makes the LA week the current one.
        (LA, datetime(2024, 5, 13, 5, tzinfo=UTC), datetime(2024, 5, 12, 20, tzinfo=UTC),
         date(2024, 5, 6)),
    ],
)  # fmt: skip
def test_weekly_trend_uses_local_weeks(
    tz: ZoneInfo, now: datetime, signal_at: datetime, expected_week: date
) -> None:
    points = weekly_trend([sig("thread_takeover", signal_at)], weeks=3, now=now, tz=tz)
    assert len(points) == 3
    assert [p.week_start.weekday() for p in points] == [0, 0, 0]
    assert points == sorted(points, key=lambda p: p.week_start)
    assert {p.week_start for p in points if p.doing_count} == {expected_week}


def test_weekly_trend_point_contents() -> None:
    now = datetime(2024, 5, 8, 12, tzinfo=UTC)
    signals = [
        sig("thread_takeover", datetime(2024, 5, 7, 9, tzinfo=UTC), weight=3.0),
        sig("thread_close", datetime(2024, 5, 7, 10, tzinfo=UTC), justified=True),
        sig("coaching_question", datetime(2024, 5, 7, 11, tzinfo=UTC)),
        sig("hand_back", datetime(2024, 4, 30, 11, tzinfo=UTC)),
        sig("hand_back", datetime(2024, 4, 1, 11, tzinfo=UTC)),  # older than the window
    ]
    first, second = weekly_trend(signals, weeks=2, now=now, tz=UTC)
    assert (first.week_start, first.doing_count, first.enabling_count) == (date(2024, 4, 29), 0, 1)
    assert first.enabling_share == 1.0
    assert (second.week_start, second.doing_count, second.justified_count) == (
        date(2024, 5, 6),
        1,
        1,
    )
    assert (second.doing_weight, second.enabling_weight) == (3.0, 1.0)
    assert second.enabling_share == pytest.approx(0.25)


def test_weekly_trend_needs_a_week() -> None:
    with pytest.raises(ValueError, match="weeks"):
        weekly_trend([], weeks=0, now=T0, tz=UTC)


NUDGE = datetime(2024, 6, 15, 12, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("signals", "expected"),
    [
        ([], {}),
        # The triggering signal, moments before the nudge, counts as before.
        ([sig("thread_takeover", NUDGE - timedelta(seconds=5))], {"thread_takeover": (1, 0)}),
        ([sig("thread_takeover", NUDGE)], {"thread_takeover": (1, 0)}),
        ([sig("thread_takeover", NUDGE + timedelta(seconds=1))], {"thread_takeover": (0, 1)}),
        # Window edges: exactly 14 days either side is in, a second more is out.
        (
            [
                sig("call_join", NUDGE - 14 * DAY),
                sig("call_join", NUDGE - 14 * DAY - timedelta(seconds=1)),
                sig("call_join", NUDGE + 14 * DAY),
                sig("call_join", NUDGE + 14 * DAY + timedelta(seconds=1)),
            ],
            {"call_join": (1, 1)},
        ),
        # Per type; enabling and justified signals are not doing.
        (
            [
                sig("thread_takeover", NUDGE - 3 * DAY),
                sig("thread_takeover", NUDGE - 2 * DAY),
                sig("deal_commitment", NUDGE + 2 * DAY),
                sig("thread_takeover", NUDGE + 1 * DAY, justified=True),
                sig("coaching_question", NUDGE + 1 * DAY),
            ],
            {"deal_commitment": (0, 1), "thread_takeover": (2, 0)},
        ),
        # Another manager's signals are filtered out.
        ([sig("thread_close", NUDGE + DAY, manager="M2")], {}),
    ],
)
def test_nudge_effect(signals: list[SignalFact], expected: dict[str, tuple[int, int]]) -> None:
    assert nudge_effect(signals, nudge_at=NUDGE, manager_id="M1") == expected


def test_nudge_effect_custom_window_and_change() -> None:
    signals = [sig("thread_takeover", NUDGE - 2 * DAY), sig("thread_takeover", NUDGE + 5 * DAY)]
    effect = nudge_effect(signals, nudge_at=NUDGE, window=3 * DAY)
    assert effect == {"thread_takeover": BeforeAfter(before=1, after=0)}
    assert effect["thread_takeover"].change == -1
    with pytest.raises(ValueError, match="window"):
        nudge_effect(signals, nudge_at=NUDGE, window=timedelta(0))


@pytest.mark.parametrize(
    ("count", "factor"),
    [(0, 1.0), (1, 0.8), (2, 0.64), (3, 0.512), (5, 0.32768), (6, 0.3), (50, 0.3)],
)
def test_justified_weight_factor(count: int, factor: float) -> None:
    assert justified_weight_factor(count) == pytest.approx(factor)


def test_justified_weight_factor_rejects_negative_counts() -> None:
    with pytest.raises(ValueError, match="negative"):
        justified_weight_factor(-1)


ONE_EACH = Counts(1, 1, 0)


def _team(size: int, counts: Counts = ONE_EACH) -> dict[str, Counts]:
    return {f"m{i}": counts for i in range(size)}


@pytest.mark.parametrize(
    ("teams", "expected"),
    [
        ({}, []),
        ({"east": _team(4)}, [TeamAggregate("east", 4, suppressed=True, counts=None)]),
        ({"east": _team(5)}, [TeamAggregate("east", 5, suppressed=False, counts=Counts(5, 5, 0))]),
        # Managers without signals count towards the group (and towards nothing else).
        (
            {"west": {**_team(1, Counts(3, 1, 2)), **{f"q{i}": Counts() for i in range(4)}}},
            [TeamAggregate("west", 5, suppressed=False, counts=Counts(3, 1, 2))],
        ),
        (
            {"west": _team(2), "east": _team(6, Counts(0, 2, 0))},
            [
                TeamAggregate("east", 6, suppressed=False, counts=Counts(0, 12, 0)),
                TeamAggregate("west", 2, suppressed=True, counts=None),
            ],
        ),
    ],
)
def test_team_aggregates(
    teams: dict[str, dict[str, Counts]], expected: list[TeamAggregate]
) -> None:
    assert team_aggregates(teams) == expected


def test_team_aggregates_threshold_is_configurable_and_totals_skip_suppressed_teams() -> None:
    teams = {"a": _team(3, Counts(2, 0, 0)), "b": _team(8, Counts(1, 1, 1))}
    aggregates = team_aggregates(teams)
    assert visible_total(aggregates) == Counts(8, 8, 8)
    assert aggregates[1].enabling_share == 0.5
    assert aggregates[0].enabling_share is None
    assert visible_total(team_aggregates(teams, min_group=3)) == Counts(14, 8, 8)


def test_one_moment_that_reads_as_two_types_counts_once() -> None:
    """ "Leave it with me, I'll send the contract" is a takeover and a deal commitment: the
    per-type tallies show both, the doing total counts the moment once (an event, once)."""
    at = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
    facts = [
        SignalFact("thread_takeover", "doing", 1.0, at, "m1", "r1", moment="msg:C1:1"),
        SignalFact("deal_commitment", "doing", 0.8, at, "m1", "r1", moment="msg:C1:1"),
        SignalFact("deal_commitment", "doing", 1.0, at, "m1", "r1", moment="msg:C1:2"),
        SignalFact("coaching_question", "enabling", 1.0, at, "m1", "r1", moment="msg:C1:3"),
    ]
    result = ledger(facts, start=at - timedelta(days=1), end=at + timedelta(days=1))
    assert result.doing_count == 2
    assert result.doing_weight == pytest.approx(2.0)
    assert result.per_type["deal_commitment"].count == 2
    assert result.per_type["thread_takeover"].count == 1
    assert result.enabling_count == 1
