"""Command-line front end (typer + rich). Thin: every command builds settings, asks the
shared :class:`~assistant.pipeline.Pipeline` to do the work, and prints the result.

The commands live in one module per group (:mod:`.library`, :mod:`.answers`,
:mod:`.models`, :mod:`.bench`, :mod:`.serve`, :mod:`.mcp`); this module assembles them
and owns the one error handler: exit 0 on success, 1 for a data or user error (one line
naming what is wrong), 2 for a usage error, 130 when interrupted. An unexpected exception
is one line too, with a pointer to ``--debug``, which shows the traceback.
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import Annotated

import typer

from assistant.cli import (
    answers,
    bench_timing,  # noqa: F401 - its commands join bench_app
    compare,
    library,
    mcp,
    serve,
)
from assistant.cli.bench import bench_app
from assistant.cli.common import err, error
from assistant.cli.models import models_app
from assistant.errors import AssistantError, error_line

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="A local research-paper assistant: ingest abstracts, search, ask "
                       "questions with cited answers, all offline.")
library.register(app)
answers.register(app)
compare.register(app)
serve.register(app)
mcp.register(app)
app.add_typer(models_app, name="models")
app.add_typer(bench_app, name="bench")

EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130


@app.callback()
def options(debug: Annotated[bool, typer.Option(
        "--debug", envvar="ASSISTANT_DEBUG",
        help="Show the traceback of an unexpected error (allowed anywhere on the line).")
        ] = False) -> None:
    """A local research-paper assistant: ingest abstracts, search, ask questions with
    cited answers, all offline."""


def _split_debug(args: list[str]) -> tuple[list[str], bool]:
    """``--debug`` may be written anywhere; typer only knows it before the command."""
    debug = "--debug" in args or os.environ.get("ASSISTANT_DEBUG", "") not in ("", "0")
    return [a for a in args if a != "--debug"], debug


def run(args: list[str]) -> int:
    """Run the app on these arguments and return the exit status (the one error handler)."""
    args, debug = _split_debug(args)
    try:
        result = app(args=args, prog_name="assistant", standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except (KeyboardInterrupt, typer.Abort):
        err.print("interrupted")
        return EXIT_INTERRUPTED
    except AssistantError as exc:
        if debug:
            traceback.print_exc()
        error(exc)
        return exc.exit_code
    except typer.TyperException as exc:  # usage errors: unknown command, bad option value
        error(f"{exc.format_message()} (see: assistant --help)")
        return getattr(exc, "exit_code", EXIT_USAGE)
    except Exception as exc:  # a bug: one line, the traceback only when asked for
        if debug:
            traceback.print_exc()
            error(error_line(exc))
        else:
            error(f"{error_line(exc)} (run with --debug for details)")
        return EXIT_ERROR
    return result if isinstance(result, int) else 0


def main() -> None:
    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()
