"""`assistant ingest | remove | papers | show`: what is in the index."""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from assistant.cli.common import (
    DataDir,
    JsonOpt,
    Threads,
    UserError,
    _pipeline,
    _print_json,
    err,
    error,
    out,
    warning,
)

MAX_PROBLEM_LINES = 20  # per kind; the rest are counted, and all are in --json
NoWait = Annotated[bool, typer.Option("--no-wait", help="Fail at once if another process is "
                                      "writing to the index (default: wait for it).")]


def _waiting(message: str) -> None:
    err.print(message, style="yellow")


def _problem_lines(lines: list[str], show) -> None:
    for line in lines[:MAX_PROBLEM_LINES]:
        show(line)
    if len(lines) > MAX_PROBLEM_LINES:
        show(f"… and {len(lines) - MAX_PROBLEM_LINES} more (see --json)")


def ingest(
    files: Annotated[list[Path] | None, typer.Argument(
        help="Files or folders (searched recursively): .txt .md .json .jsonl .csv .tsv .bib "
             ".ris (CSL JSON is a .json)")] = None,
    sample: Annotated[bool, typer.Option("--sample", help="Ingest the bundled sample "
                                         "papers page.")] = False,
    where: Annotated[list[str] | None, typer.Option("--where", help="Only papers matching: "
                     "category=cs.CV, category~cs., title~…, author~…, year>=… (repeat to "
                     "combine).")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="At most N papers "
                     "(reading stops there: a slice of a large dump).")] = None,
    data_dir: DataDir = None, threads: Threads = None, no_wait: NoWait = False,
    json_out: JsonOpt = False,
) -> None:
    """Add papers to the index (re-ingesting unchanged papers does nothing).

    A bad record is reported with its file and line and skipped; the rest still land."""
    from assistant.pipeline import parse_where
    from assistant.settings import PACKAGE_DIR

    paths = list(files or [])
    if sample:
        paths.append(PACKAGE_DIR / "data" / "papers-page.txt")
    if not paths:
        raise UserError("nothing to ingest: give files, or --sample for the bundled papers")
    keep = parse_where(where) if where else None
    pipeline = _pipeline(data_dir=data_dir, threads=threads)
    with _ingest_bar(limit, json_out) as progress:
        report = pipeline.ingest(paths, progress, wait=not no_wait, on_wait=_waiting,
                                 keep=keep, limit=limit)
    _report_ingest(report, pipeline.paper_count(), json_out)
    if report.errors:
        raise typer.Exit(1)


@contextmanager
def _ingest_bar(limit: int | None, hidden: bool):
    """A progress bar on stderr, and the progress callback that drives it."""
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    start = time.perf_counter()
    with Progress("[progress.description]{task.description}", BarColumn(),
                  TaskProgressColumn(), TextColumn("{task.fields[rate]}"),
                  TimeRemainingColumn(), console=err, transient=True,
                  disable=hidden) as bar:
        task = bar.add_task("embedding papers", total=None, rate="")

        def progress(done: int, read: int, total: int) -> None:
            """The bar follows the bytes read (a stream's paper count is not known ahead),
            so its ETA holds for a multi-GB dump — or the papers taken, under --limit."""
            rate = done / max(time.perf_counter() - start, 1e-6)
            completed, of = (done, limit) if limit else (read, total)
            bar.update(task, completed=completed, total=of,
                       rate=f"{done} papers, {rate:.1f}/s")

        yield progress


def _report_ingest(report, total: int, json_out: bool) -> None:
    """What an ingest did: JSON, or one line per problem and a summary line."""
    if json_out:
        _print_json({"added": report.added, "updated": report.updated,
                     "unchanged": report.unchanged, "errors": report.errors,
                     "warnings": report.warnings,
                     "migrated": [{"from": a, "to": b} for a, b in report.migrated],
                     "chunks": report.chunks, "seconds": round(report.seconds, 3),
                     "papers_total": total})
    else:
        _problem_lines(report.errors, error)
        _problem_lines(report.warnings, warning)
        if report.migrated:
            warning(f"{len(report.migrated)} paper id(s) from an older version are now scoped "
                    f"to their file (e.g. {report.migrated[0][0]} → {report.migrated[0][1]})")
        skipped = f", {len(report.errors)} skipped (see errors)" if report.errors else ""
        out.print(f"added {len(report.added)}, updated {len(report.updated)}, unchanged "
                  f"{len(report.unchanged)} papers{skipped} ({report.chunks} chunks embedded "
                  f"in {report.seconds:.1f}s); {total} papers indexed")


def remove(paper_id: Annotated[str, typer.Argument(help="Paper id (see `assistant papers`).")],
           data_dir: DataDir = None, no_wait: NoWait = False) -> None:
    """Remove one paper and its chunks from the index."""
    from assistant.pipeline import UnknownPaper

    pipeline = _pipeline(data_dir=data_dir)
    paper = pipeline.remove(paper_id, wait=not no_wait, on_wait=_waiting)
    if paper is None:
        raise UnknownPaper(paper_id, [sp.paper.id for sp in pipeline.papers()])
    out.print(f"removed {paper.id}: {paper.title}")


def papers(data_dir: DataDir = None, json_out: JsonOpt = False) -> None:
    """List what is indexed: id, title, source, chunks.

    With --json: every field of each paper but the abstract."""
    rows = [sp.to_dict(abstract=False) for sp in _pipeline(data_dir=data_dir).papers()]
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


def show(paper_id: Annotated[str, typer.Argument(help="Paper id (see `assistant papers`).")],
         data_dir: DataDir = None, json_out: JsonOpt = False) -> None:
    """One paper in full: every field and the abstract."""
    record = _pipeline(data_dir=data_dir).require_paper(paper_id).to_dict()
    if json_out:
        _print_json(record)
        return
    from rich.text import Text

    out.print(record["title"], style="bold")
    for key in ("id", "authors", "year", "categories", "url", "code_urls", "source",
                "chunks"):
        value = record[key]
        if value in (None, "", []):
            continue
        shown = ", ".join(value) if isinstance(value, list) else str(value)
        out.print(Text.assemble((f"{key:>10}: ", "dim"), shown))
    out.print()
    out.print(record["abstract"])


def export(
    where: Annotated[list[str] | None, typer.Option("--where", help="Only papers matching: "
                     "category=…, category~…, title~…, author~…, source=…, year>=… (repeat "
                     "to combine).")] = None,
    fmt: Annotated[str | None, typer.Option("--format", "-f", help="bibtex, csljson or ris "
                   "(default: from --out's suffix .bib/.json/.ris, else bibtex).")] = None,
    out_path: Annotated[Path | None, typer.Option("--out", "-o", help="Write this file "
                        "(default: standard output).")] = None,
    data_dir: DataDir = None,
) -> None:
    """Write the papers as BibTeX, CSL JSON or RIS, for Zotero, Mendeley or EndNote.

    Ingesting the file back changes nothing: each paper keeps its id and every field."""
    from assistant.pipeline import export_format

    name = export_format(fmt, out_path)  # a bad format fails before any work
    pipeline = _pipeline(data_dir=data_dir)
    papers = pipeline.select(where)
    if not papers:
        raise UserError("no papers match --where" if where else
                        "no papers indexed yet; add some with: assistant ingest FILE…")
    if out_path is None:
        sys.stdout.write(pipeline.export(papers, name))
        return
    pipeline.write_references(papers, out_path, name)
    err.print(f"wrote {len(papers)} papers to {out_path} ({name})", style="dim")


def reindex(data_dir: DataDir = None, no_wait: NoWait = False) -> None:
    """Rebuild the paper records and the keyword index from the stored vectors.

    The repair for an unreadable index/records.sqlite3; nothing is re-embedded."""
    count = _pipeline(data_dir=data_dir).reindex(wait=not no_wait, on_wait=_waiting)
    out.print(f"rebuilt the records and keyword index: {count} papers")


def register(app: typer.Typer) -> None:
    for command in (ingest, remove, papers, show, export, reindex):
        app.command()(command)
