"""What the pipeline needs from a chat model, wherever it runs: the contract every model
(in this process, behind a server, scripted in tests) implements, the messages and
generations that cross it, and the streaming loop both real backends share."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import AssistantError


class ServerError(AssistantError):
    """The model server cannot be used; the message names its URL and the fix."""


class NoLabelProbs(AssistantError):
    """The model gives no token probabilities here, so there is no yes/no verdict."""


OnToken = Callable[[str], None]
OnPrefill = Callable[[int, int], None]  # prompt tokens read so far, of how many
ShouldStop = Callable[[], bool]

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


class ChatModel(ABC):
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
    @abstractmethod
    def n_ctx(self) -> int:
        """The model's context window in tokens."""

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

    @abstractmethod
    def label_probs(self, messages: list[Message], prefix: str, labels: tuple[str, ...],
                    on_prefill: OnPrefill | None = None) -> dict[str, float]:
        """P(the reply after the prompt and ``prefix`` starts with each label); raises
        :class:`NoLabelProbs` where the model cannot give them. ``on_prefill`` hears the
        prompt being read, where the model reads it here."""

    @abstractmethod
    def generate(self, messages: list[Message], max_tokens: int, temperature: float,
                 on_token: OnToken | None = None,
                 should_stop: ShouldStop | None = None, prefix: str = "", *,
                 top_p: float, repeat_penalty: float,
                 on_prefill: OnPrefill | None = None,
                 grammar: str | None = None) -> Generation:
        """Stream a reply (``on_token`` hears each piece; ``should_stop`` is polled
        between pieces, and between prompt chunks where the prompt is read here, as
        ``on_prefill`` hears); ``prefix`` starts the reply and is part of the returned
        text. ``grammar`` (llama.cpp GBNF) constrains what the reply may be."""

    def warm_prefix(self, prefix: str, cache_dir: Path | None = None) -> int:
        """Evaluate the fixed start of every prompt ahead of the first question; returns
        the tokens now evaluated (0: nothing to warm)."""
        return 0

    @contextmanager
    def aside(self) -> Iterator[None]:
        """Run side prompts (the claim check's readings) without losing the evaluated
        context of the conversation: where the model keeps one here, it is put back
        afterwards, so the next turn reads only its new tokens."""
        yield

    def close(self) -> None:  # noqa: B027 - most models hold nothing to free
        """Free what the model holds."""


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
