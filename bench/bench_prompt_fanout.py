"""Reflection prompts to 10,000 managers in 24 time zones, exactly once, at the emulated limit.

The real planner (bot.services.schedules.plan_due) runs on a fixed clock stepped through a
Monday hour by hour, so each zone's 09:00 comes due in turn; after each step the real outbox
worker sends what is due against the Slack emulator enforcing a workspace-wide
chat.postMessage limit. Prints delivered / duplicates / lost, and the time spent sending
against the floor the limit sets (messages / limit). Target: within 1.1x the floor.

    .venv/bin/python bench/bench_prompt_fanout.py [--managers 10000] [--limit 200] [--sqlite]
"""

from __future__ import annotations

import argparse
import collections
import tempfile
import time
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import text

from bot.clock import FixedClock
from bot.config import Settings
from bot.db import migrate
from bot.db.engine import make_engine, make_session_factory
from bot.db.unit_of_work import UnitOfWorkFactory
from bot.delivery.worker import METADATA_EVENT, OutboxWorker, WorkerConfig
from bot.devtools.emulator import SlackEmulator
from bot.services import roster
from bot.services import schedules as schedule_service
from bot.services.schedules import ScheduleSpec
from bot.slack.blocks.reflection import PROMPT_MESSAGES
from bot.slack_client import make_client

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# 24 whole-hour offsets, UTC-11 … UTC+12 (POSIX Etc/ zones have inverted signs).
ZONES = [
    f"Etc/GMT{'+' if h > 0 else '-' if h < 0 else ''}{abs(h) if h else ''}"
    for h in range(11, -13, -1)
]
MONDAY = date(2026, 3, 2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--managers", type=int, default=10_000)
    parser.add_argument("--limit", type=float, default=100.0, help="workspace msgs/second")
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()
    schema = None
    if args.sqlite:
        url = f"sqlite:///{tempfile.mkdtemp()}/fanout.db"
    else:
        schema = "bench_prompt_fanout"
        admin = make_engine(PG)
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema}"))
            conn.commit()
        admin.dispose()
        url = f"{PG}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    uow = UnitOfWorkFactory(make_session_factory(engine))
    clock = FixedClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    managers = [f"U{i:08d}" for i in range(args.managers)]
    with SlackEmulator() as emulator:
        lines = ["user_id,role,manager_id,name,team,timezone"]
        for i, user in enumerate(managers):
            emulator.add_user(user, name=user.lower(), real_name=f"Manager {i}", tz=ZONES[i % 24])
            lines.append(f"{user},manager,,Manager {i},T{i % 24},{ZONES[i % 24]}")
        roster.import_roster(
            uow=uow, clock=clock, workspace_id=emulator.team_id, csv_text="\n".join(lines) + "\n"
        )
        schedule_service.create_schedule(
            uow=uow,
            clock=clock,
            workspace_id=emulator.team_id,
            spec=ScheduleSpec(name="Monday reflection", days="mon", at="09:00", start_date=MONDAY),
        )
        emulator.enforce_rate_limits(post_message_workspace_per_second=args.limit)
        settings = Settings(
            database_url=url, slack_bot_token=emulator.token, slack_api_url=emulator.api_url
        )
        worker = OutboxWorker(
            uow=uow,
            client=make_client(settings, for_outbox=True),
            clock=clock,
            config=WorkerConfig(post_rate_per_second=args.limit, concurrency=2, batch=200),
        )
        planning = sending = 0.0
        # Step from Sunday 20:00 UTC (09:00 in UTC+13 would be earlier; +12 is 21:00) hourly.
        step = datetime(2026, 3, 1, 20, 0, 30, tzinfo=UTC)
        for _ in range(26):
            clock.set(step)
            started = time.perf_counter()
            schedule_service.plan_due(uow=uow, clock=clock, messages=PROMPT_MESSAGES)
            planning += time.perf_counter() - started
            started = time.perf_counter()
            while True:
                result = worker.drain()
                if result.sent == 0 and result.retried == 0:
                    break
            sending += time.perf_counter() - started
            step += timedelta(hours=1)
        counts = collections.Counter(
            m.metadata["event_payload"]["delivery_id"]
            for m in emulator.messages()
            if m.metadata and m.metadata.get("event_type") == METADATA_EVENT
        )
        recipients = collections.Counter(m.channel for m in emulator.messages())
        floor = args.managers / args.limit
        print(f"backend          {'sqlite' if args.sqlite else 'postgresql'}")
        print(f"managers         {args.managers} in {len(ZONES)} time zones, Monday 09:00 local")
        print(f"emulated limit   {args.limit:.0f} chat.postMessage/s (workspace-wide)")
        print(f"delivered        {len(counts)} (to {len(recipients)} distinct DMs)")
        print(f"duplicates       {sum(n - 1 for n in counts.values())}")
        print(f"lost             {args.managers - len(recipients)}")
        print(f"429s             {emulator.rate_limited_count}")
        print(f"planning         {planning:.2f}s over 26 hourly ticks")
        print(
            f"sending          {sending:.2f}s  floor {floor:.2f}s  "
            f"ratio {sending / floor:.3f}x (target <= 1.1x)"
        )
    engine.dispose()
    if schema:
        admin = make_engine(PG)
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            conn.commit()
        admin.dispose()


if __name__ == "__main__":
    main()
