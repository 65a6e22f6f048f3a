"""Fan-out: 10,000 DMs through the outbox against the emulator's workspace-wide limit.

Prints delivered / duplicates / lost and the elapsed time against the floor the emulated limit
sets (messages / limit). Target: within 1.1x the floor. Runs on PostgreSQL when reachable
(pass --sqlite to force SQLite).

    .venv/bin/python bench/bench_outbox_fanout.py [--messages 10000] [--limit 500] [--sqlite]
"""

from __future__ import annotations

import argparse
import collections
import tempfile
import time
from datetime import UTC, datetime

from sqlalchemy import text

from bot.clock import SystemClock
from bot.config import Settings
from bot.db import migrate
from bot.db.engine import make_engine, make_session_factory
from bot.db.repositories.core import WorkspaceRepo
from bot.db.unit_of_work import UnitOfWorkFactory
from bot.delivery.worker import METADATA_EVENT, OutboxWorker, WorkerConfig
from bot.devtools.emulator import SlackEmulator
from bot.services import outbox
from bot.services.outbox import Message
from bot.slack_client import make_client

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def database(sqlite: bool) -> tuple[str, str | None]:
    if not sqlite:
        try:
            admin = make_engine(PG)
            with admin.connect() as conn:
                conn.execute(text("CREATE SCHEMA bench_fanout"))
                conn.commit()
            admin.dispose()
            return f"{PG}?options=-csearch_path%3Dbench_fanout", "bench_fanout"
        except Exception as exc:
            print(f"PostgreSQL unavailable ({type(exc).__name__}); using SQLite")
    return f"sqlite:///{tempfile.mkdtemp()}/fanout.db", None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--limit", type=float, default=100.0, help="workspace msgs/second")
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    url, schema = database(args.sqlite)
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        uow = UnitOfWorkFactory(make_session_factory(engine))
        with SlackEmulator() as emulator:
            users = [f"U{i:08d}" for i in range(args.messages)]
            for user in users:
                emulator.add_user(user, name=user.lower(), real_name=user)
            now = datetime.now(UTC)
            with uow() as tx:
                WorkspaceRepo(tx.session).ensure(emulator.team_id, now=now)
                for i, user in enumerate(users):
                    outbox.post(
                        tx,
                        workspace_id=emulator.team_id,
                        kind="prompt",
                        dedupe_key=f"f:{i}",
                        message=Message(text=f"prompt {i}"),
                        now=now,
                        to_user=user,
                    )
                tx.commit()
            emulator.enforce_rate_limits(post_message_workspace_per_second=args.limit)
            settings = Settings(
                database_url=url, slack_bot_token=emulator.token, slack_api_url=emulator.api_url
            )
            worker = OutboxWorker(
                uow=uow,
                client=make_client(settings, for_outbox=True),
                clock=SystemClock(),
                config=WorkerConfig(post_rate_per_second=args.limit, concurrency=8, batch=200),
            )
            started = time.perf_counter()
            while True:
                result = worker.drain()
                if result.sent == 0 and result.retried == 0:
                    break
            elapsed = time.perf_counter() - started
            counts = collections.Counter(
                m.metadata["event_payload"]["delivery_id"]
                for m in emulator.messages()
                if m.metadata and m.metadata.get("event_type") == METADATA_EVENT
            )
            floor = args.messages / args.limit
            print(f"backend          {'sqlite' if schema is None else 'postgresql'}")
            print(f"messages         {args.messages}")
            print(f"emulated limit   {args.limit:.0f} chat.postMessage/s (workspace-wide)")
            print(f"delivered        {len(counts)}")
            print(f"duplicates       {sum(n - 1 for n in counts.values())}")
            print(f"lost             {args.messages - len(counts)}")
            print(f"429s             {emulator.rate_limited_count}")
            print(
                f"elapsed          {elapsed:.2f}s  floor {floor:.2f}s  "
                f"ratio {elapsed / floor:.3f}x "
                "(target <= 1.1x)"
            )
    finally:
        engine.dispose()
        if schema:
            admin = make_engine(PG)
            with admin.connect() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
                conn.commit()
            admin.dispose()


if __name__ == "__main__":
    main()
