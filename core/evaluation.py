"""The democratic-evaluation score (民主评议) from rating counts."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from core.branch import Ratings
from core.labels import RATING_LABELS
from core.numbers import ZERO, mean, show

if TYPE_CHECKING:
    from core.scheme import Scheme


@dataclass(frozen=True, slots=True)
class EvaluationResult:
    score: Decimal | None  # None: no ratings cast
    rounds: dict[int, tuple[dict[str, int], Decimal]]  # round -> (counts, round score)
    text: str


def evaluate(scheme: Scheme, ratings: list[Ratings], explain: bool = True) -> EvaluationResult:
    """A round's score is the mean value of its ratings; the year combines the rounds by
    pooling every rating or by the mean of the rounds' scores, as the scheme says."""
    values = scheme.evaluation.values
    counts: dict[int, dict[str, int]] = {}
    for r in ratings:
        c = counts.setdefault(r.round, {})
        for label, n in r.counts.items():
            c[label] = c.get(label, 0) + n
    rounds: dict[int, tuple[dict[str, int], Decimal]] = {}
    for rnd in sorted(counts):
        c = counts[rnd]
        n = sum(c.values())
        if n:
            rounds[rnd] = (c, sum((values[k] * v for k, v in c.items()), ZERO) / n)
    if not rounds:
        return EvaluationResult(None, {}, f"未收到{scheme.evaluation.label}测评票" if explain else "")
    if scheme.evaluation.combine == "mean_of_rounds":
        score = mean([s for _, s in rounds.values()])
        how = "各轮平均"
    else:
        total = {k: sum(c.get(k, 0) for c, _ in rounds.values()) for k in RATING_LABELS}
        n = sum(total.values())
        score = sum((values[k] * v for k, v in total.items()), ZERO) / n
        how = "全部测评票平均"
    if not explain:
        return EvaluationResult(score, rounds, "")
    parts = []
    for rnd, (c, s) in rounds.items():
        tally = " ".join(f"{k}{c.get(k, 0)}" for k in RATING_LABELS)
        parts.append(f"第{rnd}轮 {tally}，平均{show(s)}")
    scale = "、".join(f"{k}{show(values[k])}" for k in RATING_LABELS)
    text = "；".join(parts) + f"；{how} = {show(score)}（{scale}）"
    return EvaluationResult(score, rounds, text)
