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

Similarity finds the paper and sentences a claim rests on; it cannot read. Where a chat
model is at hand (``Checker.judge``, see :mod:`assistant.answer.entailment`), a claim that
passes is also read against those sentences, and the paper supports it only if the model
reads that the sentences state it; a paper whose sentences say the opposite is reported.
A claim that copies one of the paper's sentences word for word (:mod:`.quoting`) is the
paper's statement: it passes without scores or reading.

A citation stays only where its paper supports the claim; an uncited or mis-cited claim
gets the supporting paper; a claim no paper supports is marked unsupported and carries no
citation at all. The same number check flags invented numbers in summaries.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from assistant.answer.anaphora import spoken_of_before
from assistant.answer.binding import bind, reason_for
from assistant.answer.checked import Attribution, Claim, SourceText, Support
from assistant.answer.claims import (
    Span,
    denied_topic,
    designated,
    glued_quotes,
    split_claims,
    unframed,
)
from assistant.answer.comparison import uncompared
from assistant.answer.entailment import CONTRADICTED, SUPPORTED, Entailment
from assistant.answer.entities import (
    invented_numbers,
    missing_names,
    names_in,
)
from assistant.answer.evidence import paper_name
from assistant.answer.pointers import holds_pointed_topic, titled_pointed_topic
from assistant.answer.quoting import quoted_sentence
from assistant.answer.relevance import set_apart
from assistant.answer.rendering import UNSUPPORTED, render, without_repeats
from assistant.settings import Settings

__all__ = ["UNSUPPORTED", "Attribution", "Checker", "Claim", "SourceText", "Support",
           "invented_numbers", "missing_names", "names_in"]

DENIAL_MATCH = 0.5  # a sentence this close to a denied topic, with all its words, states it
NEAR_REPEAT = 0.95  # two claims this close in meaning say the same thing
RESTATED_SHARE = 0.8  # of the question's terms, in a denied topic: the question itself


Embed = Callable[[list[str]], np.ndarray]
Judge = Callable[[str, str, list[str]], Entailment | None]
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
        # reads a claim against a paper's sentences (set where a chat model is at hand)
        self.judge: Judge | None = None
        self.max_reads = tuning.claim_entail_max_reads
        self.aside_margins = (tuning.claim_aside_paper_margin, tuning.claim_aside_claim_margin)
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

    def supports(self, claim: str, sources: Sequence[SourceText], pointer: bool = False
                 ) -> list[Support]:
        """How well each source supports ``claim``, best first. An opening that only
        reports it ("The abstracts found that") is set aside: it is no part of what a
        paper must say. ``pointer``: the claim is what a sentence pointing at papers says
        of each (:mod:`.pointers`), whose topic of a word or two the paper may hold."""
        if not sources:
            return []
        framed, claim = claim, unframed(claim)
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
            if pointer and holds_pointed_topic(claim, full):  # "… the papers about speech."
                support.score = max(support.score, self.threshold)
            bind(support, claim, source.title, group, per_unit, self.copy_similarity, framed)
            # a copy of what the paper says of earlier work, given as its own or as its
            # finding, is no quotation of the paper's claim (see binding's background)
            support.quoted = "" if support.background \
                else quoted_sentence(claim, group, paper_name(source.title))
            if pointer and not support.quoted and titled_pointed_topic(claim, source.title):
                support.quoted = source.title  # its title names the topic: one of them
            support.sentence = support.quoted or support.sentence
            result.append(support)
        return sorted(result, key=lambda s: -s.score)

    def decide(self, claim: str, model_citations: list[int],
               sources: Sequence[SourceText], pointer: bool = False) -> Claim:
        """Keep the model's citations that are supported, else attach the best support. A
        claim that names its source only by place ("the second paper also discusses …")
        is that source's to support or not (:func:`~assistant.answer.claims.designated`);
        one that names a method or dataset goes by the name, the place being the model's
        counting ("the second paper proposes DepthMaster" where DepthMaster is [3])."""
        place = designated(claim, model_citations, {s.n for s in sources})
        if place is not None and not names_in(claim):
            sources = [s for s in sources if s.n == place]
        return self.choose(claim, model_citations, self.supports(claim, sources, pointer))

    def choose(self, claim: str, model_citations: list[int],
               supports: Sequence[Support]) -> Claim:
        """The decision for already-scored sources (best first; a subset of ``supports`` is
        a smaller source set). A source passes with a score over the threshold, its
        numbers, names and turning words held by its own sentences, and no other source
        matching the claim clearly better (by ``claim_contrast_margin``): a sentence of
        one paper with another paper's name in it is the first paper's finding. A source
        whose sentence the claim copies word for word passes outright. With a judge, any
        other passing source must also be read to state the claim (the model's own
        citations first, at most ``max_reads`` papers per claim). With a judge, the
        model's citation of a paper that only the margin holds back is read as well when
        the claim names nothing (two papers saying one thing in other words: the reading
        tells them apart; who-did-what stays with the margin and the names)."""
        top = supports[0].score if supports else 0.0
        passing = [s for s in supports if s.quoted or (
            s.score >= self.threshold and s.admissible
            and s.score >= top - self.contrast_margin)]
        preferred = [s for s in passing if s.n in model_citations] \
            or [s for s in passing if s.quoted][:1] or passing[:1]
        readings: dict[int, Entailment] = {}
        if self.judge is not None:
            held = [s for s in supports if s.n in model_citations and s not in passing
                    and s.score >= self.threshold and s.admissible] \
                if not names_in(claim) else []
            preferred = self._read_held(claim, held, readings) \
                or self._read(claim, preferred, passing, readings)
        best = supports[0] if supports else None
        reason = reason_for(best, self.threshold) if not preferred and best is not None else ""
        contradicted = next(((n, r) for n, r in readings.items() if r.label == CONTRADICTED),
                            None)
        if not preferred and readings:
            reason = ("the paper says otherwise" if contradicted
                      else "the paper does not state this")
        ordered = sorted(preferred, key=lambda s: (s.n not in model_citations, s.n))
        return Claim(
            text=claim, citations=[s.n for s in ordered], supported=bool(ordered),
            support=max((s.score for s in ordered), default=best.score if best else 0.0),
            evidence=[{"n": s.n, "sentence": s.sentence, **({"quoted": True} if s.quoted else {})}
                      for s in ordered],
            model_citations=list(model_citations), reason=reason,
            near_miss=not ordered and best is not None and best.score >= self.threshold
            and best.states_its_facts,
            readings={n: r.to_dict() for n, r in readings.items()},
            contradicted_by=({"n": contradicted[0], "sentence": " ".join(contradicted[1].sentences)}
                             if contradicted and not ordered else None))

    def _read_held(self, claim: str, held: list[Support],
                   readings: dict[int, Entailment]) -> list[Support]:
        """The model's citations held back by the margin alone that the judge reads as
        stating the claim (none when it cannot read: the margin decides then)."""
        kept = []
        for support in held[:self.max_reads]:
            reading = self.judge(unframed(claim), support.title,
                                 support.basis or [support.sentence])
            if reading is None:
                return []
            readings[support.n] = reading
            if reading.label == SUPPORTED:
                kept.append(support)
        return kept

    def _read(self, claim: str, preferred: list[Support], passing: list[Support],
              readings: dict[int, Entailment]) -> list[Support]:
        """The preferred sources the judge reads as stating the claim; when it reads none
        of them so, the next passing source that it does (the model cited the wrong
        paper of two that say similar things), within ``max_reads`` readings."""
        queue = [*preferred, *(s for s in passing if s not in preferred)]
        kept: list[Support] = []
        for support in queue[:self.max_reads]:
            if kept and support not in preferred:
                break
            if support.quoted:  # the paper's own words: nothing to read
                kept.append(support)
                continue
            reading = self.judge(unframed(claim), support.title,
                                 support.basis or [support.sentence])
            if reading is None:  # the model cannot give label probabilities here
                return preferred
            readings[support.n] = reading
            if reading.label == SUPPORTED:
                kept.append(support)
        return kept

    def check(self, text: str, sources: Sequence[SourceText], question: str = ""
              ) -> Attribution:
        """Split ``text`` into claims, decide each one's citations, re-render the text
        (with the ``question``, claims about papers it is not about are set apart: see
        :mod:`.relevance`)."""
        import time

        start = time.perf_counter()
        text = glued_quotes(text)
        spans = self._without_near_repeats(without_repeats(split_claims(text)))
        decided: list[tuple[Span, Claim | None]] = []
        for span in spans:
            claim = self.decide(span.plain, span.model_citations, sources,
                                bool(span.pointer)) \
                if span.kind == "claim" and span.plain else None
            decided.append((span, claim))
        decided, refuted = self._checked_denials(decided, sources, question)
        spoken_of_before(text, decided, sources)
        uncompared(question, [c for _, c in decided if c is not None], sources)
        self.set_apart(question, [(span.plain, c) for span, c in decided if c is not None],
                       sources)
        claims = [c for _, c in decided if c is not None]
        citations = list(dict.fromkeys(n for c in claims if c.supported for n in c.citations))
        rejected = [n for c in claims for n in c.model_citations if n not in c.citations]
        added = [n for c in claims for n in c.citations if n not in c.model_citations]
        names = {s.n: paper_name(s.title) for s in sources}
        titles = {s.n: s.title for s in sources}
        return Attribution(render(text, decided, names, titles), claims, citations, rejected,
                           added, time.perf_counter() - start, refuted)


    def set_apart(self, question: str, claims: list[tuple[str, Claim]],
                  sources: Sequence[SourceText]) -> list[Claim]:
        """The supported claims (with the text they were checked as) not about
        ``question``, marked so (see :mod:`.relevance`)."""
        return set_apart(question, claims, sources, self.vectors, *self.aside_margins)

    def _checked_denials(self, decided: list[tuple[Span, Claim | None]],
                         sources: Sequence[SourceText], question: str = ""
                         ) -> tuple[list[tuple[Span, Claim | None]], int]:
        """A note that denies ("the sources do not provide information on …") is checked
        like a claim and dropped when it is false: when it points back at the question
        ("… on this", or the question's own words: "… about depth estimation on embedded
        devices" under "depth estimation on embedded devices") while the answer has
        supported claims, or when a paper does state its topic (all the topic's words in
        one sentence that matches it in meaning by ``DENIAL_MATCH``). A denial of a part
        of the question ("… how fast they are") stays unless a paper states it. Also how
        many denials a paper refutes so (not counting those dropped for pointing back)."""
        answered = any(c is not None and c.supported for _, c in decided)
        kept = []
        refuted = 0
        for span, claim in decided:
            topic = denied_topic(span.plain) if span.kind == "note" else None
            if topic is not None:
                back = not topic or self._restates(topic, question)
                stated = not back and self._stated(topic, sources)
                refuted += stated
                if (answered if back else stated):
                    span = replace(span, kind="meta")
            kept.append((span, claim))
        return kept, refuted

    def _restates(self, topic: str, question: str) -> bool:
        """Whether a denied topic is the whole question again (its terms the question's,
        at least ``RESTATED_SHARE`` of them)."""
        asked, denied = self.terms([question, topic])
        return bool(asked) and denied <= asked and len(denied) >= RESTATED_SHARE * len(asked)

    def _stated(self, topic: str, sources: Sequence[SourceText]) -> bool:
        words = self.terms([topic])[0]
        if not words:
            return False
        for support in self.supports(topic, sources):
            if support.dense >= DENIAL_MATCH and words <= self.terms([support.sentence])[0]:
                return True
        return False

    def _without_near_repeats(self, spans: list[Span]) -> list[Span]:
        """A claim that says again, in nearly the same words, what an earlier one said
        (cosine at least ``NEAR_REPEAT``) is dropped like an exact repeat."""
        claims = [i for i, s in enumerate(spans) if s.kind == "claim" and s.plain]
        if len(claims) < 2:
            return spans
        vectors = self.vectors([spans[i].plain for i in claims])
        sims = vectors @ vectors.T
        kept = list(spans)
        for row, i in enumerate(claims):
            if any(sims[row, earlier] >= NEAR_REPEAT for earlier in range(row)
                   if kept[claims[earlier]].kind == "claim"):
                kept[i] = replace(spans[i], kind="meta")
        return kept
