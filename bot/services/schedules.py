"""Reflection schedules: sales ops manage them; every process plans their occurrences.

Exactly once, per (schedule, recipient, occurrence)
---------------------------------------------------
`plan_due` runs on every process's local timer. For each active schedule and each recipient
(resolved from the roster at tick time, in their own time zone), it computes the occurrences
in a window around now and inserts one `prompt_occurrences` row per occurrence under a unique
key (schedule, user, local date). The first process to insert it enqueues the DM in the same
transaction; everybody else (another replica, the same process after a restart) finds the row
and does nothing. The outbox's own unique `dedupe_key` is a second guard. A crash before the
commit leaves nothing behind, so the next tick (here or elsewhere) plans it again: nothing is
lost, nothing doubles.

Late and skipped occurrences
----------------------------
An occurrence found after its time is still sent if it is within the schedule's grace (2 hours
by default): the outbox row also expires at occurrence + grace, so a backlog never delivers a
09:00 prompt at 3 a.m. Beyond the grace it is recorded as skipped with reason "late". Weekends
(per schedule), public holidays (per workspace country list), a person's snooze and their
Slack out-of-office status are recorded as skipped too, each with its reason.

Changes made from the CLI or from Slack take effect on the next tick of every server: the
planner reads schedules from the database each time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

from bot.clock import Clock
from bot.db.repositories.core import PeopleRepo, WorkspaceRepo
from bot.db.repositories.schedules import OccurrenceRepo, PrefsRepo, ScheduleRepo
from bot.db.rows import PersonRow, PromptOccurrenceRow, ScheduleRow
from bot.db.unit_of_work import UnitOfWork, UnitOfWorkFactory
from bot.domain.calendar import (
    DAY_NAMES,
    CalendarError,
    HolidayCalendar,
    HolidayLookup,
    parse_weekdays,
    zone,
)
from bot.domain.permissions import Action
from bot.domain.prompts import Mode, PromptError, choose_prompt, render, validate_selection
from bot.domain.schedules import (
    Cadence,
    Occurrence,
    ScheduleError,
    describe,
    due_decision,
    occurrences,
    parse_cadence,
    parse_cron,
    parse_time,
)
from bot.observability import get_logger
from bot.services import outbox
from bot.services.org import authorize
from bot.services.prompts_library import library, week_context
from bot.services.reflection import PastReflection, PromptCard, PromptMessages, past_reflections

log = get_logger(__name__)

__all__ = [
    "AUDIENCES",
    "DeliveryFailure",
    "PlanResult",
    "PlannerState",
    "PreviewLine",
    "PromptsHome",
    "ScheduleInvalid",
    "ScheduleSpec",
    "ScheduleSummary",
    "create_schedule",
    "delete_schedule",
    "form_data",
    "get_schedule",
    "home_section",
    "list_schedules",
    "list_teams",
    "ops_overview",
    "plan_due",
    "preview",
    "set_paused",
    "update_schedule",
]

AUDIENCES: dict[str, str] = {
    "managers": "All managers",
    "second_line": "Second-line managers",
    "team": "The managers of a team",
    "people": "Named people",
}
PROMPT_MODES: dict[str, str] = {
    "rotation": "Rotate through the library",
    "tag": "One theme (tag)",
    "fixed": "A fixed list",
}
MAX_REMINDER_HOURS = 72
DEFAULT_GRACE_MINUTES = 120

#: Out-of-office check supplied by the Slack layer: (workspace_id, user_id) -> away?
OutOfOfficeCheck = Callable[[str, str], bool]


class ScheduleInvalid(ScheduleError):  # noqa: N818 - reads as "the schedule is invalid"
    """One message per field that needs fixing, keyed like ScheduleSpec's fields."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(problems.values()))
        self.problems = problems


@dataclass(frozen=True)
class ScheduleSpec:
    """A schedule as a person entered it (CLI flags or the App Home modal)."""

    name: str
    audience: str = "managers"
    audience_values: tuple[str, ...] = ()
    days: str | None = None  # "mon", "mon,thu", "weekdays"
    at: str | None = None  # "09:00"
    every_weeks: int = 1
    cron: str | None = None  # instead of days/at: "0 9 * * 1-5"
    start_date: date | None = None  # default: today
    end_date: date | None = None
    skip_weekends: bool = False
    skip_holidays: bool = True
    prompt_mode: str = "rotation"
    prompt_tag: str | None = None
    prompt_ids: tuple[str, ...] = ()
    reminder_hours: int | None = None
    grace_minutes: int = DEFAULT_GRACE_MINUTES


@dataclass(frozen=True)
class ScheduleSummary:
    id: int
    name: str
    spec: ScheduleSpec
    audience: str
    cadence: str
    prompts: str
    reminder: str
    paused: bool
    recipients: int
    counts: dict[str, int]
    version: int


@dataclass(frozen=True)
class PreviewLine:
    user_id: str
    name: str | None
    timezone: str | None
    local: datetime | None
    utc: datetime | None
    skipped_reason: str | None = None


@dataclass
class PlanResult:
    planned: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    lost_races: int = 0
    no_timezone: int = 0
    settled: int = 0

    def add(self, other: PlanResult) -> None:
        self.planned += other.planned
        self.skipped.update(other.skipped)
        self.lost_races += other.lost_races
        self.no_timezone += other.no_timezone
        self.settled += other.settled


@dataclass
class PlannerState:
    """Per-process memory that keeps ticks cheap; never needed for correctness.

    After a full pass over a schedule, later ticks only look back from where the last pass
    ended (minus an overlap), instead of the whole catch-up window. A new process starts
    empty, so its first tick catches up everything missed while no process was running.
    """

    covered_until: dict[tuple[int, int], datetime] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# validation


def _mode(text: str) -> Mode:
    if text == "tag":
        return "tag"
    if text == "fixed":
        return "fixed"
    return "rotation"


def _cadence_of(spec: ScheduleSpec, start: date, problems: dict[str, str]) -> Cadence | None:
    cron = (spec.cron or "").strip() or None
    days = (spec.days or "").strip() or None
    at = (spec.at or "").strip() or None
    if cron is not None:
        if days is not None:
            problems["days"] = "Choose days and a time, or a cron expression — not both."
            return None
        try:
            parse_cron(cron)
        except ScheduleError as exc:
            problems["cron"] = _sentence(str(exc))
            return None
        at = None
    else:
        if days is None:
            problems["days"] = "Choose at least one day (or give a cron expression)."
        else:
            try:
                parse_weekdays(days)
            except CalendarError as exc:
                problems["days"] = _sentence(str(exc))
        if at is None:
            problems["time"] = "Choose a time of day, e.g. 09:00."
        else:
            try:
                parse_time(at)
            except ScheduleError as exc:
                problems["time"] = _sentence(str(exc))
        if not 1 <= spec.every_weeks <= 52:
            problems["every_weeks"] = "Every N weeks: N must be 1 to 52."
        if problems:
            return None
    try:
        return parse_cadence(
            start_date=start,
            days=days if cron is None else None,
            at=at,
            every_weeks=spec.every_weeks if cron is None else 1,
            cron=cron,
            end_date=spec.end_date,
            skip_weekends=spec.skip_weekends,
            skip_holidays=spec.skip_holidays,
        )
    except ScheduleError as exc:
        text = str(exc)
        where = "end_date" if "end date" in text else ("cron" if cron else "days")
        problems[where] = _sentence(text)
        return None


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "?", "!")) else ".")


def _validate(
    tx: UnitOfWork,
    workspace_id: str,
    spec: ScheduleSpec,
    *,
    now: datetime,
    existing: ScheduleRow | None = None,
) -> tuple[ScheduleSpec, Cadence]:
    problems: dict[str, str] = {}
    name = " ".join(spec.name.split())
    if not name:
        problems["name"] = "Give the schedule a name, e.g. “Monday reflection”."
    elif len(name) > 100:
        problems["name"] = "Keep the name under 100 characters."
    else:
        clash = ScheduleRepo(tx.session, workspace_id).by_name(name)
        if clash is not None and (existing is None or clash.id != existing.id):
            problems["name"] = f"There is already a schedule called “{clash.name}”."

    values = tuple(v.strip() for v in spec.audience_values if v.strip())
    people = PeopleRepo(tx.session, workspace_id).all()
    if spec.audience not in AUDIENCES:
        problems["audience"] = f"Audience must be one of {', '.join(AUDIENCES)}."
    elif spec.audience == "team":
        teams = {(p.team or "").lower(): p.team for p in people if p.team}
        if not values:
            problems["team"] = "Choose the team whose managers get this."
        else:
            unknown = [v for v in values if v.lower() not in teams]
            if unknown:
                known = ", ".join(sorted(str(t) for t in teams.values())) or "none on the roster"
                problems["team"] = f"No team called {', '.join(unknown)} (teams: {known})."
            values = tuple(str(teams[v.lower()]) for v in values if v.lower() in teams)
    elif spec.audience == "people":
        on_roster = {p.user_id for p in people}
        if not values:
            problems["people"] = "Choose at least one person."
        else:
            missing = [v for v in values if v not in on_roster]
            if missing:
                problems["people"] = (
                    f"Not on Enabler's roster: {', '.join(f'<@{m}>' for m in missing)}. "
                    "Add them with `enabler roster import` first."
                )
    else:
        values = ()

    start = spec.start_date or now.date()
    cadence = _cadence_of(spec, start, problems)

    mode = spec.prompt_mode
    tag = (spec.prompt_tag or "").strip() or None
    ids = tuple(i.strip() for i in spec.prompt_ids if i.strip())
    if mode not in PROMPT_MODES:
        problems["prompts"] = "Prompts must be rotation, tag or fixed."
    else:
        try:
            validate_selection(library(tx, workspace_id), mode=_mode(mode), tag=tag, fixed_ids=ids)
        except PromptError as exc:
            problems["prompts"] = _sentence(str(exc))
    if spec.reminder_hours is not None and not 1 <= spec.reminder_hours <= MAX_REMINDER_HOURS:
        problems["reminder_hours"] = (
            f"A follow-up reminder comes 1 to {MAX_REMINDER_HOURS} hours after the prompt."
        )
    if not 0 <= spec.grace_minutes <= 12 * 60:
        problems["grace_minutes"] = "The grace window must be 0 to 720 minutes."
    if problems or cadence is None:
        raise ScheduleInvalid(problems or {"days": "This cadence can't be used."})
    clean = replace(
        spec,
        name=name,
        audience_values=values,
        start_date=start,
        days=None if cadence.cron else ",".join(DAY_NAMES[d] for d in sorted(cadence.days)),
        at=None if cadence.at is None else f"{cadence.at:%H:%M}",
        every_weeks=cadence.every_weeks,
        cron=cadence.cron,
        prompt_tag=tag if mode == "tag" else None,
        prompt_ids=ids if mode == "fixed" else (),
    )
    return clean, cadence


def _require_ops(tx: UnitOfWork, workspace_id: str, actor: str | None) -> None:
    """Slack users must be sales ops; `actor=None` is the server's CLI (trusted)."""
    if actor is None:
        return
    authorize(tx, workspace_id, actor_id=actor, action=Action.MANAGE_SCHEDULES, subject_id=None)


# --------------------------------------------------------------------------------------------
# managing schedules


def _apply(row: ScheduleRow, spec: ScheduleSpec) -> None:
    assert spec.start_date is not None
    row.name = spec.name
    row.audience_kind = spec.audience
    row.audience_values = list(spec.audience_values)
    row.days = sorted(parse_weekdays(spec.days)) if spec.days else []
    row.at_time = spec.at
    row.every_weeks = spec.every_weeks
    row.cron = spec.cron
    row.start_date = spec.start_date
    row.end_date = spec.end_date
    row.skip_weekends = spec.skip_weekends
    row.skip_holidays = spec.skip_holidays
    row.prompt_mode = spec.prompt_mode
    row.prompt_tag = spec.prompt_tag
    row.prompt_ids = list(spec.prompt_ids)
    row.reminder_hours = spec.reminder_hours
    row.grace_minutes = spec.grace_minutes


def spec_of(row: ScheduleRow) -> ScheduleSpec:
    return ScheduleSpec(
        name=row.name,
        audience=row.audience_kind,
        audience_values=tuple(row.audience_values or ()),
        days=",".join(DAY_NAMES[d] for d in sorted(row.days)) if row.days else None,
        at=row.at_time,
        every_weeks=row.every_weeks,
        cron=row.cron,
        start_date=row.start_date,
        end_date=row.end_date,
        skip_weekends=row.skip_weekends,
        skip_holidays=row.skip_holidays,
        prompt_mode=row.prompt_mode,
        prompt_tag=row.prompt_tag,
        prompt_ids=tuple(row.prompt_ids or ()),
        reminder_hours=row.reminder_hours,
        grace_minutes=row.grace_minutes,
    )


def cadence_of(row: ScheduleRow) -> Cadence:
    return Cadence(
        start_date=row.start_date,
        days=frozenset(row.days or ()),
        at=parse_time(row.at_time) if row.at_time else None,
        every_weeks=row.every_weeks,
        cron=row.cron,
        end_date=row.end_date,
        skip_holidays=row.skip_holidays,
        skip_weekends=row.skip_weekends,
    )


def create_schedule(
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    workspace_id: str,
    spec: ScheduleSpec,
    actor: str | None = None,
) -> ScheduleSummary:
    """Raises ScheduleInvalid (per-field sentences) or PermissionDenied."""
    now = clock.now()
    with uow() as tx:
        _require_ops(tx, workspace_id, actor)
        WorkspaceRepo(tx.session).ensure(workspace_id, now=now)
        clean, _ = _validate(tx, workspace_id, spec, now=now)
        row = ScheduleRow(
            workspace_id=workspace_id,
            paused=False,
            planning_from=now,
            version=1,
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        _apply(row, clean)
        ScheduleRepo(tx.session, workspace_id).add(row)
        summary = _summary(tx, row)
        tx.commit()
    log.info("schedule_created", workspace=workspace_id, schedule=row.id, by=actor or "cli")
    return summary


def _find(tx: UnitOfWork, workspace_id: str, ref: int | str) -> ScheduleRow:
    repo = ScheduleRepo(tx.session, workspace_id)
    row = repo.get(ref) if isinstance(ref, int) else repo.by_name(ref)
    if row is None and isinstance(ref, str) and ref.isdigit():
        row = repo.get(int(ref))
    if row is None:
        names = ", ".join(f"“{r.name}”" for r in repo.all()) or "none yet"
        raise ScheduleInvalid({"name": f"No schedule called “{ref}” (schedules: {names})."})
    return row


def update_schedule(
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    workspace_id: str,
    ref: int | str,
    spec: ScheduleSpec,
    actor: str | None = None,
) -> ScheduleSummary:
    """Change a schedule. Occurrence keys are local dates, so moving 09:00 to 10:00 after
    today's prompt went out does not send today's again."""
    now = clock.now()
    with uow() as tx:
        _require_ops(tx, workspace_id, actor)
        row = _find(tx, workspace_id, ref)
        clean, _ = _validate(
            tx,
            workspace_id,
            replace(spec, start_date=spec.start_date or row.start_date),
            now=now,
            existing=row,
        )
        _apply(row, clean)
        summary = _changed(tx, row, now)
        tx.commit()
    return summary


def set_paused(
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    workspace_id: str,
    ref: int | str,
    paused: bool,
    actor: str | None = None,
) -> ScheduleSummary:
    """Pause (queued, unsent prompts are withdrawn) or resume (from now on; nothing missed
    while paused is sent)."""
    now = clock.now()
    with uow() as tx:
        _require_ops(tx, workspace_id, actor)
        row = _find(tx, workspace_id, ref)
        if paused and not row.paused:
            _withdraw_unsent(tx, row, reason="paused", now=now)
        if not paused and row.paused:
            row.planning_from = now
        row.paused = paused
        summary = _changed(tx, row, now)
        tx.commit()
    return summary


def delete_schedule(
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    workspace_id: str,
    ref: int | str,
    actor: str | None = None,
) -> str:
    """Delete a schedule and withdraw its unsent messages. Reflections already written stay
    with their authors. Returns the deleted schedule's name."""
    now = clock.now()
    with uow() as tx:
        _require_ops(tx, workspace_id, actor)
        row = _find(tx, workspace_id, ref)
        name = row.name
        _withdraw_unsent(tx, row, reason="deleted", now=now, reminders=True)
        ScheduleRepo(tx.session, workspace_id).delete(row)
        tx.commit()
    return name


def _withdraw_unsent(
    tx: UnitOfWork, row: ScheduleRow, *, reason: str, now: datetime, reminders: bool = False
) -> None:
    occurrences_repo = OccurrenceRepo(tx.session, row.workspace_id)
    statuses = ("planned", "sent") if reminders else ("planned",)
    for occurrence in occurrences_repo.for_schedule(row.id, statuses=statuses):
        if reminders:
            for key in occurrence.reminder_keys or []:
                outbox.cancel(tx, workspace_id=row.workspace_id, dedupe_key=key)
        if occurrence.status != "planned" or occurrence.delivery_id is None:
            continue
        delivery = outbox.get(tx, workspace_id=row.workspace_id, delivery_id=occurrence.delivery_id)
        if delivery is not None and outbox.cancel(
            tx, workspace_id=row.workspace_id, dedupe_key=delivery.dedupe_key
        ):
            occurrence.status, occurrence.reason, occurrence.updated_at = "skipped", reason, now
            for key in occurrence.reminder_keys or []:
                outbox.cancel(tx, workspace_id=row.workspace_id, dedupe_key=key)


def _audience_label(row: ScheduleRow) -> str:
    if row.audience_kind == "team":
        return f"managers in {', '.join(row.audience_values)}"
    if row.audience_kind == "people":
        return ", ".join(f"<@{u}>" for u in row.audience_values)
    return AUDIENCES[row.audience_kind].lower()


def _prompts_label(row: ScheduleRow) -> str:
    if row.prompt_mode == "tag":
        return f"theme “{row.prompt_tag}”"
    if row.prompt_mode == "fixed":
        return f"fixed list ({len(row.prompt_ids)})"
    return "rotation through the library"


def _changed(tx: UnitOfWork, row: ScheduleRow, now: datetime) -> ScheduleSummary:
    """Mark the schedule changed (planners key what they covered by version, so they plan it
    afresh) and summarise it as it now is."""
    row.version += 1
    row.updated_at = now
    return _summary(tx, row)


def _summary(tx: UnitOfWork, row: ScheduleRow) -> ScheduleSummary:
    people = PeopleRepo(tx.session, row.workspace_id).all()
    recipients = resolve_audience(people, row.audience_kind, row.audience_values)
    return ScheduleSummary(
        id=row.id,
        name=row.name,
        spec=spec_of(row),
        audience=_audience_label(row),
        cadence=describe(cadence_of(row)),
        prompts=_prompts_label(row),
        reminder=f"follow-up after {row.reminder_hours}h" if row.reminder_hours else "no follow-up",
        paused=row.paused,
        recipients=len(recipients),
        counts=OccurrenceRepo(tx.session, row.workspace_id).counts(row.id),
        version=row.version,
    )


def list_schedules(*, uow: UnitOfWorkFactory, workspace_id: str) -> list[ScheduleSummary]:
    with uow() as tx:
        return summaries(tx, workspace_id)


def summaries(tx: UnitOfWork, workspace_id: str) -> list[ScheduleSummary]:
    return [_summary(tx, row) for row in ScheduleRepo(tx.session, workspace_id).all()]


def get_schedule(
    *, uow: UnitOfWorkFactory, workspace_id: str, ref: int | str, actor: str | None = None
) -> ScheduleSummary:
    with uow() as tx:
        _require_ops(tx, workspace_id, actor)
        return _summary(tx, _find(tx, workspace_id, ref))


@dataclass(frozen=True)
class DeliveryFailure:
    """A message Slack refused for good (user_not_found, account_inactive...): for sales ops."""

    user_id: str | None
    kind: str
    error: str
    when: datetime


def ops_overview(
    tx: UnitOfWork, workspace_id: str, *, failures: int = 5
) -> tuple[list[ScheduleSummary], list[DeliveryFailure]]:
    """What sales ops' App Home shows: every schedule, and the latest refused messages."""
    refused = [
        DeliveryFailure(d.recipient_user_id, d.kind, d.last_error or "failed", d.created_at)
        for d in outbox.recent(tx, workspace_id=workspace_id, statuses=["failed"], limit=failures)
    ]
    return summaries(tx, workspace_id), refused


@dataclass(frozen=True)
class PromptsHome:
    """The reflection part of a home tab: the person's own reflections (only ever theirs),
    and for sales ops the schedules with the latest refused messages."""

    audience: str
    reflections: list[PastReflection] = field(default_factory=list)
    schedules: list[ScheduleSummary] = field(default_factory=list)
    failures: list[DeliveryFailure] = field(default_factory=list)


def home_section(tx: UnitOfWork, *, workspace_id: str, user_id: str, audience: str) -> PromptsHome:
    if audience == "unknown":
        return PromptsHome(audience=audience)
    mine = past_reflections(tx, workspace_id=workspace_id, user_id=user_id)
    if audience == "sales_ops":
        listed, failures = ops_overview(tx, workspace_id)
        return PromptsHome(audience, mine, listed, failures)
    return PromptsHome(audience, mine)


def list_teams(tx: UnitOfWork, workspace_id: str) -> list[str]:
    teams = {p.team for p in PeopleRepo(tx.session, workspace_id).all() if p.team}
    return sorted(str(t) for t in teams)


@dataclass(frozen=True)
class ScheduleForm:
    teams: list[str]
    summary: ScheduleSummary | None


def form_data(
    *, uow: UnitOfWorkFactory, workspace_id: str, actor: str, ref: int | None = None
) -> ScheduleForm:
    """What the new/edit modal needs. Raises PermissionDenied for anyone but sales ops."""
    with uow() as tx:
        _require_ops(tx, workspace_id, actor)
        summary = _summary(tx, _find(tx, workspace_id, ref)) if ref is not None else None
        return ScheduleForm(teams=list_teams(tx, workspace_id), summary=summary)


# --------------------------------------------------------------------------------------------
# audience


def resolve_audience(
    people: Sequence[PersonRow], kind: str, values: Iterable[str]
) -> list[PersonRow]:
    """Who gets the prompt, from the roster as it is now (active people only)."""
    active = [p for p in people if p.active]
    wanted = {v.lower() for v in values}
    if kind == "people":
        chosen = [p for p in active if p.user_id.lower() in wanted]
    else:
        managers = [p for p in active if p.role == "manager"]
        if kind == "second_line":
            leads = {p.manager_id for p in managers if p.manager_id}
            chosen = [m for m in managers if m.user_id in leads]
        elif kind == "team":
            chosen = [m for m in managers if (m.team or "").lower() in wanted]
        else:
            chosen = managers
    return sorted(chosen, key=lambda p: p.user_id)


# --------------------------------------------------------------------------------------------
# preview


def preview(
    *, uow: UnitOfWorkFactory, workspace_id: str, ref: int | str, start: date, days: int
) -> tuple[ScheduleSummary, list[PreviewLine]]:
    """Each recipient's occurrences from `start` (their local midnight) for `days` days,
    including the ones that would be skipped (weekend, holiday) with the reason."""
    if not 1 <= days <= 366:
        raise ScheduleInvalid({"days": "Preview 1 to 366 days."})
    with uow() as tx:
        row = _find(tx, workspace_id, ref)
        summary = _summary(tx, row)
        people = resolve_audience(
            PeopleRepo(tx.session, workspace_id).all(), row.audience_kind, row.audience_values
        )
        countries = _countries(tx, workspace_id)
        cadence = cadence_of(row)
    lookup = HolidayCalendar(tuple(countries)) if cadence.skip_holidays else None
    lines: list[PreviewLine] = []
    for person in people:
        if not person.timezone:
            lines.append(PreviewLine(person.user_id, person.name, None, None, None, "no time zone"))
            continue
        tzinfo = zone(person.timezone)
        begin = datetime.combine(start, time(0), tzinfo).astimezone(UTC)
        end = datetime.combine(start + timedelta(days=days), time(0), tzinfo).astimezone(UTC)
        for occ in occurrences(
            cadence, person.timezone, begin, end, holiday_countries=lookup or ()
        ):
            lines.append(
                PreviewLine(
                    person.user_id,
                    person.name,
                    person.timezone,
                    occ.local,
                    occ.utc,
                    occ.skipped_reason,
                )
            )
    return summary, lines


def _countries(tx: UnitOfWork, workspace_id: str) -> list[str]:
    workspace = WorkspaceRepo(tx.session).get(workspace_id)
    return list(workspace.holiday_countries or []) if workspace is not None else []


# --------------------------------------------------------------------------------------------
# planning


@dataclass(frozen=True)
class _Candidate:
    person_id: str
    timezone: str
    occurrence: Occurrence
    skip: str | None  # reason, or None to send


def prompt_key(schedule_id: int, user_id: str, occurrence_key: str) -> str:
    return f"prompt:{schedule_id}:{user_id}:{occurrence_key}"


def followup_key(schedule_id: int, user_id: str, occurrence_key: str) -> str:
    return f"prompt-followup:{schedule_id}:{user_id}:{occurrence_key}"


def plan_due(
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    messages: PromptMessages,
    is_out_of_office: OutOfOfficeCheck | None = None,
    state: PlannerState | None = None,
    lookahead: timedelta = timedelta(minutes=1),
    catch_up: timedelta = timedelta(days=3),
    batch: int = 200,
) -> PlanResult:
    """One planning tick: record every occurrence due in the window exactly once.

    Safe to run concurrently in any number of processes. `lookahead` lets the outbox send on
    the minute rather than up to one tick late; `catch_up` is how far back a process that was
    down looks for occurrences to record (as skipped "late", or sent if within the grace).
    """
    now = clock.now()
    result = PlanResult()
    with uow() as tx:
        workspaces = [w.team_id for w in WorkspaceRepo(tx.session).all()]
        for workspace_id in workspaces:
            result.settled += _settle(tx, workspace_id, now)
        tx.commit()
        active = ScheduleRepo.active_ids(tx.session)
    holidays: dict[str, HolidayLookup] = {}
    for workspace_id, schedule_id in active:
        try:
            result.add(
                _plan_schedule(
                    uow=uow,
                    now=now,
                    workspace_id=workspace_id,
                    schedule_id=schedule_id,
                    messages=messages,
                    is_out_of_office=is_out_of_office,
                    state=state,
                    lookahead=lookahead,
                    catch_up=catch_up,
                    batch=batch,
                    holidays=holidays,
                )
            )
        except (ScheduleError, CalendarError, PromptError) as exc:
            # One broken schedule (say, a holiday country removed from the library) must not
            # stop the others; it is logged every tick until sales ops fixes it.
            log.error("schedule_unplannable", schedule=schedule_id, error=str(exc))
    if result.planned or result.skipped:
        log.info(
            "prompts_planned",
            planned=result.planned,
            skipped=dict(result.skipped),
            lost_races=result.lost_races,
        )
    return result


def _settle(tx: UnitOfWork, workspace_id: str, now: datetime) -> int:
    """Copy the outbox's outcome onto occurrences: sent, failed (with Slack's error, for sales
    ops), or skipped "late" when it expired unsent. Reminders of unsent prompts are withdrawn."""
    settled = 0
    for occurrence, delivery in OccurrenceRepo(tx.session, workspace_id).settled_deliveries():
        if delivery.status == "sent":
            occurrence.status = "sent"
        else:
            if delivery.status == "failed":
                occurrence.status, occurrence.reason = "failed", delivery.last_error or "failed"
            else:
                reason = "late" if delivery.last_error == "expired" else "cancelled"
                occurrence.status, occurrence.reason = "skipped", reason
            for key in occurrence.reminder_keys or []:
                outbox.cancel(tx, workspace_id=workspace_id, dedupe_key=key)
        occurrence.updated_at = now
        settled += 1
    return settled


def _plan_schedule(
    *,
    uow: UnitOfWorkFactory,
    now: datetime,
    workspace_id: str,
    schedule_id: int,
    messages: PromptMessages,
    is_out_of_office: OutOfOfficeCheck | None,
    state: PlannerState | None,
    lookahead: timedelta,
    catch_up: timedelta,
    batch: int,
    holidays: dict[str, HolidayLookup],
) -> PlanResult:
    result = PlanResult()
    # Phase 1, reading: which occurrences in the window have no row yet?
    with uow() as tx:
        row = ScheduleRepo(tx.session, workspace_id).get(schedule_id)
        if row is None or row.paused:
            return result
        version, grace = row.version, timedelta(minutes=row.grace_minutes)
        cadence = cadence_of(row)
        window_start = max(now - catch_up, row.planning_from)
        if state is not None:
            seen = state.covered_until.get((schedule_id, version))
            if seen is not None:
                # Overlap by the grace: a roster or time-zone change can make an occurrence
                # that is still deliverable appear behind the previous window.
                window_start = max(window_start, seen - grace - lookahead)
        window_end = now + lookahead
        if workspace_id not in holidays:
            holidays[workspace_id] = HolidayCalendar(tuple(_countries(tx, workspace_id)))
        people = resolve_audience(
            PeopleRepo(tx.session, workspace_id).all(), row.audience_kind, row.audience_values
        )
        done = OccurrenceRepo(tx.session, workspace_id).keys_since(
            schedule_id, window_start - timedelta(days=1)
        )
        snoozed = PrefsRepo(tx.session, workspace_id).snoozed_after(window_start)
    lookup = holidays[workspace_id] if cadence.skip_holidays else None
    by_zone: dict[str, list[Occurrence]] = {}
    candidates: list[_Candidate] = []
    for person in people:
        if not person.timezone:
            result.no_timezone += 1
            continue
        if person.timezone not in by_zone:
            try:
                by_zone[person.timezone] = occurrences(
                    cadence,
                    person.timezone,
                    window_start,
                    window_end,
                    holiday_countries=lookup or (),
                )
            except ScheduleError:
                log.warning("bad_timezone", user=person.user_id, tz=person.timezone)
                by_zone[person.timezone] = []
        for occ in by_zone[person.timezone]:
            if (person.user_id, occ.key) in done:
                continue
            candidates.append(
                _Candidate(
                    person.user_id,
                    person.timezone,
                    occ,
                    _skip(occ, now, grace, snoozed.get(person.user_id)),
                )
            )
    if not candidates:
        if state is not None:
            state.covered_until[(schedule_id, version)] = window_end
        return result
    # Phase 2, no transaction open: Slack status checks (users.info, cached) may be slow.
    away: dict[str, bool] = {}
    if is_out_of_office is not None:
        for candidate in candidates:
            if candidate.skip is None and candidate.person_id not in away:
                away[candidate.person_id] = _safe_ooo(
                    is_out_of_office, workspace_id, candidate.person_id
                )
    candidates = [
        replace(c, skip="out_of_office") if c.skip is None and away.get(c.person_id) else c
        for c in candidates
    ]
    # Phase 3, writing, in batches; the unique key settles any race with another replica.
    complete = True
    for start in range(0, len(candidates), batch):
        chunk = candidates[start : start + batch]
        written = _write(
            uow=uow,
            now=now,
            workspace_id=workspace_id,
            schedule_id=schedule_id,
            version=version,
            chunk=chunk,
            messages=messages,
            grace=grace,
        )
        if written is None:  # paused, deleted or edited meanwhile: next tick starts afresh
            complete = False
            break
        result.add(written)
    if complete and state is not None:
        state.covered_until[(schedule_id, version)] = window_end
    return result


def _skip(
    occ: Occurrence, now: datetime, grace: timedelta, snoozed_until: datetime | None
) -> str | None:
    if occ.skipped_reason is not None:
        return occ.skipped_reason
    if due_decision(occ.utc, now, grace) == "skip_late":
        return "late"
    if snoozed_until is not None and snoozed_until > occ.utc:
        return "snoozed"
    return None


def _safe_ooo(check: OutOfOfficeCheck, workspace_id: str, user_id: str) -> bool:
    """A status lookup that fails (rate limit, network) counts as "in the office": a prompt
    too many is better than one silently lost."""
    try:
        return bool(check(workspace_id, user_id))
    except Exception as exc:
        log.warning("out_of_office_check_failed", user=user_id, error=type(exc).__name__)
        return False


def _write(
    *,
    uow: UnitOfWorkFactory,
    now: datetime,
    workspace_id: str,
    schedule_id: int,
    version: int,
    chunk: Sequence[_Candidate],
    messages: PromptMessages,
    grace: timedelta,
) -> PlanResult | None:
    result = PlanResult()
    with uow() as tx:
        row = ScheduleRepo(tx.session, workspace_id).lock_for_planning(schedule_id)
        if row is None or row.paused or row.version != version:
            return None
        occurrences_repo = OccurrenceRepo(tx.session, workspace_id)
        history: dict[str, list[str]] | None = None
        lib = None
        for candidate in chunk:
            occ = candidate.occurrence
            record = PromptOccurrenceRow(
                workspace_id=workspace_id,
                schedule_id=schedule_id,
                user_id=candidate.person_id,
                occurrence_key=occ.key,
                occurs_at=occ.utc,
                timezone=candidate.timezone,
                status="skipped" if candidate.skip else "planned",
                reason=candidate.skip,
                reminder_keys=[],
                created_at=now,
                updated_at=now,
            )
            if candidate.skip is None:
                if lib is None:
                    lib = library(tx, workspace_id)
                    history = occurrences_repo.prompt_history(schedule_id)
                assert history is not None
                context = week_context(
                    tx, workspace_id=workspace_id, user_id=candidate.person_id, now=now
                )
                sent = history.setdefault(candidate.person_id, [])
                try:
                    prompt = choose_prompt(
                        lib,
                        mode=_mode(row.prompt_mode),
                        tag=row.prompt_tag,
                        fixed_ids=row.prompt_ids,
                        already_sent_ids=sent,
                        context=context,
                        seed=f"{schedule_id}:{candidate.person_id}",
                    )
                except PromptError:
                    # The selection emptied since it was saved: fall back to the whole library
                    # rather than leave a manager without their prompt.
                    prompt = choose_prompt(
                        lib,
                        mode="rotation",
                        already_sent_ids=sent,
                        context=context,
                        seed=f"{schedule_id}:{candidate.person_id}",
                    )
                record.prompt_id = prompt.id
                record.prompt_text = render(prompt, context)
            if not occurrences_repo.add_once(record):
                result.lost_races += 1
                continue
            if candidate.skip is not None:
                result.skipped[candidate.skip.split(":")[0]] += 1
                continue
            assert history is not None
            assert record.prompt_id is not None
            history[candidate.person_id].append(record.prompt_id)
            _enqueue(tx, row, record, messages=messages, now=now, grace=grace)
            result.planned += 1
        tx.commit()
    return result


def _enqueue(
    tx: UnitOfWork,
    schedule: ScheduleRow,
    record: PromptOccurrenceRow,
    *,
    messages: PromptMessages,
    now: datetime,
    grace: timedelta,
) -> None:
    key = prompt_key(schedule.id, record.user_id, record.occurrence_key)
    card = PromptCard(
        occurrence_id=record.id,
        message_key=key,
        prompt_text=record.prompt_text or "",
        schedule_name=schedule.name,
    )
    record.delivery_id = outbox.post(
        tx,
        workspace_id=schedule.workspace_id,
        kind="prompt",
        dedupe_key=key,
        message=messages.prompt(card),
        now=now,
        to_user=record.user_id,
        due_at=record.occurs_at,
        expires_at=record.occurs_at + grace,
    )
    if schedule.reminder_hours:
        follow = followup_key(schedule.id, record.user_id, record.occurrence_key)
        due = record.occurs_at + timedelta(hours=schedule.reminder_hours)
        outbox.post(
            tx,
            workspace_id=schedule.workspace_id,
            kind="prompt_followup",
            dedupe_key=follow,
            message=messages.prompt(replace(card, message_key=follow, kind="followup")),
            now=now,
            to_user=record.user_id,
            due_at=due,
            expires_at=due + grace,
        )
        record.reminder_keys = [follow]
