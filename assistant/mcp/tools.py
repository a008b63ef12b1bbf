"""What the MCP server's tools do, as plain methods over the pipeline.

Each method returns what the matching CLI command prints with ``--json`` (search hits,
the checked answer with claims, citations and sources, paper records), so a client of
the server and a script calling the CLI see the same shapes. Errors are the pipeline's
own one-line :class:`~assistant.errors.AssistantError`\\s; the server turns them into MCP
error results.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from assistant.errors import AssistantError, UsageError
from assistant.pipeline import Filters, Pipeline, Status, parse_where
from assistant.summaries.batch import Summarizer
from assistant.summaries.results import compare

STYLES = ("structured", "tldr")


class PaperTools:
    """The collection's read verbs (and ``ingest``, which the server exposes only when
    asked to), for one pipeline that lives as long as the server."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self._summarizers: dict[str, Summarizer] = {}

    def search(self, query: str, k: int | None = None, filters: Filters | None = None
               ) -> dict:
        """Ranked papers with their scores (retrieval only, no model); ``papers`` is
        empty when nothing matches."""
        if not query.strip():
            raise UsageError("the query is empty")
        hits = self.pipeline.search(query, k, filters)
        return {"query": query, "papers": [hit.to_dict() for hit in hits],
                "papers_indexed": self.pipeline.paper_count()}

    def ask(self, question: str, k: int | None = None, filters: Filters | None = None,
            on_status: Callable[[Status], None] | None = None,
            should_stop: Callable[[], bool] | None = None) -> dict:
        """The checked answer, as ``assistant ask --json`` prints it."""
        if not question.strip():
            raise UsageError("the question is empty")
        if self.pipeline.paper_count():
            self.pipeline.check_model()
        answer = self.pipeline.ask(question, k=k, filters=filters, on_status=on_status,
                                   should_stop=should_stop)
        return answer.to_dict()

    def show(self, paper_id: str) -> dict:
        """One paper: every field and the abstract."""
        return self.pipeline.require_paper(paper_id).to_dict()

    def papers(self, where: list[str] | None = None, limit: int | None = None) -> dict:
        """The indexed papers (all fields but the abstract), those ``where`` selects."""
        keep = parse_where(where) if where else None
        rows = [sp.to_dict(abstract=False) for sp in self.pipeline.papers()
                if keep is None or keep(sp.paper)]
        shown = rows[:limit] if limit else rows
        return {"papers": shown, "total": len(rows), "shown": len(shown)}

    def summarize(self, paper_id: str, style: str = "structured") -> dict:
        """One paper's summary, checked against its abstract; cached like
        ``assistant summarize`` (the same cache)."""
        if style not in STYLES:
            raise UsageError(f"unknown style '{style}' (use {' or '.join(STYLES)})")
        paper = self.pipeline.require_paper(paper_id).paper
        if style not in self._summarizers:
            self._summarizers[style] = Summarizer(self.pipeline, style)
        return self._summarizers[style].summarize(paper).to_dict()

    def compare(self, topic: str, dataset: str | None = None, metric: str | None = None,
                k: int | None = None, filters: Filters | None = None,
                progress: Callable[[int, float], None] | None = None) -> dict:
        """The results table of the papers on a topic, as ``assistant compare --json``
        prints it (the same per-paper cache)."""
        table, batch = compare(self.pipeline, topic, k=k, filters=filters, dataset=dataset,
                               metric=metric, progress=progress)
        return {**table.to_dict(),
                "failed": [{"id": p.id, "reason": why} for p, why in batch.failed]}

    def ingest(self, paths: list[str]) -> dict:
        """Add or update papers from files or folders on this machine (the server offers
        it only with ``--allow-ingest``): the counts and every problem, one line each.
        Nothing read at all is an error (its first problems), as it is exit 1 for the CLI."""
        if not paths:
            raise UsageError("no files given")
        report = self.pipeline.ingest([Path(p).expanduser() for p in paths])
        if report.errors and not (report.added or report.updated or report.unchanged):
            more = f" (and {len(report.errors) - 3} more)" if len(report.errors) > 3 else ""
            raise AssistantError("nothing ingested: " + "; ".join(report.errors[:3]) + more)
        return {"added": len(report.added), "updated": len(report.updated),
                "unchanged": len(report.unchanged), "errors": report.errors,
                "warnings": report.warnings, "papers_total": self.pipeline.paper_count()}

    def paper_text(self, paper_id: str) -> str:
        """A paper as a client's model reads it: title, fields, abstract."""
        record = self.show(paper_id)
        lines = [f"# {record['title']}", ""]
        for key in ("id", "authors", "year", "categories", "url", "code_urls", "source"):
            value = record.get(key)
            if value not in (None, "", []):
                lines.append(f"{key}: {', '.join(value) if isinstance(value, list) else value}")
        return "\n".join([*lines, "", record["abstract"]]) + "\n"
