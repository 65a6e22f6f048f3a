"""`enabler demo` end to end: the scripted week runs against the real app and the emulator, and
every step really happened, according to the emulator's record and the database (never the
console text). Also: nothing sent twice, every Web API call valid, every message and view valid
Block Kit, and a broken product makes the demo fail loudly.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import main
from bot.db.rows import (
    CoachingRequestRow,
    DeliveryRow,
    NudgeActionRow,
    NudgeRow,
    PromptOccurrenceRow,
    ReflectionRow,
    SignalRow,
)
from bot.demo.company import Company, sample_company
from bot.demo.html import render_report
from bot.demo.record import DemoRecord
from bot.demo.script import DemoFailure, DemoRun, Options, check_record
from bot.devtools.blockkit import validate_message_blocks, validate_view
from bot.slack import ids

T = TypeVar("T")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def company() -> Company:
    return sample_company(7)


@pytest.fixture(scope="module")
def played(
    tmp_path_factory: pytest.TempPathFactory, company: Company
) -> Iterator[tuple[DemoRun, DemoRecord]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    with DemoRun(company, Options(database_url=url, seed=7)) as run:
        yield run, run.play()


def rows(run: DemoRun, model: type[T]) -> list[T]:
    with run.harness.runtime.deps.uow() as tx:
        found = list(tx.session.scalars(select(model)))
        for row in found:
            tx.session.expunge(row)
        return found


def dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def test_every_step_happened_and_says_so(played: tuple[DemoRun, DemoRecord]) -> None:
    _, record = played
    assert [s.number for s in record.steps] == [0, 1, 2, 3, 4, 5, 6]
    assert all(s.ok and s.summary for s in record.steps)
    assert record.problems == []


def test_nothing_slack_would_refuse_and_all_block_kit_valid(
    played: tuple[DemoRun, DemoRecord],
) -> None:
    run, _ = played
    emulator = run.harness.emulator
    assert emulator.problems == []
    assert all(call.ok for call in emulator.calls), [c for c in emulator.calls if not c.ok]
    for message in emulator.messages():
        assert validate_message_blocks(message.blocks or []) == [], message
    views = [c.args["view"] for c in emulator.calls if isinstance(c.args.get("view"), dict)]
    assert len(views) >= 10
    for view in views:
        assert validate_view(view) == [], view
    assert check_record(run.harness) == []


def test_nothing_was_sent_twice(played: tuple[DemoRun, DemoRecord]) -> None:
    run, _ = played
    deliveries = rows(run, DeliveryRow)
    assert len({d.dedupe_key for d in deliveries}) == len(deliveries)
    assert {d.status for d in deliveries} <= {"sent", "cancelled"}
    posted = Counter(
        c.args["metadata"]["event_payload"]["delivery_id"]
        for c in run.harness.emulator.calls_to("chat.postMessage")
        if c.args.get("metadata")
    )
    assert posted
    assert max(posted.values()) == 1
    # No person got two identical DMs.
    for person in run.company.people():
        dms = [(m.text, dump(m.blocks)) for m in run.harness.emulator.dm_messages(person.user_id)]
        assert len(dms) == len(set(dms)), person.name


def test_monday_prompt_at_nine_local_in_three_time_zones(
    played: tuple[DemoRun, DemoRecord],
) -> None:
    run, _ = played
    occurrences = rows(run, PromptOccurrenceRow)
    assert len(occurrences) == 3
    assert {o.status for o in occurrences} == {"sent"}
    instants = set()
    for occurrence in occurrences:
        [dm, *_] = run.harness.emulator.dm_messages(occurrence.user_id)
        sent = datetime.fromtimestamp(float(dm.ts), UTC)
        local = sent.astimezone(ZoneInfo(occurrence.timezone))
        assert (local.weekday(), local.hour, local.minute) == (0, 9, 0), occurrence.timezone
        instants.add(sent)
    assert len(instants) == 3
    [answered] = [r for r in rows(run, ReflectionRow) if r.status == "answered"]
    assert answered.user_id == "U0CHLOE"
    # Oliver asked to be reminded: the prompt came back once, as a second DM.
    assert len(run.harness.emulator.dm_messages("U0OLIVER")[:2]) == 2
    assert any(
        d.dedupe_key.endswith(":later1") and d.status == "sent" for d in rows(run, DeliveryRow)
    )


def test_takeover_nudge_coach_instead_questions_in_the_thread(
    played: tuple[DemoRun, DemoRecord], company: Company
) -> None:
    run, _ = played
    team = company.teams[0]
    maya, rep = team.manager, team.reps[0]
    nudges = [n for n in rows(run, NudgeRow) if n.manager_id == maya.user_id]
    assert [(n.status, n.signal_type, n.rep_id) for n in nudges] == [
        ("sent", "thread_takeover", rep.user_id)
    ]
    assert [a.action for a in rows(run, NudgeActionRow) if a.nudge_id == nudges[0].id] == [
        "coach_instead"
    ]
    posted = [
        m
        for m in run.harness.emulator.messages(team.channel_id)
        if m.username == f"{maya.name} (via Enabler)"
    ]
    assert len(posted) == 1
    assert posted[0].thread_ts == nudges[0].thread_ts
    assert posted[0].text.startswith(f"<@{rep.user_id}>")
    enabling = [s for s in rows(run, SignalRow) if s.rule == "nudge.coach_instead"]
    assert [(s.manager_id, s.kind) for s in enabling] == [(maya.user_id, "enabling")]


def test_huddle_join_nudge_and_it_was_needed(
    played: tuple[DemoRun, DemoRecord], company: Company
) -> None:
    run, _ = played
    oliver = company.teams[1].manager
    [joined] = [s for s in rows(run, SignalRow) if s.type == "call_join"]
    assert (joined.manager_id, joined.justified) == (oliver.user_id, True)
    assert (joined.justification or "").startswith("escalation")
    [nudge] = [n for n in rows(run, NudgeRow) if n.manager_id == oliver.user_id]
    assert nudge.first_action == "justified"


def test_coaching_questions_count_as_enabling_without_a_nudge(
    played: tuple[DemoRun, DemoRecord], company: Company
) -> None:
    run, record = played
    chloe = company.teams[2].manager
    signals = [s for s in rows(run, SignalRow) if s.manager_id == chloe.user_id]
    assert [(s.type, s.kind) for s in signals] == [("coaching_question", "enabling")]
    assert [n for n in rows(run, NudgeRow) if n.manager_id == chloe.user_id] == []
    assert ids.ACTION_NUDGE_COACH not in dump(
        [m.blocks for m in run.harness.emulator.dm_messages(chloe.user_id)]
    )
    chloe_line = next(line for line in record.ledger if line.manager_id == chloe.user_id)
    assert (chloe_line.doing, chloe_line.enabling) == (0, 1)


def test_coaching_request_accepted_logged_rated_and_one_left_open(
    played: tuple[DemoRun, DemoRecord], company: Company
) -> None:
    run, record = played
    requests = {r.requester_id: r for r in rows(run, CoachingRequestRow)}
    jordan = company.teams[0].reps[1]
    amara = company.teams[1].reps[1]
    assert (requests[jordan.user_id].state, requests[jordan.user_id].rating) == ("rated", 5)
    assert requests[jordan.user_id].outcome
    assert requests[amara.user_id].state == "requested"
    oliver_line = next(line for line in record.ledger if line.name == "Oliver Bennett")
    assert oliver_line.open_requests == 1


def test_nudges_reach_only_the_manager_concerned(
    played: tuple[DemoRun, DemoRecord], company: Company
) -> None:
    run, _ = played
    nudged = {n.manager_id for n in rows(run, NudgeRow)}
    for person in company.people():
        has_nudge = any(
            '"block_id": "nudge_what"' in dump(m.blocks)
            for m in run.harness.emulator.dm_messages(person.user_id)
        )
        assert has_nudge == (person.user_id in nudged), person.name


def test_weekly_view_comes_from_the_published_app_homes(
    played: tuple[DemoRun, DemoRecord], company: Company
) -> None:
    run, record = played
    for team in company.teams:
        home = run.harness.emulator.home_view(team.manager.user_id)
        assert home is not None
        assert "Doing vs enabling" in dump(home["blocks"])
    vp_home = dump(record.homes[company.second_line.user_id])
    assert "Coaching coverage" in vp_home
    for private in ("Leave it with me", "data-residency", "security review"):
        assert private not in vp_home
    maya = record.ledger[0]
    # "Leave it with me, I'll send the contract": a takeover and a commitment, one moment.
    assert (maya.doing, maya.enabling) == (1, 1)
    assert f"*This week:* {maya.enabling} enabling · {maya.doing} doing" in dump(
        record.homes[maya.manager_id]
    )


def test_html_report_is_self_contained_and_escaped(played: tuple[DemoRun, DemoRecord]) -> None:
    _, record = played
    html = render_report(record)
    assert "<script" not in html
    assert re.findall(r"""(?:src|href)=["'](?!#)""", html) == []
    assert re.findall(r"url\(", html) == []
    assert "<svg" in html
    assert "Doing vs enabling" in html
    assert "O&#x27;Brien" in html
    assert "O'Brien" not in html
    for step in record.steps:
        assert f'id="step-{step.number}"' in html


def test_the_command_runs_and_writes_the_report(tmp_path: Path) -> None:
    report = tmp_path / "week.html"
    result = CliRunner().invoke(main, ["demo", "--fast", "--html", str(report), "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert report.exists()
    assert str(report.resolve()) in result.output.replace("\n", "")


def test_a_step_that_does_not_happen_fails_loudly(tmp_path: Path) -> None:
    """If the deal channels were not watched (here: not named deal-*), the takeover is never
    noticed, and the demo must stop with a clear message instead of telling the story anyway."""
    company = sample_company(7)
    broken = replace(
        company,
        teams=(replace(company.teams[0], channel_name="acme-deal"), *company.teams[1:]),
    )
    options = Options(database_url=f"sqlite:///{tmp_path / 'demo.db'}", wait_seconds=1.5)
    with DemoRun(broken, options) as run, pytest.raises(DemoFailure, match="Step 2") as failed:
        run.play()
    assert "no nudge DM reached Maya Patel" in str(failed.value)
