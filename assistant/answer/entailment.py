"""Entailment: does the paper *say* the claim, not only talk about the same thing?

The similarity check (:mod:`assistant.answer.attribution`) finds the paper and the
sentences a claim rests on, and holds its numbers and names to them; it cannot read. A
claim that copies a sentence with one number swapped, a neighbour's method name put in, or
a "not" added still matches in meaning and wording. So each claim that passes is read
once more, with the sentences it rests on, by the chat model that is already loaded: its
own first-token probabilities of "yes", "no" and "contradicted" on a short prompt
(``prompts/entail_*.j2``). The instructions come first: their evaluated state is saved
to the cache directory once and restored before a batch of readings (as the answer
prompt's is at load), then shared by the readings that follow each other; the caller
keeps the conversation's own context aside meanwhile and puts it back
(:meth:`ChatModel.aside`), so a follow-up question still reuses it.

The threshold on P(yes) (setting ``claim_entail_threshold``) was chosen on perturbations of
the PubMedQA dev split (``assistant bench perturb --collection pubmedqa --entail``).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from assistant.answer.prompts import render
from assistant.llm.base import ChatModel, Message, NoLabelProbs

LABELS = ("yes", "no", "contradicted")
CACHE_SIZE = 4096  # readings kept (a long chat or server re-reads what it saw recently)
SUPPORTED, NOT_STATED, CONTRADICTED = "supported", "not stated", "contradicted"


@dataclass
class Entailment:
    """The model's reading of one claim against one paper's sentences."""

    label: str                      # supported / not stated / contradicted
    probs: dict[str, float]         # normalised over yes / no / contradicted
    sentences: list[str]

    def to_dict(self) -> dict:
        return {"label": self.label,
                "probs": {k: round(v, 3) for k, v in self.probs.items()}}


def decide(raw: dict[str, float], threshold: float) -> tuple[str, dict[str, float]]:
    """The label for raw first-token probabilities: supported when P(yes) (among the three
    labels) reaches ``threshold``; contradicted when "contradicted" is the likeliest label;
    otherwise not stated."""
    total = sum(raw.values()) or 1.0
    probs = {label: raw.get(label, 0.0) / total for label in LABELS}
    if probs["yes"] >= threshold:
        return SUPPORTED, probs
    if probs["contradicted"] >= max(probs["yes"], probs["no"]):
        return CONTRADICTED, probs
    return NOT_STATED, probs


class Judge:
    """Reads claims against sentences with a chat model (one prompt per claim and paper).
    Results are cached per (claim, title, sentences), the most recent ``CACHE_SIZE``: a
    claim checked again (an answer re-rendered, a claim repeated) costs nothing."""

    def __init__(self, llm: ChatModel, threshold: float, cache_dir: Path | None = None
                 ) -> None:
        self.llm = llm
        self.threshold = threshold
        self.cache_dir = cache_dir
        self.calls = 0
        self._prefix_ready = False
        self._cache: OrderedDict[tuple[str, str, tuple[str, ...]], Entailment] = OrderedDict()

    def begin(self) -> None:
        """A new batch of readings: the context holds something else now (an answer)."""
        self._prefix_ready = False

    def _ready_prefix(self) -> None:
        """Restore the instructions' evaluated state from disk (computed and saved the
        first time), so a batch does not read them again; a model behind a server keeps
        its own context."""
        if not self._prefix_ready and self.cache_dir is not None \
                and self.llm.backend == "in-process" and self.llm.vocab is not None:
            self.llm.warm_prefix(entail_prefix(self.llm), self.cache_dir)
        self._prefix_ready = True

    def __call__(self, claim: str, title: str, sentences: list[str]) -> Entailment | None:
        """The reading, or None where the model gives no label probabilities (a server
        without the route): the similarity check's decision then stands alone."""
        key = (claim, title, tuple(sentences))
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        messages = [Message("system", render("entail_system")),
                    Message("user", render("entail_user", title=title or "untitled",
                                           sentences=" ".join(sentences), claim=claim))]
        self._ready_prefix()
        try:
            raw = self.llm.label_probs(messages, "Answer:", LABELS)
        except NoLabelProbs:
            return None
        self.calls += 1
        label, probs = decide(raw, self.threshold)
        reading = self._cache[key] = Entailment(label, probs, list(sentences))
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return reading


def entail_prefix(llm: ChatModel) -> str:
    """The fixed start of every reading's prompt, whose evaluated state is cached."""
    marker = "\u0000CLAIM\u0000"
    prompt, _stop = llm.format_prompt([Message("system", render("entail_system")),
                                       Message("user", marker)])
    return prompt.split(marker)[0]
