"""Batch summaries over a collection, and one cited digest of a topic.

Summaries are cached per (paper content, model file, prompt version), so a re-run after
Ctrl+C resumes where it stopped, a second run does no model work, and editing a summary
template redoes them all. Every number in a summary must occur in its abstract; a summary
that invents one is flagged.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path

from .answers import Answer
from .attribution import invented_numbers
from .budget import fit_text
from .errors import AssistantError
from .evidence import Source
from .generate import Message
from .pipeline import Pipeline
from .prompts import render, template_version
from .sources import Paper
from .where import WhereError, parse_where  # noqa: F401 - re-exported for callers

STYLES = {"structured": "summary_system", "tldr": "tldr_system"}
FIELDS = ("tldr", "problem", "method", "results")
LABELS = {"tl;dr": "tldr", "tldr": "tldr", "problem": "problem", "method": "method",
          "results": "results", "result": "results"}


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


# --- parsing and checking ------------------------------------------------------------------


def parse_summary(text: str) -> dict[str, str]:
    """Read 'Label: value' lines; a reply without labels becomes the TL;DR."""
    out: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        match = re.match(r"\s*[*#-]*\s*(tl;dr|tldr|problem|method|results?)\s*[*]*\s*:"
                         r"\s*[*]*\s*(.*)", line, re.IGNORECASE)
        if match:
            current = LABELS[match.group(1).lower()]
            out[current] = match.group(2).strip()
        elif current and line.strip():
            out[current] = (out[current] + " " + line.strip()).strip()
    if not out and text.strip():
        out["tldr"] = text.strip().splitlines()[0]
    return out


# --- filters -------------------------------------------------------------------------------


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
        self.system = STYLES[style]
        self.version = template_version(self.system, "summary_user")
        self.cache_dir = pipeline.settings.cache_dir / "summaries"
        self.generated = 0

    @cached_property
    def model_id(self) -> str:
        """Which model makes a summary (file name and size), part of the cache key."""
        return self.pipeline.model_id(self.model)

    def cache_path(self, paper: Paper) -> Path:
        """Where this paper's summary lives for this model, prompt version and style."""
        raw = f"{paper.content_hash}|{self.model_id}|{self.version}|{self.style}"
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
        with self.pipeline.model_lock:
            return self._generate(paper, path)

    def messages(self, llm, title: str, abstract: str, limit: int) -> tuple[list[Message], str]:
        """The prompt with the abstract cut to fit the context window (beside the reply's
        ``limit``), and a note saying so when it had to be cut."""
        def build(text: str) -> list[Message]:
            return [Message("system", render(self.system)),
                    Message("user", render("summary_user", title=title, abstract=text))]

        room = self.pipeline.settings.n_ctx - limit - llm.prompt_tokens(build("")) - 8
        fitted, cut = fit_text(abstract, room, llm.count_tokens)
        note = (f"abstract truncated to about {room} tokens to fit the model's context"
                if cut else "")
        return build(fitted), note

    def summarize_all(self, papers: list[Paper],
                      progress: Callable[[int, float], None] | None = None) -> Batch:
        """Summarise each paper in turn. One paper that fails (a prompt that cannot fit,
        a model error on its text) is recorded and skipped; the batch goes on. A missing
        or broken model stops it (every paper would fail the same way), as does Ctrl+C;
        what was done is kept either way (the cache makes a re-run resume)."""
        from .models import ModelError
        from .remote import ServerError

        batch = Batch()
        start = time.perf_counter()
        try:
            for paper in papers:
                try:
                    batch.summaries.append(self.summarize(paper))
                except (ModelError, ServerError):
                    raise
                except Exception as exc:  # noqa: BLE001 - one paper must not stop a batch
                    batch.failed.append((paper, f"{type(exc).__name__}: {exc}"
                                         if not isinstance(exc, AssistantError) else str(exc)))
                if progress:
                    done = len(batch.summaries) + len(batch.failed)
                    progress(done, done / max(time.perf_counter() - start, 1e-6))
        except KeyboardInterrupt:
            batch.interrupted = True
        return batch

    def _generate(self, paper: Paper, target: Path) -> Summary:
        llm = self.pipeline.llm(self.model)
        start = time.perf_counter()
        settings = self.pipeline.settings
        # A TL;DR is one sentence; the lower cap also stops a rambling small model.
        limit = settings.tldr_max_tokens if self.style == "tldr" else settings.summary_max_tokens
        messages, note = self.messages(llm, paper.title, paper.abstract, limit)
        generation = llm.generate(messages, limit, 0.0, **self.pipeline.sampling)
        if generation.stats.error:  # a half summary is not kept (nor cached)
            from .remote import ServerError

            raise ServerError(generation.stats.error)
        fields_ = parse_summary(generation.text)
        text = " ".join(fields_.get(f, "") for f in FIELDS)
        check = self.pipeline.check_claims(
            "\n".join(fields_.get(f, "") for f in FIELDS),
            [Source(n=1, paper_id=paper.id, title=paper.title, text=paper.abstract, score=1.0)])
        summary = Summary(
            id=paper.id, title=paper.title, source=paper.source,
            code=paper.code_urls[0] if paper.code_urls else "",
            invented_numbers=invented_numbers(text, paper.title + " " + paper.abstract),
            unsupported_claims=[c.text for c in check.claims if not c.supported],
            model=llm.name, style=self.style, prompt_version=self.version,
            seconds=round(time.perf_counter() - start, 3), note=note,
            **{f: fields_.get(f, "") for f in FIELDS},
        )
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(summary), ensure_ascii=False))
        tmp.replace(target)
        self.generated += 1
        return summary


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
    text = render_output(summaries, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


# --- digest ----------------------------------------------------------------------------------


def digest(pipeline: Pipeline, topic: str, k: int | None = None, model: str | None = None,
           on_token: Callable[[str], None] | None = None) -> Answer:
    """A short cited overview of the papers on ``topic``, checked like ``ask``."""
    return pipeline.ask(topic, model=model, on_token=on_token, instructions="digest_system",
                        user_template="digest_user", k=k or pipeline.settings.digest_top_k,
                        budget=pipeline.settings.digest_budget)
