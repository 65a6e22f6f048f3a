"""The quality bar on sets written blind: by writers who never read the rules or the corpus.

The corpus and holdout were written alongside the rules. These sets estimate how the rules do
on wording nobody tuned them to:

- ``signals_blind`` and ``signals_fresh``: the first blind sets; misses were fixed by widening
  grammar (verbs, objects, tense, markup), never by copying lines into the rules.
- ``signals_unseen_dev*``: later blind sets the rules were tuned on, the same way. They must
  meet the issue's bar.
- ``signals_unseen_sealed*``: blind sets nobody tuning the rules has read; they are only scored.
  Their misses stay misses, so their numbers are the honest estimate for new messages. They
  are held to a regression floor each, not to the bar: several are below the bar on doing
  recall (README, "Detection: quality and speed"), and tuning to them would only hide that.
  A failing sealed set prints its scores, never its mismatches: nobody reads those.
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
# Sealed sets: precision still at the bar; recall (doing, enabling) may not fall more than
# about 3 points below what each measured when last scored (in the comments), nor below the
# bar where it met it. A set added later gets its own line once it has been scored.
SEALED_PRECISION = {"doing": 0.92, "enabling": 0.85}
SEALED_RECALL_FLOOR = {
    "sealed": (0.90, 0.90),  # 0.936, 0.937
    "sealed2": (0.88, 0.89),  # 0.912, 0.923
    "sealed3": (0.82, 0.84),  # 0.856, 0.875
    "sealed4": (0.90, 0.75),  # 0.940, 0.778
    "sealed5": (0.79, 0.85),  # 0.828, 0.889 (voice-to-text)
    "sealed6": (0.88, 0.95),  # 0.912, 0.984
    "sealed7": (0.86, 0.93),  # 0.897, 0.968
    "sealed8": (0.85, 0.90),  # 0.880, 0.938
    "sealed9": (0.81, 0.89),  # 0.843, 0.922
    "sealed10": (0.87, 0.84),  # 0.904, 0.877
    "sealed11": (0.81, 0.82),  # 0.845, 0.857 (English as a second language)
    "sealed12": (0.90, 0.90),  # 0.930, 0.938
    "sealed13": (0.78, 0.79),  # 0.817, 0.828 (English as a second language)
    "sealed14": (0.80, 0.82),  # 0.835, 0.859
    "sealed15": (0.70, 0.84),  # 0.739, 0.875 (English as a second language)
    "sealed16": (0.89, 0.90),  # 0.922, 0.938
}
KIND_INDEX = {"doing": 0, "enabling": 1}
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
    sealed = name.removeprefix("signals_unseen_").removesuffix(".jsonl")
    if "sealed" in name:
        precision = SEALED_PRECISION[kind]
        recall = SEALED_RECALL_FLOOR[sealed][KIND_INDEX[kind]]
    else:
        precision, recall = TARGETS[kind]
    shown = format_report(report, show_mismatches="sealed" not in name)
    assert score.precision >= precision, shown
    assert score.recall >= recall, shown


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
