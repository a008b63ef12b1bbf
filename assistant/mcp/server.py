"""`assistant mcp`: the collection as a Model Context Protocol server over stdio.

Built on the official ``mcp`` SDK's :class:`MCPServer`. It exposes the pipeline only:
tools to search papers, ask (the checked, cited answer), show, list and summarize papers,
and each paper as a ``paper://{id}`` resource. It is read-only unless started with
``--allow-ingest``, which adds an ``ingest`` tool. The chat model is the pipeline's: a
running ``assistant serve`` when there is one, else loaded in this process on the first
question.

A tool call that fails (an unknown paper id, a bad ``where``, a question with no model)
returns an MCP error result with the one-line message the CLI would print; the server
keeps serving. stdout is the protocol's channel: the SDK diverts stray writes to stderr.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp.server.mcpserver.resources.templates import ResourceSecurity
from mcp_types import Resource, ToolAnnotations
from pydantic import Field

from assistant.errors import AssistantError, error_line
from assistant.mcp.tools import PaperTools
from assistant.pipeline import Filters, Pipeline, Status

log = logging.getLogger(__name__)
T = TypeVar("T")

INSTRUCTIONS = (
    "A local collection of research-paper abstracts. Use search_papers to find papers, "
    "ask for an answer written by a local model in which every claim is checked against "
    "the papers it cites, show_paper for a paper's abstract, list_papers to browse, and "
    "summarize_paper for a checked summary of one paper, and compare_results for a table of "
    "the results the papers on a topic report, each value quoted from its sentence. Paper "
    "ids come from search and list results.")
PROGRESS_EVERY = 0.5  # seconds between progress notifications within one stage
READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)

K = Annotated[int | None, Field(ge=1, le=100, description="How many papers to retrieve.")]
Since = Annotated[int | None, Field(description="Only papers from this year on.")]
Until = Annotated[int | None, Field(description="Only papers up to this year.")]
SourceFile = Annotated[str | None, Field(description="Only papers from this file name.")]
TitleHas = Annotated[str | None, Field(description="Only titles containing this text.")]
PaperId = Annotated[str, Field(description="A paper id from search_papers or list_papers.")]


def _one_line_errors(fn: Callable[..., T]) -> Callable[..., T]:
    """The pipeline's own errors become the tool's error text (one line); anything else
    is logged on stderr with its traceback and reported as one line too."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, **kwargs)
        except AssistantError as exc:
            raise ToolError(" ".join(str(exc).split())) from exc
        except Exception as exc:
            log.exception("tool %s failed", fn.__name__)
            raise ToolError(f"unexpected error: {error_line(exc)}") from exc
    return wrapper


class PaperServer(MCPServer):
    """An MCP server whose resource list is the indexed papers at the time of asking
    (other processes may ingest meanwhile), up to ``mcp_resource_limit``."""

    def __init__(self, tools: PaperTools, allow_ingest: bool = False) -> None:
        super().__init__(name="paper-assistant", instructions=INSTRUCTIONS,
                         version=_version(), log_level="WARNING")
        self.paper_tools = tools
        self.allow_ingest = allow_ingest
        _register_reads(self, tools)
        _register_compare(self, tools)
        if allow_ingest:
            _register_writes(self, tools)
        _register_resources(self, tools)

    async def list_resources(self) -> list[Resource]:
        limit = self.paper_tools.pipeline.settings.mcp_resource_limit
        stored = await anyio.to_thread.run_sync(self.paper_tools.pipeline.papers)
        return [Resource(uri=paper_uri(sp.paper.id), name=sp.paper.id, title=sp.paper.title,
                         mime_type="text/markdown") for sp in stored[:limit]]


def paper_uri(paper_id: str) -> str:
    """A paper's resource URI; the id is percent-encoded (DOIs hold slashes)."""
    return "paper://" + quote(paper_id, safe="")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("paper-assistant")
    except PackageNotFoundError:
        return "0"


def _filters(since: int | None, until: int | None, source: str | None,
             title: str | None) -> Filters | None:
    if since is None and until is None and not source and not title:
        return None
    return Filters(year_min=since, year_max=until, source=source, title=title)


def _register_reads(server: MCPServer, tools: PaperTools) -> None:
    """The read-only tools, each a thin call into ``tools``."""

    @server.tool(annotations=READ_ONLY)
    @_one_line_errors
    def search_papers(query: str, k: K = None, since: Since = None, until: Until = None,
                      source: SourceFile = None, title: TitleHas = None) -> dict:
        """Find papers on a topic (hybrid keyword + vector retrieval, no language model).
        Returns ranked papers: id, title, score."""
        return tools.search(query, k, _filters(since, until, source, title))

    @server.tool(annotations=READ_ONLY)
    async def ask(question: str, ctx: Context, k: K = None, since: Since = None,
                  until: Until = None, source: SourceFile = None,
                  title: TitleHas = None) -> dict:
        """Answer a question from the papers with a local model. Every claim of the
        answer is checked against the papers it cites; the result holds the answer text,
        its claims with their citations, and the sources (or an abstention when the
        papers do not cover the question). Takes seconds to a minute on a laptop."""
        return await _ask(tools, ctx, question, k, _filters(since, until, source, title))

    @server.tool(annotations=READ_ONLY)
    @_one_line_errors
    def show_paper(paper_id: PaperId) -> dict:
        """One paper in full: title, authors, year, links, source file and abstract."""
        return tools.show(paper_id)

    @server.tool(annotations=READ_ONLY)
    @_one_line_errors
    def list_papers(where: Annotated[list[str] | None, Field(description=(
            "Filters, all must hold: category=cs.CV, category~cs., title~word, "
            "author~name, year>=2020, source=file.bib, id=…"))] = None,
            limit: Annotated[int | None, Field(ge=1)] = 200) -> dict:
        """The indexed papers (every field but the abstract), optionally filtered."""
        return tools.papers(where, limit)

    @server.tool(annotations=READ_ONLY)
    @_one_line_errors
    def summarize_paper(paper_id: PaperId, style: Annotated[str, Field(
            description="structured (problem, method, results…) or tldr")] = "structured"
            ) -> dict:
        """A summary of one paper by the local model, checked against its abstract
        (cached: the second time is instant)."""
        return tools.summarize(paper_id, style)




def _register_compare(server: MCPServer, tools: PaperTools) -> None:
    """The results table: minutes the first time, so on a worker thread with progress."""

    @server.tool(annotations=READ_ONLY)
    async def compare_results(topic: str, ctx: Context, dataset: Annotated[str | None, Field(
            description="Only results on this dataset or benchmark.")] = None,
            metric: Annotated[str | None, Field(description="Only this metric.")] = None,
            k: K = None, since: Since = None, until: Until = None,
            source: SourceFile = None, title: TitleHas = None) -> dict:
        """The results the papers on a topic report, side by side: groups by metric and
        dataset, each row with value, unit, condition, own method or baseline and the
        sentence it is quoted from; the best per group and disagreements marked. About
        20 s per paper the first time on a laptop, cached after."""
        def run(progress: Callable[[int, float], None]) -> dict:
            return tools.compare(topic, dataset, metric, k,
                                 _filters(since, until, source, title), progress)

        return await _in_thread(ctx, run)


def _register_writes(server: MCPServer, tools: PaperTools) -> None:
    """The one tool that changes the collection (``--allow-ingest``)."""

    @server.tool(annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False))
    @_one_line_errors
    def ingest(paths: Annotated[list[str], Field(description=(
            "Files or folders on this machine (.txt .md .json .jsonl .csv .tsv .bib .ris)"))]
               ) -> dict:
        """Add or update papers in the collection from files on this machine."""
        return tools.ingest(paths)


def _register_resources(server: MCPServer, tools: PaperTools) -> None:
    """Each paper as ``paper://{id}``; the id is a database key, not a path, so the SDK's
    path checks do not apply to it."""

    @server.resource("paper://{paper_id}", mime_type="text/markdown",
                     security=ResourceSecurity(exempt_params={"paper_id"}))
    def paper(paper_id: str) -> str:
        """A paper: title, fields and abstract."""
        try:
            return tools.paper_text(paper_id)
        except AssistantError as exc:
            raise ResourceError(" ".join(str(exc).split())) from exc


async def _ask(tools: PaperTools, ctx: Context, question: str, k: int | None,
               filters: Filters | None) -> dict:
    """Run the (blocking, seconds-long) answer on a worker thread. Each status step is
    sent as a progress notification when the client asked for them; a cancelled request
    stops the model within one prompt chunk or token."""
    stop = threading.Event()
    sent = {"steps": 0, "stage": "", "at": 0.0}

    def on_status(status: Status) -> None:
        """A notification per stage, and at most every PROGRESS_EVERY seconds within one
        (the model's tokens would otherwise be one notification each)."""
        now = time.monotonic()
        if status.stage == sent["stage"] and now - sent["at"] < PROGRESS_EVERY:
            return
        sent.update(steps=sent["steps"] + 1, stage=status.stage, at=now)
        message = status.describe([s.title for s in status.sources] or status.titles)
        anyio.from_thread.run(ctx.report_progress, sent["steps"], None, message)

    run = _one_line_errors(lambda: tools.ask(question, k, filters, on_status, stop.is_set))
    try:
        return await anyio.to_thread.run_sync(run, abandon_on_cancel=True)
    except anyio.get_cancelled_exc_class():
        stop.set()
        raise


async def _in_thread(ctx: Context, run: Callable[[Callable[[int, float], None]], T]) -> T:
    """A blocking per-paper job on a worker thread, a progress notification per paper."""
    def progress(done: int, _rate: float) -> None:
        anyio.from_thread.run(ctx.report_progress, done, None, f"{done} papers read")

    return await anyio.to_thread.run_sync(_one_line_errors(lambda: run(progress)),
                                          abandon_on_cancel=True)


def serve_stdio(pipeline: Pipeline, allow_ingest: bool = False) -> None:
    """Serve until the client closes stdin."""
    PaperServer(PaperTools(pipeline), allow_ingest).run("stdio")
