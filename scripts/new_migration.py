"""Autogenerate the next Alembic migration from the models, numbered and formatted.

    .venv/bin/python scripts/new_migration.py "coaching requests"

Builds a scratch SQLite database at the current head, diffs it against bot.db.rows, writes
migrations/versions/NNNN_<slug>.py, then runs ruff on it. Read the result before committing.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory

from bot.db import migrate
from bot.db.engine import make_engine

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    message = sys.argv[1]
    script = ScriptDirectory.from_config(migrate.alembic_config())
    numbers = [int(r.revision) for r in script.walk_revisions() if r.revision.isdigit()]
    rev_id = f"{max(numbers, default=0) + 1:04d}"
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/scratch.db"
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        command.revision(
            migrate.alembic_config(url), message=message, autogenerate=True, rev_id=rev_id
        )
    generated = next((ROOT / "migrations" / "versions").glob(f"{rev_id}_*.py"))
    slug = re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")[:40]
    target = generated.with_name(f"{rev_id}_{slug}.py")
    generated.rename(target)
    ruff = str(Path(sys.executable).with_name("ruff"))
    subprocess.run([ruff, "check", "--fix", "-q", str(target)], check=False)
    subprocess.run([ruff, "format", "-q", str(target)], check=False)
    print(f"wrote {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
