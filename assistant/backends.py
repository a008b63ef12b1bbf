"""Which chat model answers, and where it runs: mixed into the pipeline.

A configured OpenAI-compatible server (``llm_url``) or a running `assistant serve` for the
same data directory is used through :class:`~assistant.remote.RemoteLLM`; otherwise the
model is loaded into this process (:class:`~assistant.generate.LocalLLM`), once.
"""

from __future__ import annotations

import time
from pathlib import Path

from .generate import ChatModel, LocalLLM
from .models import ModelError, resolve_model
from .remote import RemoteLLM, ServerError
from .serve import model_alias, running_server


class ModelVerbs:
    """Mixed into :class:`~assistant.pipeline.Pipeline`, which provides ``settings``,
    ``_llm``, ``_llm_spec``, ``load_seconds``, ``notices`` and ``prompt_prefix``."""

    def llm(self, model: str | None = None) -> ChatModel:
        """The chat model, loaded once: a server's when one is configured (``llm_url``) or
        an `assistant serve` for this data directory is running, else in this process."""
        spec = model or self.settings.model
        if self._llm is None or self._llm_spec != spec:
            if self._llm is not None:
                self._llm.close()
                self._llm = None
            start = time.perf_counter()
            self._llm = self._connect(spec) or self._load(spec)
            self._llm_spec = spec
            self.load_seconds["llm"] = time.perf_counter() - start
        return self._llm

    @property
    def backend(self) -> str:
        """Where the loaded chat model runs: "in-process", a server URL, or "" (not yet)."""
        return self._llm.backend if self._llm is not None else ""

    def _load(self, spec: str) -> LocalLLM:
        path = resolve_model(spec, self.settings.models_dir, "llm")
        llm = LocalLLM(path, self.settings.n_ctx, self.settings.threads, self.settings.seed,
                       mmap=self.settings.llm_mmap)
        llm.warm_prefix(self.prompt_prefix(llm), self.settings.cache_dir)
        return llm

    def _connect(self, spec: str) -> RemoteLLM | None:
        """A configured server (its failures are errors) or a running `assistant serve`
        (a dead one is announced in ``notices`` and the model loads in-process)."""
        url = self.settings.llm_url
        alias = model_alias(spec)
        label_route = None  # tried on first use
        if not url and self.settings.use_server:
            record = running_server(self.settings.data_dir)
            if record and record.get("model") == alias:
                url, label_route = record["url"], bool(record.get("label_probs"))
        if not url:
            return None
        try:
            vocab = resolve_model(spec, self.settings.models_dir, "llm")
        except ModelError:
            vocab = None  # a model only the server has: it formats the prompt
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

    def check_model(self, model: str | None = None) -> Path | None:
        """Raise ModelError (with the fixing command) if the chat model is unusable; a
        model served from ``llm_url`` is checked when it is first used."""
        if self.settings.llm_url:
            return None
        return resolve_model(model or self.settings.model, self.settings.models_dir, "llm")
