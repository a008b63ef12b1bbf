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
from pathlib import Path

from assistant.errors import AssistantError
from assistant.llm.catalog import model_label, resolve_model
from assistant.llm.servers import LABEL_PROBS_PATH, remove_record, running_server, write_record
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


def serve(settings: Settings, port: int = DEFAULT_PORT, host: str = "127.0.0.1",
          model: str | None = None, logprobs: bool = False,
          on_ready=None) -> None:
    """Load the model, serve it until interrupted, and keep the record while serving."""
    import uvicorn
    from llama_cpp.server.app import create_app

    from assistant.llm.local import quiet_llama_logs
    from assistant.serve.routes import add_label_probs_route

    spec = model or settings.model
    alias = model_label(spec)
    path = resolve_model(spec, settings.models_dir, "llm")
    existing = running_server(settings.data_dir)
    if existing:
        raise ServeError(f"a server for this data directory already runs at {existing['url']} "
                         f"(pid {existing['pid']}); stop it first")
    if not _port_free(host, port):
        raise ServeError(f"port {port} on {host} is in use; choose another with --port")
    quiet_llama_logs()
    server_cfg, model_cfg = server_settings(settings, path, alias, host, port, logprobs)
    app = create_app(server_settings=server_cfg, model_settings=[model_cfg])
    add_label_probs_route(app)  # the one route added to llama-cpp-python's app
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning",
                                           timeout_graceful_shutdown=2))
    url = f"http://{host}:{port}/v1"
    record = {"url": url, "model": alias, "pid": os.getpid(), "logprobs": logprobs,
              "label_probs": LABEL_PROBS_PATH, "n_ctx": settings.n_ctx, "path": str(path)}

    def announce() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.05)
        if server.should_exit:
            return
        _warm(settings.replace(llm_url=url), spec)
        write_record(settings.data_dir, record)
        if on_ready:
            on_ready(record)

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
