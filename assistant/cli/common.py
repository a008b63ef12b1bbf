"""What every command module shares: the consoles, the common options, settings and
pipeline construction, and the one error type for things the user can fix.

Both consoles have Rich markup switched off: titles, abstracts, questions and error
messages are user data, and a title like ``[bold] results`` must print as written. Styling
is given explicitly (``style=``, :class:`rich.text.Text`), never inside a string."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from assistant.errors import AssistantError
from assistant.settings import load_settings

out = Console(highlight=False, soft_wrap=True, markup=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)

DataDir = Annotated[Path | None, typer.Option("--data-dir", envvar="ASSISTANT_DATA_DIR",
                    help="Where the index and caches live.", show_envvar=True)]
ModelOpt = Annotated[str | None, typer.Option("--model", "-m",
                     help="Chat model: catalog name or path to a .gguf file.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
TopK = Annotated[int | None, typer.Option("--top-k", "-k", help="Papers to retrieve.")]
Threads = Annotated[int | None, typer.Option("--threads", help="CPU threads for the models.")]
YearMin = Annotated[int | None, typer.Option("--since", help="Only papers from this year on.")]
YearMax = Annotated[int | None, typer.Option("--until", help="Only papers up to this year.")]
SourceOpt = Annotated[str | None, typer.Option("--source", help="Only papers from this file.")]
TitleOpt = Annotated[str | None, typer.Option("--title", help="Only titles containing this.")]


class UserError(AssistantError):
    """Something the user can fix; shown as one line, exit status 1."""


def one_line(text: object) -> str:
    """A message as a single line: an error must never spill over several."""
    return " ".join(str(text).split())


def error(message: object) -> None:
    """Print ``error: …`` (the prefix in red) as one line on stderr."""
    err.print(Text.assemble(("error:", "red"), " ", one_line(message)))


def warning(message: object) -> None:
    err.print(Text.assemble(("warning:", "yellow"), " ", one_line(message)))


def _settings(**flags):
    return load_settings(**flags)


def _pipeline(**flags):
    from assistant.pipeline import Pipeline

    return Pipeline(_settings(**flags))


def _filters(since, until, source, title):
    from assistant.pipeline import Filters

    return Filters(year_min=since, year_max=until, source=source, title=title)


def _print_json(data) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _print_results(results: dict, indent: int = 0) -> None:
    for key, value in results.items():
        pad = " " * indent
        if isinstance(value, dict):
            out.print(f"{pad}{key}:", markup=False)
            _print_results(value, indent + 2)
        else:
            shown = f"{value:.3f}" if isinstance(value, float) else str(value)
            out.print(f"{pad}{key:>32}: {shown}", markup=False)


def batch_bar(label: str, total: int):
    """A transient progress bar on stderr for a batch over papers, and the callback that
    moves it (papers done, papers per second; shown per minute)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    bar = Progress(label, BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
                   TimeRemainingColumn(), console=err, transient=True)
    task = bar.add_task("", total=total, rate="")

    def progress(done: int, rate: float) -> None:
        bar.update(task, completed=done, rate=f"{rate * 60:.1f} papers/min")

    return bar, progress


def selected_papers(pipeline, where: list[str] | None, limit: int | None, verb: str) -> list:
    """The papers a batch command works on (``--where``, then ``--limit``); none is a
    one-line error saying why."""
    papers = pipeline.select(where)[:limit]
    if not papers:
        raise UserError(f"no papers to {verb}" + (" match --where" if where else
                        "; add some with: assistant ingest FILE…"))
    return papers


def skipped(failed: list) -> None:
    """One error line for each paper a batch skipped, with why."""
    for paper, reason in failed:
        error(f"{paper.id} ({paper.source}): skipped: {reason}")


def end_batch(done: int, total: int, failed: list, interrupted: bool) -> None:
    """A batch's end: the skipped papers, then exit 130 after Ctrl+C (saying how to
    resume) or 1 when a paper was skipped."""
    skipped(failed)
    if interrupted:
        err.print(f"interrupted after {done} of {total}; run the same command again to "
                  "resume")
        raise typer.Exit(130)
    if failed:
        raise typer.Exit(1)
