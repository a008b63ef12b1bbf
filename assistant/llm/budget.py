"""Context budget: every prompt must fit the model's context window with room for the
reply. Callers shrink what they can (history, an oversized abstract) and say so; what
still does not fit is a one-line :class:`ContextError`, never a llama.cpp ``ValueError``
in the middle of a batch."""

from __future__ import annotations

from collections.abc import Callable

from assistant.errors import AssistantError

TRUNCATION_MARK = " …"


class ContextError(AssistantError):
    """A prompt does not fit the model's context window."""


def check_fits(prompt_tokens: int, reply_tokens: int, n_ctx: int, what: str = "prompt"
               ) -> None:
    """Raise ContextError unless ``prompt_tokens`` plus the reply fit in ``n_ctx``."""
    if prompt_tokens + reply_tokens > n_ctx:
        raise ContextError(f"the {what} is {prompt_tokens} tokens; with {reply_tokens} for "
                           f"the reply that exceeds the model's context of {n_ctx} tokens "
                           "(shorten it, or raise n_ctx in the settings)")


def fit_text(text: str, max_tokens: int, count: Callable[[str], int]) -> tuple[str, bool]:
    """``text`` cut at a word boundary to at most ``max_tokens`` (by ``count``), and
    whether it was cut. A binary search over words: a few tokenizer calls, not one per
    word."""
    if max_tokens <= 0:
        return "", bool(text)
    if count(text) <= max_tokens:
        return text, False
    words = text.split(" ")
    low, high = 0, len(words)
    while low < high:
        mid = (low + high + 1) // 2
        if count(" ".join(words[:mid]) + TRUNCATION_MARK) <= max_tokens:
            low = mid
        else:
            high = mid - 1
    return " ".join(words[:low]) + TRUNCATION_MARK, True
