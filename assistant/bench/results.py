"""`assistant bench results`: extracted results against the hand-labelled sets in
``bench/results/`` (the bundled sample's 76 abstracts and 100 PubMedQA dev abstracts;
how they were labelled: ``bench/results/RULES.md``).

A predicted row is right when its value overlaps the span of a labelled tuple of a core
kind (the same place in the abstract; the two may differ by a glued unit or sign). Core kinds, fixed before measuring: the sample's
``result``, ``improvement`` and ``model_size`` (parameter counts are what its tables
compare); PubMedQA's ``result``, ``improvement`` and ``p_value``. A row on a number
labelled with another kind (a sample size, a dose, a count) or on no labelled number is a
false positive. Also: whether the metric the row names shares a word with the label's,
whether "own" agrees (sample), the share of shown values found verbatim in their
sentence, replies cut at the token limit, and seconds per paper next to ``summarize``."""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Callable
from pathlib import Path

from assistant.bench.common import BenchError
from assistant.pipeline import Paper, PaperResults, Pipeline
from assistant.settings import REPO_DIR, Settings
from assistant.summaries.results import ResultsCache

LABELS = REPO_DIR / "bench" / "results"
CORE = {"sample": {"result", "improvement", "model_size"},
        "pubmedqa": {"result", "improvement", "p_value"}}
# 3 x 20 further dev abstracts, only their core tuples labelled, after the rules were
# written (bench/results/HOLDOUT.md, HOLDOUT2.md, HOLDOUT3.md): scored as the PubMedQA set
for _held in ("pubmedqa_holdout", "pubmedqa_holdout2", "pubmedqa_holdout3"):
    CORE[_held] = CORE["pubmedqa"]
SETS = tuple(CORE)
_STOP = frozenset("a an the of in on for to and or with by at as from".split())

Progress = Callable[[int, int], None]


def _ws(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def sample_papers(seed: Path) -> list[Paper]:
    """The sample's papers as the labels number them: non-empty lines, the first five
    page chrome, then title and abstract lines in turn (RULES.md §1)."""
    lines = [line.strip() for line in seed.read_text(encoding="utf-8").splitlines()
             if line.strip()][5:]
    return [Paper(id=f"sample:{i // 2 + 1}", title=lines[i], abstract=lines[i + 1])
            for i in range(0, len(lines) - 1, 2)]


def pubmedqa_papers(folder: Path, pmids: list[str]) -> list[Paper]:
    data = json.loads((folder / "ori_pqal.json").read_text(encoding="utf-8"))
    return [Paper(id=f"pmid:{p}", title=data[p].get("QUESTION", ""),
                  abstract=" ".join(data[p]["CONTEXTS"])) for p in pmids]


def load_set(name: str, seed: Path, pubmedqa: Path) -> tuple[list[Paper], dict[str, list]]:
    """The papers of a labelled set and their labelled tuples by paper id."""
    path = LABELS / f"{name}_results.json"
    if not path.exists():
        raise BenchError(f"labelled set not found: {path}")
    labels = json.loads(path.read_text(encoding="utf-8"))
    tuples: dict[str, list] = {}
    if name == "sample":
        papers = sample_papers(seed)
        for t in labels["results"]:
            tuples.setdefault(f"sample:{t['paper_index']}", []).append(t)
    else:
        papers = pubmedqa_papers(pubmedqa, labels["selected_pmids"])
        for t in labels["results"]:
            tuples.setdefault(f"pmid:{t['pmid']}", []).append(t)
    return papers, tuples


def _gold_spans(abstract: str, tuples: list) -> list[tuple[int, int, dict]]:
    """Each labelled tuple's place in the whitespace-normalised abstract."""
    text = _ws(abstract)
    spans = []
    for t in tuples:
        at = text.find(_ws(t["sentence"]))
        if at < 0:
            raise BenchError(f"labelled sentence not in its abstract: {t['sentence'][:60]}")
        start = at + len(_ws(t["sentence"][:t["offset"]]))
        spans.append((start, start + len(_ws(t["value_text"])), t))
    return spans


def _words(text: str | None) -> set[str]:
    return {w.rstrip("s") for w in re.findall(r"[a-z0-9]+", (text or "").casefold())
            if w not in _STOP}


def score_paper(paper: Paper, result: PaperResults, tuples: list, core: set[str]) -> dict:
    """True and false positives, matched core labels, metric and own agreement."""
    gold = _gold_spans(paper.abstract, tuples)
    used: set[int] = set()
    row = {"rows": len(result.rows), "tp": 0, "fp_other_kind": 0, "fp_unlabelled": 0,
           "metric_agrees": 0, "own_agrees": 0, "own_labelled": 0,
           "verbatim": 0, "core": sum(t["kind"] in core for t in tuples)}
    for r in result.rows:
        row["verbatim"] += (paper.abstract[r.start:r.start + len(r.value_text)] == r.value_text
                            and r.value_text in r.sentence)
        start = len(_ws(paper.abstract[:r.start]))
        end = start + len(_ws(r.value_text))
        hit = next((i for i, (a, b, _t) in enumerate(gold)
                    if a < end and start < b and i not in used), None)
        if hit is None:
            row["fp_unlabelled"] += 1
            continue
        used.add(hit)
        label = gold[hit][2]
        if label["kind"] not in core:
            row["fp_other_kind"] += 1
            continue
        row["tp"] += 1
        row["metric_agrees"] += bool(_words(r.metric) & _words(label.get("metric")))
        if label.get("own") is not None:
            row["own_labelled"] += 1
            row["own_agrees"] += r.own == label["own"]
    return row


def _ratio(a: float, b: float) -> float:
    return round(a / b, 3) if b else 0.0


def run_set(pipeline: Pipeline, name: str, papers: list[Paper], tuples: dict[str, list],
            progress: Progress | None = None) -> dict:
    """Extract (through the cache: a re-run resumes) and score one labelled set."""
    cache = ResultsCache(pipeline)
    rows, seconds, cut, failed = [], [], 0, 0
    for count, paper in enumerate(papers, 1):
        try:
            result = cache.get(paper)
        except Exception:  # noqa: BLE001 - counted: a parse failure would show here
            failed += 1  # its labels still count against recall
            result = PaperResults(paper.id, paper.title)
        if result.candidates and not result.cached:
            seconds.append(result.seconds)
        cut += "reply cut at the token limit" in result.dropped
        rows.append(score_paper(paper, result, tuples.get(paper.id, []), CORE[name]))
        if progress:
            progress(count, len(papers))
    total = {k: sum(r[k] for r in rows) for k in rows[0]} if rows else {}
    predicted = total.get("rows", 0)
    return {
        "papers": len(papers), "labelled_core_tuples": total.get("core", 0),
        "rows_shown": predicted, "true_positives": total.get("tp", 0),
        "precision": _ratio(total.get("tp", 0), predicted),
        "recall": _ratio(total.get("tp", 0), total.get("core", 0)),
        "false_positives_other_kind": total.get("fp_other_kind", 0),
        "false_positives_unlabelled": total.get("fp_unlabelled", 0),
        "metric_agrees": _ratio(total.get("metric_agrees", 0), total.get("tp", 0)),
        "own_agrees": _ratio(total.get("own_agrees", 0), total.get("own_labelled", 0)),
        "verbatim_share": _ratio(total.get("verbatim", 0), predicted),
        "replies_cut": cut, "extraction_failures": failed,
        "seconds_per_paper_median": round(statistics.median(seconds), 2) if seconds else 0,
        "seconds_per_paper_mean": round(statistics.mean(seconds), 2) if seconds else 0,
        "papers_timed": len(seconds),
    }


def summary_seconds(pipeline: Pipeline, papers: list[Paper], count: int) -> float:
    """Median seconds of a structured summary over the first ``count`` papers with
    numbers (the extraction's yardstick: ≤ 1.5× per paper)."""
    times = []
    for paper in [p for p in papers if re.search(r"\d", p.abstract)][:count]:
        times.append(pipeline.summarize(paper).seconds)
    return round(statistics.median(times), 2) if times else 0.0


def results_bench(settings: Settings, seed: Path, pubmedqa: Path, sets: list[str],
                  limit: int | None = None, summaries: int = 8,
                  progress: Progress | None = None) -> dict:
    """Both labelled sets (or those named), and summarize's time on the same papers."""
    data = settings.replace(data_dir=settings.data_dir / "bench" / "results")
    pipeline = Pipeline(data)
    out: dict = {}
    try:
        for name in sets:
            papers, tuples = load_set(name, seed, pubmedqa)
            out[name] = run_set(pipeline, name, papers[:limit], tuples, progress)
        if summaries:
            papers = load_set(sets[0], seed, pubmedqa)[0][:limit]
            out["summarize_seconds_per_paper_median"] = summary_seconds(pipeline, papers,
                                                                        summaries)
            for name in sets:
                out[name]["time_vs_summarize"] = _ratio(
                    out[name]["seconds_per_paper_median"],
                    out["summarize_seconds_per_paper_median"])
    finally:
        pipeline.close()
    return out
