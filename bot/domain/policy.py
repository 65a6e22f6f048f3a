"""Should this doing-signal become a nudge now? Caps, cool-down, quiet hours, snooze, batching.

A nudge is where the product earns or loses a manager's trust, so every "no" has a stable
reason code that is recorded with the suppressed nudge and shown by `/enabler why`.

Decisions, checked in this order (the first that applies wins):

1. ``opted_out``, ``snoozed``, ``channel_muted`` - the manager's explicit wishes: nothing at all,
   not even an edit of an earlier nudge.
2. ``cooldown_append`` - a nudge went out less than ``cooldown`` ago: add this signal to it
   (``chat.update``) instead of sending another DM. An edit does not notify, so this applies even
   if quiet hours have begun since; the manager sees the whole picture on their next look, and
   appended signals never count against the caps.
3. ``quiet_hours``, ``non_working_day``, ``holiday`` - the manager's own local calendar.
4. ``daily_cap``, ``weekly_cap`` - counted over nudges *sent* in the manager's local day and
   ISO week (Monday start), so a New York manager's day ends at New York midnight.

What happens to a suppressed signal: it is recorded as a suppressed nudge with its reason and
keeps counting in the doing/enabling ledger and the weekly digest. It is *not* queued and sent
when quiet hours end: a nudge works because it arrives while the manager is still in context,
and a morning DM about last night's thread reads as surveillance, not coaching. ``retry_at``
says when a new nudge would next be allowed (for "nudges resume at 08:30" and for tests); it
is None when only the manager can lift the block (opt-out, muted channel).

Default cool-down is 4 hours. Takeovers come in bursts (a manager jumps into a deal thread and
posts five messages in an hour), and one nudge per burst is the point. With a 2-a-day cap and a
roughly 9-hour working day, 4 hours means the two nudges land in different halves of the day
instead of back to back at 10:00 and 10:30; anything shorter lets one busy morning use up the
whole day's allowance, anything longer makes appended signals too stale to act on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, get_args

from bot.domain.calendar import (
    WEEKDAYS,
    CalendarError,
    HolidayLookup,
    holiday_lookup,
    local_datetime,
    parse_weekdays,
    require_aware,
    zone,
)

__all__ = [
    "DEFAULT_POLICY",
    "MAX_SNOOZE",
    "Action",
    "Decision",
    "NudgePolicy",
    "PolicyError",
    "Reason",
    "decide",
    "merge_policy",
    "parse_duration",
    "snooze_until",
]

Action = Literal["send", "append", "suppress"]
Reason = Literal[
    "ok",
    "opted_out",
    "snoozed",
    "channel_muted",
    "cooldown_append",
    "quiet_hours",
    "non_working_day",
    "holiday",
    "daily_cap",
    "weekly_cap",
]
REASONS: tuple[str, ...] = get_args(Reason)

#: Longer than this is not a snooze; `/enabler nudges off` exists for that.
MAX_SNOOZE = timedelta(days=90)


class PolicyError(ValueError):
    """A policy setting or snooze duration we cannot accept; the message is for people."""


@dataclass(frozen=True)
class NudgePolicy:
    """Nudge settings for one manager: sales ops defaults with the manager's overrides merged.

    ``quiet_start``/``quiet_end`` are local wall-clock times; the window may wrap midnight
    (18:00-08:30) and equal times mean "no quiet hours". ``snoozed_until`` is an instant.
    """

    max_per_day: int = 2
    max_per_week: int = 6
    cooldown: timedelta = timedelta(hours=4)
    quiet_start: time = time(18, 0)
    quiet_end: time = time(8, 30)
    working_days: frozenset[int] = WEEKDAYS
    holiday_countries: tuple[str, ...] = ()
    snoozed_until: datetime | None = None
    opted_out: bool = False
    muted_channels: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.max_per_day < 0 or self.max_per_week < 0:
            raise PolicyError("nudge caps must be zero or more")
        if self.max_per_day > self.max_per_week:
            raise PolicyError(
                f"the daily cap ({self.max_per_day}) can't exceed the weekly cap "
                f"({self.max_per_week})"
            )
        if self.cooldown < timedelta(0) or self.cooldown > timedelta(days=7):
            raise PolicyError("cool-down must be between 0 and 7 days")
        if not self.working_days:
            raise PolicyError("choose at least one working day")
        if not self.working_days <= frozenset(range(7)):
            raise PolicyError("working days must be weekday numbers 0 (mon) to 6 (sun)")
        if self.snoozed_until is not None and (
            self.snoozed_until.tzinfo is None or self.snoozed_until.utcoffset() is None
        ):
            raise PolicyError("snoozed_until must be timezone-aware")
        for t in (self.quiet_start, self.quiet_end):
            if t.tzinfo is not None:
                raise PolicyError("quiet hours are local wall-clock times without a zone")
        try:
            holiday_lookup(self.holiday_countries)
        except CalendarError as exc:
            raise PolicyError(str(exc)) from exc

    def in_quiet_hours(self, local_time: time) -> bool:
        start, end, t = self.quiet_start, self.quiet_end, local_time.replace(tzinfo=None)
        if start == end:
            return False
        if start < end:
            return start <= t < end
        return t >= start or t < end


DEFAULT_POLICY = NudgePolicy()

_FIELD_NAMES = frozenset(f.name for f in fields(NudgePolicy))


_INT_FIELDS = frozenset({"max_per_day", "max_per_week"})
_BOOL_FIELDS = frozenset({"opted_out"})


def _coerce(name: str, value: object) -> object:
    """Turn settings as stored (JSON: strings, lists) into the dataclass's types."""
    if name in _INT_FIELDS and (isinstance(value, bool) or not isinstance(value, int)):
        raise PolicyError(f"{name} must be a whole number, got {value!r}")
    if name in _BOOL_FIELDS and not isinstance(value, bool):
        raise PolicyError(f"{name} must be true or false, got {value!r}")
    try:
        if name == "cooldown" and isinstance(value, str):
            return parse_duration(value, allow_zero=True)
        if name in {"quiet_start", "quiet_end"} and isinstance(value, str):
            return _parse_clock(value, name)
        if name == "working_days" and isinstance(value, str | list | tuple | set | frozenset):
            return parse_weekdays(value)
        if name == "holiday_countries" and isinstance(value, list | tuple):
            return tuple(str(v) for v in value)
        if name == "muted_channels" and isinstance(value, list | tuple | set | frozenset):
            return frozenset(str(v) for v in value)
        if name == "snoozed_until" and isinstance(value, str):
            return datetime.fromisoformat(value)
    except (CalendarError, ValueError) as exc:
        raise PolicyError(f"{name}: {exc}") from exc
    return value


def _parse_clock(text: str, name: str) -> time:
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", text.strip())
    if not match:
        raise PolicyError(f"{name} must be HH:MM (24h), got {text!r}")
    return time(int(match.group(1)), int(match.group(2)))


def merge_policy(base: NudgePolicy, *layers: Mapping[str, object] | None) -> NudgePolicy:
    """Apply override layers in order (workspace settings, then the manager's own).

    A key missing or set to None inherits from the layer below; unknown keys are an error so a
    typo in a settings file is caught instead of silently ignored.
    """
    policy = base
    for layer in layers:
        if not layer:
            continue
        unknown = sorted(set(layer) - _FIELD_NAMES)
        if unknown:
            raise PolicyError(
                f"unknown nudge setting(s): {', '.join(unknown)}; "
                f"known: {', '.join(sorted(_FIELD_NAMES))}"
            )
        changes = {k: _coerce(k, v) for k, v in layer.items() if v is not None}
        try:
            policy = replace(policy, **changes)  # type: ignore[arg-type]
        except TypeError as exc:
            raise PolicyError(str(exc)) from exc
    return policy


@dataclass(frozen=True)
class Decision:
    """The outcome for one signal. ``detail`` carries e.g. the holiday's name."""

    action: Action
    reason: Reason
    retry_at: datetime | None = None
    detail: str | None = None


def _local_midnight(day: date, tz: str) -> datetime:
    return local_datetime(day, time(0), tz).astimezone(UTC)


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _time_block(
    policy: NudgePolicy, at: datetime, tz: str, holidays: HolidayLookup
) -> tuple[Reason, datetime, str | None] | None:
    """The first local-calendar rule that blocks a nudge at ``at``, and when it lifts."""
    local = at.astimezone(zone(tz))
    today = local.date()
    if policy.in_quiet_hours(local.time()):
        end_day = today if local.time() < policy.quiet_end else today + timedelta(days=1)
        return "quiet_hours", local_datetime(end_day, policy.quiet_end, tz).astimezone(UTC), None
    if today.weekday() not in policy.working_days:
        return "non_working_day", _local_midnight(today + timedelta(days=1), tz), None
    name = holidays(today)
    if name is not None:
        return "holiday", _local_midnight(today + timedelta(days=1), tz), name
    return None


def _cap_block(
    policy: NudgePolicy, at: datetime, tz: str, sent: Sequence[datetime]
) -> tuple[Reason, datetime] | None:
    tzinfo = zone(tz)
    today = at.astimezone(tzinfo).date()
    sent_days = [s.astimezone(tzinfo).date() for s in sent if s <= at]
    if sum(1 for d in sent_days if d == today) >= policy.max_per_day:
        return "daily_cap", _local_midnight(today + timedelta(days=1), tz)
    week = _week_start(today)
    if sum(1 for d in sent_days if _week_start(d) == week) >= policy.max_per_week:
        return "weekly_cap", _local_midnight(week + timedelta(days=7), tz)
    return None


def _next_allowed(
    policy: NudgePolicy,
    now: datetime,
    tz: str,
    sent: Sequence[datetime],
    holidays: HolidayLookup,
) -> datetime | None:
    """Earliest instant >= now at which a fresh nudge would pass every time-based rule."""
    if policy.max_per_day == 0 or policy.max_per_week == 0:
        return None  # a cap of zero means "never": there is nothing to wait for
    at = now
    if policy.snoozed_until is not None and at < policy.snoozed_until:
        at = policy.snoozed_until
    # Each step jumps to where the current block lifts; blocks only move forward, so this
    # converges quickly. The bound only guards against pathological calendars.
    for _ in range(2000):
        time_block = _time_block(policy, at, tz, holidays)
        if time_block is not None:
            at = time_block[1]
            continue
        cap = _cap_block(policy, at, tz, sent)
        if cap is not None:
            at = cap[1]
            continue
        return at
    return None


def decide(
    policy: NudgePolicy,
    *,
    now: datetime,
    manager_tz: str,
    recent_nudges: Sequence[datetime],
    last_nudge_at: datetime | None,
    signal_channel_id: str | None,
    holidays: HolidayLookup | None = None,
) -> Decision:
    """Decide what to do with a doing-signal for one manager at ``now``.

    ``recent_nudges`` are the instants of nudges actually *sent* (at least the last 8 days;
    appended and suppressed ones are not nudges). ``last_nudge_at`` is the last sent nudge
    that signals may still be appended to. ``holidays`` defaults to the policy's countries;
    pass a cached lookup when deciding for many managers.
    """
    require_aware(now, "now")
    if last_nudge_at is not None:
        require_aware(last_nudge_at, "last_nudge_at")
    try:
        zone(manager_tz)
        lookup = holidays if holidays is not None else holiday_lookup(policy.holiday_countries)
    except CalendarError as exc:
        raise PolicyError(str(exc)) from exc
    sent = [require_aware(s, "recent_nudges[]") for s in recent_nudges]

    def suppress(reason: Reason, detail: str | None = None) -> Decision:
        retry = _next_allowed(policy, now, manager_tz, sent, lookup)
        return Decision("suppress", reason, retry, detail)

    if policy.opted_out:
        return Decision("suppress", "opted_out")
    if policy.snoozed_until is not None and now < policy.snoozed_until:
        return suppress("snoozed")
    if signal_channel_id is not None and signal_channel_id in policy.muted_channels:
        return Decision("suppress", "channel_muted")
    if last_nudge_at is not None and last_nudge_at <= now < last_nudge_at + policy.cooldown:
        return Decision("append", "cooldown_append", last_nudge_at + policy.cooldown)
    time_block = _time_block(policy, now, manager_tz, lookup)
    if time_block is not None:
        return suppress(time_block[0], time_block[2])
    cap = _cap_block(policy, now, manager_tz, sent)
    if cap is not None:
        return suppress(cap[0])
    return Decision("send", "ok")


# --------------------------------------------------------------------------------------------
# snooze


_UNITS: dict[str, timedelta] = {}
for _names, _unit in (
    (("m", "min", "mins", "minute", "minutes"), timedelta(minutes=1)),
    (("h", "hr", "hrs", "hour", "hours"), timedelta(hours=1)),
    (("d", "day", "days"), timedelta(days=1)),
    (("w", "wk", "wks", "week", "weeks"), timedelta(weeks=1)),
):
    for _name in _names:
        _UNITS[_name] = _unit

_PART_RE = re.compile(r"(\d+)\s*([a-z]+)")
_HINT = "try 2h, 3d, 1w, 1h30m, 'today' or 'this week'"


def parse_duration(text: str, *, allow_zero: bool = False) -> timedelta:
    """'2h', '3d', '1w', '1h30m', '90 minutes' -> timedelta, with errors that say what works."""
    cleaned = text.strip().lower()
    if not cleaned:
        raise PolicyError(f"say how long, e.g. {_HINT}")
    if cleaned in {"today", "this week", "tomorrow"}:
        raise PolicyError(f"{text!r} depends on the date; use snooze_until for it")
    compact = re.sub(r"\s+", "", cleaned)
    if compact.isdigit():
        raise PolicyError(f"{text!r} needs a unit: m, h, d or w ({_HINT})")
    pos = 0
    total = timedelta(0)
    for match in _PART_RE.finditer(compact):
        if match.start() != pos or match.group(2) not in _UNITS:
            raise PolicyError(f"can't read {text!r} as a duration; {_HINT}")
        total += int(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos == 0 or pos != len(compact):
        raise PolicyError(f"can't read {text!r} as a duration; {_HINT}")
    if total == timedelta(0) and not allow_zero:
        raise PolicyError("a duration must be longer than zero")
    return total


def snooze_until(text: str, *, now: datetime, tz: str) -> datetime:
    """When a `/enabler snooze <text>` issued at ``now`` ends, as a UTC instant.

    'today' ends at the manager's next local midnight, 'tomorrow' at the one after, and
    'this week' at local midnight starting next Monday; durations are added to ``now``
    as elapsed time. Capped at :data:`MAX_SNOOZE`.
    """
    require_aware(now, "now")
    try:
        tzinfo = zone(tz)
    except CalendarError as exc:
        raise PolicyError(str(exc)) from exc
    today = now.astimezone(tzinfo).date()
    phrase = " ".join(text.strip().lower().split())
    if phrase in {"today", "rest of today", "for today"}:
        return _local_midnight(today + timedelta(days=1), tz)
    if phrase == "tomorrow":
        return _local_midnight(today + timedelta(days=2), tz)
    if phrase in {"this week", "week", "rest of the week", "for this week"}:
        return _local_midnight(_week_start(today) + timedelta(days=7), tz)
    duration = parse_duration(text)
    if duration > MAX_SNOOZE:
        raise PolicyError(
            f"snooze for at most {MAX_SNOOZE.days} days; use `/enabler nudges off` to stop nudges"
        )
    return now.astimezone(UTC) + duration
