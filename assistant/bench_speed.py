"""`assistant bench speed`: ingest, ask, claim check, cold start, memory and summaries per
minute on the bundled sample, next to the bare llama.cpp engine in the same run."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from .pipeline import Pipeline
from .settings import Settings


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
    bench_settings = settings.replace(data_dir=settings.data_dir / "bench" / "speed")
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
                     "claim_check_s": t.get("check", 0.0),
                     "claim_check_share": t.get("check", 0.0) / t["total"],
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
