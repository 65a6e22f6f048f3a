"""The scripted week: the real app, the Slack emulator, a sample company, an accelerated clock.

Everything the people do goes in the way Slack would send it (signed HTTP requests to the app's
``/slack/events``); everything Enabler does comes out through the emulator, which refuses what
Slack would refuse. Time is a :class:`~bot.clock.FixedClock` moved by the script; the timers'
functions (the reflection planner, the outbox worker, the coaching sweep) are called on each
tick instead of waiting for a real scheduler, so a week takes seconds.

Each step checks that what it shows really happened (rows in the database, messages in the
emulator) and raises :class:`DemoFailure` otherwise: the demo never prints a story that did not
take place.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.clock import FixedClock
from bot.db.rows import (
    CoachingRequestRow,
    DeliveryRow,
    InboxEventRow,
    NudgeActionRow,
    NudgeRow,
    PromptOccurrenceRow,
    ReflectionRow,
    SignalRow,
)
from bot.demo.company import Company, Person, Team
from bot.demo.record import (
    Conversation,
    ConvMessage,
    DemoRecord,
    Entry,
    JSONDict,
    LedgerLine,
    PromptLine,
    Step,
    Where,
)
from bot.devtools.blockkit import validate_message_blocks, validate_view
from bot.devtools.emulator import Message, SlackEmulator
from bot.devtools.harness import Harness, wait_for
from bot.services import coaching as coaching_service
from bot.services import ledger as ledger_service
from bot.services import one_on_ones, roster
from bot.services import schedules as schedule_service
from bot.services.org import load_org
from bot.slack import ids
from bot.slack.blocks import nudges as nudge_blocks
from bot.slack.blocks.coaching import cadence_note
from bot.slack.listeners.reflection import prompt_planner

T = TypeVar("T")

#: Sunday 15 March 2026, 18:00 UTC: sales ops sets things up before the week starts. The week
#: then runs Monday 16 to Friday 20 March (no DST change in any of the three zones that week).
WEEK_START = datetime(2026, 3, 15, 18, 0, tzinfo=UTC)
TICK = timedelta(minutes=15)
WAIT_SECONDS = 15.0
SCHEDULE_NAME = "Monday reflection"
ENABLER = "Enabler"

StepHook = Callable[[Step], None]


class DemoFailure(Exception):  # noqa: N818 - reads as "the demo failed"
    """A step did not happen as scripted: the product (or the demo) is broken."""


@dataclass(frozen=True)
class Options:
    database_url: str
    seed: int = 0
    pause: float = 0.0  # seconds between steps, for readability (0 with --fast)
    wait_seconds: float = WAIT_SECONDS  # how long a step waits for the app before failing


def local(at: datetime, tz: str) -> datetime:
    return at.astimezone(ZoneInfo(tz))


class DemoRun:
    """One run of the scripted week. Use :func:`run_demo`, or as a context manager to keep the
    app and the emulator up afterwards (``enabler demo --keep``)."""

    def __init__(self, company: Company, options: Options, on_step: StepHook | None = None):
        self.company = company
        self.options = options
        self.on_step = on_step or (lambda step: None)
        self.clock = FixedClock(WEEK_START)
        self.harness = Harness(options.database_url, clock=self.clock)
        # The emulator stamps messages with the demo's clock, so every ts and permalink is in
        # the demo's week rather than today.
        self.harness.emulator = SlackEmulator(clock=lambda: self.clock.now().timestamp())
        self.record = DemoRecord(
            seed=options.seed,
            names=company.names() | {self.harness.emulator.bot_user_id: ENABLER},
            roles={p.user_id: p.role for p in company.people()},
            titles={p.user_id: p.title for p in company.people()},
            timezones={p.user_id: p.tz for p in company.people()},
            channels=company.channels(),
        )
        self._seen_calls = 0
        self._responses: list[tuple[str, str, int]] = []  # (url, user, already seen)
        self._ts_counter = 0
        self._requests = 0  # signed requests sent to the app
        self._planner: Callable[[], object] | None = None
        self._step: Step | None = None
        self._started = 0.0

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> DemoRun:
        self._started = time.monotonic()
        self.harness.start()
        emulator = self.harness.emulator
        for person in self.company.people():
            emulator.add_user(
                person.user_id, name=person.handle, real_name=person.name, tz=person.tz
            )
        for channel_id, name in self.company.channels().items():
            emulator.add_channel(channel_id, name=name)
        self._planner = prompt_planner(self.harness.runtime.deps)
        self.record.database_url = self.options.database_url
        self.record.slack_api_url = emulator.api_url
        self.record.app_url = self.harness.server.url
        return self

    def stop(self) -> None:
        self.harness.stop()

    def __enter__(self) -> DemoRun:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def team_id(self) -> str:
        return self.harness.team_id

    # -- the week -----------------------------------------------------------------------------

    def play(self) -> DemoRecord:
        """All the steps, in the order they happen in the week. Raises DemoFailure."""
        americas, emea, apac = self.company.teams
        self.setup()
        self.monday_prompts(answered_by=apac.manager, snoozed_by=emea.manager)
        self.takeover_then_coach_instead(americas)
        self.huddle_then_it_was_needed(emea)
        self.coaching_questions_count_as_enabling(apac)
        self.coaching_request(americas, open_in=emea)
        self.weekly_view()
        self.final_checks()
        self.record.conversations = self.conversations()
        self.record.wall_seconds = time.monotonic() - self._started
        return self.record

    def setup(self) -> None:
        ops = self.company.sales_ops
        with self.step(
            0,
            "Sunday: sales ops sets Enabler up",
            f"{ops.name} loads the roster, marks the deal channels and schedules a Monday "
            "reflection for every first-line manager, at 09:00 in their own time zone.",
        ) as step:
            deps = self.harness.runtime.deps
            result = roster.import_roster(
                uow=deps.uow,
                clock=self.clock,
                workspace_id=self.team_id,
                csv_text=self.company.roster_csv(),
            )
            roster.add_deal_channel(
                uow=deps.uow,
                clock=self.clock,
                workspace_id=self.team_id,
                pattern="deal-*",
                by=ops.user_id,
            )
            teams = tuple(t.name for t in self.company.teams)
            summary = schedule_service.create_schedule(
                uow=deps.uow,
                clock=self.clock,
                workspace_id=self.team_id,
                spec=schedule_service.ScheduleSpec(
                    name=SCHEDULE_NAME,
                    audience="team",
                    audience_values=teams,
                    days="mon",
                    at="09:00",
                    prompt_mode="rotation",
                ),
                actor=ops.user_id,
            )
            _, lines = schedule_service.preview(
                uow=deps.uow,
                workspace_id=self.team_id,
                ref=summary.id,
                start=(WEEK_START + timedelta(days=1)).date(),
                days=1,
            )
            instants = sorted(
                (line for line in lines if line.utc is not None), key=lambda x: x.utc or WEEK_START
            )
            if len(instants) != 3 or len({line.utc for line in instants}) != 3:
                raise DemoFailure(
                    "the Monday schedule should reach three managers at three instants"
                )
            for line in instants:
                assert line.local is not None
                assert line.utc is not None
                self.record.prompts.append(
                    PromptLine(
                        line.user_id,
                        line.name or line.user_id,
                        line.timezone or "UTC",
                        line.local,
                        line.utc,
                        "waiting",
                    )
                )
            preview = "\n".join(
                f"• {line.name}: {line.local:%a %H:%M} {line.timezone} = {line.utc:%a %H:%M} UTC"
                for line in instants
                if line.local is not None and line.utc is not None
            )
            channels = ", ".join(f"#{t.channel_name}" for t in self.company.teams)
            self.add(
                Entry(
                    kind="setup",
                    at=self.clock.now(),
                    where=Where("setup"),
                    author=ops.name,
                    author_id=ops.user_id,
                    viewer_id=ops.user_id,
                    text=(
                        f"*Roster:* {result.created} people (1 sales ops lead, 1 second-line "
                        f"leader, {len(self.company.teams)} managers, "
                        f"{sum(len(t.reps) for t in self.company.teams)} reps)\n"
                        f"*Deal channels:* `deal-*` ({channels})\n"
                        f"*Schedule:* {summary.name}, {summary.cadence.lower()}, "
                        f"{summary.audience}\n{preview}"
                    ),
                )
            )
            step.summary = (
                f"{result.created} people on the roster, deal-* watched, "
                f"“{SCHEDULE_NAME}” planned for 3 managers at 3 different UTC instants"
            )

    def monday_prompts(self, *, answered_by: Person, snoozed_by: Person) -> None:
        with self.step(
            1,
            "Monday 09:00, three time zones: a reflection prompt",
            "Each manager gets the same prompt at 09:00 their time: Sydney first, then London, "
            "then New York. One answers it, one asks to be reminded later.",
        ) as step:
            deps = self.harness.runtime.deps
            outcome: dict[str, str] = {}
            for line in self.record.prompts:
                self.run_until(line.utc)
                dm = self.wait(
                    partial(self._first_dm, line.manager_id, "prompt_actions"),
                    f"{line.name}'s reflection prompt did not arrive at 09:00 local",
                )
                sent_at = datetime.fromtimestamp(float(dm.ts), UTC)
                if abs(sent_at - line.utc) > timedelta(minutes=1):
                    raise DemoFailure(
                        f"{line.name}'s prompt arrived at {sent_at:%H:%M} UTC, "
                        f"not {line.utc:%H:%M} UTC"
                    )
                person = self.company.person(line.manager_id)
                if person.user_id == answered_by.user_id:
                    self.advance(timedelta(minutes=12))
                    self.click(person, dm, ids.ACTION_PROMPT_ANSWER)
                    view = self.wait_modal(person, ids.VIEW_REFLECTION)
                    self.submit(
                        person,
                        view,
                        {
                            "reflection": {
                                "reflection_text": {
                                    "type": "plain_text_input",
                                    "value": "Liam's ready to run the Initech security review "
                                    "himself. I'll prep him on Wednesday and stay off the call.",
                                }
                            }
                        },
                    )
                    self.drain()
                    self.wait(
                        partial(self._reflection, person.user_id, "answered"),
                        f"{person.name}'s reflection was not saved",
                    )
                    outcome[person.user_id] = "answered"
                elif person.user_id == snoozed_by.user_id:
                    self.advance(timedelta(minutes=20))
                    self.click(person, dm, ids.ACTION_PROMPT_LATER)
                    self.wait(
                        lambda: self._rows(DeliveryRow, lambda d: d.dedupe_key.endswith(":later1")),
                        "Remind me in 2 hours did not schedule a reminder",
                    )
                    self.drain()
                    back_at = self.clock.now() + timedelta(hours=2)
                    self.run_until(back_at)
                    self.wait(
                        partial(self._has_dms, person.user_id, 2),
                        f"{person.name}'s prompt did not come back two hours later",
                    )
                    outcome[person.user_id] = "snoozed"
                else:
                    outcome[person.user_id] = "waiting"
            self.record.prompts = [
                PromptLine(p.manager_id, p.name, p.tz, p.local, p.utc, outcome[p.manager_id])
                for p in self.record.prompts
            ]
            self.advance(TICK)  # the next tick copies the outbox's outcome onto occurrences
            with deps.uow() as tx:
                occurrences = list(tx.session.scalars(select(PromptOccurrenceRow)))
            sent = [o for o in occurrences if o.status == "sent"]
            if len(sent) != 3:
                raise DemoFailure(f"expected 3 prompts sent, found {len(sent)}")
            when = ", ".join(
                f"{p.name.split()[0]} {local(p.utc, p.tz):%H:%M} local = {p.utc:%a %H:%M} UTC"
                for p in self.record.prompts
            )
            step.summary = (
                f"3 prompts at 09:00 local ({when}); {answered_by.first_name} answered, "
                f"{snoozed_by.first_name} snoozed 2 h and got it back"
            )

    def takeover_then_coach_instead(self, team: Team) -> None:
        manager, rep = team.manager, team.reps[0]
        with self.step(
            2,
            f"Tuesday: {manager.first_name} takes over {rep.first_name}'s thread",
            f"In #{team.channel_name}, {manager.first_name} steps in with “leave it with me”. "
            "Enabler nudges her privately within seconds; she clicks Coach instead, and her "
            f"questions land in {rep.first_name}'s thread.",
        ) as step:
            self.run_until(self._at(manager, 2, 10, 0))
            root = self.say(
                rep,
                team,
                f"{team.account} procurement wants 20% off and the signed contract by Friday. "
                "I'm on a call with their CFO tomorrow.",
            )
            self.advance(timedelta(minutes=4))
            self.say(
                manager,
                team,
                "Leave it with me, I'll send the contract to their CFO tonight.",
                thread_ts=root,
            )
            self.drain()
            nudge = self.wait(
                lambda: self._first_dm(manager.user_id, ids.ACTION_NUDGE_COACH),
                f"no nudge DM reached {manager.name} after the takeover",
            )
            self.advance(timedelta(minutes=2))
            self.click(manager, nudge, ids.ACTION_NUDGE_COACH)
            view = self.wait_modal(manager, ids.VIEW_NUDGE_COACH)
            questions = [
                f"What outcome do you want from the call with {team.account}'s CFO?",
                "What would you offer instead of 20% off, and what would you ask for in return?",
                "Want to draft the contract email and walk me through it before it goes out?",
            ]
            self.submit(
                manager,
                view,
                {
                    nudge_blocks.COACH_BLOCK: {
                        nudge_blocks.COACH_INPUT: {
                            "type": "plain_text_input",
                            "value": "\n".join(questions),
                        }
                    }
                },
                note="edited the suggested questions",
            )
            self.drain()
            posted = self.wait(
                lambda: [
                    m
                    for m in self.harness.emulator.thread(team.channel_id, root)
                    if m.username and manager.name in m.username
                ],
                "the coaching questions never appeared in the rep's thread",
            )
            enabling = self._rows(
                SignalRow,
                lambda s: s.manager_id == manager.user_id and s.rule == "nudge.coach_instead",
            )
            if not enabling:
                raise DemoFailure("Coach instead was not recorded as enabling")
            actions = self._rows(NudgeActionRow, lambda a: a.action == "coach_instead")
            if len(posted) != 1 or len(actions) != 1:
                raise DemoFailure("the coaching questions should be posted exactly once")
            step.summary = (
                f"nudge DM to {manager.first_name} only; Coach instead posted 3 questions in "
                f"{rep.first_name}'s thread as “{manager.name} (via Enabler)”; +1 enabling"
            )

    def huddle_then_it_was_needed(self, team: Team) -> None:
        manager, rep = team.manager, team.reps[0]
        with self.step(
            3,
            f"Wednesday: {manager.first_name} joins {rep.first_name}'s huddle",
            f"{rep.first_name} starts a huddle in #{team.channel_name} and {manager.first_name} "
            "jumps in. He gets a nudge; later that afternoon he explains it was needed, "
            "which Enabler records without judgement.",
        ) as step:
            self.run_until(self._at(manager, 3, 14, 0))
            room = {"id": "R0HUDDLE1", "created_by": rep.user_id, "participants": [rep.user_id]}
            huddle_ts = self._next_ts()
            # Shown in the channel's history (the emulator's record) like Slack shows a huddle.
            self.harness.emulator.add_message(
                team.channel_id,
                user=rep.user_id,
                text=f":headphones: {rep.first_name} started a huddle · "
                f"{manager.first_name} joined",
                ts=huddle_ts,
            )
            self.add(
                Entry(
                    kind="huddle",
                    at=self.clock.now(),
                    where=Where("channel", team.channel_id, team.channel_name),
                    author=rep.name,
                    author_id=rep.user_id,
                    viewer_id=rep.user_id,
                    text=f"started a huddle · {team.account} pricing call prep",
                    ts=huddle_ts,
                )
            )
            self.event(
                {
                    "type": "message",
                    "subtype": "huddle_thread",
                    "channel": team.channel_id,
                    "channel_type": "channel",
                    "user": rep.user_id,
                    "text": "",
                    "ts": huddle_ts,
                    "room": room,
                }
            )
            self.advance(timedelta(minutes=5))
            joined = {**room, "participants": [rep.user_id, manager.user_id]}
            self.add(
                Entry(
                    kind="huddle",
                    at=self.clock.now(),
                    where=Where("channel", team.channel_id, team.channel_name),
                    author=manager.name,
                    author_id=manager.user_id,
                    viewer_id=manager.user_id,
                    text=f"joined {rep.first_name}'s huddle",
                )
            )
            self.event(
                {
                    "type": "message",
                    "subtype": "message_changed",
                    "channel": team.channel_id,
                    "channel_type": "channel",
                    "hidden": True,
                    "ts": self._next_ts(),
                    "message": {
                        "type": "message",
                        "subtype": "huddle_thread",
                        "user": rep.user_id,
                        "ts": huddle_ts,
                        "room": joined,
                    },
                    "previous_message": {
                        "type": "message",
                        "subtype": "huddle_thread",
                        "user": rep.user_id,
                        "ts": huddle_ts,
                        "room": room,
                    },
                }
            )
            self.drain()
            nudge = self.wait(
                lambda: self._first_dm(manager.user_id, ids.ACTION_NUDGE_NEEDED),
                f"no nudge DM reached {manager.name} after he joined the huddle",
            )
            self.run_until(self._at(manager, 3, 16, 30))
            self.click(manager, nudge, ids.ACTION_NUDGE_NEEDED)
            view = self.wait_modal(manager, ids.VIEW_NUDGE_NEEDED)
            note = f"{team.account}'s COO escalated a data-residency question and asked for me."
            self.submit(
                manager,
                view,
                {
                    nudge_blocks.NEEDED_BLOCK: {
                        nudge_blocks.NEEDED_INPUT: {
                            "type": "radio_buttons",
                            "selected_option": {"value": "escalation"},
                        }
                    },
                    nudge_blocks.NOTE_BLOCK: {
                        nudge_blocks.NOTE_INPUT: {"type": "plain_text_input", "value": note}
                    },
                },
                note="picked “Customer escalation” and added a note",
            )
            self.drain()
            justified = self.wait(
                lambda: self._rows(
                    SignalRow,
                    lambda s: (
                        s.manager_id == manager.user_id and s.type == "call_join" and s.justified
                    ),
                ),
                "It was needed was not recorded",
            )
            self.wait(
                lambda: any(
                    m.edited_ts and "Noted as needed" in _dump(m.blocks)
                    for m in self._dms(manager.user_id)
                ),
                "the nudge was not confirmed in place after It was needed",
            )
            step.summary = (
                f"call_join noticed, nudge DM to {manager.first_name}; “It was needed” "
                f"(customer escalation) recorded on {len(justified)} signal, kept out of doing"
            )

    def coaching_questions_count_as_enabling(self, team: Team) -> None:
        manager, rep = team.manager, team.reps[0]
        with self.step(
            4,
            f"Thursday: {manager.first_name} coaches in {rep.first_name}'s thread",
            f"{manager.first_name} answers {rep.first_name}'s worry with questions, not "
            "instructions. No nudge: the ledger quietly counts it as enabling.",
        ) as step:
            self.run_until(self._at(manager, 4, 10, 0))
            root = self.say(
                rep,
                team,
                f"{team.account}'s security review has stalled. Their CISO hasn't replied in a "
                "week and procurement won't move without it.",
            )
            self.advance(timedelta(minutes=7))
            self.say(
                manager,
                team,
                "What do you think is really behind the CISO's silence? What's your plan if "
                "procurement pushes back on the timeline?",
                thread_ts=root,
            )
            enabling = self.wait(
                lambda: self._rows(
                    SignalRow,
                    lambda s: s.manager_id == manager.user_id and s.kind == "enabling",
                ),
                f"{manager.name}'s coaching questions were not counted as enabling",
            )
            self.drain()
            nudges = self._rows(NudgeRow, lambda n: n.manager_id == manager.user_id)
            if nudges:
                raise DemoFailure(f"{manager.name} was nudged for coaching: that is a bug")
            step.summary = (
                f"{len(enabling)} enabling signal ({enabling[0].type.replace('_', ' ')}) for "
                f"{manager.first_name}; no nudge, no message: just counted"
            )

    def coaching_request(self, team: Team, *, open_in: Team) -> None:
        manager, rep = team.manager, team.reps[1]
        other_rep = open_in.reps[1]
        with self.step(
            5,
            f"Thursday–Friday: {rep.first_name} asks {manager.first_name} for coaching",
            f"{rep.first_name} asks for help with negotiation; {manager.first_name} accepts, "
            f"they meet on Friday, she logs it and {rep.first_name} rates the session. "
            f"Meanwhile in {open_in.manager.city}, {other_rep.first_name}'s request is still open.",
        ) as step:
            self.run_until(self._at(rep, 4, 11, 0))
            self.command(rep, "coach")
            view = self.wait_modal(rep, ids.VIEW_COACH_REQUEST)
            self.submit(
                rep,
                view,
                {
                    "skill": {
                        "skill": {
                            "type": "static_select",
                            "selected_option": {"value": "negotiation"},
                        }
                    },
                    "context": {
                        "context": {"type": "plain_text_input", "value": f"{team.account} renewal"}
                    },
                    "urgency": {
                        "urgency": {"type": "radio_buttons", "selected_option": {"value": "normal"}}
                    },
                    "preferred_times": {
                        "preferred_times": {"type": "plain_text_input", "value": "Friday afternoon"}
                    },
                    "note": {
                        "note": {
                            "type": "plain_text_input",
                            "value": "They keep asking for a discount. I want to practise "
                            "holding the price without losing the renewal.",
                        }
                    },
                },
            )
            self.drain()
            request_dm = self.wait(
                lambda: self._first_dm(manager.user_id, ids.ACTION_COACH_ACCEPT),
                f"{manager.name} never got {rep.name}'s coaching request",
            )
            self.advance(timedelta(minutes=40))
            self.click(manager, request_dm, ids.ACTION_COACH_ACCEPT)
            accept = self.wait_modal(manager, ids.VIEW_COACH_ACCEPT)
            session_at = self._at(manager, 5, 15, 0)
            self.submit(
                manager,
                accept,
                {
                    "scheduled_for": {
                        "scheduled_for": {
                            "type": "datetimepicker",
                            "selected_date_time": int(session_at.timestamp()),
                        }
                    }
                },
                note=f"picked {local(session_at, manager.tz):%a %d %b, %H:%M}",
            )
            self.drain()
            self.wait(
                lambda: self._request(rep.user_id, "accepted"),
                "accepting the request did not stick",
            )
            # Meanwhile in another team: a request nobody has answered yet.
            self.run_until(self._at(other_rep, 5, 9, 30))
            self.command(other_rep, "coach")
            view = self.wait_modal(other_rep, ids.VIEW_COACH_REQUEST)
            self.submit(
                other_rep,
                view,
                {
                    "skill": {
                        "skill": {
                            "type": "static_select",
                            "selected_option": {"value": "discovery"},
                        }
                    },
                    "context": {
                        "context": {
                            "type": "plain_text_input",
                            "value": f"{open_in.account} expansion",
                        }
                    },
                    "urgency": {
                        "urgency": {"type": "radio_buttons", "selected_option": {"value": "normal"}}
                    },
                },
            )
            self.drain()
            self.wait(
                lambda: self._first_dm(open_in.manager.user_id, ids.ACTION_COACH_ACCEPT),
                f"{open_in.manager.name} never got {other_rep.name}'s request",
            )
            # After the session, the manager logs it and the rep rates it.
            self.run_until(session_at + timedelta(hours=1))
            updated = self.wait(
                lambda: self._first_dm(manager.user_id, ids.ACTION_COACH_LOG_OUTCOME),
                "the accepted request has no Log the session button",
            )
            self.click(manager, updated, ids.ACTION_COACH_LOG_OUTCOME)
            outcome = self.wait_modal(manager, ids.VIEW_COACH_OUTCOME)
            self.submit(
                manager,
                outcome,
                {
                    "worked_on": {
                        "worked_on": {
                            "type": "plain_text_input",
                            "value": "Holding price: trading concessions for a longer term",
                        }
                    },
                    "next_steps": {
                        "next_steps": {
                            "type": "plain_text_input",
                            "value": f"{rep.first_name} leads the {team.account} call on Tuesday; "
                            "we debrief after",
                        }
                    },
                },
            )
            self.drain()
            question = self.wait(
                lambda: self._first_dm(rep.user_id, f"{ids.ACTION_COACH_RATE_PREFIX}5"),
                f"{rep.name} was never asked whether the session helped",
            )
            self.advance(timedelta(minutes=25))
            self.click(rep, question, f"{ids.ACTION_COACH_RATE_PREFIX}5")
            rated = self.wait(
                lambda: self._request(rep.user_id, "rated"), "the rating was not saved"
            )
            self.drain()
            step.summary = (
                f"request → accepted → session logged → rated {rated.rating}/5 by "
                f"{rep.first_name}; {other_rep.first_name}'s request to "
                f"{open_in.manager.first_name} still open"
            )

    def weekly_view(self) -> None:
        vp, ops = self.company.second_line, self.company.sales_ops
        with self.step(
            6,
            "Friday evening: the week at a glance",
            "Everyone opens Enabler's App Home. Managers see their own doing-vs-enabling "
            "ledger, their reps' 1:1s and open requests; their leader sees coverage, never "
            "private notes or nudges.",
        ) as step:
            self.run_until(self._at(self.company.teams[0].manager, 5, 17, 30))
            viewers = [t.manager for t in self.company.teams] + [
                vp,
                ops,
                self.company.teams[0].reps[1],
            ]
            for person in viewers:
                self.open_home(person)
            deps = self.harness.runtime.deps
            now = self.clock.now()
            with deps.uow() as tx:
                org = load_org(tx, self.team_id)
                coverage = {
                    row.manager_id: row
                    for row in one_on_ones.coverage(
                        tx,
                        workspace_id=self.team_id,
                        leader_id=vp.user_id,
                        org=org,
                        now=now,
                        today=coaching_service.today_for(tx, self.team_id, vp.user_id, now),
                    )
                }
                for team in self.company.teams:
                    m = team.manager
                    own = ledger_service.manager_ledger(
                        tx,
                        workspace_id=self.team_id,
                        manager_id=m.user_id,
                        viewer_id=m.user_id,
                        now=now,
                    )
                    if own is None:
                        raise DemoFailure(f"{m.name} cannot see their own ledger")
                    counts = own.week.counts
                    open_requests = coaching_service.open_requests_to(
                        tx, workspace_id=self.team_id, manager_id=m.user_id, org=org
                    )
                    cov = coverage.get(m.user_id)
                    self.record.ledger.append(
                        LedgerLine(
                            manager_id=m.user_id,
                            name=m.name,
                            team=team.name,
                            tz=m.tz,
                            doing=counts.doing,
                            enabling=counts.enabling,
                            justified=counts.justified,
                            one_on_ones=_coverage_label(cov),
                            open_requests=len(open_requests),
                        )
                    )
            for person in viewers:
                home = self.harness.emulator.home_view(person.user_id)
                if home is None:
                    raise DemoFailure(f"no App Home was published for {person.name}")
                self.record.homes[person.user_id] = home
            maya = self.record.ledger[0]
            if (maya.doing, maya.enabling) < (1, 1):
                raise DemoFailure(f"{maya.name}'s ledger should show doing and enabling")
            if "Doing vs enabling" not in _dump(self.record.homes[maya.manager_id]):
                raise DemoFailure("the manager's App Home has no ledger")
            if self.record.ledger[1].open_requests < 1:
                raise DemoFailure("the open coaching request is not on the manager's App Home")
            step.summary = (
                "; ".join(
                    f"{line.name.split()[0]} {line.doing} doing · {line.enabling} enabling"
                    + (f" · {line.justified} needed" if line.justified else "")
                    for line in self.record.ledger
                )
                + f"; homes published for {len(viewers)} people"
            )

    def conversations(self) -> list[Conversation]:
        """Every channel and DM as it stands at the end of the week, threads folded in."""
        emulator = self.harness.emulator
        names = self.record.names

        def convert(message: Message, replies: tuple[ConvMessage, ...] = ()) -> ConvMessage:
            person = message.user if message.user in self.record.roles else None
            author = message.username or (names.get(person or "", ENABLER) if person else ENABLER)
            if message.username:
                person = next((u for u, n in names.items() if message.username.startswith(n)), None)
            return ConvMessage(
                ts=message.ts,
                author=author,
                author_id=person,
                text=message.text,
                blocks=message.blocks,
                edited=message.edited_ts is not None,
                replies=replies,
            )

        def thread(messages: list[Message]) -> tuple[ConvMessage, ...]:
            roots = [m for m in messages if m.thread_ts in (None, m.ts)]
            out = []
            for root in sorted(roots, key=lambda m: float(m.ts)):
                replies = sorted(
                    (m for m in messages if m.thread_ts == root.ts and m.ts != root.ts),
                    key=lambda m: float(m.ts),
                )
                out.append(convert(root, tuple(convert(r) for r in replies)))
            return tuple(out)

        found: list[Conversation] = []
        for team in self.company.teams:
            messages = emulator.messages(team.channel_id)
            if messages:
                found.append(
                    Conversation(
                        "channel", team.channel_id, f"#{team.channel_name}", None, thread(messages)
                    )
                )
        for person in self.company.people():
            channel = emulator.dm_channel(person.user_id)
            if channel is not None and emulator.messages(channel):
                found.append(
                    Conversation(
                        "dm",
                        channel,
                        person.name,
                        person.user_id,
                        thread(emulator.messages(channel)),
                    )
                )
        return found

    def final_checks(self) -> None:
        """Nothing sent twice, nothing Slack would refuse, every message and view valid."""
        problems = check_record(self.harness)
        self.record.problems = problems
        emulator = self.harness.emulator
        self.record.counts = {
            "web_api_calls": len(emulator.calls),
            "messages": len(emulator.calls_to("chat.postMessage")),
            "edits": len(emulator.calls_to("chat.update")),
            "views": sum(
                len(emulator.calls_to(m))
                for m in ("views.open", "views.push", "views.update", "views.publish")
            ),
            "signed_requests": self._requests,
        }
        if problems:
            raise DemoFailure("the run broke Slack's rules:\n  - " + "\n  - ".join(problems))

    # -- steps --------------------------------------------------------------------------------

    @contextmanager
    def step(self, number: int, title: str, blurb: str) -> Iterator[Step]:
        step = Step(number=number, title=title, blurb=blurb)
        self._step = step
        self.record.steps.append(step)
        try:
            yield step
            self.collect()
        except TimeoutError as exc:
            raise DemoFailure(f"Step {number} ({title}): {exc}") from exc
        except DemoFailure as exc:
            raise DemoFailure(f"Step {number} ({title}): {exc}") from exc
        step.ok = True
        self.on_step(step)
        if self.options.pause > 0:
            time.sleep(self.options.pause)

    def add(self, entry: Entry) -> None:
        self.collect()
        assert self._step is not None
        self._step.entries.append(entry)

    # -- time ---------------------------------------------------------------------------------

    def _at(self, person: Person, weekday: int, hour: int, minute: int) -> datetime:
        """Day ``weekday`` (1 = Monday) of the demo's week at hour:minute in ``person``'s zone."""
        monday = (WEEK_START + timedelta(days=1)).date()
        day = monday + timedelta(days=weekday - 1)
        return datetime(
            day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(person.tz)
        ).astimezone(UTC)

    def tick(self) -> None:
        """One round of the server's timers, at the clock's current time."""
        assert self._planner is not None
        self._planner()
        self.harness.runtime.coaching_sweep()
        self.drain()

    def run_until(self, when: datetime) -> None:
        """Move time forward to ``when`` in TICK steps, running the timers on each."""
        if when < self.clock.now():
            raise DemoFailure(f"the script went back in time ({when:%a %H:%M} UTC)")
        while self.clock.now() < when:
            self.clock.set(min(when, self.clock.now() + TICK))
            self.tick()
        self.collect()

    def advance(self, delta: timedelta) -> None:
        self.run_until(self.clock.now() + delta)

    def drain(self) -> None:
        self.harness.runtime.worker.drain()
        self.collect()

    # -- what people do -----------------------------------------------------------------------

    def _next_ts(self) -> str:
        # Whole seconds plus a small counter: never the emulator's own ts (multiples of 100µs).
        self._ts_counter += 1
        return f"{int(self.clock.now().timestamp())}.{self._ts_counter:06d}"

    def event(self, event: Mapping[str, Any]) -> None:
        response = self.harness.sender.event(event)
        self._requests += 1
        if response.status_code != 200:
            raise DemoFailure(f"the app refused an event ({response.status_code})")
        event_id = self.harness.sender.last_event_id

        def processed() -> bool:
            with self.harness.runtime.deps.uow() as tx:
                row = tx.session.get(InboxEventRow, event_id)
                return row is not None and row.processed_at is not None

        self.wait(processed, "the app did not process a Slack event")

    def say(self, person: Person, team: Team, text: str, *, thread_ts: str | None = None) -> str:
        ts = self._next_ts()
        self.harness.emulator.add_message(
            team.channel_id, user=person.user_id, text=text, ts=ts, thread_ts=thread_ts
        )
        event: dict[str, Any] = {
            "type": "message",
            "channel": team.channel_id,
            "channel_type": "channel",
            "user": person.user_id,
            "text": text,
            "ts": ts,
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        self.add(
            Entry(
                kind="post",
                at=self.clock.now(),
                where=Where(
                    "thread" if thread_ts else "channel",
                    team.channel_id,
                    team.channel_name,
                    thread_ts=thread_ts,
                ),
                author=person.name,
                author_id=person.user_id,
                viewer_id=person.user_id,
                text=text,
                ts=ts,
            )
        )
        self.event(event)
        return ts

    def click(self, person: Person, message: Message, action_id: str) -> None:
        label = _button_label(message.blocks or [], action_id) or action_id
        url = self.harness.emulator.new_response_url()
        self._responses.append((url, person.user_id, 0))
        self.add(
            Entry(
                kind="click",
                at=self.clock.now(),
                where=self._where_of(message.channel, message.thread_ts),
                author=person.name,
                author_id=person.user_id,
                viewer_id=person.user_id,
                text=label,
            )
        )
        response = self.harness.sender.block_action(
            person.user_id,
            action_id,
            message=message.to_api(self.team_id),
            channel_id=message.channel,
            response_url=url,
        )
        self._requests += 1
        if response.status_code != 200:
            raise DemoFailure(f"the app refused {person.name}'s click on {label}")

    def submit(self, person: Person, view: JSONDict, values: JSONDict, *, note: str = "") -> None:
        self.add(
            Entry(
                kind="submit",
                at=self.clock.now(),
                where=Where("modal"),
                author=person.name,
                author_id=person.user_id,
                viewer_id=person.user_id,
                text=_submitted_text(view, values),
                view=view,
                note=note,
            )
        )
        response = self.harness.sender.view_submission(person.user_id, view, values)
        self._requests += 1
        body = response.json() if response.content and response.text not in ("null",) else None
        if response.status_code != 200 or (isinstance(body, dict) and body.get("errors")):
            why = json.dumps(body) if body else str(response.status_code)
            raise DemoFailure(f"{person.name}'s form was refused: {why}")
        self.harness.emulator.close_view(str(view.get("id") or ""))

    def command(self, person: Person, text: str) -> None:
        self.add(
            Entry(
                kind="command",
                at=self.clock.now(),
                where=Where("dm", dm_user=person.user_id),
                author=person.name,
                author_id=person.user_id,
                viewer_id=person.user_id,
                text=f"/enabler {text}",
            )
        )
        response = self.harness.sender.command(
            person.user_id, text, channel_id=self.company.general_channel_id
        )
        self._requests += 1
        if response.status_code != 200:
            raise DemoFailure(f"the app refused /enabler {text}")
        if response.content and response.text not in ("null",):
            body = response.json()
            if isinstance(body, dict) and (body.get("text") or body.get("blocks")):
                self.add(
                    Entry(
                        kind="ephemeral",
                        at=self.clock.now(),
                        where=Where("ephemeral"),
                        author=ENABLER,
                        author_id=None,
                        viewer_id=person.user_id,
                        text=str(body.get("text") or ""),
                        blocks=body.get("blocks"),
                        private=True,
                    )
                )

    def open_home(self, person: Person) -> None:
        before = len(self.harness.emulator.calls_to("views.publish"))
        self.event(
            {"type": "app_home_opened", "user": person.user_id, "channel": "D0HOME", "tab": "home"}
        )
        self.wait(
            lambda: len(self.harness.emulator.calls_to("views.publish")) > before,
            f"{person.name}'s App Home was not published",
        )
        self.collect()

    def wait_modal(self, person: Person, callback_id: str) -> JSONDict:
        view = self.wait(
            lambda: next(
                (
                    v
                    for v in reversed(self.harness.emulator.open_views())
                    if v["callback_id"] == callback_id
                ),
                None,
            ),
            f"the {callback_id} modal did not open for {person.name}",
        )
        self.collect(actor=person.user_id)
        return view

    # -- reading the emulator and the database ------------------------------------------------

    def wait(self, check: Callable[[], T | None], failure: str) -> T:
        try:
            return wait_for(lambda: self._drained(check), timeout=self.options.wait_seconds)
        except TimeoutError:
            raise DemoFailure(failure) from None

    def _dms(self, user_id: str) -> list[Message]:
        return self.harness.emulator.dm_messages(user_id)

    def _drained(self, check: Callable[[], T | None]) -> T | None:
        """Send whatever the app queued (it may queue after acking), then look."""
        self.harness.runtime.worker.drain()
        return check()

    def _has_dms(self, user_id: str, count: int) -> bool:
        return len(self._dms(user_id)) >= count

    def _first_dm(self, user_id: str, contains: str) -> Message | None:
        found = [m for m in self._dms(user_id) if contains in _dump(m.blocks)]
        return found[-1] if found else None

    def _rows(self, model: type[T], where: Callable[[T], bool]) -> list[T]:
        with self.harness.runtime.deps.uow() as tx:
            rows = [r for r in tx.session.scalars(select(model)) if where(r)]
            for row in rows:
                tx.session.expunge(row)
            return rows

    def _reflection(self, user_id: str, status: str) -> list[ReflectionRow]:
        return self._rows(ReflectionRow, lambda r: r.user_id == user_id and r.status == status)

    def _request(self, requester_id: str, state: str) -> CoachingRequestRow | None:
        found = self._rows(
            CoachingRequestRow, lambda r: r.requester_id == requester_id and r.state == state
        )
        return found[0] if found else None

    def _where_of(self, channel: str, thread_ts: str | None) -> Where:
        for user_id in self.record.names:
            if self.harness.emulator.dm_channel(user_id) == channel:
                return Where("dm", channel, dm_user=user_id)
        name = self.record.channels.get(channel, channel)
        return Where("thread" if thread_ts else "channel", channel, name, thread_ts=thread_ts)

    def collect(self, actor: str | None = None) -> None:
        """Turn what reached the emulator since last time into transcript entries."""
        if self._step is None:
            return
        emulator = self.harness.emulator
        calls = emulator.calls[self._seen_calls :]
        self._seen_calls += len(calls)
        for call in calls:
            if not call.ok:
                continue
            entry = self._entry_of(call.method, call.args, call.time, actor)
            if entry is not None:
                self._step.entries.append(entry)
        for i, (url, user_id, seen) in enumerate(self._responses):
            posted = emulator.responses(url)
            for payload in posted[seen:]:
                self._step.entries.append(
                    Entry(
                        kind="ephemeral",
                        at=self.clock.now(),
                        where=Where("ephemeral"),
                        author=ENABLER,
                        author_id=None,
                        viewer_id=user_id,
                        text=str(payload.get("text") or ""),
                        blocks=payload.get("blocks"),
                        private=True,
                    )
                )
            self._responses[i] = (url, user_id, len(posted))

    def _entry_of(
        self, method: str, args: JSONDict, at_seconds: float, actor: str | None
    ) -> Entry | None:
        at = datetime.fromtimestamp(at_seconds, UTC)
        if method in ("chat.postMessage", "chat.update"):
            channel = str(args.get("channel") or "")
            if channel in self.record.names:  # a user id: their DM
                channel = self.harness.emulator.dm_channel(channel) or channel
            thread_ts = str(args["thread_ts"]) if args.get("thread_ts") else None
            where = self._where_of(channel, thread_ts)
            username = str(args.get("username") or "")
            author_id = next(
                (u for u, n in self.record.names.items() if username.startswith(n)), None
            )
            return Entry(
                kind="bot" if method == "chat.postMessage" else "edit",
                at=at,
                where=where,
                author=username or ENABLER,
                author_id=author_id if username else None,
                viewer_id=where.dm_user or self._owner_of(channel),
                text=str(args.get("text") or ""),
                blocks=args.get("blocks") if isinstance(args.get("blocks"), list) else None,
                private=where.kind == "dm",
                ts=str(args.get("ts") or "") or None,
                note="edited in place" if method == "chat.update" else "",
            )
        if method in ("views.open", "views.push", "views.update"):
            view = args.get("view")
            if not isinstance(view, dict):
                return None
            return Entry(
                kind="modal",
                at=at,
                where=Where("modal"),
                author=ENABLER,
                author_id=None,
                viewer_id=actor,
                view=view,
                private=True,
            )
        if method == "views.publish":
            view = args.get("view")
            return Entry(
                kind="home",
                at=at,
                where=Where("home"),
                author=ENABLER,
                author_id=None,
                viewer_id=str(args.get("user_id") or ""),
                view=view if isinstance(view, dict) else None,
                private=True,
            )
        if method == "chat.postEphemeral":
            return Entry(
                kind="ephemeral",
                at=at,
                where=Where("ephemeral"),
                author=ENABLER,
                author_id=None,
                viewer_id=str(args.get("user") or ""),
                text=str(args.get("text") or ""),
                blocks=args.get("blocks") if isinstance(args.get("blocks"), list) else None,
                private=True,
            )
        return None

    def _owner_of(self, channel_id: str) -> str | None:
        for team in self.company.teams:
            if team.channel_id == channel_id:
                return team.manager.user_id
        return None


# --------------------------------------------------------------------------------------------
# Checks over the whole run (also used by the tests)


def check_record(harness: Harness) -> list[str]:
    """Everything that must hold after a run, as sentences; [] when all is well."""
    problems = list(harness.emulator.problems)
    sent_keys: dict[str, int] = {}
    for call in harness.emulator.calls_to("chat.postMessage"):
        if not call.ok:
            continue
        metadata = call.args.get("metadata")
        payload = metadata.get("event_payload") if isinstance(metadata, dict) else None
        key = str((payload or {}).get("delivery_id") or (payload or {}).get("id") or "")
        if key:
            sent_keys[key] = sent_keys.get(key, 0) + 1
    problems += [f"delivery {k} was posted {n} times" for k, n in sent_keys.items() if n > 1]
    with harness.runtime.deps.uow() as tx:
        rows = list(tx.session.scalars(select(DeliveryRow)))
    keys = [(r.workspace_id, r.dedupe_key) for r in rows]
    if len(keys) != len(set(keys)):
        problems.append("two outbox rows share a dedupe key")
    unsent = [f"{r.kind}:{r.status}" for r in rows if r.status not in ("sent", "cancelled")]
    if unsent:
        problems.append(f"messages left unsent: {', '.join(sorted(unsent))}")
    posts = [
        (
            str(c.args.get("channel")),
            str(c.args.get("thread_ts") or ""),
            _dump(c.args.get("blocks")),
            str(c.args.get("text")),
        )
        for c in harness.emulator.calls_to("chat.postMessage")
        if c.ok
    ]
    if len(posts) != len(set(posts)):
        problems.append("the same message was posted twice to the same place")
    for call in harness.emulator.calls:
        blocks = call.args.get("blocks")
        if call.ok and isinstance(blocks, list):
            problems += [f"{call.method}: {p}" for p in validate_message_blocks(blocks)]
    for message in harness.emulator.messages():
        if message.blocks:
            problems += [
                f"message {message.ts}: {p}" for p in validate_message_blocks(message.blocks)
            ]
    for call in harness.emulator.calls:
        view = call.args.get("view")
        if call.ok and isinstance(view, dict):
            problems += [f"{call.method}: {p}" for p in validate_view(view)]
    return problems


def _coverage_label(row: one_on_ones.CoverageRow | None) -> str:
    if row is None:
        return "—"
    c = row.coverage
    return f"{c.reps_within_cadence}/{c.reps} reps{cadence_note(c)}"


def _dump(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _button_label(blocks: list[JSONDict], action_id: str) -> str | None:
    for block in blocks:
        elements = list(block.get("elements") or [])
        if isinstance(block.get("accessory"), dict):
            elements.append(block["accessory"])
        for element in elements:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                text = element.get("text") or {}
                return str(text.get("text") or "") if isinstance(text, dict) else None
    return None


def _submitted_text(view: JSONDict, values: JSONDict) -> str:
    """The answers in a submitted modal, as "Label: value" lines."""
    labels: dict[str, str] = {}
    for block in view.get("blocks") or []:
        if block.get("type") == "input" and block.get("block_id"):
            labels[block["block_id"]] = str((block.get("label") or {}).get("text") or "")
    options: dict[tuple[str, str], str] = {}
    for block in view.get("blocks") or []:
        element = block.get("element") or {}
        for option in element.get("options") or []:
            options[(str(block.get("block_id")), str(option.get("value")))] = str(
                (option.get("text") or {}).get("text") or option.get("value")
            )
    lines = []
    for block_id, actions in values.items():
        for state in actions.values():
            value: object = state.get("value")
            if "selected_option" in state:
                chosen = str((state["selected_option"] or {}).get("value") or "")
                value = options.get((block_id, chosen), chosen)
            elif "selected_date_time" in state:
                value = datetime.fromtimestamp(int(state["selected_date_time"]), UTC).strftime(
                    "%a %d %b %H:%M UTC"
                )
            if value:
                label = labels.get(block_id, block_id)
                joiner = " " if label.endswith(("?", ":")) else ": "
                lines.append(f"*{label}*{joiner}{value}")
    return "\n".join(lines)


def run_demo(
    options: Options, *, on_step: StepHook | None = None, seed_company: Company | None = None
) -> DemoRecord:
    """Run the week start to finish and stop everything. Raises DemoFailure."""
    from bot.demo.company import sample_company

    company = seed_company or sample_company(options.seed)
    with DemoRun(company, options, on_step=on_step) as run:
        return run.play()
