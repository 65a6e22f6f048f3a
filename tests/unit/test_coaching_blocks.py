"""Block Kit for coaching, 1:1s and plans: every modal, message and home section is something
Slack accepts, and modal block_ids match the validators' field names."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.devtools.blockkit import validate_message_blocks, validate_view
from bot.domain import coaching as domain
from bot.domain.permissions import Role
from bot.services import coaching
from bot.services.coaching import CoachingDefaults, ItemView, OneOnOneSummary, RequestView
from bot.services.home import CoachingHome
from bot.services.one_on_ones import AgendaView, CoverageRow, RepRow, RepSchedule
from bot.services.plans import PlanView
from bot.services.privacy import PrivacySummary, pseudonym
from bot.slack import ids
from bot.slack.blocks import coaching as blocks
from bot.slack.listeners.coaching import parse_user_arg

NOW = datetime(2026, 3, 2, 14, tzinfo=UTC)
TODAY = date(2026, 3, 2)
LONG = "x" * 2990


def request(state: str, **extra: Any) -> RequestView:
    base: dict[str, Any] = {
        "id": 12,
        "requester_id": "UR1",
        "requester_label": "Jordan Lee",
        "manager_id": "UM1",
        "manager_label": "Maya Patel",
        "skill": "discovery",
        "skill_label": "Discovery",
        "context": "Acme <renewal> & co",
        "urgency": "high",
        "preferred_times": "Tue pm",
        "note": LONG,
        "state": state,
        "requested_at": NOW,
        "response_deadline": NOW,
        "proposed_for": NOW,
        "proposal_note": "Travelling",
        "scheduled_for": NOW,
        "decline_note": "Busy with QBRs",
        "outcome": LONG,
        "next_steps": "Role-play",
        "rating": 4,
    }
    base.update(extra)
    return RequestView(**base)


ITEM = ItemView(7, "Send recap " * 20, "UR1", "UR1", "UM1", TODAY, carried_over=2)


def items(n: int) -> tuple[ItemView, ...]:
    return tuple(ItemView(i, f"Item {i} " * 20, "UR1", "UR1", "UM1", TODAY) for i in range(n))


PLAN = PlanView(
    rep_id="UR1",
    ratings=(domain.SkillRating("discovery", 2, 3), domain.SkillRating("closing", None, 4)),
    goals=(domain.Goal("Run 5 discovery calls", target=TODAY), domain.Goal("Shadow", done=True)),
    updated_on=TODAY,
    current=True,
    progress=domain.plan_progress(
        [
            domain.PlanSnapshot(date(2026, 1, 1), (domain.SkillRating("discovery", 1, 2),)),
            domain.PlanSnapshot(TODAY, (domain.SkillRating("discovery", 2, 3),)),
        ]
    ),
)


@pytest.mark.parametrize("state", [s.value for s in domain.RequestState])
def test_every_coaching_message_is_valid_in_every_state(state: str) -> None:
    messages = blocks.SlackCoachingMessages()
    view = request(state)
    for message in (
        messages.request_for_manager(view),
        messages.request_sent(view),
        messages.outcome_for_rep(view),
        messages.time_taken_for_manager(view),
        messages.manager_reminder(view),
        messages.rating_question(view),
        messages.rating_thanks(view),
        messages.skip_level_overdue("Maya Patel", 3, 6),
        messages.action_item_reminder(ITEM, "Maya Patel"),
        messages.action_item_done(ITEM),
    ):
        assert message.text
        assert validate_message_blocks(message.blocks) == []


ANSWERS = {ids.ACTION_COACH_ACCEPT, ids.ACTION_COACH_PROPOSE, ids.ACTION_COACH_DECLINE}


@pytest.mark.parametrize(
    ("state", "buttons"),
    [
        ("requested", ANSWERS),
        ("proposed", ANSWERS),
        ("accepted", {ids.ACTION_COACH_LOG_OUTCOME}),
        ("declined", set()),
        ("rated", set()),
    ],
)
def test_the_managers_dm_offers_only_what_the_state_allows(state: str, buttons: set[str]) -> None:
    message = blocks.SlackCoachingMessages().request_for_manager(request(state))
    found = {
        e["action_id"]
        for b in message.blocks or []
        if b["type"] == "actions"
        for e in b["elements"]
    }
    assert found == buttons


def test_one_on_one_summary_shows_notes_only_when_shared() -> None:
    messages = blocks.SlackCoachingMessages()
    summary = OneOnOneSummary(
        1, "UM1", "Maya", "UR1", TODAY, None, ("Negotiation",), TODAY, (ITEM,)
    )
    private = messages.one_on_one_for_rep(summary)
    assert "Notes they shared" not in str(private.blocks)
    assert validate_message_blocks(private.blocks) == []
    shared = messages.one_on_one_for_rep(
        OneOnOneSummary(1, "UM1", "Maya", "UR1", TODAY, LONG, (), None, ())
    )
    assert "Notes they shared" in str(shared.blocks)
    assert validate_message_blocks(shared.blocks) == []


def _block_ids(view: dict[str, Any]) -> set[str]:
    return {b["block_id"] for b in view["blocks"] if b.get("type") == "input"}


def test_modals_are_valid_and_use_the_validators_field_names() -> None:
    skills = domain.SKILLS
    agenda = AgendaView("UR1", items(12), ("Acme: what would you do next time?",), 7, TODAY)
    views = {
        "request": blocks.request_modal("Maya Patel", skills),
        "accept": blocks.accept_modal(request("requested"), NOW),
        "propose": blocks.propose_modal(request("requested")),
        "decline": blocks.decline_modal(request("requested")),
        "outcome": blocks.outcome_modal(request("accepted")),
        "one_on_one": blocks.one_on_one_modal(
            rep_id="UR1", today=TODAY, skills=skills, agenda=agenda, notes=LONG
        ),
        "one_on_one_blank": blocks.one_on_one_modal(
            rep_id=None, today=TODAY, skills=skills, agenda=None
        ),
        "plan_manager": blocks.plan_modal(
            rep_id="UR1", rep_label="Jordan", editor_is_rep=False, plan=PLAN, skills=skills
        ),
        "plan_rep": blocks.plan_modal(
            rep_id="UR1", rep_label="Jordan", editor_is_rep=True, plan=None, skills=skills
        ),
        "defaults": blocks.defaults_modal(CoachingDefaults()),
        "info": blocks.info_modal("A title much longer than Slack allows", "Why"),
    }
    for name, view in views.items():
        assert validate_view(view) == [], name
    # The validators' error keys are block ids, so `response_action: errors` lands on fields.
    request_errors = domain.validate_coaching_request(skill=None, note=LONG * 2, urgency="x")
    assert set(request_errors) <= _block_ids(views["request"])
    assert {"scheduled_for"} == _block_ids(views["accept"])
    assert {"proposed_for", "note"} == _block_ids(views["propose"])
    assert {"note"} == _block_ids(views["decline"])
    assert {"worked_on", "next_steps"} == _block_ids(views["outcome"])
    one_on_one_fields = {
        "rep",
        "held_on",
        "notes",
        "next_meeting",
        "skills_focus",
        *(f"action_item_{i}_{f}" for i in range(3) for f in ("text", "owner", "due")),
    }
    assert one_on_one_fields <= _block_ids(views["one_on_one"])
    assert {"rating_discovery_manager", "rating_discovery_rep", "goal_0_target"} <= _block_ids(
        views["plan_manager"]
    )
    assert "rating_discovery_manager" not in _block_ids(views["plan_rep"])


def _home(audience: str, **extra: Any) -> CoachingHome:
    return CoachingHome(audience=audience, today=TODAY, **extra)


REP_ROW = RepRow("UR1", "Jordan Lee", TODAY, TODAY, True, 3, 7, (ITEM,), 1)


@pytest.mark.parametrize(
    "home",
    [
        _home("rep"),
        _home(
            "rep",
            my_requests=[request(s.value) for s in domain.RequestState],
            my_items=list(items(20)),
            my_plan=PLAN,
            my_schedule=RepSchedule(TODAY, TODAY, False, [(TODAY, LONG)]),
            has_manager=True,
        ),
        _home("manager"),
        _home(
            "manager",
            reps=[
                RepRow(f"U{i:03d}", f"Rep {i}", None, TODAY, i % 2 == 0, i, 7, (ITEM,), i % 3)
                for i in range(40)
            ],
            open_requests=[request("accepted", id=i, requester_id=f"U{i:03d}") for i in range(9)],
            rep_plans={"U000": PLAN},
        ),
        _home("second_line"),
        _home(
            "second_line",
            coverage=[
                CoverageRow(
                    f"UM{i}", f"Manager {i}", domain.ManagerCoverage(f"UM{i}", 4, 3, 2, 5, 4, 1)
                )
                for i in range(40)
            ],
        ),
        _home("sales_ops", defaults=CoachingDefaults()),
    ],
)
def test_home_sections_fit_in_a_home_view(home: CoachingHome) -> None:
    view = {"type": "home", "blocks": blocks.home_sections(home)}
    assert len(view["blocks"]) <= 95  # room for the greeting and footer around them
    assert validate_view(view) == []


def test_second_line_home_has_counts_and_no_text() -> None:
    coverage = CoverageRow("UM1", "Maya Patel", domain.ManagerCoverage("UM1", 2, 1, 1, 1, 0, 1))
    text = str(blocks.home_sections(_home("second_line", coverage=[coverage])))
    assert "1:1s within cadence: 1/2" in text
    assert "answered on time: 0/1" in text
    assert "current development plans: 1/2" in text
    assert "logged yet" not in text


def test_reps_new_to_the_roster_are_counted_as_covered_and_named_as_never_met() -> None:
    # Both reps are still in their first cadence: covered, and the line says why.
    coverage = CoverageRow(
        "UM1", "Maya Patel", domain.ManagerCoverage("UM1", 2, 2, 0, 0, 0, 0, reps_never_met=2)
    )
    text = str(blocks.home_sections(_home("second_line", coverage=[coverage])))
    assert "1:1s within cadence: 2/2 (2 with no 1:1 logged yet)" in text


def test_manager_home_lists_overdue_reps_with_a_primary_log_button() -> None:
    text = str(blocks.home_sections(_home("manager", reps=[REP_ROW])))
    assert "1:1 overdue (3d)" in text
    assert f"{ids.ACTION_HOME_LOG_ONE_ON_ONE}:UR1" in text


def test_privacy_blocks() -> None:
    summary = PrivacySummary(["*Roster:* rep"], "footer")
    assert validate_message_blocks(blocks.privacy_blocks(summary)) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<@U0REP1|jordan>", "U0REP1"),
        ("<@U0REP1>", "U0REP1"),
        ("  U0REP1 ", "U0REP1"),
        ("<@W0ENT1|x>", "W0ENT1"),
        ("@jordan", None),
        ("jordan", None),
        ("", None),
        ("<#C0123|deal>", None),
    ],
)
def test_parse_user_arg(text: str, expected: str | None) -> None:
    assert parse_user_arg(text) == expected


@pytest.mark.parametrize(
    ("text", "ids_"),
    [
        ("discovery: Discovery\nclosing: Closing", ["discovery", "closing"]),
        ("Deal strategy\n# comment\n\nMutual plan", ["deal_strategy", "mutual_plan"]),
    ],
)
def test_parse_skills(text: str, ids_: list[str]) -> None:
    assert [s.id for s in coaching.parse_skills(text)] == ids_


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "at least one"),
        ("a: A\na: Again", "appears twice"),
        ("bad id!: Label", "letters, digits"),
        ("x: " + "L" * 80, "Line 1"),
    ],
)
def test_parse_skills_rejects(text: str, problem: str) -> None:
    with pytest.raises(coaching.CoachingError, match=problem):
        coaching.parse_skills(text)


def test_times_render_in_each_readers_zone_with_a_fallback() -> None:
    assert blocks.when(NOW) == (
        f"<!date^{int(NOW.timestamp())}^{{date_short_pretty}} at {{time}}"
        "|Mon 02 Mar 2026 14:00 UTC>"
    )
    assert blocks.when(None) == "—"


def test_pseudonym_is_stable_fits_a_user_id_and_hides_the_id() -> None:
    alias = pseudonym("T1", "U0REP1")
    assert alias == pseudonym("T1", "U0REP1") != pseudonym("T2", "U0REP1")
    assert len(alias) <= 32
    assert "U0REP1" not in alias
    assert Role.REP.value == "rep"  # roster roles map onto permission roles
