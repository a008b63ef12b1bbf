"""Reported results per paper, cached and resumable like summaries, and the comparison
table over the papers on a topic (``assistant compare``, ``summarize --results``, the
chat's results view, ``bench results``).

A paper's results are cached per (paper content, model file, prompt version, settings):
a second ``compare`` on the same papers does no model work and prints at once. What is
cached is the model's reply; the rules that check its rows run again at every read."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import AssistantError
from assistant.fileio import write_atomic
from assistant.pipeline import (
    Filters,
    Paper,
    PaperResults,
    Pipeline,
    ResultsTable,
    build_table,
    table_csv,
    table_markdown,
)
from assistant.summaries.batch import each_paper

OUTPUTS = (".csv", ".md", ".markdown", ".json")


class CompareError(AssistantError):
    """Nothing to compare: no paper matches the topic, or an output type is unknown."""


@dataclass
class ResultsBatch:
    """What a batch extraction produced, what failed and whether Ctrl+C ended it."""

    results: list[PaperResults] = field(default_factory=list)
    failed: list[tuple[Paper, str]] = field(default_factory=list)
    interrupted: bool = False
    generated: int = 0


class ResultsCache:
    """Each paper's extracted results, made once with the pipeline's model."""

    def __init__(self, pipeline: Pipeline, model: str | None = None) -> None:
        self.pipeline = pipeline
        self.model = model
        self.key = pipeline.results_key(model)
        self.cache_dir = pipeline.settings.cache_dir / "results"
        self.generated = 0

    def path(self, paper: Paper) -> Path:
        raw = f"{paper.content_hash}|{self.key}"
        return self.cache_dir / f"{hashlib.sha256(raw.encode()).hexdigest()[:24]}.json"

    def cached(self, paper: Paper) -> PaperResults | None:
        path = self.path(paper)
        if not path.exists():
            return None
        try:
            found = PaperResults.from_dict(json.loads(path.read_text()))
        except (json.JSONDecodeError, TypeError, KeyError):
            return None
        found.cached = True
        return self.pipeline.check_results(paper, found)

    def get(self, paper: Paper) -> PaperResults:
        hit = self.cached(paper)
        if hit is not None:
            return hit
        made = self.pipeline.extract_results(paper, self.model)
        write_atomic(self.path(paper), json.dumps(made.to_dict(), ensure_ascii=False))
        self.generated += 1
        return made

    def all(self, papers: list[Paper],
            progress: Callable[[int, float], None] | None = None) -> ResultsBatch:
        """Every paper's results in turn (see :func:`~.batch.each_paper`: one paper's
        failure is recorded, a broken model or Ctrl+C stops; a re-run resumes)."""
        batch = ResultsBatch()
        batch.results, batch.failed, batch.interrupted = each_paper(papers, self.get,
                                                                    progress)
        batch.generated = self.generated
        return batch


def topic_papers(pipeline: Pipeline, topic: str, k: int | None = None,
                 filters: Filters | None = None,
                 keep: Callable[[Paper], bool] | None = None) -> list[Paper]:
    """The papers ``compare`` reads for a topic: those retrieval finds relevant (and
    ``keep``, a ``--where`` filter, accepts)."""
    if not topic.strip():
        raise CompareError("the topic is empty")
    found = pipeline.topic_papers(topic, k, filters)
    papers = [p for p in found if keep is None or keep(p)]
    if not papers:
        if not found and not pipeline.paper_count():
            raise CompareError("the index is empty; add papers with: assistant ingest FILE…")
        raise CompareError(f"no paper in the collection is about '{topic}'")
    return papers


def compare(pipeline: Pipeline, topic: str, *, k: int | None = None,
            filters: Filters | None = None, dataset: str | None = None,
            metric: str | None = None, model: str | None = None,
            progress: Callable[[int, float], None] | None = None,
            keep: Callable[[Paper], bool] | None = None
            ) -> tuple[ResultsTable, ResultsBatch]:
    """The results table for the papers on ``topic``."""
    papers = topic_papers(pipeline, topic, k, filters, keep)
    batch = ResultsCache(pipeline, model).all(papers, progress)
    return build_table(topic, batch.results, dataset, metric), batch


def check_output(path: Path | None) -> None:
    """Reject an output file whose type is unknown, before any work."""
    if path is not None and path.suffix.lower() not in OUTPUTS:
        raise CompareError(f"unsupported output '{path.name}' (use .csv, .md or .json)")


def write_table(table: ResultsTable, path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        text = table_csv(table)
    elif suffix == ".json":
        text = json.dumps(table.to_dict(), ensure_ascii=False, indent=2) + "\n"
    else:
        text = table_markdown(table)
    write_atomic(path, text)
