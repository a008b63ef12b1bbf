"""How answers become Markdown in the chat: citations as links the app opens, the
unsupported mark, program-written text escaped, and links that never open by themselves."""

from __future__ import annotations

import re

from textual.widgets import Markdown

from assistant.pipeline import UNSUPPORTED


def linked_citations(text: str, valid: set[int]) -> str:
    """Turn valid ``[n]`` markers into Markdown links the app can open, the unsupported
    mark into emphasis and the verdict line into bold."""
    text = re.sub(r"\[(\d+)\]",
                  lambda m: f"[\\[{m.group(1)}\\]](cite:{m.group(1)})"
                  if int(m.group(1)) in valid else "", text)
    text = text.replace(UNSUPPORTED, "*\\[unsupported\\]*")
    return re.sub(r"^(Verdict: .*)$", r"**\1**", text, flags=re.MULTILINE)


MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|<>~-])")


def escape_markdown(text: str) -> str:
    """Text the program wrote (an abstention listing paper titles) shown as written: a
    title with ``*`` or ``[x](y)`` in it must not turn into emphasis or a link."""
    lines = []
    for line in text.split("\n"):
        bullet = "- " if line.startswith("- ") else ""
        lines.append(bullet + MARKDOWN_SPECIAL.sub(r"\\\1", line[len(bullet):]))
    return "\n".join(lines)


def answer_widget(text: str = "") -> Markdown:
    """An answer: links in it never open by themselves (the text comes from a model that
    read untrusted abstracts); the screen decides what a click does."""
    return Markdown(text, classes="answer", open_links=False)
