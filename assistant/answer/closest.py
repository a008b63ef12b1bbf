"""The papers' own sentence that explains an answer when the model's words could not be
confirmed: a yes/no verdict whose explanation fails the check, or an open answer whose
claims matched a paper stating their numbers and names but were kept out by the reading,
by where those stand or by what their wording adds (``Claim.near_miss``). It must be a
finding of the paper the question is about, not its background or its aim.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from assistant.answer.attribution import Checker
from assistant.answer.binding import OWN_WORK_RE
from assistant.answer.checked import Attribution, SourceText, Support
from assistant.answer.entities import NUMBER_RE, number_units
from assistant.answer.evidence import QUANTITATIVE_RE, QUANTITY_RE, asked_units, split_sentences
from assistant.answer.wording import AIM_RE
from assistant.index.naming import named

# what earlier work found is no finding of this paper ("A previous study showed …")
_EARLIER_RE = re.compile(r"^(?:an? |the )?(?:previous|prior|earlier|recent|several|many"
                         r"|other) (?:study|studies|work|works|reports?|trials?|authors)\b",
                         re.I)
# the words of a result: a test, a comparison, a change, an association, a share
_RESULT_RE = re.compile(
    r"\b(?:signific\w*|p\s*[<=>≤≥]|associated|correlat\w*|increas\w*|decreas\w*|higher"
    r"|lower|greater|fewer|improv\w*|reduc\w*|difference|differed|showed|revealed"
    r"|demonstrated|found|predict\w*|outperform\w*|odds ratio|hazard ratio)\b|\d\s*%",
    re.I)


def findings_of(text: SourceText, results: bool = False) -> SourceText | None:
    """The paper without the sentences that explain nothing about a question: its opening
    (background: it speaks of earlier work unless it names the authors' own), sentences
    that state the study's aim or what earlier work found. Kept whole when nothing else
    is left. With ``results``, only the sentences that read as a result (a test, a
    comparison, a change, a share), or None when there are none: a design sentence
    ("This was a retrospective study of …") is a finding of no one."""
    sentences = split_sentences(text.text)
    opening = sentences[:1] if len(sentences) > 2 and not OWN_WORK_RE.search(sentences[0]) \
        else []
    kept = [s for s in sentences if s not in opening and not AIM_RE.match(s.strip())
            and not _EARLIER_RE.match(s.strip())]
    if results:
        kept = [s for s in kept if _RESULT_RE.search(s)]
        return replace(text, text=" ".join(kept)) if kept else None
    return replace(text, text=" ".join(kept)) if kept else text


def closest_finding(checker: Checker, question: str, texts: list[SourceText],
                    min_relevance: float) -> Attribution | None:
    """The source sentence that best matches the question, cited, as a checked answer
    body (None when nothing matches at least ``min_relevance`` in meaning). The paper is
    the one whose text matches best; its sentence is the closest of its results, else of
    its findings in its authors' voice, else of its other findings (:func:`findings_of`),
    since the aim sentence matches a question best and answers it least — unless none
    matches ``min_relevance``. A paper the question names (:mod:`~assistant.index.naming`)
    is the one quoted, however much better a neighbour's sentence matches the question's
    words; a question naming several ("How do MAMo and FutureDepth differ …?") gets a
    sentence of each."""
    titles = {t.title for t in texts}

    def closest(candidates: list[SourceText]) -> Support | None:
        found = [s for s in checker.supports(question, candidates)
                 if s.sentence and s.sentence not in titles]
        return max(found, key=lambda s: s.score) if found else None

    best = closest(texts)
    if best is None or best.dense < min_relevance:
        return None
    asked = [texts[i] for i in sorted(named(question, [t.title for t in texts]))]
    if asked and best.n not in {t.n for t in asked}:
        best = closest(asked) or best  # the paper asked about, not the best-worded one
    papers = asked[:MOST_PAPERS] if len(asked) > 1 else \
        [next(t for t in texts if t.n == best.n)]
    body = " ".join(" ".join(f"{s} [{paper.n}]" for s in _explaining(
        checker, question, paper, paper in asked, min_relevance, closest)) for paper in papers)
    result = checker.check(body, texts)
    return result if result.supported else None


MOST_PAPERS = 3  # papers a stand-in quotes, when the question names several
# a sentence that opens by pointing back at the one before it ("This allows …")
_ANAPHOR_RE = re.compile(r"^(?:This|These|It|They|Such|Its|Their)\b")


def _explaining(checker: Checker, question: str, paper: SourceText, asked: bool,
                min_relevance: float, closest: Callable[[list[SourceText]], Support | None]
                ) -> list[str]:
    """The sentences of ``paper`` that stand in for the answer: its closest finding
    (with the sentence before it, when it opens by pointing back: "This allows …"), and
    a figure when the question asks for one. A paper asked about by name is explained by
    what it did, however its words match."""
    floor = 0.0 if asked else min_relevance
    own = _without_lead(paper) if asked else paper
    best = closest([paper])
    for candidates in (findings_of(own, results=True), _own_work(own), findings_of(own)):
        finding = closest([candidates]) if candidates is not None else None
        if finding is not None and finding.dense >= floor:
            best = finding
            break
    if best is None:
        return []
    chosen = [best.sentence, *_figure_sentence(checker, question, paper, best.sentence,
                                               min_relevance)]
    order = split_sentences(paper.text)
    at = order.index(best.sentence) if best.sentence in order else -1
    if _ANAPHOR_RE.match(best.sentence) and at > 0 and order[at - 1] not in chosen:
        chosen.append(order[at - 1])
    chosen.sort(key=lambda s: order.index(s) if s in order else -1)
    chosen[0] = _standing_alone(chosen[0])
    return chosen


_FIGURE_RE = re.compile(r"\bsignifican\w*|\bp\s*[<=>≤≥]|%", re.I)


def _without_lead(text: SourceText) -> SourceText:
    """The paper without the sentences about its field it opens with, where its authors
    then speak of their own work: those before the first sentence in their voice that
    give no figure and no test ("Graph-level tasks … are critical for applications")."""
    sentences = split_sentences(text.text)
    for i, sentence in enumerate(sentences):
        if OWN_WORK_RE.search(sentence):
            return replace(text, text=" ".join(sentences[i:])) if i else text
        if NUMBER_RE.search(sentence) or _FIGURE_RE.search(sentence):
            break
    return text


def _own_work(text: SourceText) -> SourceText | None:
    """The paper's findings in its authors' voice ("we introduce AMUD, which …"): what
    it did, before what it says of the field ("heterophily reflects dissimilarity …")."""
    found = findings_of(text)
    own = [s for s in split_sentences(found.text) if OWN_WORK_RE.search(s)] if found else []
    return replace(text, text=" ".join(own)) if own else None


# a connective that ties the sentence to the one before it in the abstract
_TIE_RE = re.compile(r"^(?:(?:however|moreover|furthermore|additionally|in addition|also|"
                     r"specifically|in particular|notably|importantly|indeed|finally|"
                     r"then|thus|therefore|hence|consequently|overall|meanwhile|besides|"
                     r"as a supplement|to this end|in contrast|by contrast|similarly|"
                     r"likewise|on the other hand|nevertheless|nonetheless|first|firstly|"
                     r"second|secondly|third|thirdly|fourth|lastly|next|further),\s+"
                     r"|^\(?(?:[ivx]{1,4}|\d{1,2})\)\s+)"  # or "(ii) " of a list
                     r"(?!(?:and|or|second|third|fourth|fifth|\(?[ivx\d]{1,4}\))\b)(?=\w)",
                     re.I)


def _standing_alone(sentence: str) -> str:
    """The sentence without the connective that tied it to the abstract's previous one
    ("Furthermore, we find …" → "We find …", "Second, we observe …", "(ii) The …"): it
    opens the answer, where "Furthermore" or a second point follows nothing."""
    rest = _TIE_RE.sub("", sentence, count=1)
    return rest[:1].upper() + rest[1:] if rest != sentence else sentence


def _figure_sentence(checker: Checker, question: str, paper: SourceText, chosen: str,
                     min_relevance: float) -> list[str]:
    """For a question that asks for figures ("… and what accuracy does it reach?") when
    the chosen sentence states none: the paper's closest finding that does (one in the
    units asked, where the paper has such a sentence), as a second sentence. The closest
    sentence answers "which paper" and leaves the figure out; the figure is what was
    asked."""
    if not QUANTITATIVE_RE.search(question) or QUANTITY_RE.search(chosen):
        return []
    units = asked_units(question)
    stated = [s for s in split_sentences(findings_of(paper).text)
              if QUANTITY_RE.search(s) and s != chosen]
    in_units = [s for s in stated if any(found & units for found in number_units(s).values())]
    candidates = in_units or stated
    if not candidates:
        return []
    found = checker.supports(question, [replace(paper, text=" ".join(candidates))])
    best = found[0] if found else None
    if best is None or best.dense < min_relevance or best.sentence not in candidates:
        return []
    return [best.sentence]
