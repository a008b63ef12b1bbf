"""Batch summaries over a collection, cached and resumable, and their output files.

Summaries are cached per (paper content, model file, prompt version, the settings that
shape them), so a re-run after
Ctrl+C resumes where it stopped, a second run does no model work, and editing a summary
template redoes them all. Every number in a summary must occur in its abstract; a summary
that invents one is flagged.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TypeVar

from assistant.errors import AssistantError
from assistant.fileio import write_atomic
from assistant.pipeline import (
    SUMMARY_FIELDS as FIELDS,
)
from assistant.pipeline import (
    SUMMARY_STYLES as STYLES,
)
from assistant.pipeline import (
    ModelUnusable,
    Paper,
    Pipeline,
    WhereError,  # noqa: F401 - re-exported for callers
    parse_where,  # noqa: F401 - re-exported for callers
)


class SummaryError(AssistantError, ValueError):
    """A --where filter or output path the summarizer cannot use."""


@dataclass
class Summary:
    id: str
    title: str
    source: str
    tldr: str = ""
    problem: str = ""
    method: str = ""
    results: str = ""
    code: str = ""
    invented_numbers: list[str] = field(default_factory=list)
    unsupported_claims: list[str] = field(default_factory=list)
    model: str = ""
    style: str = "structured"
    prompt_version: str = ""
    seconds: float = 0.0
    cached: bool = False
    note: str = ""  # e.g. the abstract was truncated to fit the model's context

    @property
    def flagged(self) -> bool:
        return bool(self.invented_numbers or self.unsupported_claims)

    def to_dict(self) -> dict:
        return {**asdict(self), "flagged": self.flagged}


@dataclass
class Batch:
    """What a batch run produced: the summaries, the papers skipped with why, and
    whether Ctrl+C ended it early."""

    summaries: list[Summary] = field(default_factory=list)
    failed: list[tuple[Paper, str]] = field(default_factory=list)
    interrupted: bool = False


# --- the batch -------------------------------------------------------------------------------


class Summarizer:
    """Summarises papers with the pipeline's model, through a disk cache."""

    def __init__(self, pipeline: Pipeline, style: str = "structured",
                 model: str | None = None) -> None:
        if style not in STYLES:
            raise SummaryError(f"unknown style '{style}' (use: {', '.join(STYLES)})")
        self.pipeline = pipeline
        self.style = style
        self.model = model
        self.version = pipeline.summary_version(style)
        self.cache_dir = pipeline.settings.cache_dir / "summaries"
        self.generated = 0

    @cached_property
    def key(self) -> str:
        """What besides the paper shapes a summary (model file, templates, settings):
        part of the cache key, so a changed setting never serves a stale summary."""
        return self.pipeline.summary_key(self.style, self.model)

    def cache_path(self, paper: Paper) -> Path:
        """Where this paper's summary lives for this model, prompt version, style and
        settings."""
        raw = f"{paper.content_hash}|{self.key}"
        return self.cache_dir / f"{hashlib.sha256(raw.encode()).hexdigest()[:24]}.json"

    @staticmethod
    def _read_cached(path: Path) -> Summary | None:
        if not path.exists():
            return None
        try:
            return Summary(**{**json.loads(path.read_text()), "cached": True})
        except (json.JSONDecodeError, TypeError):
            return None

    def summarize(self, paper: Paper) -> Summary:
        path = self.cache_path(paper)
        hit = self._read_cached(path)
        if hit is not None:
            return hit
        made = self.pipeline.summarize(paper, self.style, self.model)
        summary = Summary(
            id=paper.id, title=paper.title, source=paper.source,
            code=paper.code_urls[0] if paper.code_urls else "",
            invented_numbers=made.invented_numbers,
            unsupported_claims=made.unsupported_claims, model=made.model, style=self.style,
            prompt_version=self.version, seconds=made.seconds, note=made.note,
            **{f: made.fields.get(f, "") for f in FIELDS})
        write_atomic(path, json.dumps(asdict(summary), ensure_ascii=False))
        self.generated += 1
        return summary

    def summarize_all(self, papers: list[Paper],
                      progress: Callable[[int, float], None] | None = None) -> Batch:
        """Summarise each paper in turn (see :func:`each_paper`)."""
        batch = Batch()
        batch.summaries, batch.failed, batch.interrupted = each_paper(
            papers, self.summarize, progress)
        return batch


T = TypeVar("T")


def each_paper(papers: list[Paper], make: Callable[[Paper], T],
               progress: Callable[[int, float], None] | None = None
               ) -> tuple[list[T], list[tuple[Paper, str]], bool]:
    """``make`` for each paper in turn: what was made, the papers that failed with why,
    and whether Ctrl+C ended it. One paper that fails (a prompt that cannot fit, a model
    error on its text) is recorded and skipped; a missing or broken model stops the
    batch (every paper would fail the same way), as does Ctrl+C; what was done is kept
    either way (the caches make a re-run resume). ``progress`` hears papers done and
    papers per second."""
    made: list[T] = []
    failed: list[tuple[Paper, str]] = []
    start = time.perf_counter()
    try:
        for paper in papers:
            try:
                made.append(make(paper))
            except ModelUnusable:
                raise
            except Exception as exc:  # noqa: BLE001 - one paper must not stop a batch
                failed.append((paper, str(exc) if isinstance(exc, AssistantError)
                               else f"{type(exc).__name__}: {exc}"))
            if progress:
                done = len(made) + len(failed)
                progress(done, done / max(time.perf_counter() - start, 1e-6))
    except KeyboardInterrupt:
        return made, failed, True
    return made, failed, False


# --- output --------------------------------------------------------------------------------


def render_output(summaries: list[Summary], path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return "".join(json.dumps(s.to_dict(), ensure_ascii=False) + "\n" for s in summaries)
    if suffix == ".csv":
        buffer = io.StringIO()
        columns = ["id", "title", "source", *FIELDS, "code", "flagged", "invented_numbers",
                   "unsupported_claims", "note", "model", "seconds"]
        writer = csv.DictWriter(buffer, columns, extrasaction="ignore")
        writer.writeheader()
        for s in summaries:
            writer.writerow({**s.to_dict(), "invented_numbers": " ".join(s.invented_numbers),
                             "unsupported_claims": " | ".join(s.unsupported_claims)})
        return buffer.getvalue()
    if suffix in (".md", ".markdown"):
        return markdown_digest(summaries)
    raise SummaryError(f"unsupported output '{path.name}' (use .jsonl, .md or .csv)")


def markdown_digest(summaries: list[Summary]) -> str:
    """A readable digest, one section per source file."""
    lines = ["# Paper summaries", ""]
    by_source: dict[str, list[Summary]] = {}
    for s in summaries:
        by_source.setdefault(s.source or "unknown source", []).append(s)
    for source, group in by_source.items():
        lines += [f"## {source} ({len(group)} papers)", ""]
        for s in group:
            lines += [f"### {s.title}", "", f"*{s.id}*", "", f"**TL;DR** {s.tldr}", ""]
            for label in ("problem", "method", "results"):
                value = getattr(s, label)
                if value:
                    lines.append(f"- **{label.capitalize()}:** {value}")
            if s.code:
                lines.append(f"- **Code:** {s.code}")
            if s.invented_numbers:
                lines.append(f"- ⚠ numbers not in the abstract: {', '.join(s.invented_numbers)}")
            for claim in s.unsupported_claims:
                lines.append(f"- ⚠ not supported by the abstract: {claim}")
            if s.note:
                lines.append(f"- note: {s.note}")
            lines.append("")
    return "\n".join(lines)


def write_output(summaries: list[Summary], path: Path) -> None:
    write_atomic(path, render_output(summaries, path))
