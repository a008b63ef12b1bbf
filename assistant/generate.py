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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .budget import check_fits

OnToken = Callable[[str], None]
ShouldStop = Callable[[], bool]

_LOG_CALLBACK = None


def quiet_llama_logs() -> None:
    """Silence llama.cpp's C-level logging (it writes straight to stderr otherwise)."""
    global _LOG_CALLBACK
    if _LOG_CALLBACK is None:
        from llama_cpp import llama_cpp as C

        _LOG_CALLBACK = C.llama_log_callback(lambda level, text, data: None)
        C.llama_log_set(_LOG_CALLBACK, ctypes.c_void_p(0))


def load_llama(model_path: Path, **params):
    """Load a GGUF with llama.cpp; a file it cannot read becomes a ModelError with a fix."""
    from llama_cpp import Llama

    from .models import ModelError, repair_hint

    quiet_llama_logs()
    try:
        return Llama(model_path=str(model_path), verbose=False, **params)
    except (ValueError, RuntimeError, OSError) as exc:
        raise ModelError(f"cannot load model {model_path} ({exc}); {repair_hint(model_path)}")\
            from exc


@dataclass
class GenerationStats:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    first_token_s: float = 0.0
    total_s: float = 0.0
    cached_prefix_tokens: int = 0
    stopped: bool = False
    error: str = ""  # why a generation ended early other than by the user (a server died)

    @property
    def tokens_per_s(self) -> float:
        gen_time = self.total_s - self.first_token_s
        return self.completion_tokens / gen_time if gen_time > 0 else 0.0


@dataclass
class Message:
    role: str
    content: str


@dataclass
class Generation:
    text: str
    stats: GenerationStats = field(default_factory=GenerationStats)


class ChatModel:
    """What the pipeline needs from a chat model, wherever it runs (in this process or
    behind an OpenAI-compatible server): the model's own chat template and tokenizer
    (``vocab``, a llama.cpp model loaded whole or vocab-only), token-probability verdicts
    and streamed generation. Subclasses provide ``label_probs``, ``generate``, ``n_ctx``."""

    name: str
    backend: str = "in-process"
    vocab = None

    # --- tokens ---------------------------------------------------------------------------

    def count_tokens(self, text: str) -> int:
        return len(self.vocab.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def format_prompt(self, messages: list[Message]) -> tuple[str, list[str]]:
        """The exact prompt text the model's chat template makes, and its stop strings."""
        from llama_cpp import llama_chat_format as F

        template = self.vocab.metadata.get("tokenizer.chat_template")
        if not template:
            text = "".join(f"{m.role}: {m.content}\n" for m in messages)
            return text + "assistant: ", ["\nuser:"]
        model = self.vocab._model  # noqa: SLF001 - token texts for the template
        formatter = F.Jinja2ChatFormatter(
            template=template,
            eos_token=model.token_get_text(self.vocab.token_eos()),
            bos_token=model.token_get_text(self.vocab.token_bos()),
            add_generation_prompt=True,
        )
        result = formatter(messages=[{"role": m.role, "content": m.content} for m in messages])
        stop = result.stop if isinstance(result.stop, list) else [result.stop]
        return result.prompt, [s for s in stop if s]

    @property
    def n_ctx(self) -> int:
        raise NotImplementedError

    def prompt_tokens(self, messages: list[Message]) -> int:
        """How many tokens these messages take as a prompt (template included)."""
        return len(self._tokens(self.format_prompt(messages)[0]))

    def _adds_bos(self) -> bool:
        """Whether the model's tokenizer puts BOS before a prompt by itself."""
        return str(self.vocab.metadata.get("tokenizer.ggml.add_bos_token", "")) == "true"

    def _tokens(self, prompt: str) -> list[int]:
        """Tokenize a formatted prompt; BOS is added only if the template did not."""
        tokens = self.vocab.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
        bos = self.vocab.token_bos()
        if self._adds_bos() and bos >= 0 and (not tokens or tokens[0] != bos):
            tokens.insert(0, bos)
        return tokens

    def label_token_ids(self, labels: tuple[str, ...]) -> dict[str, list[int]]:
        """The first token of each way the model may write each label (" yes", "Yes", …)."""
        ids: dict[str, list[int]] = {}
        taken: set[int] = set()
        for label in labels:
            ids[label] = []
            for variant in (f" {label}", f" {label.capitalize()}", label, label.capitalize()):
                tokens = self.vocab.tokenize(variant.encode("utf-8"), add_bos=False,
                                             special=False)
                if tokens and tokens[0] not in taken:
                    ids[label].append(tokens[0])
                    taken.add(tokens[0])
        return ids

    # --- what a backend provides ------------------------------------------------------------

    def label_probs(self, messages: list[Message], prefix: str,
                    labels: tuple[str, ...]) -> dict[str, float]:
        raise NotImplementedError

    def generate(self, messages: list[Message], max_tokens: int, temperature: float,
                 on_token: OnToken | None = None,
                 should_stop: ShouldStop | None = None, prefix: str = "",
                 top_p: float = 0.9, repeat_penalty: float = 1.1) -> Generation:
        raise NotImplementedError

    def close(self) -> None:
        """Free what the model holds."""


class LocalLLM(ChatModel):
    """A chat model loaded into this process; one per process."""

    def __init__(self, model_path: Path, n_ctx: int, threads: int, seed: int = 42,
                 mmap: bool = False) -> None:
        """Without ``mmap`` the weights are read once into memory: llama.cpp repacks most
        of them for the CPU anyway, and a mapped file would stay resident beside the
        repacked copy (peak RSS 1.9 GB instead of 1.3 GB for the 1.5B default; prefill
        speed is the same). A batch of 256 halves the compute buffer at no measurable
        prefill cost on a 2-core CPU."""
        self.model_path = Path(model_path)
        self.name = self.model_path.stem
        self.prefix_source = "none"  # "disk" when the prompt prefix state was restored
        self.llm = load_llama(model_path, n_ctx=n_ctx, n_batch=256, n_threads=threads,
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
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(bytes(buffer)[:written])
        tmp.replace(path)
        self.prefix_source = "computed"
        return len(tokens)

    def _common_prefix(self, tokens: list[int]) -> int:
        return common_prefix(self.llm, tokens)

    # --- label probabilities --------------------------------------------------------------

    def label_probs(self, messages: list[Message], prefix: str,
                    labels: tuple[str, ...]) -> dict[str, float]:
        """P(next token starts each label) after the prompt and ``prefix`` (see
        :func:`next_token_probs`)."""
        prompt, _stop = self.format_prompt(messages)
        tokens = self._tokens(prompt + prefix)
        check_fits(len(tokens), 1, self.n_ctx)
        return next_token_probs(self.llm, tokens, self.label_token_ids(labels))

    # --- generation -----------------------------------------------------------------------

    def generate(self, messages: list[Message], max_tokens: int, temperature: float,
                 on_token: OnToken | None = None,
                 should_stop: ShouldStop | None = None, prefix: str = "",
                 top_p: float = 0.9, repeat_penalty: float = 1.1) -> Generation:
        """Stream a chat completion; ``should_stop`` is polled between tokens.

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
        stream = self.llm.create_completion(
            tokens, max_tokens=max_tokens, temperature=temperature, top_p=top_p,
            repeat_penalty=repeat_penalty, stream=True, stop=stop or None,
        )
        consume((chunk["choices"][0]["text"] for chunk in stream), pieces, stats, start,
                on_token, should_stop)
        return finish(pieces, stats, start)

    def close(self) -> None:
        self.llm.close()


def consume(stream: Iterable[str], pieces: list[str], stats: GenerationStats, start: float,
            on_token: OnToken | None, should_stop: ShouldStop | None) -> None:
    """Take streamed text pieces into ``pieces`` and ``stats`` (first-token time, token
    count), passing each to ``on_token``; ``should_stop`` is polled between pieces. What
    came before an exception stays in ``pieces``, for a caller that keeps partial text."""
    for piece in stream:
        if piece:
            if not stats.first_token_s:
                stats.first_token_s = time.perf_counter() - start
            pieces.append(piece)
            stats.completion_tokens += 1
            if on_token:
                on_token(piece)
        if should_stop and should_stop():
            stats.stopped = True
            break


def finish(pieces: list[str], stats: GenerationStats, start: float) -> Generation:
    stats.total_s = time.perf_counter() - start
    if not stats.first_token_s:
        stats.first_token_s = stats.total_s
    return Generation("".join(pieces), stats)


def common_prefix(llama, tokens: list[int]) -> int:
    """How many leading ``tokens`` the model's context has already evaluated."""
    n = 0
    for a, b in zip(llama.input_ids[: llama.n_tokens], tokens, strict=False):
        if a != b:
            break
        n += 1
    return n


def next_token_probs(llama, tokens: list[int], label_ids: dict[str, list[int]]
                     ) -> dict[str, float]:
    """P(the next token after ``tokens`` is one of each label's token ids), from one
    forward pass over the part of ``tokens`` not yet in the context. The state stays, so
    generating from the same prompt afterwards costs no extra prefill. Needs only the
    last position's logits (no ``logits_all``); `assistant serve` runs the same function
    for its clients."""
    import numpy as np
    from llama_cpp import llama_cpp as C

    keep = min(common_prefix(llama, tokens), len(tokens) - 1)
    llama.n_tokens = keep
    llama.eval(tokens[keep:])
    pointer = C.llama_get_logits_ith(llama._ctx.ctx, -1)  # noqa: SLF001
    logits = np.ctypeslib.as_array(pointer, shape=(llama.n_vocab(),)).astype(np.float64)
    probs = np.exp(logits - logits.max())
    probs /= probs.sum()
    return {label: float(sum(probs[i] for i in ids)) for label, ids in label_ids.items()}
