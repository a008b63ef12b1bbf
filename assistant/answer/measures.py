"""What a claim's figure measures, held to what the paper measures with that figure.

A percentage, a ratio or a decimal means something only with the words around it: "accuracy
gains of around 40%" is not the paper's "reducing GPU memory usage by around 40%", though
both sentences have 40% and the word "accuracy" ("comparable accuracy to BP") stands in
the same sentence. The other binding rules (:mod:`.entities`) hold a number to its unit,
to the kind of thing counted and to a named rate; this one holds a figure to its context:
the words next to it in the claim must share a word with those next to it somewhere in
the paper. Whole numbers without a unit are left alone (counts, years, sizes: their
context is too varied to hold), and so is a figure the paper spells out in words.
"""

from __future__ import annotations

import re

from assistant.index.terms import bm25_tokenize

# a number and what may follow it; a figure has a unit or is a decimal ("0.82")
_FIGURE_RE = re.compile(r"(?<![\w.,])(\d+(?:,\d{3})*(?:\.\d+)?)"
                        r"(\s*(?:%|×|-?fold\b|percent\b|x\b))?")
_WORD_RE = re.compile(r"[\w%×.-]+")
_NUMBER_WORD_RE = re.compile(r"[\d.,%×x-]*\d[\d.,%×x-]*")  # another number ("Top-1" is a word)
# words around a figure that say how much, not what is measured
_HEDGES = frozenset("around about approximately nearly almost roughly over under up to by "
                    "of than more less at least most only just some as much many".split())
# verbs and nouns that give a figure without saying what it measures ("it reaches 0.82")
_GIVING = frozenset("reach reaches reached reaching achieve achieves achieved achieving "
                    "report reports reported reporting show shows showed shown obtain "
                    "obtains obtained get gets got yield yields yielded attain attains "
                    "attained value values result results score scores figure".split())
CLAIM_WINDOW = 5  # words either side of the claim's figure
PAPER_WINDOW = 8  # and of the paper's (its sentences are longer and denser)


def _value(figure: str) -> str:
    return figure.replace(",", "")


def _contexts(text: str, figure: str, width: int) -> list[str]:
    """The words within ``width`` of each place ``text`` gives ``figure``, without other
    numbers and hedges."""
    words = _WORD_RE.findall(text)
    found = []
    for i, word in enumerate(words):
        match = re.match(r"\d+(?:,\d{3})*(?:\.\d+)?", word)
        if match is None or _value(match.group()) != figure or \
                word[match.end():].strip(".") not in ("", "%", "×", "x", "-fold", "fold"):
            continue
        near = words[max(0, i - width):i] + words[i + 1:i + 1 + width]
        found.append(" ".join(w for w in near if w.casefold() not in _HEDGES | _GIVING
                              and not _NUMBER_WORD_RE.fullmatch(w)))
    return found


def measured_otherwise(claim: str, paper: str) -> list[str]:
    """The claim's figures that the paper gives only for something else: no word next to
    the figure in the claim is next to it anywhere the paper gives it in digits. A figure
    the paper never writes in digits, or one with no content word beside it in the claim,
    is left to the other rules."""
    wrong = []
    for match in _FIGURE_RE.finditer(claim):
        figure = _value(match.group(1))
        if figure in wrong or not (match.group(2) or "." in figure):
            continue
        mine = _contexts(claim, figure, CLAIM_WINDOW)
        theirs = _contexts(paper, figure, PAPER_WINDOW)
        if not mine or not theirs:
            continue
        tokens = bm25_tokenize([" ".join(mine), *theirs])
        if tokens[0] and not any(set(tokens[0]) & set(other) for other in tokens[1:]):
            wrong.append(figure)
    return wrong
