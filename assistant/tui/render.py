"""How answers become Markdown in the chat: citations as links the app opens, the
unsupported mark, program-written text escaped, and links that never open by themselves."""

from __future__ import annotations

import re

from textual.widgets import Markdown

from assistant.pipeline import UNSUPPORTED

CONTRADICTION = re.compile(r"\[contradicted by \[(\d+)\]: “([^”]*)”\]")


def linked_citations(text: str, valid: set[int]) -> str:
    """Turn valid ``[n]`` markers into Markdown links the app can open, the unsupported
    and contradicted marks into emphasis (the paper's own sentence escaped, as written)
    and the verdict line into bold."""
    text = CONTRADICTION.sub(
        lambda m: f"*\\[contradicted by* [\\[{m.group(1)}\\]](cite:{m.group(1)})*: "
                  f"“{escape_markdown(m.group(2))}”\\]*", text)
    text = re.sub(r"(?<!\\)\[(\d+)\](?!\()",
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


def checked_markdown(answer, notices: list[str]) -> str:
    """The checked answer as shown in the chat: citations linked, then whether it was
    stopped or failed, the model's notices and the count of unsupported claims."""
    valid = {c.n for c in answer.citations}
    generated = not (answer.abstained or answer.out_of_scope)
    text = (linked_citations(answer.text, valid) if generated
            else escape_markdown(answer.text)) or "*(no answer)*"
    if answer.stopped:
        text += "\n\n*(stopped)*"
    if answer.error:
        text += f"\n\n**Error:** {escape_markdown(answer.error)}"
    for note in notices + answer.notes:
        text += f"\n\n*{escape_markdown(note)}*"
    contradicted = sum(bool(c.contradicted_by) for c in answer.claims)
    if answer.unsupported - contradicted and not answer.abstained:
        text += (f"\n\n*{answer.unsupported - contradicted} claim(s) not supported by any "
                 "source are marked \\[unsupported\\].*")
    if contradicted and not answer.abstained:
        text += (f"\n\n*{contradicted} claim(s) that a paper says otherwise are marked "
                 "\\[contradicted by …\\].*")
    return text
