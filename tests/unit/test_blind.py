"""The quality bar on sets written blind: by writers who never read the rules or the corpus.

The corpus and holdout were written alongside the rules. These sets estimate how the rules do
on wording nobody tuned them to:

- ``signals_blind`` and ``signals_fresh``: the first blind sets; misses were fixed by widening
  grammar (verbs, objects, tense, markup), never by copying lines into the rules.
- ``signals_unseen_dev*``: later blind sets the rules were tuned on, the same way. They must
  meet the issue's bar.
- ``signals_unseen_sealed*``: blind sets nobody tuning the rules has read; they are only scored.
  Their misses stay misses, so their numbers are the honest estimate for new messages. They
  are held to a regression floor, not to the bar: one sealed set is below the bar on doing
  recall (README, "Detection: quality and speed"), and tuning to it would only hide that.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.domain.evaluation import evaluate, format_report, load_examples
from bot.domain.rules import default_rules

DATA = Path(__file__).resolve().parents[1] / "data"
BLIND_SETS = sorted(
    p.name
    for p in DATA.glob("signals_*.jsonl")
    if p.stem.startswith(("signals_blind", "signals_fresh", "signals_unseen_"))
)

# (precision, recall) floors per kind, from the issue: the same bar as the corpus.
TARGETS = {"doing": (0.92, 0.85), "enabling": (0.85, 0.75)}
# Sealed sets: precision still at the bar; recall must not fall below what they measure now.
SEALED_FLOOR = {"doing": (0.92, 0.75), "enabling": (0.85, 0.75)}
SIGNAL_CONTEXT = ("manager", "rep", "deal")


def _rows(name: str) -> list[dict[str, Any]]:
    text = (DATA / name).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_there_are_sealed_sets() -> None:
    assert sum("sealed" in name for name in BLIND_SETS) >= 2, BLIND_SETS


@pytest.mark.parametrize("name", BLIND_SETS)
@pytest.mark.parametrize("kind", sorted(TARGETS))
def test_blind_set_meets_the_quality_bar(name: str, kind: str) -> None:
    with (DATA / name).open(encoding="utf-8") as fh:
        examples = load_examples(fh)
    report = evaluate(examples, default_rules())
    score = report.kind(kind)
    precision, recall = (SEALED_FLOOR if "sealed" in name else TARGETS)[kind]
    assert score.precision >= precision, format_report(report, show_mismatches=True)
    assert score.recall >= recall, format_report(report, show_mismatches=True)


@pytest.mark.parametrize("name", BLIND_SETS)
def test_blind_set_is_varied_and_well_formed(name: str) -> None:
    rows = _rows(name)
    assert len(rows) >= 100
    assert {t for r in rows for t in r["labels"]} == {n for n, _ in default_rules().types}
    # labels only where the product says a signal can exist
    for r in rows:
        if r["labels"]:
            context = (r["author_role"], r["thread_owner_role"], r["channel_kind"])
            assert context == SIGNAL_CONTEXT, r["text"]
    assert sum(not r["labels"] for r in rows) >= len(rows) // 6  # hard negatives
    assert any(
        (r["author_role"], r["thread_owner_role"], r["channel_kind"]) != SIGNAL_CONTEXT
        for r in rows
    )
