"""Attribution: decide from the sources themselves which paper supports each claim.

The model's own ``[n]`` markers are only a hint. Each claim (see :mod:`assistant.answer.claims`) is
compared with every sentence of every source paper:

- meaning: cosine similarity of sentence vectors from the embedder that is already loaded
  for retrieval (the best-matching sentence is the evidence shown to the user);
- wording: the share of the claim's content terms, weighted by how rare they are in the
  collection, that the paper uses;
- hard constraints: every number in the claim must occur in the paper, and every name
  (method, model, dataset: "YOLOv3", "ImageNet", "FastDepth") must too. A paper that
  reports a figure for its own detector does not support that figure for another one.

A citation stays only where its paper supports the claim; an uncited or mis-cited claim
gets the supporting paper; a claim no paper supports is marked unsupported and carries no
citation at all. The same number check flags invented numbers in summaries.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from assistant.answer.claims import Span, split_claims
from assistant.answer.entities import (
    invented_numbers,
    mentions,
    misbound_numbers,
    missing_names,
    names_in,
    unstated_markers,
)
from assistant.answer.evidence import paper_name, split_sentences
from assistant.settings import Settings

UNSUPPORTED = "[unsupported]"
EVIDENCE_SENTENCES = 2  # a claim may join what two sentences of a paper say


@dataclass
class SourceText:
    """What the checker reads of one given source: its number and its full text."""

    n: int
    title: str
    text: str

    @property
    def units(self) -> list[str]:
        return [self.title, *split_sentences(self.text)] if self.title else \
            split_sentences(self.text)


@dataclass
class Support:
    """How well one source supports one claim."""

    n: int
    score: float
    sentence: str
    dense: float = 0.0
    lexical: float = 0.0
    invented_numbers: list[str] = field(default_factory=list)
    missing_names: list[str] = field(default_factory=list)
    # numbers and names the paper states, but not in the sentences the claim rests on
    unbound: list[str] = field(default_factory=list)
    # "negation", "restriction", "cause": the claim turns on a word the paper never uses
    unstated: list[str] = field(default_factory=list)

    @property
    def admissible(self) -> bool:
        return not (self.invented_numbers or self.missing_names or self.unbound
                    or self.unstated)


@dataclass
class Claim:
    """One checked claim, as ``ask --json`` reports it."""

    text: str
    citations: list[int]
    supported: bool
    support: float
    evidence: list[dict]
    model_citations: list[int] = field(default_factory=list)
    reason: str = ""

    def to_dict(self) -> dict:
        return {"text": self.text, "citations": self.citations, "supported": self.supported,
                "support": round(self.support, 3), "evidence": self.evidence,
                "model_citations": self.model_citations, "reason": self.reason}


@dataclass
class Attribution:
    """The checked answer: claims, the re-rendered text and what changed."""

    text: str
    claims: list[Claim]
    citations: list[int]            # union of the supported claims' citations, in order
    rejected: list[int]             # model citations the check removed, one per claim
    added: list[int]                # citations the check attached, one per claim
    seconds: float = 0.0

    @property
    def supported(self) -> int:
        return sum(c.supported for c in self.claims)

    @property
    def unsupported(self) -> int:
        return sum(not c.supported for c in self.claims)


def _bind(support: Support, claim: str, title: str, units: list[str],
          scores: list[float], copy_similarity: float) -> None:
    """Hold the claim's numbers and names to the sentences it rests on: the two of the
    paper's sentences that match each sentence of the claim best (a conclusion of three
    sentences rests on six), and the title. A number the paper gives for something else,
    a name it mentions elsewhere (a baseline) make the paper no support for the claim.
    A one-sentence claim that copies a sentence (dense similarity at least
    ``copy_similarity``) is also held to that sentence's words: a "not", "only" or
    "because" added to it is not the paper's. A paraphrase is not: "did not differ" may
    rest on a sentence that gives two equal rates."""
    first = 1 if title and len(units) > 1 else 0
    wanted = EVIDENCE_SENTENCES * max(1, len(split_sentences(claim)))
    ranked = sorted(range(first, len(units)), key=lambda i: -scores[i])[:wanted]
    evidence = " ".join([title, *(units[i] for i in ranked)])
    support.unbound = [n for n in invented_numbers(claim, evidence)
                       if n not in support.invented_numbers]
    support.unbound += [n for n in misbound_numbers(claim, evidence)
                        if n not in support.unbound]
    support.unbound += [name for name in names_in(claim)
                        if name not in support.missing_names and not mentions(name, evidence)]
    if support.dense >= copy_similarity and len(split_sentences(claim)) == 1:
        support.unstated = unstated_markers(claim, support.sentence)


def _reason(best: Support, threshold: float) -> str:
    """Why no source supports a claim, from the source that matches it best."""
    if best.score < threshold:
        return "no source says this"
    if best.invented_numbers:
        return f"numbers not in the sources: {', '.join(best.invented_numbers)}"
    if best.missing_names:
        return f"names not in the sources: {', '.join(best.missing_names)}"
    if best.unbound:
        return f"the paper gives {', '.join(best.unbound)} for something else"
    if best.unstated:
        return f"the paper does not say this ({', '.join(best.unstated)})"
    return "another source says this"


Embed = Callable[[list[str]], np.ndarray]
Idf = Callable[[list[str]], dict[str, float]]


class Checker:
    """Decides citations claim by claim; holds a cache of sentence vectors.

    ``threshold`` (setting ``claim_threshold``) and the weights (``claim_*_weight``) were
    chosen on the PubMedQA dev split (``assistant bench attribution --split dev`` and its
    threshold sweep): a conclusion must be attributed to its own abstract and not to the
    other retrieved ones.
    """

    def __init__(self, embed: Embed, idf: Idf | None = None,
                 threshold: float | None = None, tuning: Settings | None = None,
                 cache_size: int = 20000) -> None:
        tuning = tuning or Settings.defaults()
        self.embed = embed
        self.idf = idf
        self.threshold = tuning.claim_threshold if threshold is None else threshold
        self.dense_weight = tuning.claim_dense_weight
        self.lexical_weight = tuning.claim_lexical_weight
        self.contrast_margin = tuning.claim_contrast_margin
        self.copy_similarity = tuning.claim_copy_similarity
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._terms: dict[str, frozenset[str]] = {}
        self._cache_size = cache_size

    # --- vectors and terms -----------------------------------------------------------------

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors for ``texts``, embedding only those not seen before."""
        todo = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if todo:
            for text, vector in zip(todo, self.embed(todo), strict=True):
                self._vectors[text] = vector
            while len(self._vectors) > self._cache_size:
                self._vectors.popitem(last=False)
        for text in texts:
            self._vectors.move_to_end(text)
        return np.vstack([self._vectors[t] for t in texts])

    def terms(self, texts: Sequence[str]) -> list[frozenset[str]]:
        """Stemmed content terms of each text, tokenized once per text."""
        from assistant.index.terms import bm25_tokenize

        todo = [t for t in dict.fromkeys(texts) if t not in self._terms]
        if todo:
            if len(self._terms) > self._cache_size:
                self._terms.clear()
            for text, tokens in zip(todo, bm25_tokenize(todo), strict=True):
                self._terms[text] = frozenset(tokens)
        return [self._terms[t] for t in texts]

    def _weights(self, terms: list[str]) -> dict[str, float]:
        if not terms:
            return {}
        if self.idf is None:
            return dict.fromkeys(terms, 1.0)
        idf = self.idf(terms)
        rarest = max(idf.values(), default=1.0)
        return {t: idf.get(t, rarest) for t in terms}

    # --- scoring ---------------------------------------------------------------------------

    def supports(self, claim: str, sources: Sequence[SourceText]) -> list[Support]:
        """How well each source supports ``claim``, best first."""
        if not sources:
            return []
        units = [s.units or [s.title] for s in sources]
        flat = [u for group in units for u in group]
        matrix = self.vectors([claim, *flat])
        sims = matrix[1:] @ matrix[0]
        weights = self._weights(sorted(self.terms([claim])[0]))
        total = sum(weights.values()) or 1.0
        unit_terms = self.terms(flat)
        result = []
        offset = 0
        for source, group in zip(sources, units, strict=True):
            group_sims = sims[offset:offset + len(group)]
            group_terms = unit_terms[offset:offset + len(group)]
            offset += len(group)
            vocabulary = set().union(*group_terms) if group_terms else set()
            lexical = sum(w for t, w in weights.items() if t in vocabulary) / total
            dense = float(group_sims.max())
            # evidence: the sentence that matches best in meaning and wording together
            per_unit = [float(sim) + 0.5 * sum(weights.get(t, 0.0) for t in words) / total
                        for sim, words in zip(group_sims, group_terms, strict=True)]
            best = int(np.argmax(per_unit[1:]) + 1) if len(group) > 1 and source.title \
                else int(np.argmax(per_unit))
            full = f"{source.title}\n{source.text}"
            support = Support(
                n=source.n, score=self.dense_weight * dense + self.lexical_weight * lexical,
                sentence=group[best], dense=dense, lexical=lexical,
                invented_numbers=invented_numbers(claim, full),
                missing_names=missing_names(claim, full))
            _bind(support, claim, source.title, group, per_unit, self.copy_similarity)
            result.append(support)
        return sorted(result, key=lambda s: -s.score)

    def decide(self, claim: str, model_citations: list[int],
               sources: Sequence[SourceText]) -> Claim:
        """Keep the model's citations that are supported, else attach the best support."""
        return self.choose(claim, model_citations, self.supports(claim, sources))

    def choose(self, claim: str, model_citations: list[int],
               supports: Sequence[Support]) -> Claim:
        """The decision for already-scored sources (best first; a subset of ``supports`` is
        a smaller source set). A source passes with a score over the threshold, its
        numbers, names and turning words held by its own sentences, and no other source
        matching the claim clearly better (by ``claim_contrast_margin``): a sentence of
        one paper with another paper's name in it is the first paper's finding."""
        top = supports[0].score if supports else 0.0
        passing = [s for s in supports if s.score >= self.threshold and s.admissible
                   and s.score >= top - self.contrast_margin]
        kept = [s for s in passing if s.n in model_citations]
        chosen = kept or passing[:1]
        best = supports[0] if supports else None
        reason = _reason(best, self.threshold) if not chosen and best is not None else ""
        ordered = sorted(chosen, key=lambda s: (s.n not in model_citations, s.n))
        return Claim(
            text=claim, citations=[s.n for s in ordered], supported=bool(chosen),
            support=max((s.score for s in chosen), default=best.score if best else 0.0),
            evidence=[{"n": s.n, "sentence": s.sentence} for s in ordered],
            model_citations=list(model_citations), reason=reason)

    def check(self, text: str, sources: Sequence[SourceText]) -> Attribution:
        """Split ``text`` into claims, decide each one's citations, re-render the text."""
        import time

        start = time.perf_counter()
        spans = _without_repeats(split_claims(text))
        decided: list[tuple[Span, Claim | None]] = []
        for span in spans:
            claim = self.decide(span.plain, span.model_citations, sources) \
                if span.kind == "claim" and span.plain else None
            decided.append((span, claim))
        claims = [c for _, c in decided if c is not None]
        citations = list(dict.fromkeys(n for c in claims if c.supported for n in c.citations))
        rejected = [n for c in claims for n in c.model_citations if n not in c.citations]
        added = [n for c in claims for n in c.citations if n not in c.model_citations]
        names = {s.n: paper_name(s.title) for s in sources}
        return Attribution(render(text, decided, names), claims, citations, rejected, added,
                           time.perf_counter() - start)


def _without_repeats(spans: list[Span]) -> list[Span]:
    """A claim that says again what an earlier one said (a small model repeats itself)
    is dropped from the shown text, like a meta sentence, and not checked twice."""
    seen: set[str] = set()
    kept = []
    for span in spans:
        key = re.sub(r"[^\w]+", " ", span.plain.lower()).strip()
        if span.kind == "claim" and key and key in seen:
            span = replace(span, kind="meta")
        seen.add(key)
        kept.append(span)
    return kept


# the words a citation used as a noun became (claims._dereference)
_GENERIC_REF_RE = re.compile(r"\b([Oo])ne (?:source|paper|study|abstract|article|publication|"
                             r"reference|document)\b")


def _named(body: str, claim: Claim, names: dict[int, str]) -> str:
    """"One paper shows …" → "FastDepth shows …" when the model's one citation was
    confirmed by the check and that paper's title announces a name: the sentence then
    says which paper it is about without the reader decoding [n]. A citation the check
    moved keeps the generic words (the model's sentence was about another paper), and so
    does a sentence that names the paper already."""
    if not (claim.supported and len(claim.citations) == 1
            and claim.citations == claim.model_citations):
        return body
    name = names.get(claim.citations[0], "")
    if not name or name.lower() in body.lower():
        return body
    return _GENERIC_REF_RE.sub(name, body, count=1)


def _with_citations(body: str, claim: Claim) -> str:
    marks = "".join(f"[{n}]" for n in claim.citations) if claim.supported else UNSUPPORTED
    match = re.match(r"(.*?)((?:[.!?:;,]|\s*[\"'”’])*)$", body, re.DOTALL)
    head, tail = (match.group(1), match.group(2)) if match else (body, "")
    return f"{head.rstrip()} {marks}{tail}"


def render(text: str, decided: list[tuple[Span, Claim | None]],
           names: dict[int, str] | None = None) -> str:
    """The answer with each claim's decided citations (or the unsupported mark) in place
    of the model's; meta sentences are dropped, notes kept as they are."""
    parts: list[str] = []
    cursor = 0
    for span, claim in decided:
        gap = text[cursor:span.start]
        cursor = span.end
        if span.kind == "meta":
            continue
        parts.append(gap)
        parts.append(_with_citations(_named(span.body, claim, names or {}), claim)
                     if claim else span.body)
    parts.append(text[cursor:])
    rendered = "".join(parts)
    rendered = re.sub(r"[ \t]{2,}", " ", rendered)
    return re.sub(r" +\n", "\n", rendered).strip()


def closest_finding(checker: Checker, question: str, texts: list[SourceText],
                    min_relevance: float) -> Attribution | None:
    """The source sentence that best matches the question, cited, as a checked answer
    body (None when nothing matches at least ``min_relevance`` in meaning)."""
    titles = {t.title for t in texts}
    supports = [s for s in checker.supports(question, texts)
                if s.sentence and s.sentence not in titles]
    if not supports:
        return None
    best = max(supports, key=lambda s: s.score)
    if best.dense < min_relevance:
        return None
    result = checker.check(f"{best.sentence} [{best.n}]", texts)
    return result if result.supported else None
