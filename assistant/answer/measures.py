"""What a claim's figure measures, held to what the paper measures with that figure.

A percentage, a ratio or a decimal means something only with the words around it:
"accuracy gains of around 40%" is not the paper's "reducing GPU memory usage by around
40%", though both sentences have 40% and the word "accuracy" ("comparable accuracy to
BP") stands in the same sentence. The other binding rules (:mod:`.entities`) hold a
number to its unit, to the kind of thing counted and to a named rate; this one holds a
figure to the kind of measure named beside it (:data:`MEASURES`): where the claim names
one and the paper, wherever it gives the figure, names only others, the figure is the
paper's for something else. A figure with no measure named beside it on either side
("The success rate was 92.7%" where the paper has "Stone-free status was achieved in
92.7%") is left to the reading: words that differ may still mean the same. Whole numbers
without a unit are left alone (counts, years, sizes), and so is a figure the paper
spells out in words.
"""

from __future__ import annotations

import re

# a number and what may follow it; a figure has a unit or is a decimal ("0.82")
_FIGURE_RE = re.compile(r"(?<![\w.,])(\d+(?:,\d{3})*(?:\.\d+)?)"
                        r"(\s*(?:%|×|-?fold\b|percent\b|x\b))?")
_WORD_RE = re.compile(r"[\w%×.-]+")
_NUMBER_RE = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")
# kinds of measure, each with the words that name it beside a figure
_MEASURE_WORDS = {
    "accuracy": "accuracy accuracies accurate",  # "top-1" qualifies an accuracy or an error
    "error": "error errors rmse mae absrel sqrel wer cer",
    "recall": "recall sensitivity",
    "specificity": "specificity",
    "precision": "precision",
    "f1": "f1 f-score f1-score",
    "auc": "auc auroc",
    "iou": "iou miou",
    "memory": "memory",
    "speed": "speed speed-up speedup speed-ups faster fps latency throughput runtime",
    "size": "parameters params",
    "compute": "flops gflops macs",
    "mortality": "mortality death deaths died fatality fatalities",
    "survival": "survival survived",
}
MEASURES = {word: kind for kind, words in _MEASURE_WORDS.items() for word in words.split()}
_PHRASES = {"area under the curve": "auc", "area under the roc curve": "auc"}
CLAIM_WINDOW = 5  # words either side of the claim's figure
PAPER_WINDOW = 8  # and of the paper's (its sentences are longer and denser)


def _value(figure: str) -> str:
    return figure.replace(",", "")


def _measures(words: list[str]) -> set[str]:
    """The kinds of measure ``words`` name."""
    lowered = [w.casefold().strip(".") for w in words]
    text = " ".join(lowered)
    return {MEASURES[w] for w in lowered if w in MEASURES} | \
        {kind for phrase, kind in _PHRASES.items() if phrase in text}


def _beside(text: str, figure: str, width: int) -> list[set[str]]:
    """For each place ``text`` gives ``figure`` in digits, the kinds of measure named
    within ``width`` words of it."""
    words = _WORD_RE.findall(text)
    found = []
    for i, word in enumerate(words):
        match = _NUMBER_RE.match(word)
        if match is None or _value(match.group()) != figure or \
                word[match.end():].strip(".") not in ("", "%", "×", "x", "-fold", "fold"):
            continue
        found.append(_measures(words[max(0, i - width):i] + words[i + 1:i + 1 + width]))
    return found


def measured_otherwise(claim: str, paper: list[str]) -> list[str]:
    """The claim's figures that the paper gives only for another kind of measure: the
    claim names one beside the figure, and every place the paper's sentences (``paper``)
    give it in digits names others, none of the claim's."""
    wrong = []
    for match in _FIGURE_RE.finditer(claim):
        figure = _value(match.group(1))
        if figure in wrong or not (match.group(2) or "." in figure):
            continue
        mine = set().union(*_beside(claim, figure, CLAIM_WINDOW))
        theirs = [kinds for sentence in paper
                  for kinds in _beside(sentence, figure, PAPER_WINDOW)]
        if mine and theirs and all(kinds and not kinds & mine for kinds in theirs):
            wrong.append(figure)
    return wrong
