"""The doing/enabling ledger: how much of a manager's deal activity was doing vs enabling.

Everything here works on :class:`SignalFact`, a small projection of a recorded signal, so the
ledger does not care how signals were detected or stored. Windows are half-open ``[start, end)``
and compared as instants (UTC), never as wall-clock values, so a week that spans a DST change
still holds exactly the signals that happened in it.

Justified signals ("It was needed") are doing signals the manager explained. They are shown in
their own column and left out of the doing side of the share: counting them would punish a
manager for being honest, and hiding them entirely would let "justified" become a mute button.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import NamedTuple

from bot.domain.permissions import MIN_GROUP_SIZE, aggregate_visible

__all__ = [
    "DOING",
    "ENABLING",
    "JUSTIFIED_DECAY",
    "JUSTIFIED_FLOOR",
    "BeforeAfter",
    "Counts",
    "Ledger",
    "SignalFact",
    "TeamAggregate",
    "TypeTally",
    "WeekPoint",
    "justified_weight_factor",
    "ledger",
    "nudge_effect",
    "team_aggregates",
    "visible_total",
    "weekly_trend",
]

DOING = "doing"
ENABLING = "enabling"
_KINDS = frozenset({DOING, ENABLING})

JUSTIFIED_DECAY = 0.8
"""Each justification of the same rule multiplies that rule's weight for the manager by this."""
JUSTIFIED_FLOOR = 0.3
"""...but never below this: a rule can be quietened, not silenced, by justifying it."""


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")


@dataclass(frozen=True)
class SignalFact:
    """What scoring needs to know about one recorded signal.

    ``kind`` is "doing" or "enabling" (plain strings so any enum with those values maps over
    with ``.value``). Only doing signals can be justified.
    """

    type: str
    kind: str
    weight: float
    at: datetime
    manager_id: str
    rep_id: str | None = None
    justified: bool = False
    #: What produced the signal (a message, a reaction, a huddle join). One moment that reads as
    #: two types ("leave it with me, I'll send the contract": takeover + commitment) counts once
    #: in the doing/enabling totals; per-type tallies still show both. None: its own moment.
    moment: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"kind must be 'doing' or 'enabling', got {self.kind!r}")
        if not math.isfinite(self.weight) or self.weight < 0:
            raise ValueError(f"weight must be a finite number >= 0, got {self.weight!r}")
        if self.justified and self.kind != DOING:
            raise ValueError("only doing signals can be justified")
        _require_aware(self.at, "at")

    @property
    def counts_as_doing(self) -> bool:
        return self.kind == DOING and not self.justified


@dataclass(frozen=True)
class TypeTally:
    """One signal type in a ledger. ``count``/``weight`` exclude justified signals."""

    kind: str
    count: int = 0
    weight: float = 0.0
    justified_count: int = 0
    justified_weight: float = 0.0


@dataclass(frozen=True)
class Counts:
    """Counts only: what may leave a manager's own view (aggregates, exports, team totals)."""

    doing: int = 0
    enabling: int = 0
    justified: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.doing + other.doing,
            self.enabling + other.enabling,
            self.justified + other.justified,
        )

    @property
    def enabling_share(self) -> float | None:
        total = self.doing + self.enabling
        return None if total == 0 else self.enabling / total


@dataclass(frozen=True)
class Ledger:
    """Doing vs enabling over ``[start, end)``.

    ``doing_*`` exclude justified signals, which are reported in ``justified_*``.
    ``enabling_share`` is by weight, because rules weigh a "leave it with me" takeover more than
    a stray ✅, and is ``None`` when there is nothing to compare.
    """

    start: datetime
    end: datetime
    doing_count: int
    doing_weight: float
    enabling_count: int
    enabling_weight: float
    justified_count: int
    justified_weight: float
    per_type: Mapping[str, TypeTally]

    @property
    def enabling_share(self) -> float | None:
        total = self.doing_weight + self.enabling_weight
        return None if total == 0 else self.enabling_weight / total

    @property
    def counts(self) -> Counts:
        return Counts(self.doing_count, self.enabling_count, self.justified_count)


def _in_window(at: datetime, start: datetime, end: datetime) -> bool:
    instant = at.astimezone(UTC)
    return start.astimezone(UTC) <= instant < end.astimezone(UTC)


def ledger(signals: Iterable[SignalFact], *, start: datetime, end: datetime) -> Ledger:
    """Tally the signals that happened in ``[start, end)``.

    Pass one manager's signals; the ledger does not filter by manager because a team view may
    legitimately want several (as counts only — see :func:`team_aggregates`).
    """
    _require_aware(start, "start")
    _require_aware(end, "end")
    if end < start:
        raise ValueError("end is before start")
    tallies: dict[str, list[float]] = {}  # type -> [count, weight, justified_count, j_weight]
    kinds: dict[str, str] = {}
    # (kind, justified) -> moment -> heaviest weight among that moment's signals
    moments: dict[tuple[str, bool], dict[object, float]] = {}
    for index, signal in enumerate(signals):
        if not _in_window(signal.at, start, end):
            continue
        key: object = signal.moment if signal.moment is not None else index
        bucket = moments.setdefault((signal.kind, signal.justified), {})
        bucket[key] = max(bucket.get(key, 0.0), signal.weight)
        if kinds.setdefault(signal.type, signal.kind) != signal.kind:
            raise ValueError(f"signal type {signal.type!r} appears as both doing and enabling")
        tally = tallies.setdefault(signal.type, [0, 0.0, 0, 0.0])
        if signal.justified:
            tally[2] += 1
            tally[3] += signal.weight
        else:
            tally[0] += 1
            tally[1] += signal.weight
    per_type = {
        t: TypeTally(kinds[t], int(v[0]), v[1], int(v[2]), v[3]) for t, v in sorted(tallies.items())
    }

    def counted(kind: str, justified: bool) -> tuple[int, float]:
        bucket = moments.get((kind, justified), {})
        return len(bucket), math.fsum(bucket.values())

    doing_count, doing_weight = counted(DOING, False)
    enabling_count, enabling_weight = counted(ENABLING, False)
    justified_count, justified_weight = counted(DOING, True)
    return Ledger(
        start=start,
        end=end,
        doing_count=doing_count,
        doing_weight=doing_weight,
        enabling_count=enabling_count,
        enabling_weight=enabling_weight,
        justified_count=justified_count,
        justified_weight=justified_weight,
        per_type=per_type,
    )


@dataclass(frozen=True)
class WeekPoint:
    """One local week (Monday to Sunday in the manager's time zone) of a trend line."""

    week_start: date
    doing_count: int
    doing_weight: float
    enabling_count: int
    enabling_weight: float
    justified_count: int
    enabling_share: float | None


def _local_midnight(day: date, tz: tzinfo) -> datetime:
    # Built from the calendar date, not by adding 7 days to an aware datetime, so every boundary
    # is a real local midnight whatever DST did in between.
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def weekly_trend(
    signals: Iterable[SignalFact], *, weeks: int, now: datetime, tz: tzinfo
) -> list[WeekPoint]:
    """The last ``weeks`` local weeks, oldest first, the current (partial) week last."""
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    _require_aware(now, "now")
    facts = list(signals)
    today = now.astimezone(tz).date()
    this_monday = today - timedelta(days=today.weekday())
    points: list[WeekPoint] = []
    for back in range(weeks - 1, -1, -1):
        monday = this_monday - timedelta(weeks=back)
        week = ledger(
            facts,
            start=_local_midnight(monday, tz),
            end=_local_midnight(monday + timedelta(weeks=1), tz),
        )
        points.append(
            WeekPoint(
                week_start=monday,
                doing_count=week.doing_count,
                doing_weight=week.doing_weight,
                enabling_count=week.enabling_count,
                enabling_weight=week.enabling_weight,
                justified_count=week.justified_count,
                enabling_share=week.enabling_share,
            )
        )
    return points


class BeforeAfter(NamedTuple):
    """Doing signals of one type in the window before a nudge and the window after it."""

    before: int
    after: int

    @property
    def change(self) -> int:
        return self.after - self.before


def nudge_effect(
    signals: Iterable[SignalFact],
    *,
    nudge_at: datetime,
    window: timedelta = timedelta(days=14),
    manager_id: str | None = None,
) -> dict[str, BeforeAfter]:
    """Per doing-signal type, how many the manager produced before vs after a nudge.

    Before is ``[nudge_at - window, nudge_at]`` — it includes the signal that triggered the nudge,
    which happened moments before it — and after is ``(nudge_at, nudge_at + window]``. Justified
    signals are left out, as in the ledger. Types seen in neither window are absent.
    ``manager_id`` filters, for callers holding signals of several managers.
    """
    _require_aware(nudge_at, "nudge_at")
    if window <= timedelta(0):
        raise ValueError("window must be positive")
    pivot = nudge_at.astimezone(UTC)
    before: dict[str, int] = {}
    after: dict[str, int] = {}
    for signal in signals:
        if not signal.counts_as_doing:
            continue
        if manager_id is not None and signal.manager_id != manager_id:
            continue
        at = signal.at.astimezone(UTC)
        if pivot - window <= at <= pivot:
            before[signal.type] = before.get(signal.type, 0) + 1
        elif pivot < at <= pivot + window:
            after[signal.type] = after.get(signal.type, 0) + 1
    return {
        t: BeforeAfter(before.get(t, 0), after.get(t, 0)) for t in sorted(before.keys() | after)
    }


def justified_weight_factor(justified_count_for_rule: int) -> float:
    """How much to scale a rule's weight for a manager who has justified it this many times.

    ``0.8 ** n``, never below 0.3. Multiplicative, so each justification counts the same
    relative amount; 0.8 so that one "exec asked for me" barely moves the rule (0.8) while a
    pattern does (three: about 0.5); and a floor of 0.3 (reached at the sixth) so that a manager
    cannot justify a rule into silence — it stays visible in their own ledger, just quieter.
    Callers decide which justifications still count (for example those of the last 90 days).
    """
    if justified_count_for_rule < 0:
        raise ValueError("a count cannot be negative")
    return max(JUSTIFIED_FLOOR, JUSTIFIED_DECAY**justified_count_for_rule)


@dataclass(frozen=True)
class TeamAggregate:
    """Counts for one team, or nothing at all when the team is too small to show.

    ``group_size`` is the number of managers whose signals were counted; it is always shown so a
    reader knows why a row is empty.
    """

    team_id: str
    group_size: int
    suppressed: bool
    counts: Counts | None

    @property
    def enabling_share(self) -> float | None:
        return None if self.counts is None else self.counts.enabling_share


def team_aggregates(
    per_manager_counts: Mapping[str, Mapping[str, Counts]], *, min_group: int = MIN_GROUP_SIZE
) -> list[TeamAggregate]:
    """Team totals without text, suppressing teams of fewer than ``min_group`` managers.

    ``per_manager_counts`` maps team id -> manager id -> that manager's counts. Include managers
    with no signals (``Counts()``): they are part of the group, and leaving them out would shrink
    groups below the threshold, or worse, make a real group look smaller than it is.
    """
    out: list[TeamAggregate] = []
    for team_id in sorted(per_manager_counts):
        managers = per_manager_counts[team_id]
        size = len(managers)
        if not aggregate_visible(size, min_group=min_group):
            out.append(TeamAggregate(team_id, size, suppressed=True, counts=None))
            continue
        total = Counts()
        for counts in managers.values():
            total += counts
        out.append(TeamAggregate(team_id, size, suppressed=False, counts=total))
    return out


def visible_total(aggregates: Iterable[TeamAggregate]) -> Counts:
    """The sum over shown teams only, so a suppressed team cannot be recovered by subtraction."""
    total = Counts()
    for aggregate in aggregates:
        if aggregate.counts is not None:
            total += aggregate.counts
    return total
