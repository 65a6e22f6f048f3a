"""The app over real HTTP: signed requests in, the emulator recording what comes out."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from slack_bolt.request import BoltRequest
from sqlalchemy import func, select

from bot.db.rows import InboxEventRow
from bot.devtools.harness import Harness, wait_for
from bot.slack.listeners.events import HttpEvents


def _texts(blocks: list[dict]) -> str:
    return json.dumps(blocks)


def test_help_is_ephemeral_and_lists_commands_for_the_role(harness: Harness) -> None:
    resp = harness.sender.command("U0MGR1", "help")
    assert resp.status_code == 200
    body = resp.json()
    assert body["response_type"] == "ephemeral"
    assert "/enabler help" in _texts(body["blocks"])


def test_unknown_subcommand_gets_help_with_a_note(harness: Harness) -> None:
    body = harness.sender.command("U0REP1", "frobnicate now").json()
    assert "I don't know `frobnicate`" in _texts(body["blocks"])


def test_garbage_command_text_is_handled(harness: Harness) -> None:
    body = harness.sender.command("U0REP1", '"unbalanced quote \x00 <@U1|x>').json()
    assert body["response_type"] == "ephemeral"


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ("U0REP1", "your space for growing as a seller"),
        ("U0MGR1", "your week as a coach"),
        ("U0VP", "your managers"),
        ("U0OPS", "Enabler setup"),
        ("U0STRANGER", "not on the roster yet"),
    ],
)
def test_app_home_differs_by_role(harness: Harness, user: str, expected: str) -> None:
    harness.sender.event({"type": "app_home_opened", "user": user, "channel": "D0X", "tab": "home"})
    view = wait_for(lambda: harness.emulator.home_view(user))
    assert expected in _texts(view["blocks"])


def test_duplicate_event_delivered_three_times_is_processed_once(harness: Harness) -> None:
    event = {"type": "app_home_opened", "user": "U0MGR1", "channel": "D0X", "tab": "home"}
    first = harness.sender.event(event, event_id="Ev0DUP")
    assert first.status_code == 200
    for retry in (1, 2, 3):
        assert harness.sender.event(event, event_id="Ev0DUP", retry_num=retry).status_code == 200
    wait_for(lambda: harness.emulator.calls_to("views.publish"))
    time.sleep(0.3)  # give any wrongly-accepted retry the chance to publish again
    assert len(harness.emulator.calls_to("views.publish")) == 1
    with harness.runtime.deps.uow() as tx:
        count = tx.session.scalar(select(func.count()).select_from(InboxEventRow))
        row = tx.session.get(InboxEventRow, "Ev0DUP")
    assert count == 1
    assert row is not None
    assert row.outcome == "ok"
    assert row.payload is None
    metrics = harness.runtime.deps.metrics.render().decode()
    assert "enabler_events_duplicate_total 3.0" in metrics


def test_bad_signature_and_stale_timestamp_are_rejected_without_side_effects(
    harness: Harness,
) -> None:
    body = json.dumps(
        {
            "type": "event_callback",
            "team_id": harness.team_id,
            "event_id": "Ev0BAD",
            "event": {"type": "app_home_opened", "user": "U0MGR1", "tab": "home"},
        }
    ).encode()
    now = int(time.time())
    bad_sig = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": str(now),
        "X-Slack-Signature": "v0=" + "0" * 64,
    }
    assert harness.sender.raw(body, bad_sig).status_code == 401
    stale = now - 60 * 10
    stale_headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": str(stale),
        "X-Slack-Signature": harness.sender.sign(body, stale),
    }
    assert harness.sender.raw(body, stale_headers).status_code == 401
    time.sleep(0.2)
    assert harness.emulator.calls_to("views.publish") == []
    with harness.runtime.deps.uow() as tx:
        assert tx.session.get(InboxEventRow, "Ev0BAD") is None


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"payload=%7Bnot-json", "application/x-www-form-urlencoded"),
        (b"", "application/json"),
        (b"\xff\xfe\x00garbage", "application/octet-stream"),
    ],
)
def test_malformed_bodies_get_4xx_not_5xx(harness: Harness, body: bytes, content_type: str) -> None:
    headers = harness.sender.signed_headers(body, content_type)
    status = harness.sender.raw(body, headers).status_code
    assert 400 <= status < 500


def test_unknown_event_types_are_acked_and_counted(harness: Harness) -> None:
    resp = harness.sender.event({"type": "pin_added", "user": "U0REP1", "channel_id": "C0ACME"})
    assert resp.status_code == 200
    row = wait_for(lambda: _processed(harness, harness.sender.last_event_id))
    assert row.outcome == "ignored:unhandled"


def _processed(harness: Harness, event_id: str | None) -> InboxEventRow | None:
    with harness.runtime.deps.uow() as tx:
        row = tx.session.get(InboxEventRow, event_id)
        return row if row is not None and row.processed_at is not None else None


def test_healthz_and_metrics(harness: Harness) -> None:
    base = harness.server.url
    assert httpx.get(f"{base}/healthz").status_code == 200
    harness.sender.command("U0REP1", "help")
    text = httpx.get(f"{base}/metrics").text
    assert 'enabler_slack_requests_total{kind="command"} 1.0' in text
    assert httpx.get(f"{base}/nope").status_code == 404
    assert httpx.get(f"{base}/slack/events").status_code == 405


def test_healthz_fails_when_the_database_is_gone(harness: Harness) -> None:
    harness.runtime.engine.dispose()
    harness.runtime.engine.pool._creator = _broken  # type: ignore[attr-defined]
    assert httpx.get(f"{harness.server.url}/healthz").status_code == 503


def _broken() -> None:
    raise OSError("database is unreachable")


def test_user_change_refreshes_time_zone(harness: Harness) -> None:
    harness.sender.event(
        {"type": "user_change", "user": {"id": "U0MGR1", "name": "maya", "tz": "Europe/Paris"}}
    )
    from bot.db.repositories.core import PeopleRepo

    def tz() -> str | None:
        with harness.runtime.deps.uow() as tx:
            row = PeopleRepo(tx.session, harness.team_id).get("U0MGR1")
            return row.timezone if row and row.timezone == "Europe/Paris" else None

    assert wait_for(tz) == "Europe/Paris"


def test_a_signed_event_envelope_without_an_event_id_is_refused_and_counted(
    harness: Harness,
) -> None:
    body = json.dumps(
        {"type": "event_callback", "team_id": harness.team_id, "event": {"type": "message"}}
    ).encode()
    response = harness.sender.raw(body, harness.sender.signed_headers(body, "application/json"))
    assert response.status_code == 400
    metrics = harness.runtime.deps.metrics.render().decode()
    assert 'enabler_rejections_total{reason="malformed_event"} 1.0' in metrics
    with harness.runtime.deps.uow() as tx:
        assert tx.session.scalar(select(func.count()).select_from(InboxEventRow)) == 0


def _envelope(harness: Harness, event: dict, event_id: str) -> dict:
    return {
        "type": "event_callback",
        "team_id": harness.team_id,
        "api_app_id": "A0ENABLER",
        "event_id": event_id,
        "event_time": int(time.time()),
        "event": event,
    }


def _deliver(harness: Harness, door: str, event: dict, event_id: str) -> int:
    """One delivery through a door: "http" (signed POST; answered ahead of Bolt) or "bolt"
    (Bolt's dispatch, as a Socket Mode envelope arrives)."""
    if door == "http":
        return harness.sender.event(event, event_id=event_id).status_code
    request = BoltRequest(body=json.dumps(_envelope(harness, event, event_id)), mode="socket_mode")
    return harness.runtime.app.dispatch(request).status


def _recorded(harness: Harness, event_id: str) -> bool:
    with harness.runtime.deps.uow() as tx:
        return tx.session.get(InboxEventRow, event_id) is not None


@pytest.mark.parametrize("door", ["http", "bolt"])
def test_both_doors_record_an_event_once_and_drop_the_apps_own(harness: Harness, door: str) -> None:
    bot = harness.runtime.deps.bot_user_id
    assert bot
    message = {"type": "message", "channel": "C0ACME", "user": "U0REP1", "text": "hi", "ts": "1.1"}
    assert _deliver(harness, door, message, f"Ev0{door}A") == 200
    assert _deliver(harness, door, message, f"Ev0{door}A") == 200  # Slack's retry
    assert _recorded(harness, f"Ev0{door}A")
    own = [
        {"type": "message", "channel": "C0ACME", "user": bot, "text": "hello", "ts": "1.2"},
        {
            "type": "message",
            "subtype": "bot_message",
            "bot_id": harness.runtime.deps.bot_id,
            "channel": "C0ACME",
            "text": "nudge",
            "ts": "1.3",
        },
        {
            "type": "message",
            "subtype": "message_changed",
            "channel": "C0ACME",
            "message": {"user": bot, "text": "edited", "ts": "1.2"},
            "ts": "1.4",
        },
        {"type": "user_change", "user": {"id": bot, "name": "enabler"}},
    ]
    for i, event in enumerate(own):
        assert _deliver(harness, door, event, f"Ev0{door}OWN{i}") == 200
        assert not _recorded(harness, f"Ev0{door}OWN{i}"), event
    # Joining a channel is the one self event the app needs (its "now watching" notice).
    joined = {"type": "member_joined_channel", "user": bot, "channel": "C0ACME"}
    assert _deliver(harness, door, joined, f"Ev0{door}JOIN") == 200
    assert _recorded(harness, f"Ev0{door}JOIN")
    metrics = harness.runtime.deps.metrics.render().decode()
    assert "enabler_events_duplicate_total 1.0" in metrics
    # Counted as Bolt counts them: the app's own events are not requests to answer.
    assert 'enabler_slack_requests_total{kind="event"} 3.0' in metrics


def test_the_http_door_answers_only_signed_json_event_callbacks(harness: Harness) -> None:
    """What HttpEvents leaves to Bolt (None) is everything Bolt must answer its own way."""
    door = HttpEvents(harness.runtime.deps, harness.signing_secret)
    sender = harness.sender

    def environ(body: bytes, headers: dict[str, str]) -> dict[str, str]:
        return {
            "CONTENT_TYPE": headers["Content-Type"],
            "HTTP_X_SLACK_REQUEST_TIMESTAMP": headers["X-Slack-Request-Timestamp"],
            "HTTP_X_SLACK_SIGNATURE": headers["X-Slack-Signature"],
        }

    event = json.dumps(
        _envelope(harness, {"type": "app_home_opened", "user": "U0MGR1"}, "Ev0DOOR")
    ).encode()
    signed = sender.signed_headers(event, "application/json")
    assert door(event, environ(event, signed)) == (200, "")
    assert _recorded(harness, "Ev0DOOR")

    challenge = json.dumps({"type": "url_verification", "challenge": "abc"}).encode()
    form = b"command=%2Fenabler&text=help"
    now = int(time.time())
    left_to_bolt = [
        (challenge, sender.signed_headers(challenge, "application/json")),
        (form, sender.signed_headers(form, "application/x-www-form-urlencoded")),
        (b"{not json", sender.signed_headers(b"{not json", "application/json")),
        (b"[1, 2]", sender.signed_headers(b"[1, 2]", "application/json")),
        (event, {**signed, "X-Slack-Signature": "v0=" + "0" * 64}),
        (event, {**signed, "X-Slack-Request-Timestamp": str(now - 600)}),
        (event, {**signed, "X-Slack-Request-Timestamp": "soon"}),
    ]
    for body, headers in left_to_bolt:
        assert door(body, environ(body, headers)) is None, (body, headers)
