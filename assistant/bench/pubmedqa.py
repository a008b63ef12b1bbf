"""Benchmarks on data nobody here wrote (PubMedQA PQA-L), and its bench index (the
plumbing every benchmark shares is :mod:`.common`).

- retrieval: index the 1000 abstracts (the question is not part of the document), ask the
  500 test questions, report Recall@1/5 and MRR@10 of the question's own abstract for BM25,
  dense and hybrid side by side;
- verdicts (dev only): the model's yes/no/maybe probabilities, and the calibration fitted
  on them (cross-validated);
- answers: the product's yes/no path end to end (calibrated verdict, explanation, claim
  check) plus the verdict's ceiling with the gold abstract alone; resumable;
- attribution: each abstract's conclusion (not indexed) must be attributed to that abstract
  among the retrieved sources, and called unsupported once it is removed;
- speed (:mod:`.speed`), injection (:mod:`.injection`) and scale (:mod:`.scale`) live
  in their own modules.

Tuning (prompts, k, fusion) may only look at the 500 non-test questions (``--split dev``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from assistant.bench.calibration import accuracy, calibrate, macro_f1
from assistant.bench.common import BenchError, Progress, log_path, run_rows
from assistant.pipeline import (
    VERDICT_LABELS as LABELS,
)
from assistant.pipeline import (
    IngestReport,
    Paper,
    Pipeline,
    Source,
    SourceText,
    decide_verdict,
)
from assistant.settings import REPO_DIR, Settings

MODES = ("bm25", "dense", "hybrid")


def default_pubmedqa_dir() -> Path:
    return (REPO_DIR.parent / "shared" / "bench" / "pubmedqa").resolve()


def load_pubmedqa(folder: Path, split: str = "test") -> tuple[dict, list[str]]:
    """(all records by PMID, the PMIDs of the requested split in file order)."""
    data_path, truth_path = folder / "ori_pqal.json", folder / "test_ground_truth.json"
    if not data_path.exists() or not truth_path.exists():
        raise BenchError(f"PubMedQA not found in {folder} (needs ori_pqal.json and "
                         "test_ground_truth.json)")
    records = json.loads(data_path.read_text())
    test_ids = set(json.loads(truth_path.read_text()))
    ids = [pmid for pmid in records if (pmid in test_ids) == (split == "test")]
    return records, ids


def _paper(pmid: str, record: dict) -> Paper:
    return Paper(id=pmid, title="", abstract=" ".join(record["CONTEXTS"]),
                 source="pubmedqa", year=int(record["YEAR"]) if record.get("YEAR") else None)


def bench_pipeline(settings: Settings, folder: Path, progress: Progress | None = None
                   ) -> Pipeline:
    """A pipeline over its own data dir holding the 1000 PubMedQA abstracts (built once)."""
    bench_settings = settings.replace(data_dir=settings.data_dir / "bench" / "pubmedqa")
    pipeline = Pipeline(bench_settings)
    records, _ = load_pubmedqa(folder)
    if pipeline.paper_count() != len(records):
        papers = [_paper(pmid, rec) for pmid, rec in records.items()]
        report = IngestReport()

        def reported() -> None:
            if progress:
                progress(report.done, len(papers))

        pipeline.add_papers(papers, report, reported)
        reported()
    return pipeline


def retrieval(settings: Settings, folder: Path, split: str = "test", limit: int | None = None,
              progress: Progress | None = None) -> dict:
    """Recall@1, Recall@5 and MRR@10 for each retrieval mode."""
    pipeline = bench_pipeline(settings, folder, progress)
    records, ids = load_pubmedqa(folder, split)
    ids = ids[:limit] if limit else ids
    ranks: dict[str, list[int | None]] = {m: [] for m in MODES}
    for done, pmid in enumerate(ids, start=1):
        question = records[pmid]["QUESTION"]
        vector = pipeline.embed_query(question)
        for mode in MODES:
            hits = pipeline.search(question, 10, mode=mode, vector=vector)
            order = [h.paper_id for h in hits]
            ranks[mode].append(order.index(pmid) + 1 if pmid in order else None)
        if progress:
            progress(done, len(ids))
    pipeline.close()
    result = {}
    for mode, values in ranks.items():
        n = len(values)
        result[mode] = {
            "recall@1": sum(1 for r in values if r == 1) / n,
            "recall@5": sum(1 for r in values if r and r <= 5) / n,
            "mrr@10": sum(1.0 / r for r in values if r) / n,
            "questions": n,
        }
    return result


def _gold_source(pipeline: Pipeline, pmid: str) -> list[Source]:
    paper = pipeline.get_paper(pmid)
    return [Source(n=1, paper_id=pmid, title="", text=paper.abstract if paper else "",
                   score=1.0)]


def verdicts(settings: Settings, folder: Path, split: str = "dev", limit: int | None = None,
             model: str | None = None, progress: Progress | None = None) -> dict:
    """The model's raw yes/no/maybe probabilities with retrieved sources (resumable), and
    the calibration fitted on them, cross-validated. Only ever run this on dev to tune."""
    pipeline = bench_pipeline(settings, folder)
    records, ids = load_pubmedqa(folder, split)
    ids = ids[:limit] if limit else ids

    def row(pmid: str) -> dict:
        question = records[pmid]["QUESTION"]
        sources = pipeline.sources_for(question, model=model,
                                       budget=settings.yes_no_budget)
        raw = pipeline.verdict(question, sources, model).raw if sources else {}
        return {"gold": records[pmid]["final_decision"], "raw": raw,
                "sources": [s.paper_id for s in sources]}

    rows = run_rows(ids, log_path(settings, "verdicts", split, model), row, progress)
    pipeline.close()
    usable = [(r["raw"], r["gold"]) for r in rows if r["raw"]]
    uncalibrated = [decide_verdict(raw).label for raw, _ in usable]
    gold = [g for _, g in usable]
    chosen = calibrate(usable)
    return {"questions": len(rows), "split": split,
            "uncalibrated": {"accuracy": accuracy(gold, uncalibrated),
                             "macro_f1": macro_f1(gold, uncalibrated)},
            "argmax": chosen["argmax"],
            "cross_validated": chosen["chosen"], "candidates": chosen["candidates"],
            "calibration": {**chosen["calibration"], "penalty": chosen["chosen"]["penalty"],
                            "fitted_on": f"PubMedQA {split}, {len(usable)} questions"}}


def answers(settings: Settings, folder: Path, limit: int | None = None, split: str = "test",
            model: str | None = None, progress: Progress | None = None) -> dict:
    """Answer quality on PubMedQA, the product's own yes/no path end to end: retrieval from
    all 1000, calibrated verdict, explanation, claim check; plus the verdict's ceiling with
    only the gold abstract given. Resumes from ``<data>/bench/answers-*.jsonl``; raw
    probabilities are logged, so the current calibration is applied when scoring."""
    pipeline = bench_pipeline(settings, folder)
    records, ids = load_pubmedqa(folder, split)
    ids = ids[:limit] if limit else ids

    def row(pmid: str) -> dict:
        question = records[pmid]["QUESTION"]
        answer = pipeline.ask(question, model=model, yes_no=True)
        ceiling = pipeline.verdict(question, _gold_source(pipeline, pmid), model)
        return {"gold": records[pmid]["final_decision"],
                "raw": answer.verdict.raw if answer.verdict else {},
                "ceiling_raw": ceiling.raw, "answer": answer.text,
                "sources": [s.paper_id for s in answer.sources],
                "cited": [c.paper_id for c in answer.citations],
                "claims": len(answer.claims),
                "supported": sum(c.supported for c in answer.claims),
                "abstained": answer.abstained, "extractive": answer.extractive,
                "invalid": answer.invalid_citations,
                "rejected": answer.rejected_citations, "added": answer.added_citations,
                "model_cited": [s.paper_id for s in answer.sources
                                if any(s.n in c.model_citations for c in answer.claims)],
                "out_of_scope": answer.out_of_scope,
                "seconds": answer.timings.get("total", 0.0),
                "check_seconds": answer.timings.get("check", 0.0)}

    rows = run_rows(ids, log_path(settings, "answers", split, model), row, progress)
    pipeline.close()
    return score_answers(rows, pipeline.verdict_calibration(model))


def score_answers(rows: list[dict], calibration: dict | None) -> dict:
    """The answer benchmark's figures from its logged rows."""
    n = len(rows)
    gold = [r["gold"] for r in rows]
    predicted = [decide_verdict(r["raw"], calibration).label if r["raw"] else "maybe"
                 for r in rows]
    raw_predicted = [decide_verdict(r["raw"]).label if r["raw"] else "maybe" for r in rows]
    ceiling = [decide_verdict(r["ceiling_raw"], calibration).label for r in rows]
    asked = [r for r in rows if not r["out_of_scope"]]
    claims = sum(r["claims"] for r in rows)
    majority = max(set(gold), key=gold.count)
    return {
        "questions": n,
        "accuracy": accuracy(gold, predicted),
        "macro_f1": macro_f1(gold, predicted),
        "uncalibrated_accuracy": accuracy(gold, raw_predicted),
        "uncalibrated_macro_f1": macro_f1(gold, raw_predicted),
        "ceiling_accuracy": accuracy(gold, ceiling),
        "ceiling_macro_f1": macro_f1(gold, ceiling),
        "majority_accuracy": gold.count(majority) / n,
        "majority_macro_f1": macro_f1(gold, [majority] * n),
        "predicted_counts": {label: predicted.count(label) for label in LABELS},
        "gold_retrieved": sum(r["id"] in r["sources"] for r in rows) / n,
        "with_supported_citation": (sum(bool(r["cited"]) for r in asked) / len(asked)
                                    if asked else 0.0),
        "cites_gold": sum(r["id"] in r["cited"] for r in rows) / n,
        "claims_supported": sum(r["supported"] for r in rows) / claims if claims else 0.0,
        "abstentions": sum(r["abstained"] for r in rows) / n,
        "explained_by_closest_sentence": sum(r.get("extractive", False) for r in rows) / n,
        "citations_to_sources_not_given": sum(1 for r in rows for c in r["cited"]
                                              if c not in r["sources"]),
        "model_cites_gold": sum(r["id"] in r["model_cited"] for r in rows) / n,
        "model_citations_removed": sum(len(r["rejected"]) for r in rows),
        "citations_added_by_check": sum(len(r["added"]) for r in rows),
        "seconds_per_question": sum(r["seconds"] for r in rows) / n,
        "check_seconds_per_question": sum(r["check_seconds"] for r in rows) / n,
    }


def attribution(settings: Settings, folder: Path, split: str = "test",
                limit: int | None = None, progress: Progress | None = None) -> dict:
    """Does the checker attribute each abstract's conclusion (LONG_ANSWER, not indexed) to
    that abstract among the retrieved sources, and call it unsupported once that abstract
    is taken away? No language model answers here; the sources are retrieved as for ``ask``.
    """
    pipeline = bench_pipeline(settings, folder)
    records, ids = load_pubmedqa(folder, split)
    ids = ids[:limit] if limit else ids
    rows = []
    seconds = 0.0
    for count, pmid in enumerate(ids, start=1):
        question = records[pmid]["QUESTION"]
        hits = pipeline.relevant(pipeline.search(question), question)
        docs = [SourceText(n, "", pipeline.get_paper(h.paper_id).abstract)
                for n, h in enumerate(hits, start=1)]
        gold_n = next((d.n for d, h in zip(docs, hits, strict=True) if h.paper_id == pmid),
                      None)
        claim = records[pmid]["LONG_ANSWER"]
        start = time.perf_counter()
        supports = pipeline.supports(claim, docs)
        with_gold = pipeline.choose_citations(claim, supports)
        seconds += time.perf_counter() - start
        without = pipeline.choose_citations(claim, [s for s in supports if s.n != gold_n])
        scores = {s.n: (s.score, s.admissible) for s in supports}
        rows.append({"gold_retrieved": gold_n is not None,
                     "attributed": gold_n is not None and with_gold.citations == [gold_n],
                     "false_support": without.supported,
                     "gold_score": scores.get(gold_n, (0.0, False)),
                     "other_scores": [v for n, v in scores.items() if n != gold_n]})
        if progress:
            progress(count, len(ids))
    pipeline.close()
    retrieved = [r for r in rows if r["gold_retrieved"]]
    sweep = {}
    for step in range(20, 81, 5):
        t = step / 100
        sweep[f"{t:.2f}"] = {
            "recall": sum(r["gold_score"][0] >= t and r["gold_score"][1]
                          for r in retrieved) / max(1, len(retrieved)),
            "false_support": sum(any(s >= t and ok for s, ok in r["other_scores"])
                                 for r in rows) / max(1, len(rows))}
    return {"questions": len(rows), "split": split, "threshold": settings.claim_threshold,
            "gold_retrieved": len(retrieved) / max(1, len(rows)),
            "attribution_recall": sum(r["attributed"] for r in retrieved) / max(1, len(retrieved)),
            "attribution_recall_all": sum(r["attributed"] for r in rows) / max(1, len(rows)),
            "false_support": sum(r["false_support"] for r in rows) / max(1, len(rows)),
            "check_seconds": seconds / max(1, len(rows)),
            "sweep": sweep}


