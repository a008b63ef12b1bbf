"""A scripted stand-in for the chat model, for prompt-assembly and UI logic only."""

from __future__ import annotations

import time

from assistant.llm.base import ChatModel, Generation, GenerationStats, Message


class ScriptedLLM(ChatModel):
    """Replays a fixed answer token by token and records the prompts it was given."""

    name = "scripted"
    backend = "in-process"

    def __init__(self, answer: str, delay: float = 0.0,
                 label_probs: dict[str, float] | None = None) -> None:
        self.answer = answer
        self.delay = delay
        self.calls: list[list[Message]] = []
        self.probs = label_probs or {"yes": 0.7, "no": 0.2, "maybe": 0.1}
        self.prefixes: list[str] = []
        self.label_calls: list[list[Message]] = []

    def label_probs(self, messages, prefix, labels):
        self.label_calls.append(messages)
        return dict(self.probs)

    @property
    def n_ctx(self) -> int:
        return 4096

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 4)

    def prompt_tokens(self, messages) -> int:
        return sum(self.count_tokens(m.content) for m in messages)

    def generate(self, messages, max_tokens, temperature, on_token=None, should_stop=None,
                 prefix="", **sampling):
        self.calls.append(messages)
        self.prefixes.append(prefix)
        pieces = [prefix] if prefix else []
        stats = GenerationStats(prompt_tokens=sum(self.count_tokens(m.content)
                                                  for m in messages))
        for piece in self.answer.split(" "):
            if should_stop and should_stop():
                stats.stopped = True
                break
            piece = (" " if pieces else "") + piece
            if self.delay:
                time.sleep(self.delay)
            pieces.append(piece)
            stats.completion_tokens += 1
            if on_token:
                on_token(piece)
        return Generation("".join(pieces), stats)

    def close(self) -> None:
        pass


def install(pipeline, llm) -> None:
    """Make ``pipeline`` use ``llm`` as its chat model (a models part given the model,
    as the constructor's ``chat=`` does)."""
    from assistant.answer.messages import prompt_prefix
    from assistant.llm.choice import Models

    pipeline.models.close()
    pipeline.models = Models(pipeline.settings, prompt_prefix, llm)
