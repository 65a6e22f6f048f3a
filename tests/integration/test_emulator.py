"""The Slack emulator, driven over real HTTP by slack_sdk's WebClient (and by a real Bolt app).

What matters is that the emulator refuses what Slack refuses and answers like Slack, because
every other e2e test trusts it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx
import pytest
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import FixedValueRetryIntervalCalculator
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.devtools.emulator import SlackEmulator
from bot.devtools.sender import SlackRequestSender

REPO_ROOT = Path(__file__).resolve().parents[2]
REFERENCE = REPO_ROOT.parent / "shared" / "slack-reference" / "slack-api-ref"
# What manifest.yaml grants; explicit so these tests do not depend on the manifest's contents.
SCOPES = frozenset(
    {
        "channels:history",
        "channels:read",
        "chat:write",
        "chat:write.customize",
        "commands",
        "im:write",
        "team:read",
        "users:read",
    }
)
SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "Hello"}}


def modal(title: str = "Coach instead", **extra: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "coach",
        "title": {"type": "plain_text", "text": title},
        "blocks": [SECTION],
        **extra,
    }


@pytest.fixture
def emulator() -> Iterator[SlackEmulator]:
    with SlackEmulator(scopes=SCOPES) as emu:
        emu.add_user("U1", name="alice", real_name="Alice Rep", tz="America/Chicago")
        emu.add_user("U2", name="bob", real_name="Bob Manager")
        emu.add_user("U9", name="gone", deleted=True)
        emu.add_channel("C1", name="deal-acme")
        yield emu


@pytest.fixture
def client(emulator: SlackEmulator) -> WebClient:
    return WebClient(token=emulator.token, base_url=emulator.api_url, retry_handlers=[])


def slack_error(call: Any) -> str:
    with pytest.raises(SlackApiError) as caught:
        call()
    return str(caught.value.response["error"])


# -- contract checks ----------------------------------------------------------------------------


def test_unknown_method_fails_and_is_a_problem(emulator: SlackEmulator, client: WebClient) -> None:
    assert slack_error(lambda: client.api_call("chat.scheduleEverything")) == "unknown_method"
    assert emulator.problems == ["chat.scheduleEverything: not a method the app may call (unknown)"]
    assert emulator.calls_to("chat.scheduleEverything")[0].ok is False


@pytest.mark.parametrize("token", ["xoxb-wrong", ""])
def test_bad_or_missing_token_is_invalid_auth(emulator: SlackEmulator, token: str) -> None:
    client = WebClient(token=token or None, base_url=emulator.api_url)
    assert slack_error(client.auth_test) == "invalid_auth"
    assert len(emulator.problems) == 1


@pytest.mark.parametrize(
    ("method", "params", "missing"),
    [
        ("chat.postMessage", {"text": "hi"}, "channel"),
        ("users.info", {}, "user"),
        ("chat.update", {"channel": "C1", "text": "x"}, "ts"),
        ("views.publish", {"view": json.dumps({"type": "home", "blocks": []})}, "user_id"),
    ],
)
def test_missing_required_argument_fails_and_is_a_problem(
    emulator: SlackEmulator, client: WebClient, method: str, params: dict[str, str], missing: str
) -> None:
    with pytest.raises(SlackApiError) as caught:
        client.api_call(method, params=params)
    assert caught.value.response["error"] == "invalid_arguments"
    assert emulator.problems == [f"{method}: missing required argument(s) {missing}"]


def test_scope_missing_from_the_manifest_fails() -> None:
    with SlackEmulator(scopes={"users:read", "im:write"}) as strict:
        client = WebClient(token=strict.token, base_url=strict.api_url)
        with pytest.raises(SlackApiError) as caught:
            client.chat_postMessage(channel="C1", text="hi")
        assert caught.value.response["error"] == "missing_scope"
        assert caught.value.response["needed"] == "chat:write"
        assert "chat:write" in strict.problems[0]
        # auth.test and views.* need no scope: Slack documents them as no_scope_required.
        assert client.auth_test()["ok"] is True


def test_username_and_icon_need_chat_write_customize() -> None:
    with SlackEmulator(scopes={"chat:write", "users:read"}) as strict:
        strict.add_channel("C1", name="deal-acme")
        client = WebClient(token=strict.token, base_url=strict.api_url)
        client.chat_postMessage(channel="C1", text="plain is fine")
        with pytest.raises(SlackApiError) as caught:
            client.chat_postMessage(channel="C1", text="as Bob", username="Bob")
        assert caught.value.response["error"] == "missing_scope"
        assert caught.value.response["needed"] == "chat:write.customize"


def test_scopes_are_read_from_a_manifest(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text("oauth_config:\n  scopes:\n    bot:\n      - users:read\n")
    emulator = SlackEmulator(manifest_path=manifest)
    assert emulator.scopes == frozenset({"users:read"})


def test_default_scopes_come_from_the_repository_manifest() -> None:
    assert {"chat:write", "users:read", "im:write"} <= SlackEmulator().scopes


def test_a_broken_manifest_is_named_in_the_error(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text("features:\n  description: Enabler: help\n")
    with pytest.raises(ValueError, match="not valid YAML"):
        SlackEmulator(manifest_path=manifest)


@pytest.mark.parametrize(
    ("blocks", "expected"),
    [
        ([{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}], "must be plain_text"),
        ([SECTION] * 51, "limit is 50"),
        ([{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}], "limit is 3000"),
    ],
)
def test_invalid_blocks_fail_and_are_problems(
    emulator: SlackEmulator, client: WebClient, blocks: list[Any], expected: str
) -> None:
    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel="C1", text="fallback", blocks=blocks)
    assert caught.value.response["error"] == "invalid_blocks"
    assert expected in emulator.problems[0]
    assert emulator.messages("C1") == []


def test_invalid_view_fails_and_is_a_problem(emulator: SlackEmulator, client: WebClient) -> None:
    bad = modal(title="A title that is far too long for Slack")
    assert slack_error(lambda: client.views_open(trigger_id="t1", view=bad)) == "invalid_blocks"
    assert "limit is 24" in emulator.problems[0]
    home = {"type": "home", "blocks": [SECTION]}
    assert slack_error(lambda: client.views_open(trigger_id="t2", view=home)) == "invalid_blocks"


def test_undocumented_argument_is_a_problem_but_the_call_succeeds(
    emulator: SlackEmulator, client: WebClient
) -> None:
    client.chat_postMessage(channel="C1", text="hi", thread_id="123.456")
    assert emulator.problems == [
        "chat.postMessage: undocumented argument(s) thread_id (Slack ignores them)"
    ]


def test_message_needs_text_or_blocks(emulator: SlackEmulator, client: WebClient) -> None:
    assert slack_error(lambda: client.api_call("chat.postMessage", json={"channel": "C1"})) == (
        "no_text"
    )


def test_metadata_must_have_event_type_and_payload(
    emulator: SlackEmulator, client: WebClient
) -> None:
    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel="C1", text="x", metadata={"delivery": 1})
    assert caught.value.response["error"] == "invalid_metadata_format"


# -- realistic answers --------------------------------------------------------------------------


def test_post_update_permalink_roundtrip(emulator: SlackEmulator, client: WebClient) -> None:
    metadata = {"event_type": "enabler_delivery", "event_payload": {"delivery_id": 7}}
    posted = client.chat_postMessage(
        channel="#deal-acme", text="first", blocks=[SECTION], metadata=metadata
    )
    assert posted["channel"] == "C1"
    ts = posted["ts"]
    updated = client.chat_update(channel="C1", ts=ts, text="edited")
    assert updated["ts"] == ts
    [message] = emulator.messages("C1")
    assert (message.text, message.blocks, message.metadata) == ("edited", [SECTION], metadata)
    assert message.edited_ts is not None

    link = client.chat_getPermalink(channel="C1", message_ts=ts)["permalink"]
    assert link == f"https://enabler-demo.slack.com/archives/C1/p{ts.replace('.', '')}"

    reply = client.chat_postMessage(channel="C1", text="in thread", thread_ts=ts)
    reply_link = client.chat_getPermalink(channel="C1", message_ts=reply["ts"])["permalink"]
    assert reply_link.endswith(f"p{reply['ts'].replace('.', '')}?thread_ts={ts}&cid=C1")
    assert [m.text for m in emulator.thread("C1", ts)] == ["edited", "in thread"]

    client.chat_delete(channel="C1", ts=reply["ts"])
    assert [m.ts for m in emulator.messages("C1")] == [ts]
    assert emulator.problems == []


def test_message_ts_are_unique_and_increasing(emulator: SlackEmulator, client: WebClient) -> None:
    stamps = [client.chat_postMessage(channel="C1", text=str(i))["ts"] for i in range(20)]
    assert stamps == sorted(stamps, key=float)
    assert len(set(stamps)) == 20
    assert all(len(ts.split(".")[1]) == 6 for ts in stamps)


@pytest.mark.parametrize(
    ("method", "params", "error"),
    [
        ("chat.postMessage", {"channel": "C404", "text": "x"}, "channel_not_found"),
        ("chat.postMessage", {"channel": "U404", "text": "x"}, "user_not_found"),
        ("chat.postMessage", {"channel": "U9", "text": "x"}, "account_inactive"),
        ("chat.update", {"channel": "C1", "ts": "1.000001", "text": "x"}, "message_not_found"),
        ("chat.getPermalink", {"channel": "C1", "message_ts": "1.000001"}, "message_not_found"),
        ("users.info", {"user": "U404"}, "user_not_found"),
        ("conversations.info", {"channel": "C404"}, "channel_not_found"),
        ("conversations.open", {"users": "U9"}, "user_disabled"),
        ("views.update", {"view_id": "V404", "view": json.dumps(modal())}, "not_found"),
    ],
)
def test_slack_errors_for_things_that_do_not_exist(
    emulator: SlackEmulator, client: WebClient, method: str, params: dict[str, str], error: str
) -> None:
    with pytest.raises(SlackApiError) as caught:
        client.api_call(method, params=params)
    assert caught.value.response["error"] == error
    assert emulator.problems == []  # the app may meet these legitimately: not contract breaches


def test_dm_by_user_id_lands_in_the_im(emulator: SlackEmulator, client: WebClient) -> None:
    posted = client.chat_postMessage(channel="U1", text="psst")
    opened = client.conversations_open(users="U1")["channel"]["id"]
    assert posted["channel"] == opened == emulator.dm_channel("U1")
    assert opened.startswith("D")
    client.chat_postMessage(channel=opened, text="again")
    assert [m.text for m in emulator.dm_messages("U1")] == ["psst", "again"]
    assert emulator.dm_messages("U2") == []
    info = client.conversations_info(channel=opened)["channel"]
    assert (info["is_im"], info["user"]) == (True, "U1")
    assert client.conversations_open(users="U2")["channel"]["id"] != opened


def test_dm_to_a_user_deactivated_after_the_im_was_opened(
    emulator: SlackEmulator, client: WebClient
) -> None:
    im = client.conversations_open(users="U1")["channel"]["id"]
    emulator.deactivate_user("U1")
    assert slack_error(lambda: client.chat_postMessage(channel=im, text="x")) == (
        "account_inactive"
    )


@pytest.mark.parametrize(
    ("when", "tz", "offset", "label"),
    [
        (
            datetime(2025, 1, 15, 12, tzinfo=UTC),
            "America/New_York",
            -18000,
            "Eastern Standard Time",
        ),
        (
            datetime(2025, 7, 15, 12, tzinfo=UTC),
            "America/New_York",
            -14400,
            "Eastern Daylight Time",
        ),
        (datetime(2025, 7, 15, 12, tzinfo=UTC), "Europe/London", 3600, "British Summer Time"),
        (datetime(2025, 7, 15, 12, tzinfo=UTC), "Australia/Sydney", 36000, "AEST"),
    ],
)
def test_users_info_has_time_zone_and_status(
    when: datetime, tz: str, offset: int, label: str
) -> None:
    with SlackEmulator(scopes=SCOPES, clock=when.timestamp) as emu:
        emu.add_user("U1", name="alice", real_name="Alice Rep", tz=tz)
        emu.set_status("U1", "Out of office", ":palm_tree:")
        client = WebClient(token=emu.token, base_url=emu.api_url)
        user = client.users_info(user="U1")["user"]
    assert (user["tz"], user["tz_offset"], user["tz_label"]) == (tz, offset, label)
    assert (user["name"], user["real_name"], user["is_bot"], user["deleted"]) == (
        "alice",
        "Alice Rep",
        False,
        False,
    )
    profile = user["profile"]
    assert (profile["status_text"], profile["status_emoji"]) == ("Out of office", ":palm_tree:")
    assert profile["image_72"].startswith("https://")


def test_set_user_tz_changes_what_users_info_says(
    emulator: SlackEmulator, client: WebClient
) -> None:
    emulator.set_user_tz("U1", "Asia/Tokyo")
    assert client.users_info(user="U1")["user"]["tz_offset"] == 9 * 3600


def test_auth_test_team_info_and_channel_info(emulator: SlackEmulator, client: WebClient) -> None:
    auth = client.auth_test()
    assert (auth["user_id"], auth["bot_id"], auth["team_id"]) == (
        emulator.bot_user_id,
        emulator.bot_id,
        emulator.team_id,
    )
    team = client.team_info()["team"]
    assert (team["id"], team["domain"]) == ("T0001", "enabler-demo")
    channel = client.conversations_info(channel="C1")["channel"]
    assert (channel["name"], channel["is_private"], channel["is_im"]) == ("deal-acme", False, False)


def test_ephemeral_messages_are_kept_apart(emulator: SlackEmulator, client: WebClient) -> None:
    client.chat_postEphemeral(channel="C1", user="U1", text="only you")
    assert [e.text for e in emulator.ephemeral_messages("U1")] == ["only you"]
    assert emulator.messages("C1") == []


# -- views --------------------------------------------------------------------------------------


def test_views_open_push_update_and_hash(emulator: SlackEmulator, client: WebClient) -> None:
    opened = client.views_open(trigger_id="t1", view=modal(private_metadata="deal=7"))["view"]
    assert opened["id"].startswith("V")
    assert (opened["callback_id"], opened["private_metadata"]) == ("coach", "deal=7")
    pushed = client.views_push(trigger_id="t2", view=modal(title="Step 2"))["view"]
    assert pushed["root_view_id"] == opened["id"]
    assert pushed["previous_view_id"] == opened["id"]
    assert [v["id"] for v in emulator.open_views()] == [opened["id"], pushed["id"]]

    updated = client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal("New"))
    assert updated["view"]["id"] == opened["id"]
    assert updated["view"]["hash"] != opened["hash"]
    with pytest.raises(SlackApiError) as caught:
        client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal("Stale"))
    assert caught.value.response["error"] == "hash_conflict"

    emulator.close_view(opened["id"])
    assert emulator.open_views() == []
    assert emulator.problems == []


def test_a_trigger_id_can_open_only_one_view(emulator: SlackEmulator, client: WebClient) -> None:
    client.views_open(trigger_id="t1", view=modal())
    assert slack_error(lambda: client.views_open(trigger_id="t1", view=modal())) == (
        "exchanged_trigger_id"
    )
    assert "already used" in emulator.problems[0]


def test_views_publish_keeps_one_home_per_user(emulator: SlackEmulator, client: WebClient) -> None:
    first = client.views_publish(user_id="U1", view={"type": "home", "blocks": [SECTION]})
    second = client.views_publish(user_id="U1", view={"type": "home", "blocks": []})
    assert first["view"]["id"] == second["view"]["id"]
    home = emulator.home_view("U1")
    assert home is not None
    assert home["blocks"] == []
    assert emulator.home_view("U2") is None
    with pytest.raises(SlackApiError) as caught:
        client.views_publish(user_id="U1", view=modal())
    assert caught.value.response["error"] == "invalid_blocks"


# -- faults -------------------------------------------------------------------------------------


def test_injected_429_honours_retry_after(emulator: SlackEmulator) -> None:
    emulator.inject_fault("chat.postMessage", status=429, retry_after=1)
    client = WebClient(
        token=emulator.token,
        base_url=emulator.api_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )
    assert client.chat_postMessage(channel="C1", text="hi")["ok"] is True
    first, second = emulator.calls_to("chat.postMessage")
    assert (first.status, first.error, second.ok) == (429, "ratelimited", True)
    # The handler slept Retry-After (1 s) plus jitter before retrying: a lower bound, not a race.
    assert second.time - first.time >= 1.0
    assert emulator.rate_limited_count == 1
    assert len(emulator.messages("C1")) == 1


@pytest.mark.parametrize("status", [500, 503])
def test_injected_5xx_is_retried(emulator: SlackEmulator, status: int) -> None:
    emulator.inject_fault("users.info", status=status)
    client = WebClient(
        token=emulator.token,
        base_url=emulator.api_url,
        retry_handlers=[
            ServerErrorRetryHandler(
                max_retry_count=1, interval_calculator=FixedValueRetryIntervalCalculator(0.01)
            )
        ],
    )
    assert client.users_info(user="U1")["user"]["id"] == "U1"
    assert [c.status for c in emulator.calls_to("users.info")] == [status, 200]


def test_injected_error_answers_ok_false_the_given_times(
    emulator: SlackEmulator, client: WebClient
) -> None:
    emulator.inject_fault("chat.postMessage", error="fatal_error", times=2)
    for _ in range(2):
        assert slack_error(lambda: client.chat_postMessage(channel="C1", text="x")) == (
            "fatal_error"
        )
    assert client.chat_postMessage(channel="C1", text="x")["ok"] is True
    assert emulator.problems == []


def test_injected_delay_times_out_the_client(emulator: SlackEmulator) -> None:
    emulator.inject_fault("auth.test", delay=0.5)
    # slack_sdk annotates timeout as int, but hands it to urllib, which takes seconds as float.
    client = WebClient(token=emulator.token, base_url=emulator.api_url, timeout=0.1)  # type: ignore[arg-type]
    with pytest.raises(TimeoutError):
        client.auth_test()


def test_fault_for_any_method(emulator: SlackEmulator, client: WebClient) -> None:
    emulator.inject_fault("*", error="service_unavailable", times=0)
    assert slack_error(client.auth_test) == "service_unavailable"
    assert slack_error(lambda: client.users_info(user="U1")) == "service_unavailable"
    emulator.clear_faults()
    assert client.auth_test()["ok"] is True


# -- rate limits --------------------------------------------------------------------------------


def test_rate_limits_are_off_by_default(emulator: SlackEmulator, client: WebClient) -> None:
    for _ in range(30):
        client.chat_postMessage(channel="C1", text="x")
    assert emulator.rate_limited_count == 0


def test_tier_limit_answers_429_with_retry_after(
    emulator: SlackEmulator, client: WebClient
) -> None:
    emulator.enforce_rate_limits({"t4": 3})  # users.info is tier 4
    for _ in range(3):
        client.users_info(user="U1")
    with pytest.raises(SlackApiError) as caught:
        client.users_info(user="U1")
    assert caught.value.response.status_code == 429
    assert int(caught.value.response.headers["Retry-After"]) >= 1
    assert emulator.rate_limited_count == 1
    # Other methods have their own allowance.
    assert client.team_info()["ok"] is True


def test_post_message_is_limited_per_channel(emulator: SlackEmulator, client: WebClient) -> None:
    emulator.enforce_rate_limits()
    client.chat_postMessage(channel="C1", text="one")
    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel="C1", text="two")
    assert caught.value.response.status_code == 429
    client.chat_postMessage(channel="U1", text="another channel is fine")
    assert emulator.rate_limited_count == 1


def test_scaled_rate_limits_let_a_retrying_client_through_quickly(emulator: SlackEmulator) -> None:
    emulator.enforce_rate_limits({"t4": 2}, scale=0.001)  # a "minute" lasts 60 ms
    client = WebClient(
        token=emulator.token,
        base_url=emulator.api_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=5)],
    )
    for _ in range(3):  # the third waits for a token: Retry-After 0, then slack_sdk's jitter
        assert client.users_info(user="U1")["ok"] is True
    limited = [c for c in emulator.calls_to("users.info") if c.status == 429]
    assert emulator.rate_limited_count == len(limited) >= 1


def test_retry_after_header_over_raw_http(emulator: SlackEmulator) -> None:
    emulator.enforce_rate_limits({"t3": 1})  # team.info is tier 3
    headers = {"Authorization": f"Bearer {emulator.token}"}
    with httpx.Client() as http:
        assert http.post(emulator.api_url + "team.info", headers=headers).json()["ok"] is True
        limited = http.post(emulator.api_url + "team.info", headers=headers)
    assert limited.status_code == 429
    assert limited.json() == {"ok": False, "error": "ratelimited"}
    assert 1 <= int(limited.headers["Retry-After"]) <= 60


# -- wire formats and response_url --------------------------------------------------------------


def test_form_body_with_token_field_and_json_body_with_bearer(emulator: SlackEmulator) -> None:
    with httpx.Client() as http:
        form = http.post(
            emulator.api_url + "chat.postMessage",
            data={
                "token": emulator.token,
                "channel": "C1",
                "text": "form",
                "blocks": json.dumps([SECTION]),
            },
        ).json()
        as_json = http.post(
            emulator.api_url + "chat.postMessage",
            json={"channel": "C1", "text": "json", "blocks": [SECTION]},
            headers={"Authorization": f"Bearer {emulator.token}"},
        ).json()
    assert form["ok"] is True
    assert as_json["ok"] is True
    assert [m.blocks for m in emulator.messages("C1")] == [[SECTION], [SECTION]]
    assert all("token" not in c.args for c in emulator.calls)
    assert emulator.calls[0].args["blocks"] == [SECTION]  # decoded, not a JSON string


def test_response_url_records_what_the_app_sends(emulator: SlackEmulator) -> None:
    url = emulator.new_response_url()
    with httpx.Client() as http:
        answer = http.post(url, json={"text": "done", "response_type": "ephemeral"})
        missing = http.post(url.rsplit("/", 1)[0] + "/R404", json={"text": "x"})
    assert (answer.status_code, answer.text) == (200, "ok")
    assert emulator.responses(url) == [{"text": "done", "response_type": "ephemeral"}]
    assert missing.status_code == 404
    assert emulator.problems == ["response_url R404: not issued by this emulator"]


def test_reset_record_keeps_the_workspace(emulator: SlackEmulator, client: WebClient) -> None:
    client.chat_postMessage(channel="C1", text="x", thread_id="typo")
    assert emulator.problems != []
    emulator.reset_record()
    assert (emulator.calls, emulator.problems) == ([], [])
    assert len(emulator.messages("C1")) == 1


def test_emulators_run_side_by_side_on_their_own_ports() -> None:
    with SlackEmulator(scopes=SCOPES) as one, SlackEmulator(scopes=SCOPES) as two:
        assert one.api_url != two.api_url
        assert one.api_url.endswith("/api/")


# -- the reference extract ------------------------------------------------------------------------


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="../shared/slack-reference is not present")
def test_slack_methods_json_matches_the_reference() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "gen_slack_reference.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


# -- the sender, against a real Bolt app ----------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


SIGNING_SECRET = "test-signing-secret"


@pytest.fixture
def bolt(emulator: SlackEmulator) -> Iterator[tuple[SlackRequestSender, list[tuple[str, Any]]]]:
    """A tiny Bolt app served over HTTP, calling the emulator, recording what reached it."""
    seen: list[tuple[str, Any]] = []
    app = App(
        client=WebClient(token=emulator.token, base_url=emulator.api_url),
        signing_secret=SIGNING_SECRET,
        process_before_response=True,
    )

    @app.command("/enabler")
    def on_command(ack: Any, command: dict[str, Any], client: WebClient) -> None:
        ack()
        seen.append(("command", command))
        client.views_open(trigger_id=command["trigger_id"], view=modal(private_metadata="d=1"))

    @app.action("coach")
    def on_action(ack: Any, body: dict[str, Any]) -> None:
        ack()
        seen.append(("action", body))

    @app.view("coach")
    def on_view(ack: Any, view: dict[str, Any]) -> None:
        ack()
        seen.append(("view", view))

    @app.shortcut("request_coaching")
    def on_shortcut(ack: Any, shortcut: dict[str, Any]) -> None:
        ack()
        seen.append(("shortcut", shortcut))

    @app.shortcut("log_one_on_one")
    def on_message_shortcut(ack: Any, shortcut: dict[str, Any]) -> None:
        ack()
        seen.append(("message_shortcut", shortcut))

    @app.event("app_home_opened")
    def on_home(event: dict[str, Any], request: Any) -> None:
        seen.append(("event", (event, request.headers.get("x-slack-retry-num"))))

    server: WSGIServer = make_server(
        "127.0.0.1", 0, SlackRequestHandler(app), handler_class=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    with SlackRequestSender(url, SIGNING_SECRET, response_urls=emulator.new_response_url) as s:
        yield s, seen
    server.shutdown()
    server.server_close()


def test_sender_slash_command_opens_a_modal_and_submits_it(
    emulator: SlackEmulator, bolt: tuple[SlackRequestSender, list[tuple[str, Any]]]
) -> None:
    sender, seen = bolt
    assert sender.command("U1", "coach", channel_id="C1").status_code == 200
    kind, command = seen[0]
    assert (kind, command["text"], command["user_id"]) == ("command", "coach", "U1")
    assert command["response_url"].startswith(emulator.base_url)
    [opened] = emulator.open_views()
    assert emulator.calls_to("views.open")[0].args["trigger_id"] == sender.last_trigger_id

    values = {"notes": {"text": {"type": "plain_text_input", "value": "ask, don't tell"}}}
    assert sender.view_submission("U1", opened, values).status_code == 200
    kind, view = seen[1]
    assert (kind, view["private_metadata"], view["id"]) == ("view", "d=1", opened["id"])
    assert view["state"]["values"] == values
    assert emulator.problems == []


def test_sender_block_action_on_a_posted_message(
    emulator: SlackEmulator,
    client: WebClient,
    bolt: tuple[SlackRequestSender, list[tuple[str, Any]]],
) -> None:
    sender, seen = bolt
    button = {
        "type": "button",
        "action_id": "coach",
        "text": {"type": "plain_text", "text": "Coach"},
        "value": "deal-7",
    }
    blocks: list[dict[str, Any]] = [
        SECTION,
        {"type": "actions", "block_id": "nudge", "elements": [button]},
    ]
    client.chat_postMessage(channel="U1", text="nudge", blocks=blocks)
    [message] = emulator.dm_messages("U1")
    sender.block_action(
        "U1", "coach", message=message.to_api(emulator.team_id), channel_id=message.channel
    )
    kind, body = seen[0]
    assert kind == "action"
    assert body["actions"][0]["value"] == "deal-7"
    assert body["actions"][0]["block_id"] == "nudge"
    assert body["container"]["message_ts"] == message.ts
    assert body["channel"]["id"] == message.channel


def test_sender_shortcuts_and_unique_trigger_ids(
    bolt: tuple[SlackRequestSender, list[tuple[str, Any]]],
) -> None:
    sender, seen = bolt
    sender.global_shortcut("U1", "request_coaching")
    sender.message_shortcut(
        "U2", "log_one_on_one", channel_id="C1", message={"ts": "1.000100", "text": "hi"}
    )
    assert [k for k, _ in seen] == ["shortcut", "message_shortcut"]
    triggers = {seen[0][1]["trigger_id"], seen[1][1]["trigger_id"]}
    assert len(triggers) == 2
    assert seen[1][1]["message"]["text"] == "hi"


def test_sender_event_and_retry_headers(
    bolt: tuple[SlackRequestSender, list[tuple[str, Any]]],
) -> None:
    sender, seen = bolt
    event = {"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"}
    sender.event(event, event_id="Ev1")
    sender.event(event, event_id="Ev1", retry_num=1)
    assert [retry for _, (_, retry) in seen] == [None, ["1"]]


@pytest.mark.parametrize("tamper", ["signature", "stale"])
def test_bad_signatures_are_rejected_by_bolt(
    bolt: tuple[SlackRequestSender, list[tuple[str, Any]]], tamper: str
) -> None:
    sender, seen = bolt
    body = b"command=%2Fenabler&text=help&user_id=U1&trigger_id=t"
    headers = sender.signed_headers(body, "application/x-www-form-urlencoded")
    if tamper == "signature":
        headers["X-Slack-Signature"] = sender.sign(
            body + b"x", headers["X-Slack-Request-Timestamp"]
        )
    else:
        old = int(headers["X-Slack-Request-Timestamp"]) - 600
        headers.update(
            {"X-Slack-Request-Timestamp": str(old), "X-Slack-Signature": sender.sign(body, old)}
        )
    assert sender.raw(body, headers).status_code == 401
    assert seen == []
