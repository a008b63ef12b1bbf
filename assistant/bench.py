"""Benchmarks on data nobody here wrote (PubMedQA PQA-L), plus speed against the raw engine.

- retrieval: index the 1000 abstracts (the question is not part of the document), ask the
  500 test questions, report Recall@1/5 and MRR@10 of the question's own abstract for BM25,
  dense and hybrid side by side;
- answers: retrieval from the whole 1000, the model answers yes/no/maybe with a citation;
  accuracy, macro-F1, share citing the gold abstract, share of citations to sources that
  were not given (must be 0). Resumable: finished questions are kept in a JSONL file;
- speed: each figure next to the raw engine measured in the same run.

Tuning (prompts, k, fusion) may only look at the 500 non-test questions (``--split dev``).
"""

from __future__ import annotations

import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from .errors import AssistantError
from .models import model_label
from .pipeline import Pipeline
from .retrieve import hybrid_search
from .settings import REPO_DIR, Settings
from .sources import Paper

LABELS = ("yes", "no", "maybe")
MODES = ("bm25", "dense", "hybrid")
Progress = Callable[[int, int], None]


class BenchError(AssistantError, RuntimeError):
    """The benchmark data is missing or malformed."""


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
    from .pipeline import IngestReport

    bench_settings = replace(settings, data_dir=settings.data_dir / "bench" / "pubmedqa")
    pipeline = Pipeline(bench_settings)
    records, _ = load_pubmedqa(folder)
    if len(pipeline.store.registry.papers) != len(records):
        papers = [_paper(pmid, rec) for pmid, rec in records.items()]
        pipeline.ingest_papers(papers, IngestReport(), progress)
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
        vector = pipeline.embedder.embed_one(question)
        for mode in MODES:
            hits = hybrid_search(pipeline.store, question, vector, 10,
                                 settings.candidates, None, mode)
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


def parse_label(text: str) -> str:
    """The label right after "Answer:" (or the first yes/no/maybe word anywhere)."""
    lowered = text.lower()
    match = re.match(r"\s*answer:\s*\W*(yes|no|maybe)\b", lowered) or \
        re.search(r"\b(yes|no|maybe)\b", lowered)
    return match.group(1) if match else "maybe"


def macro_f1(gold: list[str], predicted: list[str]) -> float:
    scores = []
    for label in LABELS:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p == label)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if p == label and g != label)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall
                      else 0.0)
    return sum(scores) / len(scores)


def answers(settings: Settings, folder: Path, limit: int | None = None, split: str = "test",
            model: str | None = None, progress: Progress | None = None) -> dict:
    """Answer quality on PubMedQA; resumes from ``<data>/bench/answers-*.jsonl``."""
    pipeline = bench_pipeline(settings, folder)
    records, ids = load_pubmedqa(folder, split)
    ids = ids[:limit] if limit else ids
    model_name = model_label(model or settings.model)
    from .prompts import template_version

    version = template_version("pubmedqa_system", "answer_user")
    log = settings.data_dir / "bench" / f"answers-{split}-{model_name}-{version}.jsonl"
    log.parent.mkdir(parents=True, exist_ok=True)
    done = {}
    if log.exists():
        for line in log.read_text().splitlines():
            row = json.loads(line)
            done[row["id"]] = row
    with log.open("a", encoding="utf-8") as handle:
        for count, pmid in enumerate(ids, start=1):
            if pmid not in done:
                answer = pipeline.ask(records[pmid]["QUESTION"], model=model,
                                      instructions="pubmedqa_system",
                                      answer_prefix="Answer:")
                row = {"id": pmid, "gold": records[pmid]["final_decision"],
                       "predicted": parse_label(answer.text), "answer": answer.text,
                       "sources": [s.paper_id for s in answer.sources],
                       "cited": [c.paper_id for c in answer.citations],
                       "invalid": answer.invalid_citations,
                       "out_of_scope": answer.out_of_scope,
                       "seconds": answer.timings.get("total", 0.0)}
                handle.write(json.dumps(row) + "\n")
                handle.flush()
                done[pmid] = row
            if progress:
                progress(count, len(ids))
    pipeline.close()
    rows = [done[pmid] for pmid in ids]
    all_citations = sum(len(r["cited"]) + len(r["invalid"]) for r in rows)
    shown = sum(len(r["cited"]) for r in rows)
    not_given = sum(1 for r in rows for c in r["cited"] if c not in r["sources"])
    return {
        "questions": len(rows),
        "accuracy": sum(r["gold"] == r["predicted"] for r in rows) / len(rows),
        "macro_f1": macro_f1([r["gold"] for r in rows], [r["predicted"] for r in rows]),
        "cites_gold": sum(r["id"] in r["cited"] for r in rows) / len(rows),
        "gold_retrieved": sum(r["id"] in r["sources"] for r in rows) / len(rows),
        "invalid_citation_share": not_given / shown if shown else 0.0,
        "fabricated_by_model_share": (sum(len(r["invalid"]) for r in rows) / all_citations
                                      if all_citations else 0.0),
        "no_citation_share": sum(not r["cited"] for r in rows) / len(rows),
        "seconds_per_question": sum(r["seconds"] for r in rows) / len(rows),
        "log": str(log),
    }


def _timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def speed(settings: Settings, sample: Path, model: str | None = None) -> dict:
    """Product speed next to the raw engine, measured in the same run."""
    from .chunking import chunk_paper
    from .generate import load_llama
    from .models import resolve_model
    from .sources import parse_file

    result: dict[str, dict] = {}
    bench_settings = replace(settings, data_dir=settings.data_dir / "bench" / "speed")
    if bench_settings.data_dir.exists():
        import shutil

        shutil.rmtree(bench_settings.data_dir)
    pipeline = Pipeline(bench_settings)
    ingest_s, report = _timed(lambda: pipeline.ingest([sample]))
    embedder = pipeline.embedder
    texts = [c.embed_text for p in parse_file(sample)
             for c in chunk_paper(p, settings.chunk_tokens, embedder.count_tokens)]
    bare_s, _ = _timed(lambda: [embedder._llm.embed(t) for t in texts])  # noqa: SLF001
    result["ingest"] = {"papers": len(report.added), "chunks": report.chunks,
                        "seconds": ingest_s, "bare_embedding_seconds": bare_s,
                        "ratio": ingest_s / bare_s}

    question = "Which papers speed up depth estimation on embedded hardware, and how fast are they?"
    pipeline.ask("Which papers study link prediction?", model=model)  # load everything first
    answer = pipeline.ask(question, model=model)
    llm = pipeline.llm(model)
    prompt, stop = llm.format_prompt(pipeline.build_messages(question, answer.sources, []))
    result["summaries"] = _summary_rate(pipeline, model, papers=5)
    pipeline.close()
    raw = load_llama(resolve_model(model or settings.model, settings.models_dir),
                     n_ctx=settings.n_ctx, n_batch=512, n_threads=settings.threads,
                     n_threads_batch=settings.threads, flash_attn=True, seed=settings.seed)
    start = time.perf_counter()
    first = None
    n_tokens = 0
    for chunk in raw.create_completion(prompt, max_tokens=answer.tokens["completion"],
                                       temperature=settings.temperature, stream=True,
                                       stop=stop or None):
        if first is None and chunk["choices"][0]["text"]:
            first = time.perf_counter() - start
        n_tokens += 1
    raw_total = time.perf_counter() - start
    raw.close()
    t = answer.timings
    result["ask"] = {"first_token_s": t["first_token"], "total_s": t["total"],
                     "bare_first_token_s": first or raw_total, "bare_total_s": raw_total,
                     "first_token_ratio": t["first_token"] / (first or raw_total),
                     "total_ratio": t["total"] / raw_total,
                     "prompt_tokens": answer.tokens["prompt"],
                     "completion_tokens": answer.tokens["completion"]}

    env = {**os.environ, "ASSISTANT_DATA_DIR": str(bench_settings.data_dir)}
    cold = []
    for _ in range(3):
        seconds, proc = _timed(lambda: subprocess.run(
            [sys.executable, "-m", "assistant.cli", "search", "--json", "depth estimation"],
            env=env, capture_output=True, text=True))
        cold.append(seconds)
    ask_cmd = [sys.executable, "-c",
               "import resource,subprocess,sys;"
               "subprocess.run(sys.argv[1:],capture_output=True);"
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)",
               sys.executable, "-m", "assistant.cli", "ask", "--json", question]
    if model:
        ask_cmd += ["--model", model]
    ask_s, proc = _timed(lambda: subprocess.run(ask_cmd, env=env, capture_output=True,
                                                text=True))
    result["cold_start"] = {"search_command_s": min(cold), "ask_command_s": ask_s,
                            "ask_peak_rss_mb": int(proc.stdout.strip() or 0) / 1024}
    return result


def _summary_rate(pipeline: Pipeline, model: str | None, papers: int) -> dict:
    """Structured summaries per minute over the first papers (empty cache, model loaded)."""
    from .summarize import Summarizer

    summarizer = Summarizer(pipeline, model=model)
    chosen = [sp.paper for sp in pipeline.papers()[:papers]]
    seconds, _ = _timed(lambda: [summarizer.summarize(p) for p in chosen])
    return {"papers": len(chosen), "seconds": seconds,
            "papers_per_minute": 60.0 * len(chosen) / seconds}


def machine_info(settings: Settings, model: str | None = None) -> dict:
    commit = subprocess.run(["git", "-C", str(REPO_DIR), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    return {"machine": platform.machine(), "cpus": os.cpu_count(),
            "python": platform.python_version(), "threads": settings.threads,
            "model": model or settings.model, "embedder": settings.embedder,
            "commit": commit or "unknown",
            "date": time.strftime("%Y-%m-%d %H:%M:%S"),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def save(kind: str, results: dict, settings: Settings, model: str | None = None) -> Path:
    out = REPO_DIR / "bench-results" if (REPO_DIR / ".git").exists() else \
        settings.data_dir / "bench-results"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{kind}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps({"kind": kind, **machine_info(settings, model),
                                "results": results}, indent=2))
    return path
