"""The outbox against a real database and the Slack emulator over HTTP: sent once, or failed
with a reason, never retried forever."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.clock import FixedClock
from bot.config import Settings
from bot.db.engine import make_engine, make_session_factory
from bot.db.repositories.core import WorkspaceRepo
from bot.db.rows import DeliveryRow
from bot.db.unit_of_work import UnitOfWorkFactory
from bot.delivery.worker import METADATA_EVENT, OutboxWorker, WorkerConfig
from bot.devtools.emulator import SlackEmulator
from bot.services import outbox
from bot.services.outbox import Message
from bot.slack_client import make_client

TEAM = "T0001"
START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


@dataclass
class Env:
    emulator: SlackEmulator
    uow: UnitOfWorkFactory
    clock: FixedClock
    url: str

    def worker(self, **config: object) -> OutboxWorker:
        settings = Settings(
            database_url=self.url,
            slack_bot_token=self.emulator.token,
            slack_api_url=self.emulator.api_url,
        )
        return OutboxWorker(
            uow=self.uow,
            client=make_client(settings, for_outbox=True),
            clock=self.clock,
            config=WorkerConfig(post_rate_per_second=1000, **config),  # type: ignore[arg-type]
        )

    def post(self, key: str, *, to_user: str = "U0MGR1", **kw: object) -> int | None:
        with self.uow() as tx:
            delivery = outbox.post(
                tx,
                workspace_id=TEAM,
                kind="test",
                dedupe_key=key,
                message=Message(text=f"hello {key}"),
                now=self.clock.now(),
                to_user=to_user,
                **kw,  # type: ignore[arg-type]
            )
            tx.commit()
        return delivery

    def edit(self, of_delivery: int, key: str, text: str) -> int | None:
        with self.uow() as tx:
            delivery = outbox.update(
                tx,
                workspace_id=TEAM,
                kind="test",
                dedupe_key=key,
                of_delivery=of_delivery,
                message=Message(text=text),
                now=self.clock.now(),
            )
            tx.commit()
        return delivery

    def row(self, delivery_id: int) -> DeliveryRow:
        with self.uow() as tx:
            row = tx.session.get(DeliveryRow, delivery_id)
            assert row is not None
            return row


@pytest.fixture
def env(fresh_url: str) -> Iterator[Env]:
    engine = make_engine(fresh_url)
    uow = UnitOfWorkFactory(make_session_factory(engine))
    clock = FixedClock(START)
    with uow() as tx:
        WorkspaceRepo(tx.session).ensure(TEAM, now=clock.now())
        tx.commit()
    with SlackEmulator() as emulator:
        emulator.add_user("U0MGR1", name="maya", real_name="Maya Patel")
        emulator.add_user("U0GONE", name="gone", real_name="Gone Person", deleted=True)
        emulator.add_channel("C0ACME", name="deal-acme")
        yield Env(emulator, uow, clock, fresh_url)
        assert emulator.problems == []
    engine.dispose()


def test_sent_once_with_metadata_and_ts(env: Env) -> None:
    first = env.post("k1")
    assert env.post("k1") is None, "the same key is queued once"
    result = env.worker().drain()
    assert (result.sent, result.failed) == (1, 0)
    assert first is not None
    row = env.row(first)
    assert row.status == "sent"
    assert row.sent_ts
    messages = env.emulator.dm_messages("U0MGR1")
    assert len(messages) == 1
    assert messages[0].metadata == {
        "event_type": METADATA_EVENT,
        "event_payload": {"delivery_id": first},
    }
    assert env.worker().drain().sent == 0, "nothing is sent twice"


def test_not_before_due_and_expired_is_cancelled(env: Env) -> None:
    later = env.post("later", due_at=START + timedelta(hours=1))
    stale = env.post("stale", due_at=START, expires_at=START + timedelta(minutes=5))
    env.clock.advance(timedelta(minutes=10))
    result = env.worker().drain()
    assert result.expired == 1
    assert later is not None
    assert stale is not None
    assert env.row(later).status == "pending"
    assert (env.row(stale).status, env.row(stale).last_error) == ("cancelled", "expired")
    env.clock.advance(timedelta(hours=1))
    assert env.worker().drain().sent == 1


def test_permanent_errors_fail_at_once(env: Env) -> None:
    gone = env.post("gone", to_user="U0GONE")
    assert env.worker().drain().failed == 1
    env.emulator.inject_fault("chat.postMessage", error="channel_not_found")
    missing = env.post("missing", to_user="U0MGR1")
    assert env.worker().drain().failed == 1
    assert gone is not None
    assert missing is not None
    assert env.row(gone).last_error in ("account_inactive", "user_not_found", "channel_not_found")
    assert env.row(missing).status == "failed"
    assert env.row(missing).attempts == 1


def test_server_errors_back_off_then_succeed_and_never_forever(env: Env) -> None:
    env.emulator.inject_fault("chat.postMessage", status=503, times=1)
    delivery = env.post("flaky")
    assert delivery is not None
    first = env.worker().drain()
    assert first.retried == 1
    row = env.row(delivery)
    assert row.status == "pending"
    assert row.due_at > START
    env.clock.advance(timedelta(minutes=1))
    assert env.worker().drain().sent == 1

    env.emulator.inject_fault("chat.postMessage", status=500, times=0)  # until cleared
    doomed = env.post("doomed")
    assert doomed is not None
    for _ in range(10):
        env.worker().drain()
        env.clock.advance(timedelta(minutes=15))
    env.emulator.clear_faults()
    row = env.row(doomed)
    assert row.status == "failed"
    assert row.last_error is not None
    assert row.last_error.startswith("gave_up")


def test_rate_limit_is_honoured(env: Env) -> None:
    env.emulator.inject_fault("chat.postMessage", status=429, retry_after=30, times=1)
    delivery = env.post("limited")
    assert delivery is not None
    result = env.worker().drain()
    assert (result.sent, result.retried) == (0, 1)
    row = env.row(delivery)
    assert row.due_at == START + timedelta(seconds=30), "Retry-After is honoured"
    assert row.attempts == 0, "a 429 is not the message's fault"
    env.clock.advance(timedelta(seconds=29))
    assert env.worker().drain().sent == 0
    env.clock.advance(timedelta(seconds=2))
    assert env.worker().drain().sent == 1


def test_updates_wait_for_their_message(env: Env) -> None:
    original = env.post("orig", due_at=START + timedelta(seconds=30))
    assert original is not None
    edit = env.edit(original, "orig:edit", "edited")
    assert edit is not None
    env.worker().drain()
    assert env.row(edit).status == "pending"
    env.clock.advance(timedelta(minutes=1))
    env.worker().drain()
    env.clock.advance(timedelta(minutes=1))
    env.worker().drain()
    assert env.row(edit).status == "sent"
    assert [m.text for m in env.emulator.dm_messages("U0MGR1")] == ["edited"]


def test_a_newer_edit_replaces_queued_ones_so_only_the_latest_is_sent(env: Env) -> None:
    original = env.post("orig")
    assert original is not None
    env.worker().drain()  # the message is out; now three edits queue up before the next drain
    edits = [env.edit(original, f"orig:v{v}", f"version {v}") for v in (1, 2, 3)]
    # The same edit queued again (a double click) is a duplicate and supersedes nothing.
    assert env.edit(original, "orig:v3", "version 3") is None
    env.worker().drain()
    assert [env.row(e).status for e in edits if e is not None] == ["cancelled", "cancelled", "sent"]
    assert len(env.emulator.calls_to("chat.update")) == 1
    assert [m.text for m in env.emulator.dm_messages("U0MGR1")] == ["version 3"]


def test_crash_mid_send_is_reconciled_without_a_duplicate(env: Env) -> None:
    sent_before_crash = env.post("a")
    never_sent = env.post("b")
    assert sent_before_crash is not None
    assert never_sent is not None
    # Act out a worker that died after Slack accepted "a" but before recording it, and
    # died before sending "b": both rows are left `sending` with a lease that will expire.
    env.emulator.add_user("U0MGR2", name="m2", real_name="M Two")
    worker = env.worker()
    worker.client.chat_postMessage(
        channel="U0MGR1",
        text="hello a",
        metadata={
            "event_type": METADATA_EVENT,
            "event_payload": {"delivery_id": sent_before_crash},
        },
    )
    with env.uow() as tx:
        for delivery_id in (sent_before_crash, never_sent):
            row = tx.session.get(DeliveryRow, delivery_id)
            assert row is not None
            row.status, row.attempts = "sending", 1
            row.send_started_at = START - timedelta(seconds=1)
            row.lease_owner, row.lease_until = "dead-worker", START + timedelta(seconds=60)
        tx.commit()
    assert worker.drain().sent == 0, "leases still valid: nobody touches them"
    env.clock.advance(timedelta(minutes=2))
    fast_history = env.worker(history_calls_per_minute=6000)
    result = fast_history.drain()
    assert result.reconciled == 1, "one history call a round"
    result = fast_history.drain()
    assert result.reconciled == 1
    assert result.sent == 1
    assert env.row(sent_before_crash).status == "sent"
    assert env.row(never_sent).status == "sent"
    assert sorted(m.text for m in env.emulator.dm_messages("U0MGR1")) == ["hello a", "hello b"]


def test_two_workers_share_the_queue_without_duplicates(env: Env) -> None:
    for i in range(120):
        env.post(f"fan-{i}")
    workers = [env.worker(batch=10, concurrency=3) for _ in range(2)]
    threads = [threading.Thread(target=w.drain) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    texts = [m.text for m in env.emulator.dm_messages("U0MGR1")]
    assert len(texts) == 120
    assert len(set(texts)) == 120
    with env.uow() as tx:
        statuses = set(tx.session.scalars(select(DeliveryRow.status)))
    assert statuses == {"sent"}
