"""`assistant bench perturb`: claims made false on purpose, from any collection, and how
often the claim check still calls them supported (false support), beside how often it
supports a paper's own sentences (recall).

For each paper P (with its nearest papers by abstract as the other sources, the way an
answer's sources come together; near-duplicates of P are left out and counted):

- ``own``: P's own sentences, citing P (recall: should be supported);
- ``neighbour``: P's finding checked against its neighbours alone, P removed;
- ``name_swap``: a sentence of P naming P's method, the name replaced by a neighbour's,
  citing that neighbour (P still among the sources);
- ``number_swap``: a sentence of P with a number, the number replaced by another number
  of P's abstract from another sentence, citing P;
- ``negation``: "not" inserted after the first auxiliary verb, citing P;
- ``only``: "only" inserted before the first verb after the subject, citing P.

Every perturbation is made by a fixed rule from the text (nothing is sampled), so a rerun
on the same collection checks the same claims. Without ``entail`` no language model is
involved: this measures the similarity check and its binding rules alone. With it, the
chat model also reads each claim that passes (as ``ask`` does); the run reads every
candidate (threshold 1.0) and records P(yes), so one run gives false support at every
threshold of the sweep, and at the configured one."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from assistant.bench.common import SWEEP, Progress, supported_at
from assistant.pipeline import Claim, Paper, Pipeline, SourceText, paper_name, split_sentences

# a number as a quantity ("178", "27.5", "2.6x"), not part of a name ("3D", "YOLOv3", "1.4B")
NUMBER = re.compile(r"(?<![\w.-])\d+(?:\.\d+)?(?![A-WYZa-wyz\d_-]|\.\d)")
FINDING = re.compile(r"\b(propos|show|achiev|outperform|improv|reduc|demonstrat|introduc|"
                     r"present|reach|obtain|surpass|run|speed|accelerat|find|found)\w*", re.I)
AUXILIARY = re.compile(r"\b(is|are|was|were|can|could|does|do|did|will|would|has|have)\b")
VERB_AFTER_SUBJECT = re.compile(r"\b(we|it|they)\s+([a-z]{3,})\b", re.I)
KINDS = ("own", "neighbour", "name_swap", "number_swap", "negation", "only")
NEAR_DUPLICATE = 0.92  # abstracts this similar are versions of one paper, not neighbours


@dataclass
class Case:
    kind: str
    paper: str
    claim: str
    cited: int
    sources: list[SourceText]


def _sentences(paper: Paper) -> list[str]:
    """The paper's findings: sentences after the first (the first sets the scene) that
    report something (a number, or a verb such as propose, show, achieve, outperform)."""
    return [s for s in split_sentences(paper.abstract)[1:]
            if len(s.split()) >= 6 and (NUMBER.search(s) or FINDING.search(s))]


def neighbours(vectors: np.ndarray, i: int, k: int) -> tuple[list[int], int]:
    """The ``k`` papers nearest paper ``i`` and how many near-duplicates were skipped."""
    sims = vectors @ vectors[i]
    order = [j for j in np.argsort(-sims) if j != i]
    near = [j for j in order if sims[j] >= NEAR_DUPLICATE]
    return [j for j in order if sims[j] < NEAR_DUPLICATE][:k], len(near)


def cases_for(paper: Paper, others: list[Paper]) -> Iterator[Case]:
    """Every perturbation of one paper that its text allows (at most one of each kind per
    sentence, the first sentences first)."""
    own = SourceText(1, paper.title, paper.abstract)
    rest = [SourceText(n, p.title, p.abstract) for n, p in enumerate(others, start=2)]
    sentences = _sentences(paper)
    for sentence in sentences[:3]:
        yield Case("own", paper.id, sentence, 1, [own, *rest])
        yield Case("neighbour", paper.id, sentence, 2, rest)
    yield from _name_swaps(paper, sentences, own, rest, others)
    yield from _number_swaps(paper, sentences, own, rest)
    for sentence in sentences[:3]:
        if negated := AUXILIARY.sub(lambda m: f"{m.group(1)} not", sentence, count=1):
            if negated != sentence:
                yield Case("negation", paper.id, negated, 1, [own, *rest])
        match = VERB_AFTER_SUBJECT.search(sentence)
        if match:
            only = sentence[:match.start(2)] + "only " + sentence[match.start(2):]
            yield Case("only", paper.id, only, 1, [own, *rest])


def _name_swaps(paper: Paper, sentences: list[str], own: SourceText,
                rest: list[SourceText], others: list[Paper]) -> Iterator[Case]:
    name = paper_name(paper.title)
    other = next(((n, paper_name(p.title)) for n, p in enumerate(others, start=2)
                  if paper_name(p.title) and paper_name(p.title) != name), None)
    if not name or other is None:
        return
    for sentence in [s for s in sentences if name in s][:2]:
        yield Case("name_swap", paper.id, sentence.replace(name, other[1]), other[0],
                   [own, *rest])


def _number_swaps(paper: Paper, sentences: list[str], own: SourceText,
                  rest: list[SourceText]) -> Iterator[Case]:
    numbers = {s: NUMBER.findall(s) for s in sentences}
    for sentence, found in list(numbers.items())[:3]:
        if not found:
            continue
        elsewhere = [n for s, ns in numbers.items() if s != sentence for n in ns
                     if n not in found]
        if elsewhere:
            swapped = re.sub(rf"(?<![\w.]){re.escape(found[0])}(?![\w.]*\d)", elsewhere[0],
                             sentence, count=1)
            yield Case("number_swap", paper.id, swapped, 1, [own, *rest])


def perturb(pipeline: Pipeline, papers: list[Paper], k: int = 3, limit: int | None = None,
            progress: Progress | None = None, entail: bool = False) -> dict:
    """False support per kind of perturbation (recall for ``own``), and the examples the
    check got wrong (a few per kind, to read). The first ``limit`` papers are perturbed;
    their neighbours come from all ``papers``. With ``entail`` the model reads the
    claims that pass (see the module's docstring)."""
    vectors = pipeline.index.embedder.embed([p.abstract for p in papers])
    vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    scored: list[tuple[str, str, float | None]] = []  # kind, claim, P(yes) (None: rejected)
    duplicates = 0
    subjects = papers[:limit] if limit else papers
    start = time.perf_counter()
    with pipeline.judging(entail=entail, threshold=1.0 if entail else None) as checker:
        for i, paper in enumerate(subjects):
            near, skipped = neighbours(vectors, i, k)
            duplicates += skipped
            for case in cases_for(paper, [papers[j] for j in near]):
                scored.append((case.kind, case.claim,
                               _score(checker.decide(case.claim, [case.cited], case.sources),
                                      entail)))
            if progress:
                progress(i + 1, len(subjects))
        reads = checker.judge.calls if checker.judge else 0
    threshold = pipeline.settings.claim_entail_threshold if entail else 1.0
    result = {kind: _rates(scored, kind, threshold) for kind in KINDS}
    if entail:
        result["sweep"] = {str(t): {kind: _rates(scored, kind, t) for kind in KINDS}
                           for t in SWEEP}
    return {**result, "papers": len(subjects), "neighbours": k,
            "near_duplicates_skipped": duplicates, "entail": entail,
            "threshold": threshold if entail else None, "model_reads": reads,
            "seconds_per_read": (time.perf_counter() - start) / reads if reads else 0.0,
            "examples_wrong": _wrong(scored, threshold)}


def _score(claim: Claim, entail: bool) -> float | None:
    """1.0 for a claim the similarity check supports (no model), the best P(yes) the
    model read for it (with one), None where the similarity check rejects it."""
    if not entail:
        return 1.0 if claim.supported else None
    if not claim.readings:
        return 1.0 if claim.supported else None  # no label probabilities: rules alone
    return max(r["probs"]["yes"] for r in claim.readings.values())



def _rates(scored: list[tuple[str, str, float | None]], kind: str, threshold: float) -> dict:
    hits = [supported_at(score, threshold) for k, _, score in scored if k == kind]
    rate = sum(hits) / len(hits) if hits else 0.0
    return {"cases": len(hits), ("recall" if kind == "own" else "false_support"): rate}


def _wrong(scored: list[tuple[str, str, float | None]], threshold: float
           ) -> dict[str, list[str]]:
    wrong: dict[str, list[str]] = {kind: [] for kind in KINDS}
    for kind, claim, score in scored:
        if supported_at(score, threshold) != (kind == "own") and len(wrong[kind]) < 5:
            wrong[kind].append(claim)
    return wrong


def sample_papers(settings, sample) -> tuple[Pipeline, list[Paper]]:
    """A pipeline over the bundled sample (its own bench index) and its papers."""
    pipeline = Pipeline(settings.replace(data_dir=settings.data_dir / "bench" / "perturb"))
    if pipeline.paper_count() == 0:
        pipeline.ingest([sample])
    return pipeline, [sp.paper for sp in pipeline.papers()]
