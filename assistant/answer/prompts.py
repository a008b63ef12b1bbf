"""Prompt templates (Jinja2 files in ``prompts/``), shipped inside the wheel as
``assistant/prompts`` and read from the repo's ``prompts/`` in a source checkout."""

from __future__ import annotations

import hashlib
import re
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from assistant.settings import PACKAGE_DIR, REPO_DIR


def prompts_dir() -> Path:
    for candidate in (REPO_DIR / "prompts", PACKAGE_DIR / "prompts"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("prompt templates not found (prompts/)")


# Chat-template control tokens of the model families we run (ChatML/Qwen, Gemma, Llama,
# Mistral) and the tags that quote data in our prompts: inside quoted text none of them
# may survive, or an abstract could close its quote or open a new turn.
CONTROL = re.compile(r"<\|[^|>]{1,40}\|>|</?(?:start_of_turn|end_of_turn|bos|eos|s)>"
                     r"|\[/?INST\]|<</?SYS>>|</?(?:source|abstract)\b", re.IGNORECASE)


def data(text: object) -> str:
    """Text quoted into a prompt as data: control tokens and quoting tags defused (``<``
    becomes ``‹``); nothing else changes."""
    return CONTROL.sub(lambda m: m.group(0).replace("<", "‹").replace(">", "›")
                       .replace("[", "⟦").replace("]", "⟧"), str(text))


def attr(text: object) -> str:
    """:func:`data` for a quoted attribute value (a title): its double quotes softened."""
    return data(text).replace('"', "'")


# Sentences in a source that speak to the model rather than report research: instructions
# to an assistant, to ignore rules, to reply or cite in a set way. Real abstracts do not
# address their reader's software; such a sentence is removed from what the model reads.
STEERING = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.!?]{0,60}\b(?:instruction|rule|prompt|"
    r"question|above|previous|guideline)"
    r"|\b(?:AI|language model|LLM|chatbot|assistant|GPT|system)\s+(?:override|prompt|note|"
    r"instruction|message)\b"
    r"|^\s*(?:[A-Z]+:\s*)?(?:the\s+)?(?:AI|LLM|chatbot|assistant|GPT)\s*:"
    r"|\bnote to (?:the )?(?:assistant|AI|model|reader[s]? using)"
    r"|\b(?:you|assistant|model)\s+(?:must|should|are instructed to|will)\s+(?:now\s+)?"
    r"(?:answer|reply|respond|say|cite|write|output|print|end|start|ignore)"
    r"|\b(?:reply|respond|answer)\s+(?:only\s+)?(?:with|using)\s+(?:the\s+)?"
    r"(?:single\s+|one\s+|only\s+)?word"
    r"|\b(?:answer|reply|respond)\s+['\"]?(?:yes|no|maybe)['\"]?\s*(?:,|and|regardless|no matter)"
    r"|\bcite (?:this|it|the abstract|the paper)? ?as \[\d+\]"
    r"|\bend (?:your|the) answer with\b"
    r"|\bregardless of (?:the )?(?:evidence|question|sources|instructions)",
    re.IGNORECASE | re.MULTILINE)
STEERING_NOTE = "[a sentence addressed to AI assistants was removed]"
_SENTENCES = re.compile(r"[^.!?]+(?:[.!?]+[\"')\]]*|$)\s*")


def defuse_steering(text: str) -> tuple[str, int]:
    """``text`` with every sentence that addresses the model replaced by a note, and how
    many were replaced."""
    count = 0

    def keep(sentence: str) -> str:
        nonlocal count
        if STEERING.search(sentence):
            count += 1
            return STEERING_NOTE + (" " if sentence.endswith((" ", "\n")) else "")
        return sentence

    out = "".join(keep(m.group(0)) for m in _SENTENCES.finditer(text))
    return (out if count else text), count


_FILTER_STEERING: ContextVar[bool] = ContextVar("filter_steering", default=True)


@contextmanager
def steering_filter(enabled: bool):
    """Switch the steering filter off (benchmarks measure the prompt's quoting alone)."""
    token = _FILTER_STEERING.set(enabled)
    try:
        yield
    finally:
        _FILTER_STEERING.reset(token)


def source(text: object) -> str:
    """A paper's text quoted into a prompt: :func:`data`, with steering sentences removed."""
    quoted = data(text)
    return defuse_steering(quoted)[0] if _FILTER_STEERING.get() else quoted


@lru_cache(maxsize=1)
def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(str(prompts_dir())), undefined=StrictUndefined,
                      keep_trailing_newline=False, trim_blocks=True, lstrip_blocks=True,
                      auto_reload=False)
    env.filters["data"] = data
    env.filters["attr"] = attr
    env.filters["source"] = source
    return env


def render(name: str, **values: object) -> str:
    """Render ``prompts/<name>.j2``; surrounding whitespace is stripped."""
    return _environment().get_template(f"{name}.j2").render(**values).strip()


def template_version(*names: str) -> str:
    """A hash of the templates' text: caches keyed on it go stale when a prompt changes."""
    digest = hashlib.sha256()
    for name in names:
        digest.update((prompts_dir() / f"{name}.j2").read_bytes())
    return digest.hexdigest()[:12]
