"""One paper's reported results: the model sorts the numbers the rule-based pass found
into a markdown table, one row per number: its kind (a result, or a sample size, a
characteristic of who was studied, a setting, a count) and, for a result, whose it is,
what it measures, on which data and under which condition. The table is written a row
at a time: each row's id and number are given, and a grammar lets the model write only
that row's cells, so the reply always parses, cannot skip, repeat or loop, and the
given tokens are read in a batch rather than sampled (a table costs half the tokens of
JSON, and a 2-core laptop writes ~11 constrained tokens a second); asking for every
number's kind makes a small model leave out what is not a result, which it does not do
when merely told to.

The reply is kept as written; which of its rows the abstract bears out is decided by
:mod:`.verify`, whose rules are not part of the cache key."""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path

from assistant.answer.prompts import render, template_version
from assistant.answer.tables.candidates import Candidate, find_candidates
from assistant.answer.tables.verify import PaperResults, check_reply
from assistant.llm.base import ChatModel, Message, ServerError
from assistant.llm.budget import fit_text
from assistant.settings import Settings
from assistant.sources import Paper

TEMPLATES = ("results_system", "results_user")
# the code that finds and marks the numbers and writes the table: a change to any of it
# makes cached replies stale (its text is part of the cache key); the rules that check
# the rows (verify.py) are applied at every read instead
PROMPT_MODULES = ("candidates.py", "extract.py", "../evidence.py", "../numerals.py")
# the longest name the model may write for a metric, dataset, condition or method
NAME_CHARS = 60


def results_version() -> str:
    """The version of the templates and code a reply is written with (part of the cache
    key)."""
    return f"{template_version(*TEMPLATES)}.{_code_version()}"


def _code_version() -> str:
    digest = hashlib.sha256()
    for name in PROMPT_MODULES:
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()[:12]


def marked_abstract(abstract: str, candidates: list[Candidate]) -> str:
    """The abstract with each candidate number followed by its id ("4.23% [#1]")."""
    out, cursor = [], 0
    for c in candidates:
        out += [abstract[cursor:c.end], f" [#{c.n}]"]
        cursor = c.end
    return "".join(out) + abstract[cursor:]


TABLE_HEAD = ("| id | value | kind | by | metric | dataset | condition |\n"
              "|---|---|---|---|---|---|---|\n")
# what a number may be besides a result: its row then names nothing else
OTHER_KINDS = ("size", "characteristic", "setting", "count")


def row_grammar() -> str:
    """A llama.cpp grammar for one row's cells after its given ``| #n | value |``: a
    result with its four names, or one of :data:`OTHER_KINDS` and nothing more (few
    tokens). Cells are short and free of ``|``, so whatever the model writes reads back
    as a row."""
    others = " | ".join(f'"{kind}"' for kind in OTHER_KINDS)
    return "\n".join(['root ::= " result | " cell " | " cell " | " cell " | " cell " |\\n" '
                      '| " " other " |\\n"', f"other ::= {others}", _CELL_RULE])


def task_grammar() -> str:
    """The paper's task after ``Task: ``: one short line."""
    return "\n".join(['root ::= " " cell "\\n"', _CELL_RULE])


_CELL_RULE = f"cell ::= [^|\\n]{{0,{NAME_CHARS}}}"
# the most tokens one row's cells may take (four names of NAME_CHARS characters)
ROW_TOKENS = 96
# what a row takes on average at most: the given "| #12 | 4.5% |" (digits are a token
# each) and a result's cells; 32 cut one PubMedQA table of 15 numbers short
TOKENS_PER_NUMBER = 48


def _cell(text: str) -> str:
    """A value as a table cell: one line, no ``|``."""
    return re.sub(r"\s+", " ", text.replace("|", "/")).strip()


def results_prefix(llm: ChatModel) -> str:
    """The fixed start of every extraction prompt (instructions, worked example), whose
    evaluated state is cached on disk like the answers' (see ``ChatModel.warm_prefix``)."""
    marker = "\u0000ABSTRACT\u0000"
    prompt, _stop = llm.format_prompt([Message("system", render("results_system")),
                                       Message("user", marker)])
    return prompt.split(marker)[0]


def results_messages(llm: ChatModel, paper: Paper, candidates: list[Candidate],
                     limit: int, n_ctx: int) -> tuple[list[Message], list[int], str]:
    """The prompt (the marked abstract cut to fit beside the reply's ``limit``), the ids
    the cut text still shows, and a note when it had to be cut."""
    def build(text: str) -> list[Message]:
        return [Message("system", render("results_system")),
                Message("user", render("results_user", title=paper.title, marked=text))]

    room = n_ctx - limit - llm.prompt_tokens(build("")) - 8
    fitted, cut = fit_text(marked_abstract(paper.abstract, candidates), room,
                           llm.count_tokens)
    ids = [c.n for c in candidates if f"[#{c.n}]" in fitted]
    note = f"abstract truncated to about {room} tokens to fit the model's context" if cut else ""
    return build(fitted), ids, note


def extract_results(llm: ChatModel, paper: Paper, settings: Settings) -> PaperResults:
    """One paper's verified results table (no model call when it states no number)."""
    start = time.perf_counter()
    candidates = find_candidates(paper.abstract)
    out = PaperResults(paper_id=paper.id, title=paper.title, candidates=len(candidates),
                       model=llm.name)
    if not candidates:
        return out
    # every number gets a row: room for ~48 tokens a number (its given id and value, a
    # result's four names), at least the setting
    limit = min(max(settings.results_max_tokens, TOKENS_PER_NUMBER * len(candidates) + 16),
                settings.n_ctx // 2)
    messages, out.shown, out.note = results_messages(llm, paper, candidates, limit,
                                                     settings.n_ctx)
    out.reply, out.complete = write_table(llm, messages, out.shown,
                                          {c.n: c.text for c in candidates}, limit,
                                          settings.top_p)
    out.seconds = round(time.perf_counter() - start, 3)
    return check_reply(paper, out)


def write_table(llm: ChatModel, messages: list[Message], ids: list[int],
                values: dict[int, str], limit: int, top_p: float) -> tuple[str, bool]:
    """The table, a row at a time: each row's ``| #n | value |`` is written for the
    model (it labels the number it is shown, can neither skip nor repeat one, and those
    tokens are read in one batch instead of sampled one by one), then its cells under
    :func:`row_grammar`; last the task line. Whether it was written whole within
    ``limit`` tokens (a cut table keeps its rows)."""
    text, used = TABLE_HEAD, 0
    # a given part ends before the space the model's next word starts with: a prompt
    # ending in a space is split unlike the text the model writes after it
    row = row_grammar()
    steps = [(f"| #{n} | {_cell(values.get(n, ''))} |", row) for n in ids]
    for forced, grammar in [*steps, ("Task:", task_grammar())]:
        forced_tokens = llm.count_tokens(forced)
        if used + forced_tokens + ROW_TOKENS > limit:
            return text, False
        generation = llm.generate(messages, ROW_TOKENS, 0.0, prefix=text + forced,
                                  top_p=top_p, repeat_penalty=1.0, grammar=grammar)
        if generation.stats.error:  # a half table is not kept (nor cached)
            raise ServerError(generation.stats.error)
        used += forced_tokens + generation.stats.completion_tokens
        text = generation.text
    return text, True
