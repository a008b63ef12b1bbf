"""What of the model's results table the abstract bears out. The model only sorts
numbers (:mod:`.extract`); these rules decide which of its rows are shown: the value is a
span of its quoted sentence by construction; a row whose number is no result, or whose
metric the abstract never names, is dropped; a dataset, condition or other method's name
the abstract never names is cleared; each is counted by reason.

The rules are applied to the model's stored reply each time a paper's results are read
(also from the cache): they are not part of the cache key, and changing them needs no
model work."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from assistant.answer.entities import squash
from assistant.answer.evidence import paper_name
from assistant.answer.tables.candidates import Candidate, find_candidates
from assistant.answer.tables.pairs import (
    bounds,
    compared,
    denominators,
    no_finding,
    shares,
    without_list,
)
from assistant.index.terms import stem
from assistant.sources import Paper

_STOP = frozenset("a an the of in on for to and or with by at as from vs versus its their "
                  "our this that these those than per into over under between among".split())
CUT = "reply cut at the token limit"


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
    # the model's table as written and the ids its prompt showed: the rows are derived
    # from them by :func:`check_reply`, again on every read from the cache, so a change
    # of the rules never needs the model again
    reply: str = ""
    shown: list[int] = field(default_factory=list)
    complete: bool = True

    def to_dict(self) -> dict:
        return {**asdict(self), "rows": [r.to_dict() for r in self.rows]}

    @classmethod
    def from_dict(cls, data: dict) -> PaperResults:
        rows = [ResultRow(**r) for r in data.get("rows", [])]
        return cls(**{**data, "rows": rows})


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


def named_in(name: str, reference: str, share: float = 1.0) -> bool:
    """Whether the words of ``name`` occur in ``reference`` (case and endings aside: the
    keyword index's stemmer, so "correlation" is named by "correlated"), all of them (or
    ``share`` of them): the model may shorten, reorder or inflect the abstract's words,
    never add its own."""
    known = {stem(w) for w in _words(reference)}
    words = _words(name)
    return bool(words) and sum(stem(w) in known for w in words) >= share * len(words)


# metric names abstracts write as abbreviations: the name counts as named where its
# abbreviation is written, as a word in capitals
_ABBREVIATIONS = {"odds ratio": "OR", "hazard ratio": "HR", "relative risk": "RR",
                  "risk ratio": "RR", "confidence interval": "CI", "standard deviation": "SD",
                  "area under the curve": "AUC", "interquartile range": "IQR"}
# a p-value is named by the "P =" written right before its number
_P_NAMES = re.compile(r"\bp(?: values?)?\b")
_P_BEFORE = re.compile(r"\bp\s*(?:-?\s*values?\s*)?(?:(?:of|was|were|is)\s*)?"
                       r"(?:[<>=≤≥]|<or =|>or =)?\s*$", re.IGNORECASE)

# a p-value as the sentence writes one: "P = 0.002", "p<0.001", "p-value of 0.03" (not
# the 1 of the allergen "Der p 1", nor the setting "top-p = 0.95")
_P_WRITTEN = re.compile(r"(?<![-\w])p\s*(?:-?\s*values?\s*(?:of|was|were|is|[<>=≤≥])?|"
                        r"[<>=≤≥]|<or =|>or =)\s*$", re.IGNORECASE)


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


# a metric written as an abbreviation right before the number ("OR = 9.2", "AUC of 0.91")
_WRITTEN_BEFORE = {"OR": "odds ratio", "aOR": "odds ratio", "AOR": "odds ratio",
                   "HR": "hazard ratio", "RR": "relative risk", "AUC": "AUC"}
_ABBREVIATION_BEFORE = re.compile(r"\b(" + "|".join(_WRITTEN_BEFORE) + r")\s*(?:[=:]|of|was)?"
                                  r"\s*$")


# what a change is in, in the sentence's words: "2.3x reduction in model parameters",
# "641x fewer multiply-add operations", "20 times more labelled data", "1.5x faster"
_CHANGE = re.compile(r"(?:\s*(?:times|fold|x|×))?\s+((?:faster|slower|fewer|less|more|higher|"
                     r"lower|better|smaller|larger|reduction|improvement|gain|speed-?up|"
                     r"increase|decrease)(?:\s+(?!than\b|over\b|compared\b|while\b|whilst\b|"
                     r"and\b|with\b|on\b|at\b|for\b)[A-Za-z][\w-]*){0,4})", re.IGNORECASE)
# what a count of a model's size counts, written after it ("175B parameters") or before
# ("parameter sizes ranging from 14 million to 1.4 billion")
_MODEL_SIZE = re.compile(r"\b(parameters?|params|FLOPs|MACs)\b", re.IGNORECASE)
_LARGE = frozenset(("M", "B", "million", "billion"))
# a bound is a budget chosen, not a size reported ("<600M MACs", "under 5M parameters")
_BOUNDS = frozenset(("<", ">", "≤", "≥", "<or =", ">or =", "up to", "less than", "at most",
                     "under", "below", "above", "more than", "at least"))


def written_metric(candidate: Candidate) -> str:
    """The metric the sentence itself writes for the number, or "" (a model may name a
    metric in words the abstract does not use, or sort a number as no result): an
    abbreviation right before it, spelt out ("OR = 9.2": "odds ratio"; "P = 0.002 and
    0.001": "p-value", each member of the list); for a change
    against another, the words of the change ("641x fewer multiply-add operations");
    for a count in millions or billions in a sentence about parameters, "parameters"
    (unless it is a bound: "<600M MACs" is a budget)."""
    before = candidate.sentence[:candidate.offset]
    found = _ABBREVIATION_BEFORE.search(before)
    if found:
        return _WRITTEN_BEFORE[found.group(1)]
    if _P_WRITTEN.search(without_list(before)) and not candidate.unit \
            and 0 <= candidate.value <= 1:
        return "p-value"
    if candidate.relative:
        change = _CHANGE.match(candidate.sentence, candidate.offset + len(candidate.text))
        if change:
            return change.group(1)
    size = _MODEL_SIZE.search(candidate.sentence)
    if candidate.unit in _LARGE and size and candidate.qualifier.casefold() not in _BOUNDS:
        return size.group(1)
    return ""


def _without_own_number(metric: str, candidate: Candidate) -> str:
    """The metric without the number it is the metric of, where the model began it so
    ("12 patients required hormonal replacement" for "Twelve of 41 patients required
    …"): the number is the row's value, not a word the abstract must name."""
    value = candidate.value
    written = {candidate.text.casefold(), f"{value:g}"}  # "Twelve", "0.5", "12"
    if value.is_integer():
        written.add(str(int(value)))  # "1000000", which :g writes "1e+06"
    for number in written:
        found = re.match(rf"{re.escape(number)}\s*%?\s+(?=[A-Za-z])", metric, re.IGNORECASE)
        if found:
            return metric[found.end():]
    return metric


def _results(items: dict[int, dict], candidates: list[Candidate], reference: str,
             count: Callable[[str], None]) -> dict[int, dict]:
    """The numbers that are results, each with the cells of its row, in order: those
    the model calls a result whose metric the abstract names (or the sentence writes:
    :func:`written_metric`; a percentage whose metric it names in words the abstract
    does not use is kept with the metric cleared: "71% of the cases", where the model
    wrote "success rate"), less denominators ("66" of "43 of 66": how many were
    counted in), the bounds of a range ("range 2-57"), and conditions of the study
    (:func:`~.pairs.no_finding`: "at least 1 polyp", "P < 0.05 was considered
    significant", "69 cases were included", follow-up times); plus a count or
    share the model sorted apart from the other half of its pair ("24 patients (21%)":
    one finding, the row of the half that is a result), and a change against another, a
    model's size or a written p-value, whatever kind the model gave it (unless it is a
    spread or a condition of the study)."""
    by_id = {c.n: c for c in candidates}
    under, pairs, spread = denominators(candidates), shares(candidates), bounds(candidates)
    tested = compared(candidates)
    kept: dict[int, dict] = {}
    for n, item in items.items():
        if item.get("kind", "result") != "result":
            continue
        metric = _without_own_number(_clean(item.get("metric")), by_id[n])
        if n in under:
            count("a denominator (the N of X of N)")
        elif n in spread:
            count("a bound of a range or interval")
        elif why := no_finding(by_id[n]):
            count(why)
        elif metric and metric_named(metric, reference, by_id[n]):
            kept[n] = {**item, "metric": metric}
        elif written := written_metric(by_id[n]):
            kept[n] = {**item, "metric": written}
        elif by_id[n].unit in ("%", "percent"):  # a share: its unit says what it is
            count("metric not in the abstract (cleared)")
            kept[n] = {**item, "metric": ""}
        else:
            count("metric not in the abstract")
    for n, item in items.items():
        kind = item.get("kind", "result")
        if kind == "result":
            continue
        if n in under or n in spread or no_finding(by_id[n]):
            count(f"not a result ({kind})")
        elif pairs.get(n) in kept:
            kept[n] = {**kept[pairs[n]], "kind": "result"}
        elif written := written_metric(by_id[n]):  # a change, a size, a p-value: results
            kept[n] = {"by": "", "metric": written}
        elif n in tested:
            count("a side of a tested comparison (shown, no metric)")
            kept[n] = {"by": "", "metric": ""}
        elif n in pairs and _counted_outcome(by_id[pairs[n]], items, under):
            count("a count and its share, neither called a result (shown, no metric)")
            kept[n] = {"by": "", "metric": ""}
        else:
            count(f"not a result ({kind})")
    return dict(sorted(kept.items()))


def _counted_outcome(other: Candidate, items: dict[int, dict], under: dict[int, int]) -> bool:
    """Whether a count and the share written with it ("51 patients (18.0%) had
    recurrence"), neither of which the model called a result, are shown all the same:
    written so, they report how many had an outcome far more often than who was
    studied (on the PubMedQA set, 22 such pairs labelled results, 4 baseline
    characteristics) — unless the other half is a denominator or a condition (the
    caller has already set ``one`` apart when it is either)."""
    return other.n in items and items[other.n].get("kind", "result") != "result" \
        and other.n not in under and not no_finding(other)


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
    items: dict[int, dict] = {}
    for item in reply.get("results", []):
        candidate = by_id.get(int(item.get("n", 0)))
        if candidate is None or candidate.n in items:
            count("repeated number")
            continue
        items[candidate.n] = item
    rows: list[ResultRow] = []
    for n, item in _results(items, candidates, reference, count).items():
        candidate = by_id[n]
        metric = item["metric"]
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


def check_reply(paper: Paper, result: PaperResults) -> PaperResults:
    """``result`` with its rows, task, method and drop counts derived from its stored
    reply under the current rules."""
    candidates = [c for c in find_candidates(paper.abstract) if c.n in set(result.shown)]
    result.rows, result.dropped, result.task, result.method = verify(
        parse_table(result.reply), candidates, paper)
    if not result.complete:
        result.dropped[CUT] = 1
    return result
