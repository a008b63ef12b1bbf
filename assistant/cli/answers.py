"""`assistant search | ask | digest | chat | summarize`: answers from the papers, with
every claim checked against them before it is shown."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from assistant.cli.common import (
    DataDir,
    JsonOpt,
    ModelOpt,
    SourceOpt,
    Threads,
    TitleOpt,
    TopK,
    UserError,
    YearMax,
    YearMin,
    _filters,
    _pipeline,
    _print_json,
    batch_bar,
    end_batch,
    err,
    error,
    out,
    selected_papers,
    warning,
)

if TYPE_CHECKING:  # the pipeline is imported when a command runs, not at start-up
    from assistant.pipeline import Status  # noqa: F401 - in annotations

BibOpt = Annotated[Path | None, typer.Option("--bib", help="Also write the papers the answer "
                   "cites to this reference file (.bib, or .json for CSL JSON, .ris).")]


def check_bib(path: Path | None) -> None:
    """Reject a --bib file whose format cannot be told, before any work."""
    if path is not None:
        from assistant.pipeline import export_format

        export_format(None, path)


def write_cited(pipeline, answer, path: Path | None) -> None:
    """--bib: the papers the checked answer cites, as a reference file; an answer that
    cites none writes no file (an empty one would read as a failed export) and says so."""
    if path is None:
        return
    papers = pipeline.cited_papers(answer)
    if not papers:
        warning(f"the answer cites no papers; {path} not written")
        return
    fmt = pipeline.write_references(papers, path)
    err.print(f"wrote the {len(papers)} cited paper(s) to {path} ({fmt})", style="dim")

# --- search / ask ---------------------------------------------------------------------------


def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    top_k: TopK = None, since: YearMin = None, until: YearMax = None,
    source: SourceOpt = None, title: TitleOpt = None,
    data_dir: DataDir = None, json_out: JsonOpt = False,
) -> None:
    """Retrieval only (no language model): ranked papers with scores."""
    pipeline = _pipeline(data_dir=data_dir, top_k=top_k)
    hits = pipeline.search(query, filters=_filters(since, until, source, title))
    if json_out:
        _print_json([hit.to_dict() for hit in hits])
        return
    if not hits:
        out.print("No matching papers." if pipeline.paper_count() else
                  "No papers indexed yet. Add some with: assistant ingest FILE…")
        return
    for rank, hit in enumerate(hits, start=1):
        out.print(Text.assemble(f"{rank:>2}. ", (hit.title, "bold"),
                                (f"  {hit.paper_id}  score={hit.score:.4f}  cos={hit.dense:.3f}"
                                 f"  bm25={hit.bm25:.2f}", "dim")))


def print_sources_list(answer) -> None:
    if not answer.citations:
        return
    out.print("\nSources:")
    for s in answer.citations:
        link = f", {s.url}" if s.url else ""
        out.print(f"  [{s.n}] {s.title} ({s.paper_id}{link})")


def answer_text(answer) -> Text:
    """The checked answer as Rich text: the verdict in bold, citations as decided by the
    claim check, the marks of unsupported claims in yellow, of contradicted ones in red."""
    import re

    from assistant.pipeline import UNSUPPORTED

    marks = re.compile(rf"({re.escape(UNSUPPORTED)}|\[contradicted by \[\d+\]: “[^”]*”\])")
    text = Text()
    for line_no, line in enumerate(answer.text.split("\n")):
        if line_no:
            text.append("\n")
        if line.startswith("Verdict:"):
            text.append(line, style="bold")
            continue
        for index, piece in enumerate(marks.split(line)):
            style = ("bold yellow" if piece == UNSUPPORTED else "bold red") if index % 2 else ""
            text.append(piece, style=style)
    return text


def print_answer(answer) -> None:
    """The final answer, then a one-line account of the claim check."""
    from assistant.pipeline import UNSUPPORTED

    out.print(answer_text(answer))
    if answer.abstained:
        return
    if answer.invalid_citations:
        err.print(Text.assemble(("note:", "yellow"), " removed citation(s) of sources that "
                                "were not given: ",
                                ", ".join(f"[{n}]" for n in answer.invalid_citations)))
    supported = len(answer.claims) - answer.unsupported
    line = f"claims: {supported} supported by the cited papers"
    contradicted = sum(bool(c.contradicted_by) for c in answer.claims)
    if answer.unsupported - contradicted:
        line += (f", {answer.unsupported - contradicted} not supported by any source "
                 f"(marked {UNSUPPORTED})")
    if contradicted:
        line += f", {contradicted} contradicted by a paper (marked [contradicted by …])"
    changes = []
    if answer.added_citations:
        changes.append(f"{len(answer.added_citations)} citation(s) the model left out added")
    if answer.rejected_citations:
        changes.append(f"{len(answer.rejected_citations)} model citation(s) the paper does "
                       "not back removed")
    if changes:
        line += f" ({'; '.join(changes)})"
    err.print(line, style="yellow" if answer.unsupported else "dim")
    print_sources_list(answer)


def stream_draft(run, show_draft: bool = True):
    """Run ``run(on_token, on_status)`` showing, while the user waits, a transient status
    line on stderr (papers found, prompt read in %, tokens written) and the streamed draft
    on a terminal stdout; both go when the checked answer is printed, so no unchecked
    citation stays on screen. Nothing is shown where stderr and stdout are not terminals
    (and the status never reaches stdout or ``--json``)."""
    show_draft = show_draft and out.is_terminal
    if not (err.is_terminal or show_draft):
        return run(None, None)
    from rich.console import Group
    from rich.live import Live

    line = Text(style="dim cyan")
    draft = Text(style="dim")
    titles: list[str] = []
    shown = Group(line, draft) if show_draft else line
    console = err if err.is_terminal else out

    def on_status(status: Status) -> None:
        if status.titles or status.sources:
            titles[:] = status.titles or [s.title or s.paper_id for s in status.sources]
        if err.is_terminal:
            line.plain = status.describe(titles)
        live.refresh()

    def on_token(piece: str) -> None:
        draft.append(piece)

    with Live(shown, console=console, transient=True, refresh_per_second=8,
              vertical_overflow="visible") as live:
        return run(on_token if show_draft else None, on_status)


def ask(
    question: Annotated[str, typer.Argument(help="Your question about the collection.")],
    model: ModelOpt = None, top_k: TopK = None, since: YearMin = None, until: YearMax = None,
    source: SourceOpt = None, title: TitleOpt = None, threads: Threads = None,
    data_dir: DataDir = None, json_out: JsonOpt = False, bib: BibOpt = None,
) -> None:
    """Answer one question from the indexed papers; every claim is checked against them."""
    if not question.strip():
        raise UserError("the question is empty")
    check_bib(bib)
    pipeline = _pipeline(data_dir=data_dir, top_k=top_k, threads=threads, model=model)
    pipeline.preload()  # the model loads while the index opens and retrieval runs
    try:
        _ask(pipeline, question, _filters(since, until, source, title), json_out, bib)
    finally:
        pipeline.close()  # waits for a load still under way (out of scope, an error)


def _ask(pipeline, question: str, filters, json_out: bool, bib) -> None:
    if pipeline.paper_count():
        pipeline.check_model()
    if json_out:  # the status line still shows on a terminal's stderr, never in the JSON
        answer = stream_draft(lambda _on_token, on_status: pipeline.ask(
            question, filters=filters, on_status=on_status), show_draft=False)
        _print_json(answer.to_dict())
        write_cited(pipeline, answer, bib)
        _stopped_by_server(answer, pipeline)
        return
    answer = stream_draft(lambda on_token, on_status: pipeline.ask(
        question, filters=filters, on_token=on_token, on_status=on_status))
    if answer.out_of_scope:
        out.print(answer.text)
        write_cited(pipeline, answer, bib)
        return
    print_answer(answer)
    t = answer.timings
    err.print(f"retrieval {t['retrieval']:.2f}s · first token {t['first_token']:.2f}s · "
              f"check {t.get('check', 0):.2f}s · total {t['total']:.2f}s · "
              f"{t.get('tokens_per_s', 0):.1f} tok/s", style="dim")
    write_cited(pipeline, answer, bib)
    _stopped_by_server(answer, pipeline)


def _stopped_by_server(answer, pipeline) -> None:
    """Say what the user should know about where the answer came from; an answer the
    model server cut off is kept (shown above, marked stopped) and the exit status is 1."""
    for notice in pipeline.notices + answer.notes:
        warning(notice)
    if answer.error:
        error(answer.error)
        raise typer.Exit(1)


# --- chat -------------------------------------------------------------------------------------


def chat(model: ModelOpt = None, top_k: TopK = None, threads: Threads = None,
         data_dir: DataDir = None) -> None:
    """Open the terminal chat (Textual): streamed answers, sources you can open."""
    from assistant.tui.app import AssistantApp

    pipeline = _pipeline(data_dir=data_dir, model=model, top_k=top_k, threads=threads)
    try:
        AssistantApp(pipeline).run()
    finally:
        pipeline.close()


# --- summaries ------------------------------------------------------------------------------


def summarize(
    where: Annotated[list[str] | None, typer.Option("--where", help="Filter: id=…, title~…, "
                     "source=…, year>=…, year<=… (repeat to combine).")] = None,
    out_path: Annotated[Path | None, typer.Option("--out", "-o", help="Output: .jsonl, .md "
                        "or .csv (default summaries.jsonl); with --results a table: .csv, "
                        ".md or .json (default none).")] = None,
    style: Annotated[str, typer.Option("--style", help="structured or tldr.")] = "structured",
    limit: Annotated[int | None, typer.Option("--limit", help="At most N papers.")] = None,
    results: Annotated[bool, typer.Option("--results", help="Extract each paper's reported "
                       "results instead (the cache `assistant compare` reads).")] = False,
    model: ModelOpt = None, threads: Threads = None, data_dir: DataDir = None,
) -> None:
    """Summarise every paper (or those --where selects); cached, resumable after Ctrl+C."""
    if results:
        summarize_results(where, out_path, limit, model, threads, data_dir)
        return
    out_path = out_path or Path("summaries.jsonl")
    from assistant.summaries.batch import Summarizer, render_output, write_output

    render_output([], out_path)  # reject an unknown output type before any work
    pipeline = _pipeline(data_dir=data_dir, threads=threads, model=model)
    papers = selected_papers(pipeline, where, limit, "summarise")
    summarizer = Summarizer(pipeline, style, model)
    bar, progress = batch_bar("summarising", len(papers))
    with bar:
        batch = summarizer.summarize_all(papers, progress)
    summaries = batch.summaries
    write_output(summaries, out_path)
    _report_summaries(summaries, summarizer.generated, out_path)
    end_batch(len(summaries), len(papers), batch.failed, batch.interrupted)


def _report_summaries(summaries: list, generated: int, out_path: Path) -> None:
    """What was written, made now or cached, and each flagged summary with why."""
    flagged = [s for s in summaries if s.flagged]
    out.print(f"wrote {len(summaries)} summaries to {out_path} ({generated} "
              f"generated, {len(summaries) - generated} from cache, "
              f"{len(flagged)} flagged: numbers or claims the abstract does not support)")
    for s in flagged:
        reasons = [f"numbers {', '.join(s.invented_numbers)}"] if s.invented_numbers else []
        reasons += [f"unsupported “{claim}”" for claim in s.unsupported_claims]
        err.print(Text.assemble(("flagged: ", "yellow"), f"{s.id} {s.title}: ",
                                "; ".join(reasons)))
    for s in summaries:
        if s.note:
            warning(f"{s.id}: {s.note}")


def summarize_results(where: list[str] | None, out_path: Path | None, limit: int | None,
                      model: str | None, threads: int | None, data_dir: Path | None) -> None:
    """`summarize --results`: fill the results cache for the selected papers (resumable),
    and write their table where --out says."""
    from assistant.cli.compare import report
    from assistant.pipeline import build_table
    from assistant.summaries.results import ResultsCache, check_output, write_table

    check_output(out_path)
    pipeline = _pipeline(data_dir=data_dir, threads=threads, model=model)
    papers = selected_papers(pipeline, where, limit, "read")
    bar, progress = batch_bar("reading results", len(papers))
    with bar:
        batch = ResultsCache(pipeline, model).all(papers, progress)
    table = build_table("all papers" if not where else " ".join(where), batch.results)
    out.print(f"results of {len(batch.results)} papers cached ({batch.generated} read now)")
    report(table, batch)
    if out_path:
        write_table(table, out_path)
        err.print(f"wrote {out_path}", style="dim")
    end_batch(len(batch.results), len(papers), batch.failed, batch.interrupted)


def digest(
    topic: Annotated[str, typer.Argument(help="The topic to survey.")],
    top_k: Annotated[int | None, typer.Option("--top-k", "-k", help="Papers to draw on "
                     "(default: the digest_top_k setting, 6).")] = None,
    out_path: Annotated[Path | None, typer.Option("--out", "-o", help="Also write the "
                        "overview as Markdown.")] = None,
    model: ModelOpt = None, threads: Threads = None, data_dir: DataDir = None,
    json_out: JsonOpt = False, bib: BibOpt = None,
) -> None:
    """A short literature overview of a topic, with a checked citation for every claim."""

    if not topic.strip():
        raise UserError("the topic is empty")
    check_bib(bib)
    pipeline = _pipeline(data_dir=data_dir, threads=threads, model=model)
    if pipeline.paper_count():
        pipeline.check_model()
    if json_out:
        answer = pipeline.digest(topic, top_k, model)
        _print_json(answer.to_dict())
    else:
        answer = stream_draft(lambda on_token, on_status: pipeline.digest(
            topic, top_k, model, on_token, on_status))
        if answer.out_of_scope:
            out.print(answer.text)
        else:
            print_answer(answer)
    if out_path and not answer.out_of_scope:
        lines = [f"# {topic}", "", answer.text, "", "## Sources", ""]
        lines += [f"[{s.n}] {s.title} ({s.paper_id})" for s in answer.citations]
        out_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        err.print(f"wrote {out_path}", style="dim")
    write_cited(pipeline, answer, bib)


def register(app: typer.Typer) -> None:
    for command in (search, ask, digest, chat, summarize):
        app.command()(command)
