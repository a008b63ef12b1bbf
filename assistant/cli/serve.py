"""`assistant serve`: the configured chat model, loaded once, behind an OpenAI-compatible
server on 127.0.0.1 that `ask`, `chat`, `summarize` and `digest` then use by themselves;
in the foreground, or in the background (``--detach``) until ``--stop`` or ``--idle``."""

from __future__ import annotations

import re
from typing import Annotated

import typer

from assistant.cli.common import DataDir, ModelOpt, Threads, _settings, err, out
from assistant.errors import UsageError
from assistant.serve.server import DEFAULT_PORT

_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600}


def parse_duration(text: str) -> float:
    """Seconds from '90', '90s', '10m' or '1h' (a usage error otherwise)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text.lower())
    if not match or float(match.group(1)) <= 0:
        raise UsageError(f"--idle takes a duration like 90s, 10m or 1h (got '{text}')")
    return float(match.group(1)) * _UNITS[match.group(2)]


def serve(
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1.")] = DEFAULT_PORT,
    host: Annotated[str, typer.Option("--host", help="Listen address (127.0.0.1 keeps it "
                    "on this machine; anything else exposes the model to the network).")
                    ] = "127.0.0.1",
    logprobs: Annotated[bool, typer.Option("--logprobs", help="Also give OpenAI logprobs "
                        "to other clients (llama-cpp-python's logits_all: more memory, "
                        "slower prefill; this program's verdicts do not need it).")] = False,
    detach: Annotated[bool, typer.Option("--detach", help="Start the server in the "
                      "background and return once it serves.")] = False,
    idle: Annotated[str | None, typer.Option("--idle", help="Stop by itself after this "
                    "long without a request: 90s, 10m, 1h.")] = None,
    stop: Annotated[bool, typer.Option("--stop", help="Stop the server of this data "
                    "directory.")] = False,
    model: ModelOpt = None, threads: Threads = None, data_dir: DataDir = None,
) -> None:
    """Serve the chat model until Ctrl+C (or --stop, or --idle); other commands use it
    while it runs."""
    idle_s = parse_duration(idle) if idle else None
    settings = _settings(data_dir=data_dir, threads=threads, model=model)
    if stop:
        _stop(settings.data_dir)
    elif detach:
        _detach(settings, port, host, model, threads, logprobs, idle_s)
    else:
        _foreground(settings, port, host, logprobs, idle_s)


def _foreground(settings, port: int, host: str, logprobs: bool, idle_s: float | None) -> None:
    from assistant.serve.server import serve as run_server

    def ready(record: dict) -> None:
        until = f"; stops after {idle_s:g} s without a request" if idle_s else ""
        err.print(f"serving {record['model']} at {record['url']} (OpenAI-compatible"
                  f"{', with logprobs' if record['logprobs'] else ''}). ask, chat, summarize "
                  f"and digest with this data directory use it now. Ctrl+C stops it{until}.")

    err.print("loading the model…", style="dim")
    run_server(settings, port=port, host=host, logprobs=logprobs, on_ready=ready,
               idle_s=idle_s)


def _detach(settings, port: int, host: str, model: str | None, threads: int | None,
            logprobs: bool, idle_s: float | None) -> None:
    from assistant.serve.server import detach

    record = detach(settings, port, host, model, threads, logprobs, idle_s,
                    on_start=lambda: err.print("loading the model in the background…",
                                               style="dim"))
    until = f", or by itself after {idle_s:g} s without a request" if idle_s else ""
    out.print(f"serving {record['model']} at {record['url']} in the background (pid "
              f"{record['pid']}); stop it with: assistant serve --stop{until}")


def _stop(data_dir) -> None:
    from assistant.serve.server import stop_server

    record = stop_server(data_dir)
    if record is None:
        out.print("no server runs for this data directory")
    else:
        out.print(f"stopped the server at {record['url']} (pid {record['pid']})")


def register(app: typer.Typer) -> None:
    app.command()(serve)
