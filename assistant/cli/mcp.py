"""`assistant mcp`: the collection as a Model Context Protocol server on stdin/stdout,
for AI clients and editors (their config starts it; see the README)."""

from __future__ import annotations

from typing import Annotated

import typer

from assistant.cli.common import DataDir, ModelOpt, Threads, TopK, _pipeline


def mcp(
    allow_ingest: Annotated[bool, typer.Option("--allow-ingest", help="Also offer an ingest "
                            "tool that adds files on this machine to the collection "
                            "(read-only without it).")] = False,
    model: ModelOpt = None, top_k: TopK = None, threads: Threads = None,
    data_dir: DataDir = None,
) -> None:
    """Serve the collection over the Model Context Protocol (stdio): tools to search,
    ask, show, list and summarize papers; each paper as a resource."""
    from assistant.mcp.server import serve_stdio

    pipeline = _pipeline(data_dir=data_dir, model=model, top_k=top_k, threads=threads)
    try:
        serve_stdio(pipeline, allow_ingest)
    finally:
        pipeline.close()


def register(app: typer.Typer) -> None:
    app.command()(mcp)
