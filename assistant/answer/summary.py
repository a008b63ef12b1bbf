"""One paper's summary: the prompt (its abstract cut to fit the context), the model's
labelled reply read into fields, and the check of those fields against the abstract (a
number it does not give, a claim it does not support)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.answer.attribution import Attribution, SourceText, invented_numbers
from assistant.answer.prompts import render, template_version
from assistant.llm.base import ChatModel, Message, ServerError
from assistant.llm.budget import fit_text
from assistant.settings import Settings
from assistant.sources import Paper

STYLES = {"structured": "summary_system", "tldr": "tldr_system"}
FIELDS = ("tldr", "problem", "method", "results")
LABELS = {"tl;dr": "tldr", "tldr": "tldr", "problem": "problem", "method": "method",
          "results": "results", "result": "results"}
__all__ = ["FIELDS", "STYLES", "PaperSummary", "parse_summary", "summarize_paper",
           "template_version"]

Check = Callable[[str, list[SourceText]], Attribution]


@dataclass
class PaperSummary:
    """What the model wrote of one paper, and what its abstract does not back."""

    fields: dict[str, str]
    invented_numbers: list[str] = field(default_factory=list)
    unsupported_claims: list[str] = field(default_factory=list)
    model: str = ""
    note: str = ""  # e.g. the abstract was truncated to fit the model's context
    seconds: float = 0.0


def parse_summary(text: str) -> dict[str, str]:
    """Read 'Label: value' lines; a reply without labels becomes the TL;DR."""
    out: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        match = re.match(r"\s*[*#-]*\s*(tl;dr|tldr|problem|method|results?)\s*[*]*\s*:"
                         r"\s*[*]*\s*(.*)", line, re.IGNORECASE)
        if match:
            current = LABELS[match.group(1).lower()]
            out[current] = match.group(2).strip()
        elif current and line.strip():
            out[current] = (out[current] + " " + line.strip()).strip()
    if not out and text.strip():
        out["tldr"] = text.strip().splitlines()[0]
    return out


def summary_messages(llm: ChatModel, system: str, title: str, abstract: str, limit: int,
                     n_ctx: int) -> tuple[list[Message], str]:
    """The prompt with the abstract cut to fit the context window (beside the reply's
    ``limit``), and a note saying so when it had to be cut."""
    def build(text: str) -> list[Message]:
        return [Message("system", render(system)),
                Message("user", render("summary_user", title=title, abstract=text))]

    room = n_ctx - limit - llm.prompt_tokens(build("")) - 8
    fitted, cut = fit_text(abstract, room, llm.count_tokens)
    note = (f"abstract truncated to about {room} tokens to fit the model's context"
            if cut else "")
    return build(fitted), note


def summarize_paper(llm: ChatModel, paper: Paper, style: str, settings: Settings,
                    check: Check) -> PaperSummary:
    """Summarise one paper and check the summary against its own abstract."""
    start = time.perf_counter()
    # A TL;DR is one sentence; the lower cap also stops a rambling small model.
    limit = settings.tldr_max_tokens if style == "tldr" else settings.summary_max_tokens
    messages, note = summary_messages(llm, STYLES[style], paper.title, paper.abstract, limit,
                                      settings.n_ctx)
    generation = llm.generate(messages, limit, 0.0, top_p=settings.top_p,
                              repeat_penalty=settings.repeat_penalty)
    if generation.stats.error:  # a half summary is not kept (nor cached)
        raise ServerError(generation.stats.error)
    fields_ = parse_summary(generation.text)
    text = " ".join(fields_.get(f, "") for f in FIELDS)
    checked = check("\n".join(fields_.get(f, "") for f in FIELDS),
                    [SourceText(1, paper.title, paper.abstract)])
    return PaperSummary(
        fields=fields_,
        invented_numbers=invented_numbers(text, paper.title + " " + paper.abstract),
        unsupported_claims=[c.text for c in checked.claims if not c.supported],
        model=llm.name, note=note, seconds=round(time.perf_counter() - start, 3))
