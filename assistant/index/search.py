"""Hybrid retrieval: dense (Chroma) + lexical (BM25), fused by reciprocal rank, grouped
per paper so one long paper cannot fill every slot.

The fused RRF score only orders results; whether anything is *relevant enough* to answer
from is decided on the best dense cosine similarity, which is comparable across queries,
and on the papers the query names (:func:`relevant`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.index.filters import Filters
from assistant.index.naming import (
    coined_in,
    coined_names,
    named,
    titled_topic,
    worded_topic,
)
from assistant.index.store import Store
from assistant.settings import Settings


@dataclass
class Hit:
    """One retrieved paper with the chunks that matched, best first."""

    paper_id: str
    title: str
    score: float
    dense: float = 0.0
    bm25: float = 0.0
    chunk_ids: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """What `search --json` and the MCP search tool return for a hit."""
        return {"id": self.paper_id, "title": self.title, "score": round(self.score, 6),
                "dense": round(self.dense, 4), "bm25": round(self.bm25, 4)}


def relevant(hits: list[Hit], settings: Settings, query: str = "",
             texts: Callable[[list[Hit]], list[str]] | None = None) -> list[Hit]:
    """Hits good enough to show the model; empty means out of scope.

    A paper much less similar than the best one is left out: a weak source costs prompt
    time and invites the model to cite it for claims it does not make. A paper the query
    names by its title's name ("Summarize FastDepth.", "Compare FastDepth and
    PrimeDepth.") or by a phrase of its title ("the opposing signals paper") is always
    kept (:mod:`.naming`): the embedder knows no such coined word, and a short command
    around it reads as far from every abstract (cosine 0.25 against a floor of 0.30), so
    the question was declined as out of scope. So is a question whose whole topic is
    the words of one or two titles ("Which papers use diffusion models?"), or one or two
    words, or a coined name, that the papers' own texts hold ("Which papers are about
    speech?", "What speed-up does FastRP report?"; ``texts``
    reads each hit's title and abstract, only for a question that is otherwise out of
    scope).
    """
    called = named(query, [h.title for h in hits]) if query else set()
    named_hits = [h for i, h in enumerate(hits) if i in called]
    best = max((h.dense for h in hits), default=0.0)
    if best < settings.min_relevance:  # out of scope, unless it asks for papers by name
        topical = titled_topic(query, [h.title for h in hits])
        if not topical and texts and hits:
            read = texts(hits)
            # a coined name must be found as written ("GPT-4" is not "GPT-2" and "4")
            topical = coined_in(query, read) if coined_names(query) \
                else worded_topic(query, read)
        return named_hits or [h for i, h in enumerate(hits) if i in topical]
    floor = max(settings.min_relevance * settings.relevance_floor,
                best - settings.relevance_margin)
    return [h for h in hits if h.dense >= floor or h in named_hits]


def rrf(rankings: list[list[str]], k: int, weights: list[float] | None = None
        ) -> dict[str, float]:
    """Reciprocal rank fusion: sum of w / (k + rank) over the lists an item appears in."""
    weights = weights or [1.0] * len(rankings)
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return scores


def group_by_paper(store: Store, fused: dict[str, float], dense: dict[str, float],
                   lexical: dict[str, float]) -> list[Hit]:
    hits: dict[str, Hit] = {}
    for cid, score in sorted(fused.items(), key=lambda kv: -kv[1]):
        chunk = store.chunk(cid)
        if chunk is None:  # written by another process after this one read the index
            continue
        pid = chunk["paper_id"]
        hit = hits.get(pid)
        if hit is None:
            hit = hits[pid] = Hit(pid, chunk["title"], score)
        hit.chunk_ids.append(cid)
        hit.dense = max(hit.dense, dense.get(cid, 0.0))
        hit.bm25 = max(hit.bm25, lexical.get(cid, 0.0))
    return sorted(hits.values(), key=lambda h: -h.score)


def hybrid_search(store: Store, query: str, query_vector, k: int, settings: Settings,
                  filters: Filters | None = None, mode: str = "hybrid") -> list[Hit]:
    """Top-k papers for the query. ``mode`` is 'hybrid', 'dense' or 'bm25' (benchmarks)."""
    allowed = store.allowed_ids(filters or Filters())
    candidates, limit = settings.candidates, settings.in_list_limit
    dense = (_within(lambda n, ids: store.dense(query_vector, n, ids), store, candidates,
                     allowed, limit) if mode != "bm25" else [])
    lexical = (_within(lambda n, ids: store.lexical(query, n, ids), store, candidates,
                       allowed, limit) if mode != "dense" else [])
    rankings = [[cid for cid, _ in ranked] for ranked in (dense, lexical) if ranked]
    fused = rrf(rankings, k=settings.rrf_k)
    hits = group_by_paper(store, fused, dict(dense), dict(lexical))
    return with_named(query, hits, k) if mode == "hybrid" else hits[:k]


NAMED_MOST = 2  # papers a question names that may join the hits (more: no name at all)


def with_named(query: str, hits: list[Hit], k: int) -> list[Hit]:
    """The best ``k`` of ``hits``, a paper the query names (:func:`.naming.named`: "Does
    FastDepth use network pruning?") among them even where it ranks lower: four papers on
    pruning outscored FastDepth itself, which the answer then never saw. Each named
    paper takes the place of the weakest unnamed one; the order stays the ranking's. A
    question that seems to name more than ``NAMED_MOST`` papers (titles sharing a head,
    "Fournier's gangrene: …") names none of them this way."""
    called = named(query, [h.title for h in hits]) if query else set()
    if not any(i >= k for i in called) or len(called) > NAMED_MOST:
        return hits[:k]  # none below the top k, or a "name" many titles share
    unnamed = [i for i in range(len(hits)) if i not in called][:k - len(called)]
    return [hits[i] for i in sorted({*unnamed, *called})]


def _within(search, store: Store, n: int, allowed: set[str] | None, limit: int
            ) -> list[tuple[str, float]]:
    """``search(n, paper_ids)``'s best ``n`` among the allowed papers. A short list of
    papers goes to the store as a condition; a long one (``--since`` on a big collection
    keeps tens of thousands) would make a huge IN list (more than ``limit``, setting
    ``in_list_limit``), so more results are fetched
    unrestricted and filtered here, widening until ``n`` are found or none are left."""
    if allowed is None or len(allowed) <= limit:
        return search(n, allowed)
    total = store.chunk_count()
    fetch = n * 4
    while True:
        results = search(min(fetch, total), None)
        papers = store.chunk_papers([cid for cid, _score in results])
        kept = [(cid, score) for cid, score in results if papers.get(cid) in allowed]
        if len(kept) >= n or len(results) < min(fetch, total) or fetch >= total:
            return kept[:n]
        fetch *= 4
