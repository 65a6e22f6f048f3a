"""kill -9 chaos: two `enabler outbox drain` workers on PostgreSQL, one killed at random every
half second and restarted, while a fan-out drains. Prints sent / duplicates / lost.

    .venv/bin/python bench/bench_outbox_kill9.py [--messages 3000] [--kill-every 0.5]
"""

from __future__ import annotations

import argparse

from sqlalchemy import text

from bot.db import migrate
from bot.db.engine import make_engine
from bot.devtools.chaos import run_chaos

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--kill-every", type=float, default=0.5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    schema = "bench_kill9"
    admin = make_engine(PG)
    with admin.connect() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
        conn.commit()
    url = f"{PG}?options=-csearch_path%3D{schema}"
    try:
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        report = run_chaos(
            url,
            messages=args.messages,
            workers=args.workers,
            kill_every=args.kill_every,
            timeout=600,
        )
        print(f"workers {args.workers}, a random one killed (SIGKILL) every {args.kill_every}s")
        print(report.line())
        print("result:", "OK" if report.duplicates == 0 and report.lost == 0 else "FAILED")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.commit()
        admin.dispose()


if __name__ == "__main__":
    main()
