"""kill -9 in the middle of a fan-out: two worker processes on PostgreSQL, one killed at
random every half second and restarted. Every message arrives exactly once."""

from __future__ import annotations

import pytest

from bot.devtools.chaos import run_chaos
from tests.conftest import drop_pg_schema, new_pg_schema_url

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]


def test_kill_minus_nine_loses_nothing_and_duplicates_nothing(pg_url: str) -> None:
    from bot.db import migrate
    from bot.db.engine import make_engine

    url, schema = new_pg_schema_url()
    try:
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        report = run_chaos(url, messages=400, workers=2, kill_every=0.5, timeout=240)
    finally:
        drop_pg_schema(schema)
    print(report.line())
    assert report.kills >= 1, "the test must actually kill a worker"
    assert report.duplicates == 0
    assert report.lost == 0
    assert report.sent_rows == 400
