"""Holding a claim to the sentences it rests on: its numbers and names must be the ones
those sentences give for the same thing (not merely somewhere in the abstract), a limit
the paper sets is not its figure, an opening about earlier work is not the paper's own
finding, and what the claim's wording adds (a rank, a weight, an answer to the paper's
question, a means: :mod:`.wording`) must have its kind there. Also the one-line reason
shown when no paper supports a claim."""

from __future__ import annotations

import re

from assistant.answer.checked import Support
from assistant.answer.claims import unframed
from assistant.answer.entities import (
    NUMBER_RE,
    bounds_as_values,
    invented_numbers,
    mentions,
    misbound_numbers,
    names_in,
    swapped_numbers,
    unstated_markers,
)
from assistant.answer.evidence import paper_name, split_sentences
from assistant.answer.measures import measured_otherwise
from assistant.answer.numerals import with_digits
from assistant.answer.quoting import misquoted
from assistant.answer.wording import (
    AIM_RE,
    COPIED_SHARE,
    DEFINITION_RE,
    FINDING_RE,
    answers_a_question,
    copies_a_condition,
    found_in_method,
    inserted_turns,
    states_aim,
    unheld_inference,
    unheld_means,
    unstated_wording,
)
from assistant.index.terms import bm25_tokenize

EVIDENCE_SENTENCES = 2  # a claim may join what two sentences of a paper say


def bind(support: Support, claim: str, title: str, units: list[str],
         scores: list[float], copy_similarity: float, framed: str = "") -> None:
    """Hold the claim's numbers and names to the sentences it rests on: the two of the
    paper's sentences that match each sentence of the claim best (a conclusion of three
    sentences rests on six; a one-sentence claim whose words one sentence holds rests on
    that one), and the title. A number the paper gives for something else,
    a name it mentions elsewhere (a baseline) make the paper no support for the claim.
    A one-sentence claim that copies a sentence (dense similarity at least
    ``copy_similarity``) is also held to that sentence's words and numbers: a "not",
    "only" or "because" added to it is not the paper's, nor a number put in the place of
    one the sentence gives. A paraphrase is not: "did not differ" may
    rest on a sentence that gives two equal rates."""
    first = 1 if title and len(units) > 1 else 0
    count = len(split_sentences(claim))
    wanted = EVIDENCE_SENTENCES * max(1, count)
    order = sorted(range(first, len(units)), key=lambda i: -scores[i])
    ranked = _with_figures(claim, units, order, order[:wanted])
    support.title = title
    support.basis = [units[i] for i in sorted(ranked)]
    if ranked and count == 1 and _covers(claim, title, units[ranked[0]]):
        support.basis = [units[ranked[0]]]  # the second sentence adds nothing to read
    evidence = with_digits(" ".join([title, *(units[i] for i in ranked)]))
    support.unbound = [n for n in invented_numbers(claim, evidence)
                       if n not in support.invented_numbers]
    support.unbound += [n for n in misbound_numbers(claim, evidence)
                        if n not in support.unbound]
    support.unbound += [f"{n}{_LIMIT}" for n in bounds_as_values(claim, evidence)
                        if n not in support.unbound]
    support.unbound += [n for n in measured_otherwise(claim, units)
                        if n not in support.unbound and n not in support.invented_numbers]
    own = _own_names(title, units) if any(
        OWN_WORK_RE.search(units[i]) for i in ranked) else ""
    support.unbound += [name for name in names_in(claim)
                        if name not in support.missing_names and not mentions(name, evidence)
                        and not (own and mentions(name, own))]
    if support.dense >= copy_similarity and count == 1:
        support.unstated = unstated_markers(claim, support.sentence)
        placed = [units[i] for i in ranked if units[i] != support.sentence]
        if _copies_words(claim, support.sentence) or not _gives_all_figures(claim, placed):
            support.unbound += [n for n in swapped_numbers(claim, with_digits(support.sentence))
                                if n not in support.unbound]
    _hold_wording(support, claim, framed or claim, units[ranked[0]] if ranked else "")
    if unheld_inference(claim, units) and "inference" not in support.unstated:
        support.unstated.append("inference")
    if misquoted(framed or claim, units):
        support.unstated.append("quotation")
    support.background = _credits_background(claim, title, units, support.sentence,
                                             bool(FINDING_RE.search(framed or claim)))


FIGURES_LEAST = 2  # numbers a claim needs before one sentence holding all of them is its


def _with_figures(claim: str, units: list[str], order: list[int], ranked: list[int]
                  ) -> list[int]:
    """The sentences a claim rests on, with the one that gives all its numbers where the
    best-matching ones do not: "… was effective for ureteral stones, with a success rate
    of 92.7% at the time of ureteroscopy and 96.7% at 3 months" matches the aim sentence
    ("To study the efficiency … for ureteral stones") in words, but rests on the results
    sentence that has 92.7, 96.7 and 3. It takes the place of the lowest-ranked sentence
    that has none of the claim's numbers. Only a claim of at least ``FIGURES_LEAST``
    numbers standing alone (not "3D") is placed so: a single number may be any
    sentence's. A claim that copies another sentence's words stays held to that
    sentence's numbers (see :func:`_copies_words`)."""
    figures = _figures(claim)
    if not figures or not invented_numbers(figures, " ".join(units[i] for i in ranked)):
        return ranked
    holding = [i for i in order if i not in ranked and not invented_numbers(figures, units[i])]
    if not holding:  # ``order`` is best first: the best-matching sentence that holds them
        return ranked
    bare = [i for i in ranked
            if len(invented_numbers(figures, units[i])) == len(figures.split())]
    return [i for i in ranked if i != bare[-1]] + holding[:1] if bare \
        else [*ranked, holding[0]]


_STANDALONE_RE = re.compile(r"(?<![\w.])(?<![A-Za-z][-–])\d+(?:[.,]\d+)*(?![\w])")


def _standalone_numbers(claim: str) -> set[str]:
    """The claim's numbers that stand alone ("92.7%", "3 months"), not those in a word
    ("3D", "ResNet-50": a name's number says nothing of where a claim rests)."""
    return {n.replace(",", "") for n in _STANDALONE_RE.findall(claim)}


def _figures(claim: str) -> str:
    """The claim's standalone numbers as one text ("3 92.7 96.7"), where there are at
    least ``FIGURES_LEAST`` of them to place the claim by; else ""."""
    numbers = sorted(_standalone_numbers(claim))
    return " ".join(numbers) if len(numbers) >= FIGURES_LEAST else ""


def _copies_words(claim: str, sentence: str) -> bool:
    """Whether the claim's words (its numbers aside) are nearly all the sentence's
    (``COPIED_SHARE``): a copy, whose numbers must be that sentence's even where
    another sentence gives them all ("… to children ages 5 to 18 years" copied from the
    children's "… ages 12 to 18 years", where the parents' next sentence has 5 and 18)."""
    mine = re.findall(r"[a-z]+", claim.lower())
    theirs = set(re.findall(r"[a-z]+", sentence.lower()))
    return bool(mine) and sum(w in theirs for w in mine) >= COPIED_SHARE * len(mine)


def _gives_all_figures(claim: str, sentences: list[str]) -> bool:
    """Whether one of ``sentences`` gives every number of a claim of at least
    ``FIGURES_LEAST`` numbers (see :func:`_with_figures`)."""
    figures = _figures(claim)
    return bool(figures) and any(not invented_numbers(figures, s) for s in sentences)


def _hold_wording(support: Support, claim: str, framed: str, best: str) -> None:
    """What the claim's wording adds, held to its basis (see :mod:`.wording`): a rank or
    a weight of no kind there, a turn put into a copied stretch, or, from ``framed`` (the
    claim with its opening), the paper's question (``best``, its best sentence) stated
    as settled."""
    kinds = [*unstated_wording(claim, " ".join([support.title, *support.basis])),
             *inserted_turns(claim, support.basis)]
    if unheld_means(claim, [support.title, *support.basis]):
        kinds.append("cause")
    if copies_a_condition(unframed(claim), support.basis):
        kinds.append("condition")
    if best and answers_a_question(framed, best):
        kinds.append("question")
    if best and FINDING_RE.search(framed) and AIM_RE.match(best.strip()):
        kinds.append("aim")  # "It finds that …" from "This work aims to shed light on …"
    if best and FINDING_RE.search(framed) and DEFINITION_RE.search(best):
        kinds.append("definition")  # "The authors show that X are Y" from "X are considered Y"
    if found_in_method(framed, support.basis):
        kinds.append("method")  # "The study found that A and B were correlated" from
        # "A rank correlation was performed between A and B"
    support.unstated += [kind for kind in dict.fromkeys(kinds) if kind not in support.unstated]


def _covers(claim: str, title: str, sentence: str) -> bool:
    """Whether one sentence (with the title) holds every content word and number of a
    one-sentence claim: then the claim rests on it alone, and the model reads it alone
    (a reading costs a few seconds per ~100 tokens on 2 cores)."""
    claim_terms, held = bm25_tokenize([unframed(claim), f"{title} {sentence}"])
    return set(claim_terms) <= set(held) and not invented_numbers(claim, sentence)


_LIMIT = " (a limit there)"
OWN_WORK_RE = re.compile(r"\b(?:we|our|us|this (?:paper|work|study|article)|here)\b", re.I)


_INTRODUCES_RE = re.compile(r"\b(?:propos|introduc|present|call|dub|nam)\w*", re.I)


def _own_names(title: str, units: list[str]) -> str:
    """The names the paper gives its own work: the title's ("SMITH: …"), and those of
    a sentence where the authors introduce it ("we propose the … (SMITH) Encoder"). A
    sentence in the authors' voice ("our model handles 2048 tokens") speaks of these,
    so a claim naming them may rest on it."""
    named = [paper_name(title)] + [
        unit for unit in units if OWN_WORK_RE.search(unit) and _INTRODUCES_RE.search(unit)]
    return " ".join(" ".join(names_in(text)) for text in named if text)


def _credits_background(claim: str, title: str, units: list[str], best: str,
                        as_finding: bool = False) -> bool:
    """A claim that names the paper ("DepthMaster … suffers from low inference speed")
    but rests on the abstract's opening sentence, which speaks of earlier work (it
    neither names the paper nor says "we"/"our"/"this paper"), gives the paper what it
    says of others. So does a claim that presents itself as what the study found
    (``as_finding``: "The study found that …", "It finds that …") and rests on any
    sentence of the abstract's background: those before the first one in the authors'
    voice or giving the study's aim. Its background is not its finding."""
    name = paper_name(title)
    body = units[1:] if title and len(units) > 1 else units
    opening = body[0] if body else ""
    if name and best == opening and mentions(name, claim) and not mentions(name, opening) \
            and not OWN_WORK_RE.search(opening) \
            and not _said_of_own_work(claim, name, opening, body[1:]):
        return True
    return as_finding and best in _background(body, name)


OWN_TERMS_MOST = 2  # words the claim adds to the opening that the authors' sentence holds


def _said_of_own_work(claim: str, name: str, opening: str, rest: list[str]) -> bool:
    """Whether the claim's words that the opening lacks are those of a sentence in the
    authors' voice ("requires less labelled data than contemporary semi-supervised work"
    matches the opening on "point cloud … semi-supervised" but takes "less", "contemporary",
    "work" from "Our method outperforms contemporary semi-supervised work … using less
    labeled data"): the claim joins the two, and the opening is not what it rests on."""
    own = [s for s in rest if OWN_WORK_RE.search(s) or mentions(name, s)]
    if not own:
        return False
    claim_terms, name_terms, opening_terms, *own_terms = bm25_tokenize(
        [claim, name, opening, *own])
    added = set(claim_terms) - set(name_terms) - set(opening_terms)
    return any(len(added & set(terms)) >= OWN_TERMS_MOST for terms in own_terms)


def _background(sentences: list[str], name: str) -> list[str]:
    """The abstract's opening sentences about the field (at most ``BACKGROUND_MOST``),
    before the authors speak of their own work (we, our, this study, the paper's name)
    or give their aim. Where no such sentence follows, or a figure comes first (a
    result), only the opening is background."""
    lead = []
    for sentence in sentences[:BACKGROUND_MOST + 1]:
        if OWN_WORK_RE.search(sentence) or states_aim(sentence) \
                or (name and mentions(name, sentence)):
            return lead
        if NUMBER_RE.search(sentence):
            break
        lead.append(sentence)
    return sentences[:1] if sentences and not NUMBER_RE.search(sentences[0]) else []


BACKGROUND_MOST = 3  # sentences of field background an abstract opens with, at most


_UNSTATED = {"rank": "rank: smallest, best …", "weight": "weight: crucial, vital …",
             "cause": "cause or means", "condition": "it gives this as a condition",
             "aim": "it gives this as its aim, not as a finding",
             "definition": "it gives this as a definition, not as a finding",
             "method": "it says this was done, not what was found",
             "benefit": "a use or benefit", "effect": "the strength of an effect",
             "inference": "a conclusion it does not draw",
             "quotation": "the quoted words are not the paper's"}


def reason_for(best: Support, threshold: float) -> str:
    """Why no source supports a claim, from the source that matches it best."""
    if best.score < threshold:
        return "no source says this"
    if best.invented_numbers:
        return f"numbers not in the sources: {', '.join(best.invented_numbers)}"
    if best.missing_names:
        return f"names not in the sources: {', '.join(best.missing_names)}"
    if limits := [u.removesuffix(_LIMIT) for u in best.unbound if u.endswith(_LIMIT)]:
        return f"the paper gives {', '.join(limits)} only as a limit (<, at most …)"
    if best.unbound:
        return f"the paper gives {', '.join(best.unbound)} for something else"
    if "question" in best.unstated:
        return "the paper asks this; it does not state it"
    if best.unstated:
        return "the paper does not say this (" + ", ".join(
            _UNSTATED.get(kind, kind) for kind in best.unstated) + ")"
    if best.background:
        return "the paper says this of earlier work"
    return "another source says this"
