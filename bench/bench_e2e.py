"""End-to-end: signed message events/second through Enabler's HTTP app vs a bare Bolt app.

Both apps are served by the same server code (waitress, bot/slack/http.py) in this process and
driven by the same load (N client processes posting signed `message` events). Enabler does its
real ack-path work (signature check, inbox insert keyed by event_id, committed) and its real
processing after the ack (detection, signals, nudge decisions), on its own threads in this same
process; the bare app has one no-op listener. Prints throughput, ack latency percentiles, the
server's CPU per event, the ratio, and the processing that follows: how much of it ran while the
burst was being acked (acks go first, bot/scheduling/work_queue.py), how long the rest took,
and the end-to-end rate (acked *and* processed per second).

The two apps take turns, in rounds (`--rounds`, the first app alternating), because this
shared VM's speed drifts by up to a third over minutes; after each of Enabler's rounds its
processing is let finish, so it never runs during the bare app's round.

    .venv/bin/python bench/bench_e2e.py [--events 3000] [--rounds 3] [--clients 4] [--postgres]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import httpx
from slack_bolt import App
from slack_bolt.authorization import AuthorizeResult
from sqlalchemy import func, select, text

from bot.db.engine import make_engine
from bot.db.rows import InboxEventRow, SignalRow
from bot.devtools.harness import Harness
from bot.devtools.sender import SlackRequestSender
from bot.observability import Metrics
from bot.services import roster
from bot.slack.http import HttpServer, make_wsgi_app

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ROSTER = "user_id,role,manager_id,name\nU0MGR1,manager,,Maya\n" + "".join(
    f"U0REP{i},rep,U0MGR1,Rep {i}\n" for i in range(10)
)
TEXTS = [
    "Acme wants 20% off, call with their CFO tomorrow",
    "Leave it with me, I'll send the contract to their CFO tonight",
    "What do you think their CFO needs to hear before Friday?",
    "Thanks, updated the CRM",
    "Your deal, your call. Happy to prep with you beforehand.",
]


def events(n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        root = i % 5 == 0
        ts = f"{1_700_000_000 + i}.{i % 1_000_000:06d}"
        thread = f"{1_700_000_000 + (i - i % 5)}.{(i - i % 5) % 1_000_000:06d}"
        event = {
            "type": "message",
            "channel": "C0ACME",
            "channel_type": "channel",
            "user": f"U0REP{i % 10}" if root or i % 5 == 3 else "U0MGR1",
            "text": TEXTS[i % 5],
            "ts": ts,
        }
        if not root:
            event["thread_ts"] = thread
        out.append(event)
    return out


def _client(url: str, secret: str, chunk: list[dict[str, Any]]) -> list[float]:
    """One load-generating client (its own process, so it does not share our GIL)."""
    latencies = []
    with httpx.Client(timeout=30) as http:
        sender = SlackRequestSender(url, secret, team_id="T0001", client=http)
        for event in chunk:
            started = time.perf_counter()
            response = sender.event(event)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"HTTP {response.status_code}")
    return latencies


def drive(
    url: str, secret: str, payloads: list[dict[str, Any]], clients: int, pool: ProcessPoolExecutor
) -> tuple[float, list[float]]:
    chunks = [payloads[i::clients] for i in range(clients)]
    started = time.perf_counter()
    results = list(pool.map(_client, [url] * clients, [secret] * clients, chunks))
    elapsed = time.perf_counter() - started
    return elapsed, [x for r in results for x in r]


def timed(
    run: Callable[..., tuple[float, list[float]]],
    url: str,
    secret: str,
    batch: list[dict[str, Any]],
    args: argparse.Namespace,
    pool: ProcessPoolExecutor,
) -> tuple[float, list[float], float, int]:
    """One app's round: wall seconds, ack latencies, this process's CPU seconds, events."""
    cpu = time.process_time()
    seconds, latencies = run(url, secret, batch, args.clients, pool)
    return seconds, latencies, time.process_time() - cpu, len(batch)


class Run:
    """One app's rounds, summed."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.cpu = 0.0
        self.latencies: list[float] = []
        self.rates: list[float] = []

    def add(self, seconds: float, latencies: list[float], cpu: float, events: int) -> None:
        self.seconds += seconds
        self.cpu += cpu
        self.latencies += latencies
        self.rates.append(events / seconds)


def bare_bolt(secret: str) -> HttpServer:
    app = App(
        signing_secret=secret,
        authorize=lambda **_: AuthorizeResult(
            enterprise_id=None, team_id="T0001", bot_token="xoxb-x", bot_user_id="U0BOT0001"
        ),
        process_before_response=False,
    )

    @app.event("message")
    def noop() -> None:
        return None

    server = HttpServer(make_wsgi_app(app, health=lambda: True, metrics=Metrics()))
    server.start()
    return server


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


def report(name: str, seconds: float, lat: list[float], n: int, cpu: float) -> float:
    rate = n / seconds
    print(
        f"{name:<20} {rate:>6.0f} events/s   ack p50 {pct(lat, 50):5.1f} ms   "
        f"p99 {pct(lat, 99):5.1f} ms   max {max(lat) * 1000:5.1f} ms   "
        f"server CPU {cpu / n * 1e6:5.0f} us/event"
    )
    return rate


def wait_processed(count: Callable[[], int], total: int, timeout: float = 300) -> float:
    started = time.perf_counter()
    while count() < total and time.perf_counter() - started < timeout:
        time.sleep(0.05)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    payloads = events(args.events)
    schema = None
    if args.postgres:
        schema = "bench_e2e"
        admin = make_engine(PG)
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema}"))
            conn.commit()
        url = f"{PG}?options=-csearch_path%3D{schema}"
    else:
        url = f"sqlite:///{tempfile.mkdtemp()}/e2e.db"

    with Harness(url) as h:
        h.emulator.add_channel("C0ACME", name="deal-acme")
        deps = h.runtime.deps
        roster.import_roster(
            uow=deps.uow, clock=deps.clock, workspace_id=h.team_id, csv_text=ROSTER
        )
        roster.add_deal_channel(
            uow=deps.uow, clock=deps.clock, workspace_id=h.team_id, pattern="deal-*"
        )
        bare = bare_bolt(h.signing_secret)
        pool = ProcessPoolExecutor(max_workers=args.clients)
        try:

            def processed() -> int:
                with deps.uow() as tx:
                    return int(
                        tx.session.scalar(
                            select(func.count())
                            .select_from(InboxEventRow)
                            .where(InboxEventRow.processed_at.is_not(None))
                        )
                        or 0
                    )

            drive(bare.url, h.signing_secret, events(200), args.clients, pool)  # warm up both
            drive(h.server.url, h.signing_secret, events(50), args.clients, pool)
            with deps.uow() as tx:
                already = tx.session.scalar(select(func.count()).select_from(InboxEventRow)) or 0
            wait_processed(processed, already)  # nothing of the warm-up left running
            bare_run, ours_run = Run(), Run()
            per_round = args.events // args.rounds
            during = drain = drain_cpu = 0.0

            def enabler_round(batch: list[dict[str, Any]]) -> None:
                """Enabler's round, then its processing: never during the bare app's round."""
                nonlocal already, during, drain, drain_cpu
                ours_run.add(*timed(drive, h.server.url, h.signing_secret, batch, args, pool))
                during += processed() - already
                cpu = time.process_time()
                drain += wait_processed(processed, already + len(batch))
                drain_cpu += time.process_time() - cpu
                already += len(batch)

            for i in range(args.rounds):
                batch = payloads[i * per_round : (i + 1) * per_round]
                if i % 2:  # alternate who goes first: this VM's speed drifts over seconds
                    enabler_round(batch)
                bare_run.add(*timed(drive, bare.url, h.signing_secret, batch, args, pool))
                if not i % 2:
                    enabler_round(batch)
                print(f"round {i + 1}: ratio {ours_run.rates[-1] / bare_run.rates[-1]:.2f}x")
            with deps.uow() as tx:
                signals = tx.session.scalar(select(func.count()).select_from(SignalRow)) or 0
        finally:
            pool.shutdown()
            bare.stop()
    print(
        f"backend: {'postgresql' if args.postgres else 'sqlite'}; {args.events} events, "
        f"{args.clients} client processes; both apps in this process on waitress (8 threads)"
    )
    n = per_round * args.rounds
    base = report("bare Bolt app", bare_run.seconds, bare_run.latencies, n, bare_run.cpu)
    ours = report("Enabler", ours_run.seconds, ours_run.latencies, n, ours_run.cpu)
    print(
        f"ratio Enabler / bare Bolt: {ours / base:.2f}x (target >= 0.7x); "
        f"p99 ack {pct(ours_run.latencies, 99):.1f} ms (target < 100 ms)"
    )
    rest = n - int(during)
    after = f"the other {rest} in {drain:.2f}s after each round's last ack"
    if rest:
        after += f" ({rest / drain:.0f} events/s, {drain_cpu / rest * 1000:.1f} ms CPU each)"
    print(f"processing: {int(during)} of {n} processed while their round was acked; {after}")
    print(
        f"end to end (acked and processed): {n / (ours_run.seconds + drain):.0f} events/s; "
        f"{signals} signals recorded"
    )
    # Everything here shares the machine's cores with whatever else runs on it: a ratio taken
    # while the load average is well above the core count measures that contention too.
    print(
        f"machine load (1-minute average): {load_before:.1f} before, {os.getloadavg()[0]:.1f} "
        f"after, on {os.cpu_count()} cores"
    )
    if schema:
        admin = make_engine(PG)
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            conn.commit()


if __name__ == "__main__":
    main()
