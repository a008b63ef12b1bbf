"""`assistant serve`: one warm chat model for every front door.

The configured model is loaded once into llama-cpp-python's own OpenAI-compatible server
(FastAPI + uvicorn, from ``llama-cpp-python[server]``) on 127.0.0.1. While it runs, a
record in the data directory (``server.json``: URL, model, pid) lets ``ask``, ``chat``,
``summarize`` and ``digest`` find it and send their prompts there instead of loading the
model themselves; when it stops, the record goes and they load the model in-process again.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

from assistant.errors import AssistantError
from assistant.llm.catalog import model_label, resolve_model
from assistant.llm.servers import (
    LABEL_PROBS_PATH,
    remove_record,
    running_server,
    start_detached,
    stop,
    write_record,
)
from assistant.settings import Settings

DEFAULT_PORT = 8765


class ServeError(AssistantError):
    pass


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def check_can_serve(settings: Settings, port: int, host: str, model: str | None) -> Path:
    """The model's file, if a server can start: the model is there, no other server runs
    for this data directory, the port is free (each a one-line ServeError or ModelError)."""
    path = resolve_model(model or settings.model, settings.models_dir, "llm")
    existing = running_server(settings.data_dir)
    if existing:
        raise ServeError(f"a server for this data directory already runs at {existing['url']} "
                         f"(pid {existing['pid']}); stop it first (assistant serve --stop)")
    if not _port_free(host, port):
        raise ServeError(f"port {port} on {host} is in use; choose another with --port")
    return path


def server_settings(settings: Settings, model_path: Path, alias: str, host: str, port: int,
                    logprobs: bool):
    """llama-cpp-python's server and model settings for this configuration.

    ``logits_all`` is what lets that server return OpenAI ``logprobs``; it computes and
    keeps every prompt token's logits, which costs memory and prefill time, so it is off
    unless asked for (``--logprobs``, for other clients: this program's verdicts use the
    label-probability route instead). Requests queue for the one model rather than
    interrupting each other, so concurrent clients all finish.
    """
    from llama_cpp.server.settings import ModelSettings, ServerSettings

    model = ModelSettings(model=str(model_path), model_alias=alias, n_ctx=settings.n_ctx,
                          n_batch=settings.n_batch, n_threads=settings.threads,
                          use_mmap=settings.llm_mmap,
                          n_threads_batch=settings.threads, flash_attn=True,
                          seed=settings.seed, logits_all=logprobs, verbose=False)
    server = ServerSettings(host=host, port=port, interrupt_requests=False)
    return server, model


class IdleClock:
    """ASGI middleware that knows how long the server has had no request in progress (a
    streamed answer counts until its last byte is sent)."""

    def __init__(self, app) -> None:
        self.app = app
        self.active = 0
        self.last = time.monotonic()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.active += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.active -= 1
            self.last = time.monotonic()

    def idle_s(self) -> float:
        return 0.0 if self.active else time.monotonic() - self.last


def serve(settings: Settings, port: int = DEFAULT_PORT, host: str = "127.0.0.1",
          model: str | None = None, logprobs: bool = False,
          on_ready=None, idle_s: float | None = None) -> None:
    """Load the model, serve it until interrupted (or, with ``idle_s``, until no request
    has come for that long), and keep the record while serving."""
    import uvicorn
    from llama_cpp.server.app import create_app

    from assistant.llm.local import quiet_llama_logs
    from assistant.serve.routes import add_label_probs_route

    spec = model or settings.model
    alias = model_label(spec)
    path = check_can_serve(settings, port, host, model)
    quiet_llama_logs()
    server_cfg, model_cfg = server_settings(settings, path, alias, host, port, logprobs)
    app = create_app(server_settings=server_cfg, model_settings=[model_cfg])
    add_label_probs_route(app, settings.prefill_chunk)  # the one route added to its app
    clock = IdleClock(app)
    server = uvicorn.Server(uvicorn.Config(clock, host=host, port=port, log_level="warning",
                                           timeout_graceful_shutdown=2))
    url = f"http://{host}:{port}/v1"
    record = {"url": url, "model": alias, "pid": os.getpid(), "logprobs": logprobs,
              "label_probs": LABEL_PROBS_PATH, "n_ctx": settings.n_ctx, "path": str(path),
              "idle_s": idle_s}

    def announce() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.05)
        if server.should_exit:
            return
        _warm(settings.replace(llm_url=url), spec)
        write_record(settings.data_dir, record)
        if on_ready:
            on_ready(record)
        clock.last = time.monotonic()  # the idle time counts from being ready
        while idle_s and not server.should_exit:
            time.sleep(min(1.0, idle_s / 4))
            if clock.idle_s() > idle_s:
                server.should_exit = True  # as Ctrl+C does: the record goes too

    watcher = threading.Thread(target=announce, daemon=True)
    watcher.start()
    try:
        server.run()
    finally:
        remove_record(settings.data_dir, os.getpid())


def _warm(settings: Settings, spec: str) -> None:
    """Evaluate the fixed start of every answer prompt once, so the first client's
    question only pays for its own tokens (the server keeps the longest common prefix)."""
    from assistant.pipeline import Pipeline

    pipeline = Pipeline(settings)
    try:
        pipeline.warm(spec)
    except AssistantError:
        pass
    finally:
        pipeline.close()


def detach(settings: Settings, port: int, host: str = "127.0.0.1", model: str | None = None,
           threads: int | None = None, logprobs: bool = False,
           idle_s: float | None = None, on_start: Callable[[], None] | None = None) -> dict:
    """Start the server in the background (checked first, so a wrong model or a busy
    port is the same one-line error as in the foreground; ``on_start`` hears that the
    checks passed and the wait begins); its record once it serves."""
    check_can_serve(settings, port, host, model)
    if on_start:
        on_start()
    return start_detached(settings.data_dir, port, host=host, model=model, threads=threads,
                          logprobs=logprobs, idle_s=idle_s)


def stop_server(data_dir: Path) -> dict | None:
    """Stop this data directory's server; its record, or None if none ran."""
    return stop(data_dir)
