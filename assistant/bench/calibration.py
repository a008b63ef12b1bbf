"""Fitting a model's verdict calibration: per-label biases chosen by cross-validation on
labelled questions (``assistant bench verdicts --split dev``), and the metrics they are
chosen by. The runtime verdict that applies them is
:mod:`assistant.answer.verdict`."""

from __future__ import annotations

import itertools
import math
import random

from assistant.pipeline import VERDICT_LABELS as LABELS
from assistant.pipeline import decide_verdict as decide


def macro_f1(gold: list[str], predicted: list[str]) -> float:
    scores = []
    for label in LABELS:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p == label)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if p == label and g != label)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p != label)
        denominator = 2 * tp + fp + fn
        scores.append(2 * tp / denominator if denominator else 0.0)
    return sum(scores) / len(scores)


def accuracy(gold: list[str], predicted: list[str]) -> float:
    return sum(g == p for g, p in zip(gold, predicted, strict=True)) / max(1, len(gold))


def _objective(gold: list[str], predicted: list[str]) -> float:
    """Macro-F1 (the minority labels matter) plus accuracy (never trade it all away)."""
    return macro_f1(gold, predicted) + accuracy(gold, predicted)


GRID = [round(-4.0 + 0.25 * i, 2) for i in range(33)]


def fit(rows: list[tuple[dict[str, float], str]], penalty: float = 0.0) -> dict:
    """Biases for "no" and "maybe" (relative to "yes") that maximise the objective, less
    ``penalty`` per unit of bias (a shrinkage towards the model's own argmax that keeps a
    few hundred questions from being over-fitted)."""
    gold = [g for _, g in rows]
    logs = [{label: math.log(raw.get(label, 0.0) + 1e-9) for label in LABELS}
            for raw, _ in rows]
    best = (-1.0, 0.0, 0.0)
    for b_no, b_maybe in itertools.product(GRID, GRID):
        predicted = [max(LABELS, key=lambda lab, lg=lg: lg[lab] +
                         {"yes": 0.0, "no": b_no, "maybe": b_maybe}[lab]) for lg in logs]
        score = _objective(gold, predicted) - penalty * (abs(b_no) + abs(b_maybe))
        # ties go to the smaller correction
        if score > best[0] + 1e-12 or (abs(score - best[0]) <= 1e-12 and
                                       abs(b_no) + abs(b_maybe) < abs(best[1]) + abs(best[2])):
            best = (score, b_no, b_maybe)
    return {"bias": {"yes": 0.0, "no": best[1], "maybe": best[2]}}


def cross_validate(rows: list[tuple[dict[str, float], str]], folds: int = 5,
                   seed: int = 0, penalty: float = 0.0) -> dict:
    """Accuracy and macro-F1 of :func:`fit` on held-out folds (an honest estimate)."""
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    gold: list[str] = []
    predicted: list[str] = []
    for fold in range(folds):
        held = set(order[fold::folds])
        calibration = fit([r for i, r in enumerate(rows) if i not in held], penalty)
        for i in sorted(held):
            gold.append(rows[i][1])
            predicted.append(decide(rows[i][0], calibration).label)
    return {"accuracy": accuracy(gold, predicted), "macro_f1": macro_f1(gold, predicted),
            "folds": folds, "questions": len(rows), "penalty": penalty}


PENALTIES = (0.0, 0.01, 0.02, 0.05, 0.1)


def calibrate(rows: list[tuple[dict[str, float], str]], folds: int = 5) -> dict:
    """Pick the shrinkage by cross-validation, then fit on all rows with it.

    Returns the calibration to store and the cross-validated figures of every candidate
    (including the uncalibrated argmax, a zero-bias calibration)."""
    gold = [g for _, g in rows]
    argmax = [decide(raw, {"bias": {}}).label for raw, _ in rows]
    candidates = [cross_validate(rows, folds, penalty=p) for p in PENALTIES]
    best = max(candidates, key=lambda c: (c["accuracy"] + c["macro_f1"], c["penalty"]))
    return {"calibration": fit(rows, best["penalty"]), "chosen": best,
            "candidates": candidates,
            "argmax": {"accuracy": accuracy(gold, argmax), "macro_f1": macro_f1(gold, argmax)}}
