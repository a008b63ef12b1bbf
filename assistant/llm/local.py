"""Generation with a local GGUF chat model through llama-cpp-python.

The model is loaded once per process. Prompts put the fixed instructions first so that
llama.cpp reuses their evaluated state: within a process llama-cpp-python keeps the
longest common token prefix of consecutive prompts, and across processes the prefix's KV
state is saved to the data directory's cache and restored at load (see
:meth:`LocalLLM.warm_prefix`).
"""

from __future__ import annotations

import ctypes
import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from assistant.fileio import write_atomic
from assistant.llm.base import (
    ChatModel,
    Generation,
    GenerationStats,
    Message,
    OnPrefill,
    OnToken,
    ShouldStop,
    consume,
    finish,
)
from assistant.llm.budget import check_fits

_LOG_CALLBACK = None


def quiet_llama_logs() -> None:
    """Silence llama.cpp's C-level logging (it writes straight to stderr otherwise), and
    stop llama-cpp-python from silencing it its own way (:func:`_keep_streams`)."""
    global _LOG_CALLBACK
    if _LOG_CALLBACK is None:
        from llama_cpp import llama_cpp as C

        _LOG_CALLBACK = C.llama_log_callback(lambda level, text, data: None)
        C.llama_log_set(_LOG_CALLBACK, ctypes.c_void_p(0))
        _keep_streams()


def _keep_streams() -> None:
    """With ``verbose=False`` llama-cpp-python loads a model inside a context manager that
    points the process's stdout and stderr (file descriptors 1 and 2, and ``sys.stdout``/
    ``sys.stderr``) at /dev/null. A one-shot ``ask`` loads the model in a background
    thread while the main thread retrieves and may already print: an out-of-scope answer
    (ready in ~0.3 s, before a ~1.5 s load ends) went to /dev/null with exit status 0, and
    the status line meant to fill the wait was not shown either. The log callback above
    already keeps llama.cpp quiet, so that redirection is turned into a no-op here."""
    import contextlib

    import llama_cpp._internals
    import llama_cpp.llama
    import llama_cpp.llama_chat_format

    def keep(disable: bool = True) -> contextlib.nullcontext:
        return contextlib.nullcontext()

    for module in (llama_cpp.llama, llama_cpp._internals, llama_cpp.llama_chat_format):
        module.suppress_stdout_stderr = keep


def load_llama(model_path: Path, **params):
    """Load a GGUF with llama.cpp; a file it cannot read becomes a ModelError with a fix."""
    from llama_cpp import Llama

    from assistant.llm.catalog import ModelError, repair_hint

    quiet_llama_logs()
    try:
        return Llama(model_path=str(model_path), verbose=False, **params)
    except (ValueError, RuntimeError, OSError) as exc:
        raise ModelError(f"cannot load model {model_path} ({exc}); {repair_hint(model_path)}")\
            from exc


class LocalLLM(ChatModel):
    """A chat model loaded into this process; one per process."""

    def __init__(self, model_path: Path, n_ctx: int, threads: int, seed: int = 42,
                 mmap: bool = False, n_batch: int = 256, prefill_chunk: int = 64) -> None:
        """Without ``mmap`` the weights are read once into memory: llama.cpp repacks most
        of them for the CPU anyway, and a mapped file would stay resident beside the
        repacked copy (peak RSS 1.9 GB instead of 1.3 GB for the 1.5B default; prefill
        speed is the same). A batch of 256 halves the compute buffer at no measurable
        prefill cost on a 2-core CPU."""
        self.model_path = Path(model_path)
        self.name = self.model_path.stem
        self.prefill_chunk = prefill_chunk
        self.prefix_source = "none"  # "disk" when the prompt prefix state was restored
        self.llm = load_llama(model_path, n_ctx=n_ctx, n_batch=n_batch, n_threads=threads,
                              n_threads_batch=threads, flash_attn=True, seed=seed,
                              use_mmap=mmap)
        self.vocab = self.llm

    @property
    def n_ctx(self) -> int:
        return self.llm.n_ctx()

    # --- prefix state cache ---------------------------------------------------------------

    def warm_prefix(self, prefix: str, cache_dir: Path) -> int:
        """Make the KV state of ``prefix`` available, from disk if saved before.

        Returns the number of prefix tokens now evaluated. Saves only the llama.cpp state
        (KV cells), not the logits llama-cpp-python would pickle (hundreds of MB).
        """
        from llama_cpp import llama_cpp as C

        tokens = self._tokens(prefix)
        if len(tokens) < 8:
            return 0
        stat = self.model_path.stat()
        key = hashlib.sha256(
            f"{self.model_path.name}:{stat.st_size}:{self.llm.n_ctx()}:{tokens}".encode()
        ).hexdigest()[:20]
        path = cache_dir / f"prefix-{key}.state"
        ctx = self.llm._ctx.ctx  # noqa: SLF001
        if path.exists():
            data = path.read_bytes()
            buffer = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
            if C.llama_state_set_data(ctx, buffer, len(data)) == len(data):
                self.llm.input_ids[: len(tokens)] = tokens
                self.llm.n_tokens = len(tokens)
                self.prefix_source = "disk"
                return len(tokens)
        self.llm.reset()
        self.llm.eval(tokens)
        size = C.llama_state_get_size(ctx)
        buffer = (ctypes.c_uint8 * size)()
        written = C.llama_state_get_data(ctx, buffer, size)
        write_atomic(path, bytes(buffer)[:written])
        self.prefix_source = "computed"
        return len(tokens)

    @contextmanager
    def aside(self) -> Iterator[None]:
        """Keep this context's evaluated tokens (sequence 0's KV cells, a few MB per
        thousand tokens) in memory while side prompts run, then put them back: a chat's
        follow-up still finds its conversation evaluated. If they cannot be put back,
        the context is emptied and the next prompt is read whole (slower, never wrong)."""
        from llama_cpp import llama_cpp as C

        n = self.llm.n_tokens
        if n == 0:
            yield
            return
        ctx = self.llm._ctx.ctx  # noqa: SLF001
        size = C.llama_state_seq_get_size(ctx, 0)
        buffer = (ctypes.c_uint8 * size)()
        written = C.llama_state_seq_get_data(ctx, buffer, size, 0)
        tokens = self.llm.input_ids[:n].copy()
        try:
            yield
        finally:
            if written and C.llama_state_seq_set_data(ctx, buffer, written, 0) == written:
                self.llm.input_ids[:n] = tokens
                self.llm.n_tokens = n
            else:
                self.llm.reset()

    def _common_prefix(self, tokens: list[int]) -> int:
        return common_prefix(self.llm, tokens)

    # --- label probabilities --------------------------------------------------------------

    def label_probs(self, messages: list[Message], prefix: str, labels: tuple[str, ...],
                    on_prefill: OnPrefill | None = None) -> dict[str, float]:
        """P(next token starts each label) after the prompt and ``prefix`` (see
        :func:`next_token_probs`)."""
        prompt, _stop = self.format_prompt(messages)
        tokens = self._tokens(prompt + prefix)
        check_fits(len(tokens), 1, self.n_ctx)
        return next_token_probs(self.llm, tokens, self.label_token_ids(labels),
                                self.prefill_chunk, on_prefill)

    # --- generation -----------------------------------------------------------------------

    def generate(self, messages: list[Message], max_tokens: int, temperature: float,
                 on_token: OnToken | None = None,
                 should_stop: ShouldStop | None = None, prefix: str = "", *,
                 top_p: float, repeat_penalty: float,
                 on_prefill: OnPrefill | None = None,
                 grammar: str | None = None) -> Generation:
        """Stream a chat completion; ``should_stop`` is polled between prompt chunks and
        between tokens, ``on_prefill`` hears the prompt being read.

        ``prefix`` starts the assistant's reply (e.g. "Answer:") so the model continues
        from it; it is part of the returned text.
        """
        prompt, stop = self.format_prompt(messages)
        prompt += prefix
        tokens = self._tokens(prompt)
        check_fits(len(tokens), max_tokens, self.n_ctx)
        stats = GenerationStats(prompt_tokens=len(tokens),
                                cached_prefix_tokens=self._common_prefix(tokens))
        start = time.perf_counter()
        pieces: list[str] = [prefix] if prefix else []
        if not prefill(self.llm, tokens, self.prefill_chunk, on_prefill, should_stop):
            stats.stopped = True
            return finish(pieces, stats, start)
        stream = self.llm.create_completion(
            tokens, max_tokens=max_tokens, temperature=temperature, top_p=top_p,
            repeat_penalty=repeat_penalty, stream=True, stop=stop or None,
            grammar=parse_grammar(grammar) if grammar else None,
        )
        consume((chunk["choices"][0]["text"] for chunk in stream), pieces, stats, start,
                on_token, should_stop)
        return finish(pieces, stats, start)

    def close(self) -> None:
        self.llm.close()


def parse_grammar(text: str):
    """A GBNF grammar for llama.cpp, checked by llama.cpp's own parser first (the
    wrapper only stores the text, and a grammar llama.cpp cannot read would fail deep in
    sampling): a malformed one is a ValueError here."""
    import llama_cpp
    from llama_cpp import LlamaGrammar

    quiet_llama_logs()
    sampler = llama_cpp.llama_sampler_init_grammar(None, text.encode("utf-8"), b"root")
    if not sampler:
        raise ValueError("malformed llama.cpp grammar")
    llama_cpp.llama_sampler_free(sampler)
    return LlamaGrammar.from_string(text, verbose=False)


def common_prefix(llama, tokens: list[int]) -> int:
    """How many leading ``tokens`` the model's context has already evaluated."""
    n = 0
    for a, b in zip(llama.input_ids[: llama.n_tokens], tokens, strict=False):
        if a != b:
            break
        n += 1
    return n


def prefill(llama, tokens: list[int], chunk: int, on_prefill: OnPrefill | None = None,
            should_stop: ShouldStop | None = None) -> bool:
    """Evaluate the part of ``tokens`` the context does not hold yet, ``chunk`` tokens at
    a time, so that reading a long prompt reports progress and can be stopped within one
    chunk; False when stopped. The last token is always evaluated again, so the logits
    are this prompt's (llama.cpp then samples without evaluating anything more)."""
    start = min(common_prefix(llama, tokens), len(tokens) - 1)
    llama.n_tokens = start
    todo = len(tokens) - start
    for offset in range(start, len(tokens), chunk):
        if should_stop and should_stop():
            return False
        llama.eval(tokens[offset:offset + chunk])
        if on_prefill:
            on_prefill(min(offset + chunk, len(tokens)) - start, todo)
    return True


def next_token_probs(llama, tokens: list[int], label_ids: dict[str, list[int]],
                     chunk: int = 512, on_prefill: OnPrefill | None = None
                     ) -> dict[str, float]:
    """P(the next token after ``tokens`` is one of each label's token ids), from one
    forward pass over the part of ``tokens`` not yet in the context. The state stays, so
    generating from the same prompt afterwards costs no extra prefill. Needs only the
    last position's logits (no ``logits_all``); `assistant serve` runs the same function
    for its clients."""
    import numpy as np
    from llama_cpp import llama_cpp as C

    prefill(llama, tokens, chunk, on_prefill)
    pointer = C.llama_get_logits_ith(llama._ctx.ctx, -1)  # noqa: SLF001
    logits = np.ctypeslib.as_array(pointer, shape=(llama.n_vocab(),)).astype(np.float64)
    probs = np.exp(logits - logits.max())
    probs /= probs.sum()
    return {label: float(sum(probs[i] for i in ids)) for label, ids in label_ids.items()}
