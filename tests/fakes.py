"""Stand-ins for the models, for the fast test layer: a scripted chat model (prompt
assembly, flow and UI logic) and a deterministic embedder. A pipeline is given them
through its constructor: ``Pipeline(settings, chat=ScriptedLLM(...), embedder=HashEmbedder())``."""

from __future__ import annotations

import hashlib
import re
import time
from contextlib import contextmanager

import numpy as np

from assistant.llm.base import ChatModel, Generation, GenerationStats, Message


class ScriptedLLM(ChatModel):
    """Replays a fixed answer token by token and records the prompts it was given (and
    the pieces it has streamed so far, for tests that act in the middle of an answer)."""

    name = "scripted"
    backend = "in-process"

    def __init__(self, answer: str, delay: float = 0.0,
                 label_probs: dict[str, float] | None = None,
                 reading: dict[str, float] | None = None) -> None:
        self.answer = answer
        self.delay = delay
        self.calls: list[list[Message]] = []
        self.probs = label_probs or {"yes": 0.7, "no": 0.2, "maybe": 0.1}
        # the claim check's reading of every claim (entailment labels): "the paper says it"
        self.reading = reading or {"yes": 0.97, "no": 0.03, "contradicted": 0.0}
        self.entail_calls: list[list[Message]] = []
        self.asides = 0
        self.prefixes: list[str] = []
        self.label_calls: list[list[Message]] = []
        self.streamed: list[str] = []

    def label_probs(self, messages, prefix, labels, on_prefill=None):
        if "contradicted" in labels:
            self.entail_calls.append(messages)
            return dict(self.reading)
        self.label_calls.append(messages)
        return dict(self.probs)

    @contextmanager
    def aside(self):
        self.asides += 1
        yield

    @property
    def n_ctx(self) -> int:
        return 4096

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 4)

    def format_prompt(self, messages) -> tuple[str, list[str]]:
        """A plain rendering (no chat template: there is no model file)."""
        return "".join(f"<{m.role}>{m.content}</{m.role}>" for m in messages), []

    def prompt_tokens(self, messages) -> int:
        return sum(self.count_tokens(m.content) for m in messages)

    def generate(self, messages, max_tokens, temperature, on_token=None, should_stop=None,
                 prefix="", on_prefill=None, **sampling):
        self.calls.append(messages)
        self.prefixes.append(prefix)
        pieces = [prefix] if prefix else []
        stats = GenerationStats(prompt_tokens=sum(self.count_tokens(m.content)
                                                  for m in messages))
        for done in range(64, stats.prompt_tokens + 64, 64):  # the prompt read in chunks
            if should_stop and should_stop():
                stats.stopped = True
                return Generation(prefix, stats)
            if on_prefill:
                on_prefill(min(done, stats.prompt_tokens), stats.prompt_tokens)
        for piece in self.answer.split(" "):
            if should_stop and should_stop():
                stats.stopped = True
                break
            piece = (" " if pieces else "") + piece
            if self.delay:
                time.sleep(self.delay)
            pieces.append(piece)
            self.streamed.append(piece)
            stats.completion_tokens += 1
            if on_token:
                on_token(piece)
        return Generation("".join(pieces), stats)

    def close(self) -> None:
        pass


class HashEmbedder:
    """A deterministic stand-in for the sentence embedder: each stemmed term of a text
    (the index's own tokenizer) is hashed to a signed coordinate, and the sum is L2
    normalised, so texts sharing rare words are close and unrelated texts are not. No
    model file: the fast test layer indexes and searches with it. Not a measure of
    retrieval quality (the real embedder's tests are ``slow``)."""

    dim = 384

    def count_tokens(self, text: str) -> int:
        return int(len(text.split()) * 1.3) + 2

    def embed(self, texts) -> np.ndarray:
        from assistant.index.terms import bm25_tokenize

        texts = list(texts)
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, terms in enumerate(bm25_tokenize(texts) if texts else []):
            for term in terms:
                digest = hashlib.blake2b(term.encode(), digest_size=8).digest()
                index = int.from_bytes(digest[:4], "little") % self.dim
                vectors[row, index] += 1.0 if digest[4] & 1 else -1.0
            norm = np.linalg.norm(vectors[row])
            if norm:
                vectors[row] /= norm
        return vectors

    def embed_one(self, text: str) -> np.ndarray:
        return self.embed([text])[0]

    def close(self) -> None:
        pass


class TableLLM(ScriptedLLM):
    """For results extraction, one table row per marked number of the prompt, the word
    after it as the metric (the grammar it was given is recorded); any other prompt gets
    ``answer`` as a ScriptedLLM would."""

    def __init__(self, answer: str = "A scripted answer.", delay: float = 0.0,
                 metric_words: int = 1) -> None:
        super().__init__(answer, delay)
        self.default = answer
        self.metric_words = metric_words  # the metric's word repeated (long rows)
        self.grammars: list[str | None] = []

    def generate(self, messages, max_tokens, temperature, on_token=None, should_stop=None,
                 prefix="", on_prefill=None, grammar=None, **sampling):
        self.grammars.append(grammar)
        self.answer = self.default
        if grammar is not None:  # a row's cells after its "| #n | value | ", or the task
            words = dict(re.findall(r"\[#(\d+)\]\s+([A-Za-z]+)", messages[-1].content))
            row = re.search(r"\| #(\d+) \| [^|\n]* \|$", prefix)
            metric = " ".join([words.get(row.group(1), "x")] * self.metric_words) if row else ""
            self.answer = (f"result | own | {metric} |  |  |\n" if row
                           else "the paper's problem\n")
        return super().generate(messages, max_tokens, temperature, on_token, should_stop,
                                prefix, on_prefill)
