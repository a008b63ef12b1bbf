"""`assistant serve`: the configured chat model, loaded once, behind an OpenAI-compatible
server on 127.0.0.1 that `ask`, `chat`, `summarize` and `digest` then use by themselves."""

from __future__ import annotations

from typing import Annotated

import typer

from assistant.cli.common import DataDir, ModelOpt, Threads, _settings, err
from assistant.serve.server import DEFAULT_PORT


def serve(
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1.")] = DEFAULT_PORT,
    host: Annotated[str, typer.Option("--host", help="Listen address (127.0.0.1 keeps it "
                    "on this machine; anything else exposes the model to the network).")
                    ] = "127.0.0.1",
    logprobs: Annotated[bool, typer.Option("--logprobs", help="Also give OpenAI logprobs "
                        "to other clients (llama-cpp-python's logits_all: more memory, "
                        "slower prefill; this program's verdicts do not need it).")] = False,
    model: ModelOpt = None, threads: Threads = None, data_dir: DataDir = None,
) -> None:
    """Serve the chat model until Ctrl+C; other commands use it while it runs."""
    from assistant.serve.server import serve as run_server

    settings = _settings(data_dir=data_dir, threads=threads, model=model)

    def ready(record: dict) -> None:
        err.print(f"serving {record['model']} at {record['url']} (OpenAI-compatible"
                  f"{', with logprobs' if record['logprobs'] else ''}). ask, chat, summarize "
                  f"and digest with this data directory use it now. Ctrl+C stops it.")

    err.print("loading the model…", style="dim")
    run_server(settings, port=port, host=host, logprobs=logprobs, on_ready=ready)


def register(app: typer.Typer) -> None:
    app.command()(serve)
