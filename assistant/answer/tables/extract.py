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

Then every row is verified against the abstract: the value is a span of its quoted
sentence by construction; a metric the abstract never names drops the row, a dataset,
condition or other method's name it never names is cleared; both are counted."""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from assistant.answer.entities import squash
from assistant.answer.evidence import paper_name
from assistant.answer.prompts import render, template_version
from assistant.answer.tables.candidates import Candidate, find_candidates
from assistant.llm.base import ChatModel, Message, ServerError
from assistant.llm.budget import fit_text
from assistant.settings import Settings
from assistant.sources import Paper

TEMPLATES = ("results_system", "results_user")
# the code that finds, labels and verifies values: a change to any of it makes cached
# results stale (its text is part of the cache key)
RULE_MODULES = ("candidates.py", "extract.py", "../evidence.py", "../entities.py",
                "../numerals.py")
# the longest name the model may write for a metric, dataset, condition or method
NAME_CHARS = 60
_STOP = frozenset("a an the of in on for to and or with by at as from vs versus its their "
                  "our this that these those than per into over under between among".split())


@dataclass
class ResultRow:
    """One reported figure of one paper, with the sentence that states it."""

    paper_id: str
    title: str
    task: str
    method: str  # whose figure: the paper's own method name, or the other method's
    own: bool
    metric: str
    dataset: str
    condition: str
    value: float
    value_text: str  # exactly as in the sentence ("4.23%", "14 million")
    unit: str
    qualifier: str
    sentence: str
    start: int  # where value_text starts in the abstract
    relative: bool = False  # a change against another ("2.3x faster"), not a level

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class PaperResults:
    """What the extraction kept of one paper, and what it dropped and why."""

    paper_id: str
    title: str
    task: str = ""
    method: str = ""
    rows: list[ResultRow] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)  # reason → how many
    candidates: int = 0
    model: str = ""
    seconds: float = 0.0
    note: str = ""
    cached: bool = False

    def to_dict(self) -> dict:
        return {**asdict(self), "rows": [r.to_dict() for r in self.rows]}

    @classmethod
    def from_dict(cls, data: dict) -> PaperResults:
        rows = [ResultRow(**r) for r in data.get("rows", [])]
        return cls(**{**data, "rows": rows})


def results_version() -> str:
    """The version of the templates and rules results are extracted with (part of the
    cache key)."""
    return f"{template_version(*TEMPLATES)}.{_rules_version()}"


def _rules_version() -> str:
    digest = hashlib.sha256()
    for name in RULE_MODULES:
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


def parse_table(text: str) -> dict:
    """The reply (table head included) as the paper's task and its rows."""
    rows, task = [], ""
    for line in text.splitlines():
        if line.startswith("Task:"):
            task = line[5:]
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and re.fullmatch(r"#\d+", cells[0]):
            names = [*cells[3:7], "", "", "", ""][:4]
            rows.append({"n": int(cells[0][1:]), "kind": cells[2], "by": names[0],
                         "metric": names[1], "dataset": names[2], "condition": names[3]})
    return {"task": task, "results": rows}


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+", text.casefold()) if w not in _STOP]


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def named_in(name: str, reference: str, share: float = 1.0) -> bool:
    """Whether the words of ``name`` occur in ``reference`` (case and plurals aside),
    all of them (or ``share`` of them): the model may shorten or reorder the abstract's
    words, never add its own."""
    known = {_stem(w) for w in _words(reference)}
    words = _words(name)
    return bool(words) and sum(_stem(w) in known for w in words) >= share * len(words)


# metric names abstracts write as abbreviations: the name counts as named where its
# abbreviation is written, as a word in capitals
_ABBREVIATIONS = {"odds ratio": "OR", "hazard ratio": "HR", "relative risk": "RR",
                  "risk ratio": "RR", "confidence interval": "CI", "standard deviation": "SD",
                  "area under the curve": "AUC", "interquartile range": "IQR"}
# a p-value is named by the "P =" written right before its number
_P_NAMES = re.compile(r"\bp(?: values?)?\b")
_P_BEFORE = re.compile(r"\bp\s*(?:-?\s*values?\s*)?(?:(?:of|was|were|is)\s*)?"
                       r"(?:[<>=≤≥]|<or =|>or =)?\s*$", re.IGNORECASE)


def metric_named(metric: str, reference: str, candidate: Candidate) -> bool:
    """Whether the abstract names ``metric``: its words are the abstract's, where a
    spelt-out name may stand for the abbreviation the abstract writes ("odds ratio" for
    "OR 2.1") and "p-value" is right for a number written after "P =" / "P<"."""
    if named_in(metric, reference):
        return True
    rest = " " + re.sub(r"[^a-z0-9]+", " ", metric.casefold()).strip() + " "
    for name, short in _ABBREVIATIONS.items():
        if re.search(rf"\b{short}\b", reference) and (
                f" {name} " in rest or f" {short.casefold()} " in rest):
            rest = rest.replace(f" {name} ", " ").replace(f" {short.casefold()} ", " ")
    if _P_BEFORE.search(candidate.sentence[:candidate.offset]):
        rest = _P_NAMES.sub(" ", rest)
    return not rest.strip() or named_in(rest, reference)


def _clean(text: object) -> str:
    """A cell as a name: id markers the model copied from the abstract taken out."""
    text = re.sub(r"\[#\d+\]", " ", str(text or ""))
    return re.sub(r"\s+", " ", text).strip().strip(".,;")


def verify(reply: dict, candidates: list[Candidate], paper: Paper
           ) -> tuple[list[ResultRow], dict[str, int], str, str]:
    """The rows of a parsed reply that the abstract bears out, what was dropped or
    cleared (by reason), and the paper's task and method as the abstract names them."""
    reference = f"{paper.title}\n{paper.abstract}"
    by_id = {c.n: c for c in candidates}
    dropped: dict[str, int] = {}

    def count(reason: str) -> None:
        dropped[reason] = dropped.get(reason, 0) + 1

    def checked(name: str, reason: str, share: float = 1.0) -> str:
        name = _clean(name)
        if name and not named_in(name, reference, share):
            count(reason)
            return ""
        return name

    # a task is described, not named: most of its words must be the abstract's
    task = checked(reply.get("task", ""), "task not in the abstract", share=0.6)
    method = paper_name(paper.title)
    rows: list[ResultRow] = []
    seen: set[int] = set()
    for item in reply.get("results", []):
        candidate = by_id.get(int(item.get("n", 0)))
        if candidate is None or candidate.n in seen:
            count("repeated number")
            continue
        seen.add(candidate.n)
        if item.get("kind", "result") != "result":
            count(f"not a result ({item['kind']})")
            continue
        metric = _clean(item.get("metric"))
        if not metric or not metric_named(metric, reference, candidate):
            count("metric not in the abstract")
            continue
        by = _clean(item.get("by"))
        own = by.casefold() in ("", "own", "ours", "this paper") or (
            bool(method) and squash(by).startswith(squash(method)))
        who = method if own else checked(by, "other method not in the abstract")
        rows.append(ResultRow(
            paper_id=paper.id, title=paper.title, task=task, method=who, own=own,
            metric=metric, dataset=checked(item.get("dataset"), "dataset not in the abstract"),
            condition=checked(item.get("condition"), "condition not in the abstract"),
            value=candidate.value, value_text=candidate.text, unit=candidate.unit,
            qualifier=candidate.qualifier, sentence=candidate.sentence,
            start=candidate.start, relative=candidate.relative))
    return rows, dropped, task, method


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
    messages, ids, out.note = results_messages(llm, paper, candidates, limit, settings.n_ctx)
    text, complete = write_table(llm, messages, ids, {c.n: c.text for c in candidates},
                                 limit, settings.top_p)
    out.rows, out.dropped, out.task, out.method = verify(
        parse_table(text), [c for c in candidates if c.n in ids], paper)
    if not complete:
        out.dropped["reply cut at the token limit"] = 1
    out.seconds = round(time.perf_counter() - start, 3)
    return out


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
