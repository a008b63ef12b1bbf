"""Which chat model answers, and where it runs: the pipeline's owned models part.

A configured OpenAI-compatible server (``llm_url``) or a running `assistant serve` for the
same data directory is used through :class:`~assistant.llm.remote.RemoteLLM`; otherwise the
model is loaded into this process (:class:`~assistant.llm.local.LocalLLM`), once. A model
given at construction (the scripted one of the tests) is used as it is.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.llm.base import ChatModel, ServerError
from assistant.llm.catalog import ModelError, model_label, resolve_model
from assistant.llm.local import LocalLLM
from assistant.llm.servers import ServerStartError, free_port, running_server, start_detached
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.llm.remote import RemoteLLM

PrefixOf = Callable[[ChatModel], str]  # the fixed prompt start a new model evaluates once


class Models:
    """The chat model the pipeline uses, loaded once per model spec, and the lock that
    makes its users take turns (llama.cpp contexts are not thread-safe: the TUI's answer
    and summary workers share one model)."""

    def __init__(self, settings: Settings, prefix_of: PrefixOf,
                 chat: ChatModel | None = None) -> None:
        self.settings = settings
        self.prefix_of = prefix_of
        self.lock = threading.RLock()
        self.notices: list[str] = []  # things a front end should tell the user once
        self.load_s: float | None = None  # the last load's seconds, until taken
        self._llm = chat
        self._spec: str | None = settings.model if chat is not None else None
        self._loading: threading.Thread | None = None

    def preload(self, model: str | None = None) -> bool:
        """Start loading the chat model in a background thread, so that a one-shot command
        that will need it overlaps the load (~3 s on 2 cores, mostly inside llama.cpp,
        which runs without the GIL) with opening the index, loading the embedder and
        retrieval. Nothing starts when the model is loaded already or its file is not at
        hand (the command then reports that as before). True if a load started."""
        if self.holds(model) or self._loading is not None:
            return False
        try:
            self.check(model)
        except ModelError:
            return False

        def load() -> None:
            try:
                self.llm(model)
            except Exception:  # noqa: BLE001 - the command's own use of the model reports it
                self.close()

        self._loading = threading.Thread(target=load, name="model-preload", daemon=True)
        self._loading.start()
        return True

    def _await_preload(self) -> None:
        """Wait for a background load to finish (any thread but the loader's own). The
        load seconds an answer reports are then the time it waited, not the whole load:
        the rest overlapped other work."""
        loading = self._loading
        if loading is not None and loading is not threading.current_thread():
            start = time.perf_counter()
            loading.join()
            self._loading = None
            self.load_s = time.perf_counter() - start

    def llm(self, model: str | None = None) -> ChatModel:
        """The chat model, loaded once: a server's when one is configured (``llm_url``) or
        an `assistant serve` for this data directory is running, else in this process."""
        self._await_preload()
        spec = model or self.settings.model
        if self._llm is None or self._spec != spec:
            self.close()
            start = time.perf_counter()
            self._llm = self._connect(spec) or self._load(spec)
            self._spec = spec
            self.load_s = time.perf_counter() - start
        return self._llm

    def holds(self, model: str | None = None) -> bool:
        """Whether this model is loaded (or connected) already: using it costs no load."""
        return self._loading is None and self._llm is not None \
            and self._spec == (model or self.settings.model)

    @property
    def spec(self) -> str:
        """The spec of the loaded model (the setting's before any is loaded)."""
        return self._spec or self.settings.model

    def take_load_seconds(self) -> float:
        """Seconds the last load took, once (an answer reports the load it caused)."""
        seconds, self.load_s = self.load_s or 0.0, None
        return seconds

    @property
    def backend(self) -> str:
        """Where the loaded chat model runs: "in-process", a server URL, or "" (not yet)."""
        return self._llm.backend if self._llm is not None else ""

    def _load(self, spec: str) -> LocalLLM:
        path = resolve_model(spec, self.settings.models_dir, "llm")
        generation = self.settings
        llm = LocalLLM(path, generation.n_ctx, generation.threads, generation.seed,
                       mmap=generation.llm_mmap, n_batch=generation.n_batch,
                       prefill_chunk=generation.prefill_chunk)
        llm.warm_prefix(self.prefix_of(llm), self.settings.cache_dir)
        return llm

    def _connect(self, spec: str) -> RemoteLLM | None:
        """A configured server (its failures are errors) or a running `assistant serve`
        (a dead one is announced in ``notices`` and the model loads in-process)."""
        url = self.settings.llm_url
        alias = model_label(spec)
        label_route = None  # tried on first use
        if not url and self.settings.use_server:
            record = running_server(self.settings.data_dir) or self._keep_warm(spec)
            if record and record.get("model") == alias:
                url, label_route = record["url"], bool(record.get("label_probs"))
        if not url:
            return None
        try:
            vocab = resolve_model(spec, self.settings.models_dir, "llm")
        except ModelError:
            vocab = None  # a model only the server has: it formats the prompt
        from assistant.llm.remote import RemoteLLM  # httpx: only where a server is used

        try:
            return RemoteLLM(url, alias, n_ctx=self.settings.n_ctx,
                             api_key=self.settings.llm_api_key,
                             timeout=self.settings.llm_timeout, vocab_path=vocab,
                             label_route=label_route)
        except ServerError as exc:
            if self.settings.llm_url:
                raise
            self.notices.append(f"{exc} — loading the model in this process instead")
            return None

    def warm(self, model: str | None = None) -> int:
        """Evaluate the fixed start of every prompt now (a server keeps it for its
        clients); returns the tokens evaluated."""
        llm = self.llm(model)
        return llm.warm_prefix(self.prefix_of(llm), self.settings.cache_dir)

    def _keep_warm(self, spec: str) -> dict | None:
        """With ``keep_warm``, a background server for this model, started now (its
        record), so later commands find the model loaded; None when it is off or the
        server cannot start (then the model loads here, and the notice says why)."""
        if not self.settings.keep_warm:
            return None
        try:
            resolve_model(spec, self.settings.models_dir, "llm")  # missing: say so now
            return start_detached(self.settings.data_dir, free_port(), model=spec,
                                  threads=self.settings.threads,
                                  idle_s=self.settings.keep_warm_idle)
        except (ModelError, ServerStartError) as exc:
            self.notices.append(f"keep_warm: {exc} — loading the model in this process")
            return None

    def model_id(self, model: str | None = None) -> str:
        """Which model makes a text (a summary's cache key): the file's name and size when
        it is on this machine, else the name a server serves it under."""
        spec = model or self.settings.model
        try:
            path = resolve_model(spec, self.settings.models_dir, "llm")
        except ModelError:
            if self.settings.llm_url:
                return f"{spec}@{self.settings.llm_url}"
            raise
        return f"{path.name}:{path.stat().st_size}"

    def check(self, model: str | None = None) -> Path | None:
        """Raise ModelError (with the fixing command) if the chat model is unusable; a
        model served from ``llm_url`` is checked when it is first used."""
        if self.settings.llm_url:
            return None
        return resolve_model(model or self.settings.model, self.settings.models_dir, "llm")

    def close(self) -> None:
        self._await_preload()
        if self._llm is not None:
            self._llm.close()
            self._llm = None
