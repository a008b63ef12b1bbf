"""`assistant bench claims`: the claim check against claim–paper pairs labelled by hand.

The pairs come from real answers of the default model (``bench/claims/answers.jsonl``:
the question, the answer's claims and the sources it was given, whole abstracts
included), each claim paired with each given paper and labelled by reading the paper
(``bench/claims/labels.json``, rules in ``bench/claims/RULES.md``): supported, partly,
not stated, contradicted, or meta (not a claim about a paper: left out).

For each pair the check decides as ``ask`` would if the model had cited that paper: the
claim with all the answer's sources, the paper as the model's citation; the pair is
called supported when the paper keeps its citation. Precision and recall of "supported"
(partly counts as not supported: a claim is shown as the paper's only if all of it is).
With ``entail`` the chat model reads every candidate (threshold 1.0, P(yes) recorded),
so one run gives the figures at every threshold of the sweep."""

from __future__ import annotations

import json
import time
from pathlib import Path

from assistant.bench.common import SWEEP, BenchError, Progress, supported_at
from assistant.pipeline import Pipeline, SourceText

POSITIVE = "supported"
LABELS = ("supported", "partly", "not stated", "contradicted", "meta")


def load_pairs(folder: Path) -> list[dict]:
    """Every labelled pair: the claim, the cited paper's number, the answer's sources."""
    answers_path, labels_path = folder / "answers.jsonl", folder / "labels.json"
    if not answers_path.exists() or not labels_path.exists():
        raise BenchError(f"labelled claims not found in {folder} (needs answers.jsonl and "
                         "labels.json)")
    answers = [json.loads(line) for line in answers_path.read_text().splitlines() if line]
    labels = json.loads(labels_path.read_text())
    pairs = []
    for key, entry in labels.items():
        a, c, n = (int(part) for part in key.split(":"))
        if entry["label"] not in LABELS:
            raise BenchError(f"labels.json: {key}: unknown label '{entry['label']}'")
        if entry["label"] == "meta":
            continue
        answer = answers[a]
        pairs.append({"key": key, "origin": answer["origin"],
                      "claim": answer["claims"][c]["text"], "n": n,
                      "label": entry["label"],
                      "sources": [SourceText(s["n"], s["title"], s["abstract"])
                                  for s in answer["sources"]]})
    return pairs


def claims_bench(pipelines: dict[str, Pipeline], pairs: list[dict], entail: bool,
                 progress: Progress | None = None) -> dict:
    """Precision and recall of "supported" per origin and overall (and per threshold of
    the model's reading with ``entail``), the time per model reading, and the pairs the
    check got wrong at the configured threshold."""
    scored: list[tuple[dict, float | None]] = []
    reads, seconds = 0, 0.0
    for origin, pipeline in pipelines.items():
        mine = [p for p in pairs if p["origin"].split(":")[0] == origin]
        with pipeline.judging(entail=entail, threshold=1.0 if entail else None) as checker:
            start = time.perf_counter()
            for pair in mine:
                claim = checker.decide(pair["claim"], [pair["n"]], pair["sources"])
                scored.append((pair, _score(claim, pair["n"], entail)))
                if progress:
                    progress(len(scored), len(pairs))
            seconds += time.perf_counter() - start
            reads += checker.judge.calls if checker.judge else 0
    threshold = next(iter(pipelines.values())).settings.claim_entail_threshold \
        if entail else 1.0
    result = {"pairs": len(scored), "entail": entail,
              "threshold": threshold if entail else None,
              "all": _rates(scored, threshold),
              **{origin: _rates([s for s in scored if s[0]["origin"].startswith(origin)],
                                threshold) for origin in pipelines},
              "labels": {label: sum(p["label"] == label for p, _ in scored)
                         for label in LABELS if label != "meta"},
              "model_reads": reads, "seconds_per_pair": seconds / len(scored) if scored
              else 0.0, "wrong": _wrong(scored, threshold)}
    if entail:
        result["sweep"] = {str(t): _rates(scored, t) for t in SWEEP}
    return result


def _score(claim, n: int, entail: bool) -> float | None:
    """How strongly the check gives paper ``n`` the claim: None when it does not at all;
    1.0 when it does without a model reading; the model's P(yes) for ``n`` otherwise."""
    if entail and claim.readings:
        reading = claim.readings.get(n)
        return reading["probs"]["yes"] if reading else None
    return 1.0 if n in claim.citations else None


def _rates(scored: list[tuple[dict, float | None]], threshold: float) -> dict:
    tp = sum(p["label"] == POSITIVE and supported_at(s, threshold) for p, s in scored)
    fp = sum(p["label"] != POSITIVE and supported_at(s, threshold) for p, s in scored)
    fn = sum(p["label"] == POSITIVE and not supported_at(s, threshold) for p, s in scored)
    return {"pairs": len(scored), "positives": tp + fn,
            "precision": tp / (tp + fp) if tp + fp else 0.0,
            "recall": tp / (tp + fn) if tp + fn else 0.0}



def _wrong(scored: list[tuple[dict, float | None]], threshold: float) -> list[dict]:
    return [{"key": p["key"], "label": p["label"], "claim": p["claim"], "n": p["n"],
             "score": None if s is None else round(s, 3)}
            for p, s in scored if supported_at(s, threshold) != (p["label"] == POSITIVE)][:40]
