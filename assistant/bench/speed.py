"""`assistant bench speed`: ingest, ask, claim check, cold start, memory and summaries per
minute on the bundled sample, next to the bare llama.cpp engine in the same run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from assistant.bench.common import process_env, run_measured
from assistant.pipeline import Pipeline
from assistant.settings import Settings

OTHER_QUESTION = "Which papers study link prediction?"
QUESTION = "Which papers speed up depth estimation on embedded hardware, and how fast are they?"


def _timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def speed(settings: Settings, sample: Path, model: str | None = None) -> dict:
    """Product speed next to the raw engine, measured in the same run."""
    bench_settings = settings.replace(data_dir=settings.data_dir / "bench" / "speed")
    if bench_settings.data_dir.exists():
        import shutil

        shutil.rmtree(bench_settings.data_dir)
    # importing chromadb is a process's start-up cost (any command pays it once), not
    # the ingest's: it is timed apart, and everything after it is in the ingest time
    imports_s, _ = _timed(lambda: __import__("chromadb"))
    pipeline = Pipeline(bench_settings)
    result: dict[str, dict] = {"ingest": {**_ingest(pipeline, sample),
                                          "chromadb_import_s": imports_s}}
    pipeline.ask(OTHER_QUESTION, model=model)  # load everything first
    answer = pipeline.ask(QUESTION, model=model)
    prompt, stop = pipeline.answer_prompt(QUESTION, answer.sources, model)
    result["summaries"] = _summary_rate(pipeline, model, papers=5)
    pipeline.close()
    result["ask"] = _ask_vs_bare(settings, answer, prompt, stop, model)
    env = process_env(bench_settings)
    result["cold_start"] = _cold_start(env, model)
    result["served"] = _served(bench_settings, env, QUESTION, model,
                               answer.timings["first_token"])
    return result


def _ingest(pipeline: Pipeline, sample: Path) -> dict:
    """The product's ingest of the sample, and llama.cpp's own embedding of its chunks."""
    from assistant.index.chunking import chunk_paper
    from assistant.sources import parse_file

    ingest_s, report = _timed(lambda: pipeline.ingest([sample]))
    embedder = pipeline.index.embedder
    texts = [c.embed_text for p in parse_file(sample)
             for c in chunk_paper(p, pipeline.settings.chunk_tokens, embedder.count_tokens)]
    bare_s, _ = _timed(lambda: [embedder.engine.embed(t) for t in texts])
    return {"papers": len(report.added), "chunks": report.chunks, "seconds": ingest_s,
            "bare_embedding_seconds": bare_s, "ratio": ingest_s / bare_s}


def _ask_vs_bare(settings: Settings, answer, prompt: str, stop: list[str],
                 model: str | None) -> dict:
    """The answer's timings next to the bare engine generating from the same prompt."""
    from assistant.llm.catalog import resolve_model
    from assistant.llm.local import load_llama

    # loaded and batched exactly as the product loads it, so the ratio is the product's
    # own overhead (retrieval, prompt assembly, streaming, the claim check)
    raw = load_llama(resolve_model(model or settings.model, settings.models_dir),
                     n_ctx=settings.n_ctx, n_batch=settings.n_batch,
                     n_threads=settings.threads, n_threads_batch=settings.threads,
                     flash_attn=True, seed=settings.seed, use_mmap=settings.llm_mmap)
    start = time.perf_counter()
    first = None
    for chunk in raw.create_completion(prompt, max_tokens=answer.tokens["completion"],
                                       temperature=settings.temperature, stream=True,
                                       stop=stop or None):
        if first is None and chunk["choices"][0]["text"]:
            first = time.perf_counter() - start
    raw_total = time.perf_counter() - start
    raw.close()
    t = answer.timings
    return {"first_token_s": t["first_token"], "total_s": t["total"],
            "bare_first_token_s": first or raw_total, "bare_total_s": raw_total,
            "first_token_ratio": t["first_token"] / (first or raw_total),
            "claim_check_s": t.get("check", 0.0),
            "claim_check_share": t.get("check", 0.0) / t["total"],
            "total_ratio": t["total"] / raw_total,
            "prompt_tokens": answer.tokens["prompt"],
            "completion_tokens": answer.tokens["completion"]}


def _cold_start(env: dict, model: str | None) -> dict:
    """New processes: a search command, and an ask (first token from launch, peak RSS)."""
    cold = []
    for _ in range(3):
        seconds, _proc = _timed(lambda: subprocess.run(
            [sys.executable, "-m", "assistant", "search", "--json", "depth estimation"],
            env=env, capture_output=True, text=True))
        cold.append(seconds)
    ask_cmd = [sys.executable, "-m", "assistant", "ask", "--json", QUESTION]
    if model:
        ask_cmd += ["--model", model]
    ask_s, ask_out, ask_rss = run_measured(ask_cmd, env)
    return {"search_command_s": min(cold), "ask_command_s": ask_s, "ask_peak_rss_mb": ask_rss,
            "ask_first_token_from_launch_s": _from_launch(ask_s, _answer(ask_out))}


# --- with `assistant serve` running -----------------------------------------------------------

def _answer(stdout: str) -> dict:
    """The answer JSON an `ask --json` printed ({} if it printed none)."""
    try:
        return json.loads(stdout)
    except ValueError:
        return {}


def _from_launch(wall_s: float, answer: dict) -> float:
    """Seconds from starting the process to its first token: the process's wall time
    less what came after the first token (the answer's total less its first token)."""
    t = answer.get("timings", {})
    return wall_s - t.get("total", 0.0) + t.get("first_token", 0.0)


def _served(settings: Settings, env: dict, question: str, model: str | None,
            warm_first_token: float) -> dict:
    """Cold `ask` processes against a running `assistant serve` (first token, peak RSS),
    then four at once; the server's own peak RSS."""
    import signal

    server, ready_s = _start_server(settings, env, model)
    if server is None:
        return {"error": "assistant serve did not start"}
    try:
        ask = [sys.executable, "-m", "assistant", "ask", "--json", question]
        best, client_rss = _served_asks(ask, env)
        concurrent_s, answers = _timed(lambda: _concurrent(ask, env, 4))
        server_rss = _process_rss_mb(server.pid)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    return {"server_ready_s": ready_s, "via": best["model"],
            "cold_ask_first_token_in_answer_s": best["first_token_s"],
            "cold_ask_first_token_from_launch_s": best["from_launch_s"],
            "warm_in_process_first_token_s": warm_first_token,
            "first_token_ratio_in_answer": best["first_token_s"] / warm_first_token,
            "first_token_ratio_from_launch": best["from_launch_s"] / warm_first_token,
            "cold_ask_wall_s": best["wall_s"],
            "client_peak_rss_mb": client_rss,
            "server_peak_rss_mb": server_rss,
            "concurrent_asks": len(answers),
            "concurrent_completed": sum(1 for a in answers if a.get("answer")),
            "concurrent_total_s": concurrent_s,
            "concurrent_latency_mean_s": sum(a.get("wall_s", 0.0) for a in answers)
            / max(len(answers), 1),
            "concurrent_latency_max_s": max((a.get("wall_s", 0.0) for a in answers),
                                            default=0.0)}


def _start_server(settings: Settings, env: dict, model: str | None
                  ) -> tuple[subprocess.Popen | None, float]:
    """`assistant serve` on a free port, and the seconds until it announced itself (None
    when it died or took more than 5 minutes)."""
    import socket

    from assistant.llm.servers import running_server

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", "assistant", "serve", "--port", str(port)]
    if model:
        command += ["--model", model]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    start = time.perf_counter()
    while running_server(settings.data_dir) is None:
        if server.poll() is not None or time.perf_counter() - start > 300:
            server.kill()
            return None, 0.0
        time.sleep(0.1)
    return server, time.perf_counter() - start


def _served_asks(ask: list[str], env: dict) -> tuple[dict, float]:
    """Three cold `ask` processes through the server: the best run, the peak client RSS."""
    other = [sys.executable, "-m", "assistant", "ask", "--json", OTHER_QUESTION]
    runs = []
    for _ in range(3):
        # as in the warm in-process figure, the server last saw another question, so
        # only the fixed prompt prefix is cached, not this question's whole prompt
        subprocess.run(other, env=env, capture_output=True, text=True)
        seconds, stdout, rss_mb = run_measured(ask, env)
        answer = _answer(stdout)
        runs.append({"wall_s": seconds, "rss_mb": rss_mb,
                     "first_token_s": answer.get("timings", {}).get("first_token", 0.0),
                     "from_launch_s": _from_launch(seconds, answer),
                     "model": answer.get("model", "")})
    return min(runs, key=lambda r: r["from_launch_s"]), max(r["rss_mb"] for r in runs)


def _concurrent(command: list[str], env: dict, n: int) -> list[dict]:
    """``n`` copies of ``command`` started together; each one's answer and wall time."""
    import threading

    answers: list[dict] = [{} for _ in range(n)]

    def one(i: int) -> None:
        seconds, proc = _timed(lambda: subprocess.run(command, env=env, capture_output=True,
                                                      text=True))
        answers[i] = {**_answer(proc.stdout), "wall_s": seconds}

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def _process_rss_mb(pid: int) -> float:
    """The peak RSS (VmHWM) of a running process, in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _summary_rate(pipeline: Pipeline, model: str | None, papers: int) -> dict:
    """Structured summaries per minute over the first papers (empty cache, model loaded)."""
    from assistant.summaries.batch import Summarizer

    summarizer = Summarizer(pipeline, model=model)
    chosen = [sp.paper for sp in pipeline.papers()[:papers]]
    seconds, _ = _timed(lambda: [summarizer.summarize(p) for p in chosen])
    return {"papers": len(chosen), "seconds": seconds,
            "papers_per_minute": 60.0 * len(chosen) / seconds}
