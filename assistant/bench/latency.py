"""`assistant bench latency`: where an answer's time goes, for the evidence settings before
issue #17 and the current ones (and any others to try) **in the same run**, per question
and as medians and ratios, with the quality columns beside them.

Each question is answered under every configuration back to back (interleaved, so a
slower minute of the machine weighs on all alike), by one process holding the model, as
a fresh process would: before each first question the model's context is reset to the
cached instructions (what a new process restores from disk). A one-shot ``ask`` also
loads the model: that load is measured once here and reported beside the in-process
figures. Questions: the bundled sample's hand-written set (``bench/latency/``), with its
follow-ups, and PubMedQA dev questions (the product's yes/no path). A follow-up is asked
with the first answer as history, under the current code's layout (it continues the
first prompt) and, for the "before" configuration, as before (the earlier turn as text,
the prompt laid afresh)."""

from __future__ import annotations

import hashlib
import json
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from assistant.bench.common import BenchError, Progress, log_path, run_rows
from assistant.bench.pubmedqa import bench_pipeline, load_pubmedqa
from assistant.pipeline import Answer, Pipeline, Status, Turn, decide_verdict
from assistant.settings import REPO_DIR, Settings

QUESTIONS = REPO_DIR / "bench" / "latency" / "sample_questions.json"
# the prompts a sample row is made with (a changed one starts a new log, not a resume)
FOLLOW_UP_TEMPLATES = ("yesno_system", "answer_user", "answer_system", "follow_up_yes_no",
                       "follow_up_open")
# the evidence settings answers were made with when issue #17 was measured
BEFORE = {"context_budget": 500, "yes_no_budget": 300, "evidence_min_share": 60}


@dataclass
class Config:
    """One set of settings to time; ``old_follow_ups``: follow-ups laid out as before."""

    name: str
    changes: dict = field(default_factory=dict)
    old_follow_ups: bool = False


def configs(tries: list[dict], settings: Settings | None = None, before: bool = True
            ) -> list[Config]:
    """"before" (the settings of the issue; left out with ``before`` false), "current"
    (this checkout's, unless its evidence settings are the same as before's), then each
    tried."""
    same = before and settings is not None \
        and all(getattr(settings, k) == v for k, v in BEFORE.items())
    return [*([Config("before", BEFORE, True)] if before else []),
            *([] if same else [Config("current")]),
            *(Config("try:" + ",".join(f"{k}={v}" for k, v in t.items()), t) for t in tries)]


class Reading:
    """Counts the prompt tokens the model actually reads for one answer, over all its
    reads (a yes/no question's verdict reads the prompt, its explanation only the rest),
    from the pipeline's status events."""

    def __init__(self) -> None:
        self.tokens = 0

    def __call__(self, status: Status) -> None:
        if status.stage == "reading" and status.total and status.done >= status.total:
            self.tokens += status.total


def timing_row(answer: Answer, read: int | None = None) -> dict:
    """The figures of one answer: time, tokens (``read``: counted while it was made) and
    what it cited."""
    t, tokens = answer.timings, answer.tokens
    if read is None:
        read = tokens.get("prompt", 0) - tokens.get("cached_prefix", 0)
    return {"retrieval_s": t.get("retrieval", 0.0), "first_token_s": t.get("first_token", 0.0),
            "generation_s": t.get("generation", 0.0), "check_s": t.get("check", 0.0),
            "total_s": t.get("total", 0.0), "prompt_tokens": tokens.get("prompt", 0),
            "read_tokens": read,
            "decode_tokens": tokens.get("completion", 0),
            "cited": [c.paper_id for c in answer.citations],
            "sources": [s.paper_id for s in answer.sources],
            "supported": sum(c.supported for c in answer.claims),
            "claims": len(answer.claims), "abstained": answer.abstained,
            "out_of_scope": answer.out_of_scope,
            "raw": answer.verdict.raw if answer.verdict else {},
            # the answer as shown and its claims: material for a hand-labelled claim set
            "answer": answer.text,
            "claim_texts": [{"text": c.text, "citations": c.citations,
                             "supported": c.supported} for c in answer.claims]}


class Runner:
    """One pipeline per configuration over one index, sharing the loaded models."""

    def __init__(self, settings: Settings, base: Pipeline, chosen: list[Config]) -> None:
        self.base = base
        self.pipelines = {c.name: Pipeline(settings.replace(**c.changes),
                                           chat=base.llm(), embedder=base.index.embedder)
                          for c in chosen}
        self.configs = chosen

    def ask(self, config: Config, question: str, follow_up: str | None = None,
            **options) -> dict:
        """The question from a fresh context, then its follow-up if any."""
        pipeline = self.pipelines[config.name]
        pipeline.warm()  # the context a new process starts with: the instructions only
        reading = Reading()
        first = pipeline.ask(question, on_status=reading, **options)
        row = {"first": timing_row(first, reading.tokens)}
        if follow_up and not first.out_of_scope:
            turn = first.turn()
            if config.old_follow_ups:
                turn = Turn(turn.question, turn.answer, turn.paper_ids)
            reading = Reading()
            answer = pipeline.ask(follow_up, history=[turn], on_status=reading)
            row["follow_up"] = timing_row(answer, reading.tokens)
        return row


def load_questions(path: Path = QUESTIONS) -> list[dict]:
    if not path.exists():
        raise BenchError(f"the sample's questions are missing: {path}")
    return json.loads(path.read_text(encoding="utf-8"))["questions"]


def _log_kind(name: str, chosen: list[Config]) -> str:
    spec = json.dumps([[c.name, c.changes, c.old_follow_ups] for c in chosen], sort_keys=True)
    return f"latency-{name}-{hashlib.sha256(spec.encode()).hexdigest()[:8]}"


def sample_rows(settings: Settings, sample: Path, chosen: list[Config], model: str | None,
                limit: int | None, progress: Progress | None) -> list[dict]:
    """Every sample question (and follow-up) under every configuration; gold titles
    become the ids of the sample index."""
    data = settings.replace(data_dir=settings.data_dir / "bench" / "latency-sample")
    base = Pipeline(data.replace(model=model or settings.model))
    if base.paper_count() == 0:
        base.ingest([sample])
    by_title = {sp.paper.title: sp.paper.id for sp in base.papers()}
    questions = load_questions()[:limit] if limit is not None else load_questions()
    runner = Runner(data.replace(model=model or settings.model), base, chosen)

    def row(qid: str) -> dict:
        q = next(q for q in questions if q["id"] == qid)
        follow = q.get("follow_up") or {}
        gold = [by_title[t] for t in q.get("gold", [])]
        return {"kind": q["kind"], "gold": gold,
                "follow_up_gold": [by_title[t] for t in follow.get("gold", [])],
                **{c.name: runner.ask(c, q["question"], follow.get("question"))
                   for c in chosen}}

    rows = run_rows([q["id"] for q in questions],
                    log_path(data, _log_kind("sample", chosen), "sample", model,
                             FOLLOW_UP_TEMPLATES), row, progress)
    load_s = base.models.take_load_seconds()
    base.close()
    return [{**r, "model_load_s": load_s} for r in rows]


def pubmedqa_rows(settings: Settings, folder: Path, chosen: list[Config], model: str | None,
                  limit: int, progress: Progress | None) -> tuple[list[dict], dict | None]:
    """The first ``limit`` PubMedQA dev questions under every configuration."""
    base = bench_pipeline(settings.replace(model=model or settings.model), folder)
    records, ids = load_pubmedqa(folder, "dev")
    runner = Runner(base.settings, base, chosen)

    def row(pmid: str) -> dict:
        question = records[pmid]["QUESTION"]
        return {"kind": "yes_no", "gold": [pmid], "label": records[pmid]["final_decision"],
                **{c.name: runner.ask(c, question, yes_no=True) for c in chosen}}

    rows = run_rows(ids[:limit], log_path(base.settings, _log_kind("pubmedqa", chosen),
                                          "dev", model), row, progress)
    load_s = base.models.take_load_seconds()
    calibration = base.verdict_calibration(model)
    base.close()
    return [{**r, "model_load_s": load_s} for r in rows], calibration


def _median(rows: list[dict], key: str) -> float:
    values = [r[key] for r in rows]
    return statistics.median(values) if values else 0.0


def timing_summary(answers: list[dict], load_s: float) -> dict:
    """Medians of one configuration's answers (out-of-scope ones have no prompt: left
    out), and the one-shot figures: the model's load added."""
    timed = [a for a in answers if not a["out_of_scope"]]
    summary = {key: _median(timed, key) for key in (
        "retrieval_s", "prompt_tokens", "read_tokens", "first_token_s", "decode_tokens",
        "generation_s", "check_s", "total_s")}
    summary.update(answers=len(timed), model_load_s=load_s,
                   one_shot_first_token_s=summary["first_token_s"] + load_s,
                   one_shot_total_s=summary["total_s"] + load_s)
    return summary


def quality(rows: list[dict], name: str, part: str = "first",
            calibration: dict | None = None) -> dict:
    """Supported-citation share and cites-gold over in-scope questions, abstentions on
    out-of-scope ones, and verdict accuracy where there are gold labels."""
    gold_key = "gold" if part == "first" else "follow_up_gold"
    scoped = [(r, r[name][part]) for r in rows if part in r[name] and r["kind"] != "out_of_scope"]
    asked = [a for _, a in scoped if not a["out_of_scope"]]
    result = {"questions": len(scoped),
              "with_supported_citation": sum(bool(a["cited"]) for a in asked) / max(1, len(asked)),
              "cites_gold": sum(bool(set(r[gold_key]) & set(a["cited"])) for r, a in scoped)
              / max(1, len(scoped)),
              "claims_supported": sum(a["supported"] for a in asked)
              / max(1, sum(a["claims"] for a in asked))}
    outside = [r[name][part] for r in rows if r["kind"] == "out_of_scope" and part in r[name]]
    if outside:
        result["out_of_scope_declined"] = sum(a["out_of_scope"] or a["abstained"]
                                              for a in outside) / len(outside)
    labelled = [(r["label"], r[name][part]) for r in rows if "label" in r]
    if labelled:
        predicted = [decide_verdict(a["raw"], calibration).label if a["raw"] else "maybe"
                     for _, a in labelled]
        result["verdict_accuracy"] = sum(p == g for p, (g, _) in zip(predicted, labelled,
                                                                      strict=True)) / len(labelled)
    return result


def summarize_rows(rows: list[dict], chosen: list[Config],
                   calibration: dict | None = None) -> dict:
    """Per configuration: timings, quality, and ratios to "before"; follow-ups apart."""
    load_s = rows[0]["model_load_s"] if rows else 0.0
    out: dict[str, dict] = {}
    for config in chosen:
        first = timing_summary([r[config.name]["first"] for r in rows], load_s)
        entry = {"first": first, "quality": quality(rows, config.name, "first", calibration)}
        follow = [r[config.name]["follow_up"] for r in rows if "follow_up" in r[config.name]]
        if follow:
            entry["follow_up"] = timing_summary(follow, 0.0)
            entry["follow_up_quality"] = quality(rows, config.name, "follow_up")
            entry["follow_up_first_token_vs_first"] = (
                entry["follow_up"]["first_token_s"] / max(first["first_token_s"], 1e-9))
        out[config.name] = entry
    before = out.get("before", {}).get("first")
    for entry in out.values():
        if before:
            entry["ratios_to_before"] = {
                key: entry["first"][key] / max(before[key], 1e-9) for key in (
                    "one_shot_first_token_s", "one_shot_total_s", "first_token_s",
                    "total_s", "read_tokens")}
    return out


def latency(settings: Settings, sample: Path, folder: Path, tries: list[dict],
            model: str | None = None, sample_limit: int | None = None,
            pubmedqa_limit: int = 100, progress: Progress | None = None,
            before: bool = True) -> dict:
    """The whole bench: the sample's questions, then PubMedQA dev; rows are logged and a
    re-run resumes."""
    chosen = configs(tries, settings, before)
    result = {"configs": {c.name: c.changes for c in chosen}}
    if sample_limit != 0:
        rows = sample_rows(settings, sample, chosen, model, sample_limit, progress)
        result["sample"] = summarize_rows(rows, chosen)
    if pubmedqa_limit:
        rows, calibration = pubmedqa_rows(settings, folder, chosen, model, pubmedqa_limit,
                                          progress)
        result["pubmedqa_dev"] = summarize_rows(rows, chosen, calibration)
    return result
