"""Kill -9 chaos for the outbox: worker processes killed at random while a fan-out drains.

Shared by the test suite (small) and bench/bench_outbox_kill9.py (large). The emulator runs in
this process; the workers are `enabler outbox drain --forever` subprocesses.
"""

from __future__ import annotations

import collections
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select

from bot.db.engine import make_engine, make_session_factory
from bot.db.repositories.core import WorkspaceRepo
from bot.db.rows import DeliveryRow
from bot.db.unit_of_work import UnitOfWorkFactory
from bot.delivery.worker import METADATA_EVENT
from bot.devtools.emulator import SlackEmulator
from bot.services import outbox
from bot.services.outbox import Message


@dataclass
class ChaosReport:
    queued: int
    sent_rows: int
    delivered_ids: int
    duplicates: int
    lost: int
    kills: int
    seconds: float

    def line(self) -> str:
        return (
            f"queued {self.queued}  sent {self.delivered_ids}  duplicates {self.duplicates}  "
            f"lost {self.lost}  kills {self.kills}  elapsed {self.seconds:.1f}s"
        )


def run_chaos(
    database_url: str,
    *,
    messages: int,
    workers: int = 2,
    kill_every: float = 0.5,
    timeout: float = 120.0,
    seed: int = 7,
) -> ChaosReport:
    """Kill a random worker every `kill_every` seconds until everything is settled.

    Only a worker that has claimed work is a candidate (its pid appears as a lease owner), so
    every kill lands in the middle of the fan-out rather than during interpreter start-up,
    which on a busy machine can take longer than the kill interval.
    """
    rng = random.Random(seed)
    engine = make_engine(database_url)
    uow = UnitOfWorkFactory(make_session_factory(engine))
    now = datetime.now(UTC)
    with SlackEmulator() as emulator:
        users = [f"U{i:08d}" for i in range(min(messages, 500))]
        for user in users:
            emulator.add_user(user, name=user.lower(), real_name=user)
        with uow() as tx:
            WorkspaceRepo(tx.session).ensure(emulator.team_id, now=now)
            for i in range(messages):
                outbox.post(
                    tx,
                    workspace_id=emulator.team_id,
                    kind="chaos",
                    dedupe_key=f"chaos:{i}",
                    message=Message(text=f"message {i}"),
                    now=now,
                    to_user=users[i % len(users)],
                )
            tx.commit()
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SLACK_BOT_TOKEN": emulator.token,
            "SLACK_API_URL": emulator.api_url,
            "ENABLER_POST_RATE": "5000",
            "LOG_LEVEL": "ERROR",
        }
        command = [
            sys.executable,
            "-m",
            "bot",
            "outbox",
            "drain",
            "--forever",
            "--every",
            "0.05",
            "--lease",
            "2",
            "--history-per-minute",
            "600",
        ]

        def spawn() -> subprocess.Popen[bytes]:
            return subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
                command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )

        procs = [spawn() for _ in range(workers)]
        kills = 0
        started = time.monotonic()
        try:
            while time.monotonic() - started < timeout:
                time.sleep(kill_every)
                if _remaining(uow) == 0:
                    break
                working = _working_pids(uow)
                busy = [i for i, proc in enumerate(procs) if proc.pid in working]
                if not busy:
                    continue
                victim = rng.choice(busy)
                os.kill(procs[victim].pid, signal.SIGKILL)
                procs[victim].wait()
                kills += 1
                procs[victim] = spawn()
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
        elapsed = time.monotonic() - started
        counts: collections.Counter[int] = collections.Counter()
        for message in emulator.messages():
            meta = message.metadata or {}
            if meta.get("event_type") == METADATA_EVENT:
                counts[int(meta["event_payload"]["delivery_id"])] += 1
        with uow() as tx:
            sent_rows = (
                tx.session.scalar(
                    select(func.count())
                    .select_from(DeliveryRow)
                    .where(DeliveryRow.status == "sent")
                )
                or 0
            )
    engine.dispose()
    duplicates = sum(n - 1 for n in counts.values() if n > 1)
    return ChaosReport(
        queued=messages,
        sent_rows=int(sent_rows),
        delivered_ids=len(counts),
        duplicates=duplicates,
        lost=messages - len(counts),
        kills=kills,
        seconds=elapsed,
    )


def _remaining(uow: UnitOfWorkFactory) -> int:
    with uow() as tx:
        return int(
            tx.session.scalar(
                select(func.count())
                .select_from(DeliveryRow)
                .where(DeliveryRow.status.not_in(["sent", "failed", "cancelled"]))
            )
            or 0
        )


def _working_pids(uow: UnitOfWorkFactory) -> set[int]:
    """Pids of workers that have claimed deliveries (lease owners are "host:pid:thread")."""
    with uow() as tx:
        owners = tx.session.scalars(
            select(DeliveryRow.lease_owner).where(DeliveryRow.lease_owner.is_not(None)).distinct()
        ).all()
    pids = set()
    for owner in owners:
        parts = str(owner).split(":")
        if len(parts) >= 2 and parts[1].isdigit():
            pids.add(int(parts[1]))
    return pids
