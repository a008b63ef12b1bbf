"""`assistant bench relevance`: which claims of real answers are set apart as not about
the question, against labels written by reading (``bench/relevance/labels.json``, rules
in ``bench/relevance/RULES.md``: each claim of ``bench/claims/answers.jsonl`` is "on"
the question, "off" it, or "meta").

Only claims the check supported can be set apart; each answer's claims are taken as
they were recorded (text, citations, supported) and the rule of ``ask`` is applied to
them. Reported per origin and overall: how many supported "off" claims are set apart
(recall), how many supported "on" claims are (false moves), and which."""

from __future__ import annotations

import json
from pathlib import Path

from assistant.bench.common import BenchError, Progress
from assistant.pipeline import Claim, Pipeline, SourceText


def load_answers(claims_folder: Path, labels_path: Path) -> tuple[list[dict], dict]:
    answers_path = claims_folder / "answers.jsonl"
    if not answers_path.exists() or not labels_path.exists():
        raise BenchError(f"labelled relevance not found ({answers_path}, {labels_path})")
    answers = [json.loads(line) for line in answers_path.read_text().splitlines() if line]
    return answers, json.loads(labels_path.read_text())


def relevance_bench(pipeline: Pipeline, answers: list[dict], labels: dict,
                    progress: Progress | None = None) -> dict:
    """Supported claims set apart, by label and origin."""
    rows = []
    for line, answer in enumerate(answers):
        claims = [(c["text"], Claim(text=c["text"], citations=c["citations"],
                                    supported=c["supported"], support=0.0, evidence=[]))
                  for c in answer["claims"]]
        texts = [SourceText(s["n"], s["title"], s["abstract"]) for s in answer["sources"]]
        pipeline.set_apart(answer["question"], claims, texts)
        for i, (text, claim) in enumerate(claims):
            label = labels.get(f"{line}:{i}", {}).get("label")
            if label is None:
                raise BenchError(f"labels.json: no label for claim {line}:{i}")
            if claim.supported and claim.citations and label != "meta":
                rows.append({"key": f"{line}:{i}", "origin": answer["origin"].split(":")[0],
                             "label": label, "apart": not claim.relevant, "claim": text})
        if progress:
            progress(line + 1, len(answers))
    return {"all": _rates(rows), **{o: _rates([r for r in rows if r["origin"] == o])
                                    for o in sorted({r["origin"] for r in rows})},
            "set_apart": [{k: r[k] for k in ("key", "label", "claim")}
                          for r in rows if r["apart"]],
            "off_kept": [{k: r[k] for k in ("key", "claim")}
                         for r in rows if r["label"] == "off" and not r["apart"]]}


def _rates(rows: list[dict]) -> dict:
    off = [r for r in rows if r["label"] == "off"]
    on = [r for r in rows if r["label"] == "on"]
    return {"supported_claims": len(rows), "off": len(off), "off_set_apart": sum(
        r["apart"] for r in off), "on": len(on), "on_set_apart": sum(r["apart"] for r in on),
        "recall_off": round(sum(r["apart"] for r in off) / len(off), 3) if off else 0.0}
