"""`assistant bench oneshot`: `assistant ask` as a user runs it from the shell, one new
process per question, under the current settings and each tried change, interleaved
question by question (a slower minute of the machine weighs on all alike).

What a user waits for is measured from launch: the process's wall time less what came
after the first token (the answer's own total less its first token), so interpreter
start, imports, opening the index, loading both models and retrieval are all in it. The
in-process benches (``latency``) add a separately measured model load instead; this one
is how settings that change the order of the start-up (``llm_preload``) or the work
after the answer (``claim_entailment``) are measured. Questions: the sample's
hand-written set (``bench/latency/``), over the latency bench's sample index."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from assistant.bench.common import Progress, log_path, process_env, run_rows
from assistant.bench.latency import load_questions
from assistant.bench.speed import _answer, _from_launch
from assistant.pipeline import Pipeline
from assistant.settings import Settings


def _ask(question: str, env: dict, model: str | None) -> dict:
    """One `assistant ask --json` process: from-launch first token, wall time, the
    answer's own timings and what it cited."""
    import subprocess

    command = [sys.executable, "-m", "assistant", "ask", "--json", question]
    if model:
        command += ["--model", model]
    start = time.perf_counter()
    proc = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    answer = _answer(proc.stdout)
    timings = answer.get("timings", {})
    return {"exit": proc.returncode, "wall_s": wall,
            "first_token_from_launch_s": _from_launch(wall, answer),
            "first_token_s": timings.get("first_token", 0.0),
            "model_load_s": timings.get("model_load", 0.0),
            "check_s": timings.get("check", 0.0), "total_s": timings.get("total", 0.0),
            "out_of_scope": bool(answer.get("out_of_scope")),
            "claims": len(answer.get("claims", [])),
            "supported": sum(bool(c.get("supported")) for c in answer.get("claims", [])),
            "cited": [c["id"] for c in answer.get("citations", [])],
            "error": "" if answer else proc.stderr.strip()[-300:]}


def one_shot(settings: Settings, sample: Path, tries: list[dict], limit: int,
             model: str | None = None, progress: Progress | None = None) -> dict:
    """Every configuration ("current", then each tried) on the first ``limit`` sample
    questions; medians per configuration over the questions that reached the model, and
    ratios to "current". Rows are logged; a re-run resumes."""
    data = settings.replace(data_dir=settings.data_dir / "bench" / "latency-sample")
    base = Pipeline(data)
    if base.paper_count() == 0:
        base.ingest([sample])
    by_title = {sp.paper.title: sp.paper.id for sp in base.papers()}
    base.close()
    configs = {"current": {}, **{"try:" + ",".join(f"{k}={v}" for k, v in t.items()): t
                                 for t in tries}}
    questions = {q["id"]: q for q in load_questions()[:limit]}

    def row(qid: str) -> dict:
        q = questions[qid]
        return {"kind": q["kind"], "gold": [by_title[t] for t in q.get("gold", [])],
                **{name: _ask(q["question"], process_env(data, changes), model)
                   for name, changes in configs.items()}}

    kind = "oneshot-" + "-".join(sorted(configs))[:80].replace(":", "").replace("=", "")
    rows = run_rows(list(questions), log_path(data, kind, "sample", model), row, progress)
    return {"configs": configs, "questions": len(rows), **summarize(rows, list(configs))}


def summarize(rows: list[dict], names: list[str]) -> dict:
    """Medians per configuration (answered questions only: an out-of-scope one never
    reaches the model), out-of-scope wall time apart, ratios to the first configuration."""
    out: dict[str, dict] = {}
    for name in names:
        answered = [r[name] for r in rows if not r[name]["out_of_scope"] and not r[name]["error"]]
        outside = [r[name] for r in rows if r[name]["out_of_scope"]]
        entry = {"answered": len(answered), "failed": sum(bool(r[name]["error"]) for r in rows)}
        for key in ("first_token_from_launch_s", "wall_s", "first_token_s", "model_load_s",
                    "check_s", "total_s"):
            entry[key] = statistics.median(a[key] for a in answered) if answered else 0.0
        entry["out_of_scope_wall_s"] = (statistics.median(a["wall_s"] for a in outside)
                                        if outside else None)
        entry["cites_gold"] = (sum(bool(set(r["gold"]) & set(r[name]["cited"]))
                                   and not r[name]["error"] for r in rows if r["gold"])
                               / max(1, sum(bool(r["gold"]) for r in rows)))
        out[name] = entry
    first = out[names[0]]
    for entry in out.values():
        entry["ratios"] = {key: entry[key] / max(first[key], 1e-9) for key in (
            "first_token_from_launch_s", "wall_s", "check_s")}
    return {"results": out}
