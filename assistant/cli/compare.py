"""`assistant compare`: what the papers on a topic report, side by side, every value
quoted from its sentence."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from assistant.cli.common import (
    DataDir,
    JsonOpt,
    ModelOpt,
    Threads,
    TopK,
    UserError,
    _pipeline,
    _print_json,
    batch_bar,
    err,
    out,
    skipped,
)

if TYPE_CHECKING:
    from assistant.pipeline import ResultsTable


def _quoted(row) -> Text:
    """The row's sentence with its value in bold: where the number comes from."""
    at = row.sentence.find(row.value_text)
    if at < 0:
        return Text(row.sentence)
    return Text.assemble(row.sentence[:at], (row.value_text, "bold"),
                         row.sentence[at + len(row.value_text):])


# a terminal this wide shows each row's paper id and task; a narrower one only the
# paper's name (ids stay in --json and --out files), so the sentence keeps its room
WIDE = 120


def print_table(table: ResultsTable, conflicts_only: bool = False) -> None:
    """One table, a section per (dataset, metric) group with its best marked ★, then the
    disagreements with both sentences."""
    from assistant.pipeline import paper_name

    if not conflicts_only and table.groups:
        grid = Table(show_lines=False, expand=True, title=f"Reported results: {table.topic}",
                     title_justify="left")
        wide = out.width >= WIDE  # room for the paper's id and task beside its name
        # nothing is cut short: a cell too narrow for a word folds it onto the next line
        for name, options in (("metric · dataset", {"ratio": 2}), ("", {"width": 1}),
                              ("paper", {"ratio": 2}), ("by", {"ratio": 1}),
                              ("value", {"max_width": 12}), ("condition", {"ratio": 1}),
                              ("sentence", {"ratio": 5})):
            grid.add_column(name, overflow="fold", **options)
        for group in table.groups:
            best = group.best
            for i, r in enumerate(group.rows):
                by = (r.method or "own") if r.own else f"{r.method or 'other'} (baseline)"
                name = paper_name(r.title) or (r.title[:40] + ("…" if len(r.title) > 40 else ""))
                paper = Text(f"{name} ({r.paper_id})" if wide else name)
                if r.task and wide:
                    paper.append(f"\n{r.task}", style="dim")
                grid.add_row(Text(group.label, style="bold") if i == 0 else "",
                             "★" if r is best else "", paper,
                             Text(by), Text(f"{r.qualifier} {r.value_text}".strip()),
                             Text(r.condition), _quoted(r),
                             end_section=i == len(group.rows) - 1)
        out.print(grid)
    for c in table.conflicts:
        out.print(Text.assemble(("disagreement: ", "yellow"), f"{c.kind}: {c.metric} on "
                                f"{c.dataset or 'unspecified data'}"))
        for r in c.rows:
            out.print(Text(f"  {r.title} ({r.paper_id}): “{r.sentence}”"))


def report(table: ResultsTable, batch) -> None:
    """What was read, from cache or not, and what was dropped, on stderr."""
    dropped = table.dropped
    papers = len(table.papers)
    err.print(f"{len(table.rows)} results from {papers - len(table.without_results)} of "
              f"{papers} papers ({batch.generated} read now, {papers - batch.generated} "
              f"from cache)" + (f"; {table.filtered_out} left out by --dataset/--metric"
                                if table.filtered_out else ""), style="dim")
    if dropped:
        err.print("left out: " + ", ".join(
            f"{reason} {n}" for reason, n in sorted(dropped.items())), style="dim")


def compare(
    topic: Annotated[str, typer.Argument(help="What the papers should be about.")],
    dataset: Annotated[str | None, typer.Option("--dataset", help="Only results on this "
                       "dataset or benchmark.")] = None,
    metric: Annotated[str | None, typer.Option("--metric", help="Only this metric.")] = None,
    top_k: TopK = None,
    where: Annotated[list[str] | None, typer.Option("--where", help="Filter: id=…, title~…, "
                     "source=…, year>=…, year<=… (repeat to combine).")] = None,
    conflicts: Annotated[bool, typer.Option("--conflicts", help="Only the disagreements "
                         "between papers.")] = False,
    out_path: Annotated[Path | None, typer.Option("--out", "-o", help="Also write the "
                        "table: .csv, .md or .json.")] = None,
    model: ModelOpt = None, threads: Threads = None, data_dir: DataDir = None,
    json_out: JsonOpt = False,
) -> None:
    """A table of the results the papers on a topic report: dataset, metric, value,
    condition, own method or baseline, and the sentence each value is quoted from."""
    from assistant.summaries.results import check_output, compare, write_table

    check_output(out_path)
    pipeline = _pipeline(data_dir=data_dir, threads=threads, model=model)
    try:
        keep = _where(where)
        bar, progress = batch_bar("reading results", top_k or pipeline.settings.top_k)
        with bar:
            table, batch = compare(pipeline, topic, k=top_k, dataset=dataset, metric=metric,
                                   model=model, progress=progress, keep=keep)
    finally:
        pipeline.close()
    if conflicts:
        table.groups = [g for g in table.groups if any(
            (c.metric, c.dataset) == (g.metric, g.dataset) for c in table.conflicts)]
    if json_out:
        _print_json(table.to_dict())
    else:
        print_table(table, conflicts)
    report(table, batch)
    skipped(batch.failed)
    if out_path:
        write_table(table, out_path)
        err.print(f"wrote {out_path}", style="dim")
    if not table.rows or (conflicts and not table.conflicts):
        what = "no disagreements" if conflicts and table.rows else "no reported results"
        raise UserError(f"{what} in the {len(table.papers)} papers on '{topic}'"
                        + (" for --dataset/--metric" if table.filtered_out else ""))
    if batch.interrupted:
        raise typer.Exit(130)


def _where(where: list[str] | None):
    from assistant.pipeline import parse_where

    return parse_where(where) if where else None


def register(app: typer.Typer) -> None:
    app.command()(compare)
