"""Choose what the model reads: numbered sources trimmed to a token budget.

On a 2-core laptop every prompt token costs ~13 ms before the first answer token, so
instead of pasting whole abstracts each source gets its share of the budget, filled with
its sentences that best match the question (kept in their original order).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from assistant.answer.entities import number_units
from assistant.index.search import Hit
from assistant.index.store import Store
from assistant.index.terms import bm25_tokenize
from assistant.settings import Settings
from assistant.sources.records import paper_name

# Questions that ask for figures: sentences with numbers then matter most.
QUANTITATIVE_RE = re.compile(
    r"\bhow (fast|many|much|accurate|large|big|long|well|quick|small)\b|"
    r"\b(speed|accuracy|fps|latency|throughput|results?|performance|numbers?|size)\b",
    re.IGNORECASE)
# What kind of figure a question asks for, and the units (as ``entities.number_units``
# writes them: "178 fps" → fps, "1.4 billion" → b, "83.6%" → %) that measure it: a
# sentence with several figures of that kind is the paper's results sentence for it.
ASKED_UNITS = [
    (re.compile(r"\bhow (?:fast|quick)\b|\b(?:speed|speed-?ups?|faster|latency|throughput|fps|"
                r"real-time)\b", re.I), frozenset("fps ms s sec second hz x".split())),
    (re.compile(r"\bhow (?:large|big|small)\b|\b(?:size|parameters?|params|flops|macs|memory)\b",
                re.I), frozenset("m b k param parameter mb gb flop gflop mac".split())),
    (re.compile(r"\bhow (?:accurate|well)\b|\b(?:accuracy|error|top-?1|ap|miou|f1|auc)\b",
                re.I), frozenset("% point pp".split())),
]
# the words that make a sentence a question, which no sentence shares by topic
_QUESTION_WORDS_RE = re.compile(r"\b(?:which|what|who|whom|whose|when|where|why|how|did|"
                                r"does|do|is|are|was|were|can|could|there)\b", re.I)
# A figure: a number not glued to a name ("v2", "YOLOv3", "ResNet-50", "10^{19}" are parts
# of names or notation, not measurements) and not a dimension ("3D", "2D-aware").
QUANTITY_RE = re.compile(r"(?<![A-Za-z_^{.\d])(?<![A-Za-z]-)\d+(?:[.,]\d+)*(?![.,]?\d)"
                         r"(?![dD]\b)")
# a sentence ends at . ! ? before a capital, a digit, an opening quote or bracket, or a
# name written with a small first letter ("iDisc", "reCAPTCHA", "mRNA") — not after an
# abbreviation that a number or name follows ("59% vs. 19%", "e.g. BERT", "Smith et al.
# (2019)", "Fig. 2"), nor before such a name after one that ends no sentence there
# ("… resp. mAP drops", "Eq. nDCG")
SENTENCE_RE = re.compile(r"(?<=[.!?])(?<!\bvs\.)(?<!\bVs\.)(?<!\be\.g\.)(?<!\bi\.e\.)"
                         r"(?<!\bal\.)(?<!\bFig\.)(?<!\bfig\.)(?<!\bca\.)(?<!\bcf\.)"
                         r"(?<!\bapprox\.)(?:\s+(?=[A-Z0-9\"'(\[])|(?<!\betc\.)(?<!\bresp\.)"
                         r"(?<!\b[Ee]q\.)(?<!\bNo\.)(?<!\bno\.)(?<!\b[Ss]ec\.)\s+(?=[a-z]+[A-Z]))")


@dataclass
class Source:
    """One numbered source as given to the model."""

    n: int
    paper_id: str
    title: str
    text: str
    score: float
    year: int | None = None
    url: str = ""
    chunk_ids: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"n": self.n, "id": self.paper_id, "title": self.title,
                "score": round(self.score, 6), "year": self.year, "url": self.url}


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_RE.split(text) if s.strip()]


def short_name(title: str) -> str:
    """:func:`paper_name`, lower-cased (for matching it in sentences)."""
    return paper_name(title).lower()


def best_sentences(text: str, question: str, budget: int,
                   count_tokens: Callable[[str], int], title: str = "",
                   tuning: Settings | None = None, best_paper: bool = True) -> str:
    """The text itself if it fits, else its best-matching sentences within ``budget``.

    A sentence scores for question terms it shares, for figures (results; much more when
    the question asks for figures, and more again for a sentence that states several: a
    paper's results sentence lists its measurements, and often shares no word with "how
    fast"), for naming the paper's method, and for being the first (the problem
    statement); the weights are ``evidence_*`` settings. The extra for several figures is
    the ``best_paper``'s only: another paper's results sentence in the asked units is the
    figures the small model mixes up ("up to 8x faster", from a neighbour's "1.5x
    faster … 2.6x faster", for a paper that reports 21x).
    """
    tuning = tuning or Settings.defaults()
    sentences = list(dict.fromkeys(split_sentences(text)))
    text = " ".join(sentences)
    if count_tokens(text) <= budget:
        return text
    chosen = within(ranked(sentences, question, title, tuning, best_paper), budget,
                    count_tokens)
    if not chosen:
        return sentences[0][: budget * 4] if sentences else ""
    return joined(chosen)


def ranked(sentences: list[str], question: str, title: str, tuning: Settings,
           best_paper: bool = True, lead: bool = True) -> list[tuple[float, int, str]]:
    """``sentences`` scored for ``question`` (see :func:`best_sentences`), best first, as
    (score, index, sentence); ``lead``: the first sentence is the abstract's first."""
    terms = set(bm25_tokenize([question])[0])
    name = short_name(title)
    asks_figures = bool(QUANTITATIVE_RE.search(question))
    units = asked_units(question) if best_paper else frozenset()
    scored = []
    for index, sentence in enumerate(sentences):
        words = bm25_tokenize([sentence])[0]
        overlap = len(terms.intersection(words))
        has_number = figure_score(sentence, asks_figures, units, tuning)
        names_method = tuning.evidence_name_bonus if name and name in sentence.lower() else 0.0
        first = tuning.evidence_lead_bonus if lead and index == 0 else 0.0
        scored.append((overlap + has_number + names_method + first, index, sentence))
    return sorted(scored, key=lambda t: (-t[0], t[1]))


def within(order: list[tuple[float, int, str]], budget: int,
           count_tokens: Callable[[str], int], first_always: bool = False
           ) -> list[tuple[int, str]]:
    """The (index, sentence) pairs of ``order`` (best first) that fit ``budget`` tokens
    together, each taken if it still fits; ``first_always``: the best one however long."""
    chosen: list[tuple[int, str]] = []
    used = 0
    for rank, (_score, index, sentence) in enumerate(order):
        cost = count_tokens(sentence)
        if used + cost > budget and not (first_always and rank == 0):
            continue
        chosen.append((index, sentence))
        used += cost
    return chosen


def joined(chosen: list[tuple[int, str]]) -> str:
    """Chosen (index, sentence) pairs in the paper's order, "…" where sentences were left
    out between them."""
    chosen = sorted(chosen)
    parts = []
    for i, (index, sentence) in enumerate(chosen):
        if i and index != chosen[i - 1][0] + 1:
            parts.append("…")
        parts.append(sentence)
    return " ".join(parts)


def follow_up_excerpt(sentences: list[str], question: str, budget: int,
                      count_tokens: Callable[[str], int], tuning: Settings) -> str:
    """What a follow-up adds of a paper the conversation has already read: of the
    sentences it was not given, the one that best matches the new question, however
    long (a results sentence often is the answer), then the next best within
    ``budget`` tokens in all. The rest of the paper's excerpt for the new question is
    what the model would read again for nothing: a follow-up's wait is its new tokens.
    A sentence that shares no term with the question and states no figure adds nothing
    ("" when none is left); the question's own scaffolding ("which", "did") is no term,
    and naming the paper's method does not count here: the conversation is already
    about it."""
    topic = _QUESTION_WORDS_RE.sub(" ", question)
    order = [r for r in ranked(sentences, topic, "", tuning, best_paper=True,
                               lead=False) if r[0] > 0]
    return joined(within(order, budget, count_tokens, first_always=True)) if order else ""


def asked_units(question: str) -> frozenset[str]:
    """The units of the figures a question asks for (speed, size, accuracy)."""
    return frozenset().union(*(units for asks, units in ASKED_UNITS if asks.search(question)))


def figure_score(sentence: str, asks_figures: bool, units: frozenset[str],
                 tuning: Settings) -> float:
    """A sentence's bonus for the figures it states: ``evidence_number_bonus_plain`` for
    any; for a question that asks for figures ``evidence_number_bonus``, and
    ``evidence_figure_step`` of it more for each further figure, up to three, when one of
    them is in the units the question asks for ("how fast": "178 fps … 27 fps … 10 W"
    is the results sentence; "14 downstream datasets and 3 datasets" is not, for "how
    many parameters")."""
    written = {number.replace(",", "") for number in QUANTITY_RE.findall(sentence)}
    figures = {number: found for number, found in number_units(sentence).items()
               if number in written}
    if not figures:
        return 0.0
    if not asks_figures:
        return tuning.evidence_number_bonus_plain
    if not any(found & units for found in figures.values()):
        return tuning.evidence_number_bonus
    return tuning.evidence_number_bonus * (1 + tuning.evidence_figure_step
                                           * (min(len(figures), 3) - 1))


def select_sources(store: Store, hits: list[Hit], question: str, budget: int,
                   count_tokens: Callable[[str], int], tuning: Settings) -> list[Source]:
    """Number the hits 1..n and fit their evidence into ``budget`` tokens overall.

    Better-ranked papers get a larger share (weights 1, 0.8, 0.65, … with the default
    ``evidence_rank_decay``), and none less than ``evidence_min_share`` tokens.
    """
    if not hits:
        return []
    weights = [1.0 / (1.0 + tuning.evidence_rank_decay * i) for i in range(len(hits))]
    sources = []
    for n, hit in enumerate(hits, start=1):
        share = max(tuning.evidence_min_share, int(budget * weights[n - 1] / sum(weights)))
        paper = store.get_paper(hit.paper_id)
        chunks = sorted(hit.chunk_ids, key=lambda cid: store.chunk(cid)["index"])
        text = " ".join(store.chunk(cid)["text"] for cid in chunks[:2])
        sources.append(Source(
            n=n, paper_id=hit.paper_id, title=hit.title,
            text=best_sentences(text, question, share, count_tokens, hit.title, tuning,
                                best_paper=n == 1),
            score=hit.score,
            year=paper.year if paper else None, url=(paper.url if paper else "") or
            (paper.code_urls[0] if paper and paper.code_urls else ""),
            chunk_ids=tuple(hit.chunk_ids),
        ))
    return sources


def key_sentences(passage: str, question: str = "", evidence: list[str] | None = None,
                  budget: int = 70) -> list[str]:
    """The sentences to highlight in a paper's abstract: those the claim check matched to
    the answer's claims when there are any, else the retrieved passage's sentences that
    best match the question (marking a whole abstract says nothing). Model-free token
    counts: the chat's paper view must not wait for a model."""
    from assistant.index.chunking import approx_tokens

    if evidence:
        passage, question = " ".join(evidence), ""
    passage = passage.replace(" … ", " ")
    if question and passage:
        passage = best_sentences(passage, question, budget, approx_tokens).replace(" … ", " ")
    return [s.strip(" …") for s in split_sentences(passage) if len(s.strip(" …")) > 12]
