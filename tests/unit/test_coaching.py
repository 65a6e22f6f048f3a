from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.coaching import (
    SKILL_IDS,
    SKILLS,
    Accept,
    ActionItem,
    ActionItemInput,
    CoachingRequest,
    Complete,
    Decline,
    Event,
    GoalInput,
    InvalidTransition,
    ManagerCoverage,
    PlanSnapshot,
    Propose,
    Rate,
    RepCadence,
    RepCoverageInput,
    RequestState,
    RequestTiming,
    Skill,
    SkillRating,
    Trend,
    answered_on_time,
    build_agenda,
    carry_over,
    coverage_report,
    debrief_question,
    due_reminder_at,
    is_current,
    is_overdue,
    is_response_overdue,
    manager_coverage,
    next_due,
    order_reps_for_home,
    plan_progress,
    skill_label,
    transition,
    validate_accept,
    validate_coaching_request,
    validate_decline,
    validate_development_plan,
    validate_one_on_one,
    validate_outcome,
    validate_propose,
    validate_rating,
)
from bot.domain.permissions import Org, Person, Role

NOW = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)
TODAY = date(2024, 5, 6)
LATER = NOW + timedelta(days=2)
HOUR = timedelta(hours=1)

# ------------------------------------------------------------------------ skills


def test_skills_taxonomy() -> None:
    assert [s.id for s in SKILLS] == [
        "prospecting",
        "discovery",
        "qualification",
        "demo",
        "objection_handling",
        "negotiation",
        "closing",
        "deal_strategy",
        "account_planning",
        "time_management",
        "other",
    ]
    assert len(SKILL_IDS) == len(SKILLS)


@pytest.mark.parametrize(
    ("skill_id", "label"),
    [
        ("objection_handling", "Objection handling"),
        ("deal_strategy", "Deal strategy"),
        ("retired_skill", "retired_skill"),  # old data outlives taxonomy edits
    ],
)
def test_skill_label(skill_id: str, label: str) -> None:
    assert skill_label(skill_id) == label


# ------------------------------------------------------------------ state machine


def request(state: RequestState = RequestState.REQUESTED, **changes: object) -> CoachingRequest:
    base = CoachingRequest(
        id="cr1",
        requester_id="rep_a",
        manager_id="mgr_a",
        skill="discovery",
        requested_at=NOW - HOUR,
        state=state,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


EVENTS: dict[str, Event] = {
    "accept": Accept(LATER),
    "propose": Propose(LATER),
    "decline": Decline("Busy with QBRs; ask Priya"),
    "complete": Complete("Discovery questions for Acme", "Run them on Thursday"),
    "rate": Rate(4),
}

# Which event applies in which state, and where it leads ('-' = InvalidTransition).
#                 accept      propose     decline     complete     rate
ALLOWED: dict[RequestState, tuple[str, ...]] = {
    RequestState.REQUESTED: ("accepted", "proposed", "declined", "-",         "-"),
    RequestState.PROPOSED:  ("accepted", "proposed", "declined", "-",         "-"),
    RequestState.ACCEPTED:  ("-",        "-",        "-",        "completed", "-"),
    RequestState.DECLINED:  ("-",        "-",        "-",        "-",         "-"),
    RequestState.COMPLETED: ("-",        "-",        "-",        "-",         "rated"),
    RequestState.RATED:     ("-",        "-",        "-",        "-",         "-"),
}  # fmt: skip


def _transition_cases() -> list[tuple[RequestState, str, str]]:
    return [
        (state, event, targets[i])
        for state, targets in ALLOWED.items()
        for i, event in enumerate(EVENTS)
    ]


def test_the_transition_table_covers_every_state() -> None:
    assert set(ALLOWED) == set(RequestState)


@pytest.mark.parametrize(("state", "event", "target"), _transition_cases())
def test_transitions(state: RequestState, event: str, target: str) -> None:
    start = request(state, proposed_for=LATER + HOUR)
    if target == "-":
        with pytest.raises(InvalidTransition) as raised:
            transition(start, EVENTS[event], at=NOW)
        assert raised.value.state is state
    else:
        result = transition(start, EVENTS[event], at=NOW)
        assert result.state == RequestState(target)
        assert start.state is state  # the input value is untouched


def test_invalid_transition_message_reads_well() -> None:
    with pytest.raises(InvalidTransition, match="was declined, so it can't be accepted now"):
        transition(request(RequestState.DECLINED), Accept(LATER), at=NOW)


def test_the_whole_flow_records_what_happened() -> None:
    proposed = transition(request(), Propose(LATER), at=NOW)
    assert (proposed.proposed_for, proposed.responded_at) == (LATER, NOW)
    # The rep takes the proposed time later; the manager's answer time does not move.
    accepted = transition(proposed, Accept(), at=NOW + HOUR)
    assert (accepted.scheduled_for, accepted.responded_at) == (LATER, NOW)
    done = transition(accepted, Complete("  Discovery  ", " Book a follow-up "), at=LATER + HOUR)
    assert (done.outcome, done.next_steps, done.completed_at) == (
        "Discovery",
        "Book a follow-up",
        LATER + HOUR,
    )
    rated = transition(done, Rate(5), at=LATER + 2 * HOUR)
    assert (rated.rating, rated.rated_at, rated.state) == (5, LATER + 2 * HOUR, RequestState.RATED)


def test_decline_keeps_the_note() -> None:
    declined = transition(request(), Decline("  Not this week  "), at=NOW)
    assert (declined.decline_note, declined.responded_at) == ("Not this week", NOW)


@pytest.mark.parametrize(
    ("state", "event", "message"),
    [
        (RequestState.REQUESTED, Accept(), "date and time"),
        (RequestState.REQUESTED, Accept(NOW - HOUR), "passed"),
        (RequestState.REQUESTED, Accept(NOW), "passed"),
        (RequestState.REQUESTED, Propose(NOW - HOUR), "passed"),
        (RequestState.REQUESTED, Decline("   "), "note"),
        (RequestState.ACCEPTED, Complete(" "), "worked on"),
        (RequestState.COMPLETED, Rate(0), "1 to 5"),
        (RequestState.COMPLETED, Rate(6), "1 to 5"),
        (RequestState.COMPLETED, Rate(True), "1 to 5"),
    ],
)
def test_bad_payloads_are_rejected(state: RequestState, event: Event, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        transition(request(state), event, at=NOW)


def test_a_proposal_that_has_passed_cannot_be_taken() -> None:
    stale = request(RequestState.PROPOSED, proposed_for=NOW - HOUR)
    with pytest.raises(ValueError, match="passed"):
        transition(stale, Accept(), at=NOW)


DEADLINE = NOW + timedelta(hours=24)


@pytest.mark.parametrize(
    ("req", "now", "overdue", "on_time"),
    [
        (request(), DEADLINE, False, False),
        (request(), DEADLINE + timedelta(seconds=1), True, False),
        (request(RequestState.ACCEPTED, responded_at=DEADLINE), DEADLINE + HOUR, False, True),
        (
            request(RequestState.DECLINED, responded_at=DEADLINE + HOUR),
            DEADLINE + HOUR,
            False,
            False,
        ),
        # A proposal is an answer: the manager is no longer overdue.
        (request(RequestState.PROPOSED, responded_at=NOW), DEADLINE + HOUR, False, True),
    ],
)
def test_response_timing(req: CoachingRequest, now: datetime, overdue: bool, on_time: bool) -> None:
    assert is_response_overdue(req, deadline=DEADLINE, now=now) is overdue
    assert answered_on_time(req, deadline=DEADLINE) is on_time


# ------------------------------------------------------------------------ cadence


@pytest.mark.parametrize(
    ("last", "cadence", "scheduled", "since", "due", "overdue"),
    [
        (date(2024, 5, 1), 7, None, None, date(2024, 5, 8), False),
        (date(2024, 4, 29), 7, None, None, date(2024, 5, 6), False),  # due today: not yet overdue
        (date(2024, 4, 28), 7, None, None, date(2024, 5, 5), True),
        (date(2024, 4, 20), 14, None, None, date(2024, 5, 4), True),
        (date(2024, 4, 20), 30, None, None, date(2024, 5, 20), False),
        # An agreed next meeting wins over the cadence...
        (date(2024, 4, 20), 7, date(2024, 5, 10), None, date(2024, 5, 10), False),
        # ...unless it is older than the last 1:1 (a stale value from the one before).
        (date(2024, 4, 20), 7, date(2024, 4, 15), None, date(2024, 4, 27), True),
        # Never met: due a cadence after joining; or, not knowing when they joined, now.
        (None, 7, None, date(2024, 5, 2), date(2024, 5, 9), False),
        (None, 7, None, date(2024, 4, 1), date(2024, 4, 8), True),
        (None, 7, None, None, TODAY, True),
        (None, 7, date(2024, 5, 7), None, date(2024, 5, 7), False),
    ],
)
def test_next_due_and_overdue(
    last: date | None,
    cadence: int,
    scheduled: date | None,
    since: date | None,
    due: date,
    overdue: bool,
) -> None:
    assert next_due(last, cadence, today=TODAY, scheduled=scheduled, since=since) == due
    assert is_overdue(last, cadence, today=TODAY, scheduled=scheduled, since=since) is overdue


def test_cadence_must_be_positive() -> None:
    with pytest.raises(ValueError, match="cadence"):
        next_due(TODAY, 0, today=TODAY)


def test_home_order_puts_overdue_first() -> None:
    reps = [
        RepCadence("r_soon", date(2024, 5, 2)),  # due 9 May
        RepCadence("r_later", date(2024, 5, 5)),  # due 12 May
        RepCadence("r_late_2", date(2024, 4, 27)),  # due 4 May, 2 days overdue
        RepCadence("r_never", None),
        RepCadence("r_late_9", date(2024, 4, 20)),  # due 27 April, 9 days overdue
        RepCadence("r_today", date(2024, 4, 29)),  # due today
        RepCadence("r_new", None, since=date(2024, 5, 3)),  # due 10 May
    ]
    rows = order_reps_for_home(reps, today=TODAY)
    assert [r.rep_id for r in rows] == [
        "r_never",
        "r_late_9",
        "r_late_2",
        "r_today",
        "r_soon",
        "r_new",
        "r_later",
    ]
    assert [(r.overdue, r.days_overdue) for r in rows[:4]] == [
        (True, 0),
        (True, 9),
        (True, 2),
        (False, 0),
    ]


# ----------------------------------------------------------- action items, agenda


def test_carry_over_keeps_undone_items_in_order() -> None:
    items = [
        ActionItem("1", "Send mutual action plan", "rep_a", date(2024, 5, 3)),
        ActionItem("2", "Intro to legal", "mgr_a", done=True),
        ActionItem("3", "Practise pricing talk", "rep_a", carried_over=2),
    ]
    carried = carry_over(items)
    assert [(i.id, i.carried_over) for i in carried] == [("1", 1), ("3", 3)]
    assert carried[0].due == date(2024, 5, 3)


def test_agenda_has_carried_items_and_one_debrief_per_deal() -> None:
    agenda = build_agenda([ActionItem("1", "Send MAP", "rep_a")], ["Acme", " Acme ", "Globex", ""])
    assert [i.id for i in agenda.carried] == ["1"]
    assert agenda.debriefs == (
        "Acme: what would you do next time?",
        "Globex: what would you do next time?",
    )
    assert debrief_question("Initech") == "Initech: what would you do next time?"


BERLIN = ZoneInfo("Europe/Berlin")
LA = ZoneInfo("America/Los_Angeles")
DAY = timedelta(days=1)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("due", "tz", "lead", "at", "expected"),
    [
        # Day before at 9:00 local; Berlin is UTC+2 in summer, UTC+1 in winter.
        (date(2024, 6, 12), BERLIN, DAY, time(9), utc(2024, 6, 11, 7)),
        (date(2024, 1, 12), BERLIN, DAY, time(9), utc(2024, 1, 11, 8)),
        # DST starts on 31 March: the reminder on that day is still 9:00 local (CEST).
        (date(2024, 4, 1), BERLIN, DAY, time(9), utc(2024, 3, 31, 7)),
        (date(2024, 3, 31), BERLIN, DAY, time(9), utc(2024, 3, 30, 8)),
        (date(2024, 11, 4), LA, DAY, time(9), utc(2024, 11, 3, 17)),
        (date(2024, 6, 12), LA, timedelta(days=2), time(9), utc(2024, 6, 10, 16)),
        (date(2024, 6, 12), UTC, timedelta(hours=3), time(9), utc(2024, 6, 12, 6)),
        (date(2024, 6, 12), UTC, timedelta(0), time(16, 30), utc(2024, 6, 12, 16, 30)),
    ],
)  # fmt: skip
def test_due_reminder_at(
    due: date, tz: ZoneInfo, lead: timedelta, at: time, expected: datetime
) -> None:
    result = due_reminder_at(due, tz, lead, at=at)
    assert result == expected
    assert result.tzinfo is UTC


def test_due_reminder_default_lead_and_negative_lead() -> None:
    assert due_reminder_at(date(2024, 6, 12), UTC) == datetime(2024, 6, 11, 9, tzinfo=UTC)
    with pytest.raises(ValueError, match="lead"):
        due_reminder_at(date(2024, 6, 12), UTC, -HOUR)


# ------------------------------------------------------------ development plans


def test_plan_progress_per_skill_and_side() -> None:
    history = [
        # Out of order on purpose.
        PlanSnapshot(date(2024, 3, 1), (SkillRating("discovery", 3, 4), SkillRating("demo", 2))),
        PlanSnapshot(date(2024, 1, 1), (SkillRating("discovery", 2, 2),)),
        PlanSnapshot(
            date(2024, 5, 1), (SkillRating("discovery", 4), SkillRating("closing", None, 3))
        ),
    ]  # fmt: skip
    progress = plan_progress(history)
    assert list(progress) == ["closing", "demo", "discovery"]
    discovery = progress["discovery"]
    assert discovery.by_manager == Trend(2, date(2024, 1, 1), 4, date(2024, 5, 1))
    assert discovery.by_rep == Trend(2, date(2024, 1, 1), 4, date(2024, 3, 1))
    assert (discovery.by_manager.delta, discovery.by_rep.delta) == (2, 2)
    assert progress["demo"].by_manager == Trend(2, date(2024, 3, 1), 2, date(2024, 3, 1))
    assert progress["demo"].by_rep is None
    assert progress["closing"].by_manager is None
    assert plan_progress([]) == {}


@pytest.mark.parametrize("bad", [0, 6, -1])
def test_skill_ratings_are_one_to_five(bad: int) -> None:
    with pytest.raises(ValueError, match="1 to 5"):
        SkillRating("demo", by_manager=bad)


@pytest.mark.parametrize(
    ("updated", "max_age", "current"),
    [
        (None, 90, False),
        (TODAY, 90, True),
        (TODAY - timedelta(days=90), 90, True),
        (TODAY - timedelta(days=91), 90, False),
        (TODAY - timedelta(days=31), 30, False),
    ],
)
def test_is_current(updated: date | None, max_age: int, current: bool) -> None:
    assert is_current(updated, TODAY, max_age) is current


# ------------------------------------------------------------------ validation

ORG = Org(
    [
        Person("vp", Role.MANAGER, None),
        Person("mgr_a", Role.MANAGER, "vp", "Sam"),
        Person("mgr_b", Role.MANAGER, "vp"),
        Person("rep_a", Role.REP, "mgr_a", "Jordan"),
        Person("rep_b", Role.REP, "mgr_b", "Kim"),
    ]
)
MGR_A = ORG.person("mgr_a")

GOOD_ONE_ON_ONE: dict[str, object] = {
    "manager": MGR_A,
    "rep_id": "rep_a",
    "org": ORG,
    "held_on": TODAY,
    "notes": "Worked on the Acme mutual action plan.",
    "next_meeting": TODAY + timedelta(days=7),
    "action_items": (ActionItemInput("Send MAP", "rep_a", TODAY + timedelta(days=2)),),
    "skills_focus": ("discovery",),
    "today": TODAY,
}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, {}),
        ({"rep_id": None}, {"rep": "Pick the rep you met with."}),
        ({"rep_id": "rep_b"}, {"rep": "Only Kim's manager can log a 1:1 with Kim."}),
        ({"rep_id": "ghost"}, {"rep": "That person isn't on Enabler's roster for this workspace."}),
        ({"held_on": None}, {"held_on": "Pick the date you met."}),
        (
            {"held_on": TODAY + timedelta(days=1)},
            {"held_on": "That date is in the future. Log the 1:1 once it has happened."},
        ),
        ({"held_on": TODAY - timedelta(days=30)}, {}),  # logging an old 1:1 is fine
        (
            {"notes": "  \n "},
            {
                "notes": "Add a few words about what you discussed. Notes stay private to you "
                "unless you share them."
            },
        ),
        ({"notes": "x" * 3001}, {"notes": "Please keep this under 3000 characters."}),
        (
            {"next_meeting": TODAY - timedelta(days=1)},
            {"next_meeting": "The next meeting can't be in the past. Pick today or later."},
        ),
        ({"next_meeting": None}, {}),
        (
            {"skills_focus": ("discovery", "juggling")},
            {"skills_focus": "Unknown skill: juggling. Pick from the list."},
        ),
        (
            {"action_items": (ActionItemInput("Send MAP", "rep_a", TODAY - timedelta(days=1)),)},
            {"action_item_0_due": "That due date has passed. Pick today or later."},
        ),
        ({"action_items": (ActionItemInput("Send MAP", "mgr_a", TODAY),)}, {}),
        (
            {"action_items": (ActionItemInput("ok", "rep_a"), ActionItemInput("Call", "rep_b"))},
            {"action_item_1_owner": "An action item belongs to you or Jordan."},
        ),
        (
            {"action_items": (ActionItemInput(" ", None, TODAY),)},
            {"action_item_0_text": "Describe the action item, or clear it."},
        ),
        ({"action_items": (ActionItemInput("", None),)}, {}),  # an empty row is ignored
    ],
)
def test_validate_one_on_one(changes: dict[str, object], expected: dict[str, str]) -> None:
    assert validate_one_on_one(**(GOOD_ONE_ON_ONE | changes)) == expected  # type: ignore[arg-type]


def test_validate_one_on_one_reports_every_problem_at_once() -> None:
    errors = validate_one_on_one(
        **(GOOD_ONE_ON_ONE | {"rep_id": "rep_b", "notes": "", "held_on": None})  # type: ignore[arg-type]
    )
    assert set(errors) == {"rep", "notes", "held_on"}


@pytest.mark.parametrize(
    ("skill", "note", "urgency", "expected"),
    [
        ("discovery", "", "normal", {}),
        ("discovery", "", None, {}),
        (None, "", "normal", {"skill": "Pick what you'd like coaching on."}),
        ("juggling", "", "normal", {"skill": "That topic isn't on the list any more. Pick another."}),  # noqa: E501
        ("other", " ", "high", {"note": "Tell your manager what you'd like help with."}),
        ("other", "Board deck", "high", {}),
        ("demo", "", "asap", {"urgency": "Pick low, normal or high."}),
    ],
)  # fmt: skip
def test_validate_coaching_request(
    skill: str | None, note: str, urgency: str | None, expected: dict[str, str]
) -> None:
    assert validate_coaching_request(skill=skill, note=note, urgency=urgency) == expected


def test_validate_coaching_request_with_a_custom_taxonomy() -> None:
    custom = (Skill("renewals", "Renewals"),)
    assert validate_coaching_request(skill="renewals", note="", urgency=None, skills=custom) == {}
    assert "skill" in validate_coaching_request(
        skill="discovery", note="", urgency=None, skills=custom
    )


@pytest.mark.parametrize(
    ("when", "message"),
    [
        (None, "Pick a date and time."),
        (NOW - HOUR, "That time has passed. Pick a time in the future."),
        (NOW, "That time has passed. Pick a time in the future."),
        (NOW + HOUR, None),
    ],
)
def test_validate_accept_and_propose(when: datetime | None, message: str | None) -> None:
    accept = validate_accept(scheduled_for=when, now=NOW)
    propose = validate_propose(proposed_for=when, now=NOW)
    assert accept == ({} if message is None else {"scheduled_for": message})
    assert propose == ({} if message is None else {"proposed_for": message})


@pytest.mark.parametrize(
    ("errors", "expected"),
    [
        (validate_decline(note="Let's do it Friday"), {}),
        (
            validate_decline(note=" "),
            {"note": "Add a short note for the rep: what to try instead, or when to ask again."},
        ),
        (validate_outcome(worked_on="Pricing objections"), {}),
        (
            validate_outcome(worked_on=""),
            {"worked_on": "Say what you worked on, so you both can come back to it."},
        ),
        (
            validate_outcome(worked_on="ok", next_steps="x" * 3001),
            {"next_steps": "Please keep this under 3000 characters."},
        ),
        (validate_rating(3), {}),
        (validate_rating(None), {"rating": "Pick a rating from 1 to 5."}),
        (validate_rating(0), {"rating": "Pick a rating from 1 to 5."}),
        (validate_rating(6), {"rating": "Pick a rating from 1 to 5."}),
    ],
)
def test_small_validators(errors: dict[str, str], expected: dict[str, str]) -> None:
    assert errors == expected


@pytest.mark.parametrize(
    ("ratings", "goals", "expected"),
    [
        ({"discovery": (3, 4)}, [GoalInput("Run 5 discovery calls", TODAY)], {}),
        ({"discovery": (None, None)}, [], {}),
        ({"discovery": (0, 4)}, [], {"rating_discovery_manager": "Pick a rating from 1 to 5."}),
        ({"demo": (2, 9)}, [], {"rating_demo_rep": "Pick a rating from 1 to 5."}),
        (
            {"juggling": (3, None)},
            [],
            {
                "rating_juggling_manager": "That skill isn't on the list any more.",
                "rating_juggling_rep": "That skill isn't on the list any more.",
            },
        ),
        (
            {},
            [GoalInput("Shadow a negotiation", TODAY - timedelta(days=1))],
            {"goal_0_target": "That date has passed. Pick today or later."},
        ),
        (
            {},
            [GoalInput("", TODAY)],
            {"goal_0_text": "Describe the goal, or clear its date."},
        ),
    ],
)
def test_validate_development_plan(
    ratings: dict[str, tuple[int | None, int | None]],
    goals: list[GoalInput],
    expected: dict[str, str],
) -> None:
    assert validate_development_plan(ratings=ratings, goals=goals, today=TODAY) == expected


# ------------------------------------------------------------------- coverage


def test_manager_coverage_counts() -> None:
    reps = [
        RepCoverageInput("r1", TODAY - timedelta(days=3), plan_updated_on=TODAY),
        RepCoverageInput("r2", TODAY - timedelta(days=8)),  # overdue
        RepCoverageInput("r3", TODAY - timedelta(days=10), cadence_days=14),
        RepCoverageInput("r4", None, since=TODAY - timedelta(days=2)),  # new: not yet due
        RepCoverageInput("r5", None, plan_updated_on=TODAY - timedelta(days=200)),
    ]
    requests = [
        RequestTiming("q1", deadline=NOW, responded_at=NOW - HOUR),  # on time
        RequestTiming("q2", deadline=NOW, responded_at=NOW),  # on the deadline: on time
        RequestTiming("q3", deadline=NOW - HOUR, responded_at=NOW),  # late
        RequestTiming("q4", deadline=NOW - HOUR, responded_at=None),  # overdue, open
        RequestTiming("q5", deadline=NOW + HOUR, responded_at=None),  # still in time: undecided
    ]
    result = manager_coverage("mgr_a", reps, requests, today=TODAY, now=NOW)
    assert result == ManagerCoverage(
        manager_id="mgr_a",
        reps=5,
        reps_within_cadence=3,
        reps_with_current_plan=1,
        requests_decided=4,
        requests_on_time=2,
        requests_overdue_open=1,
        reps_never_met=2,  # r4 and r5 have never had a 1:1
    )
    assert result.one_on_one_coverage == pytest.approx(0.6)
    assert result.requests_on_time_share == pytest.approx(0.5)
    assert result.plan_coverage == pytest.approx(0.2)


def test_empty_coverage_has_no_shares() -> None:
    result = manager_coverage("mgr_a", [], [], today=TODAY, now=NOW)
    assert (result.one_on_one_coverage, result.requests_on_time_share, result.plan_coverage) == (
        None,
        None,
        None,
    )


def test_coverage_report_lists_only_the_leaders_own_first_line_managers() -> None:
    org = Org(
        [
            Person("vp", Role.MANAGER),
            Person("mgr_a", Role.MANAGER, "vp"),
            Person("mgr_b", Role.MANAGER, "vp"),
            Person("rep_a", Role.REP, "mgr_a"),
            Person("rep_b", Role.REP, "mgr_b"),
            Person("vp2", Role.MANAGER),
            Person("mgr_c", Role.MANAGER, "vp2"),
            Person("rep_c", Role.REP, "mgr_c"),
        ]
    )
    reps = {
        "mgr_a": [RepCoverageInput("rep_a", TODAY), RepCoverageInput("rep_c", TODAY)],
        "mgr_c": [RepCoverageInput("rep_c", TODAY)],
    }
    requests = {"mgr_b": [RequestTiming("q", deadline=NOW - HOUR, responded_at=None)]}
    rows = coverage_report(org, "vp", reps, requests, today=TODAY, now=NOW)
    assert [(r.manager_id, r.reps, r.requests_overdue_open) for r in rows] == [
        ("mgr_a", 1, 0),  # rep_c does not report to mgr_a and is not counted
        ("mgr_b", 0, 1),
    ]
