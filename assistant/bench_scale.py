"""`assistant bench scale`: how the index behaves as the collection grows.

Collections of synthetic papers (Zipf-distributed words from a fixed vocabulary, one chunk
each) are built through the real store (Chroma + SQLite records + FTS5) with **generated unit
vectors instead of embeddings** — embedding 100k abstracts would take hours here and is
not what is measured. Per size: build time, opening the index, adding one paper, removing
one, hybrid search latency (p50/p95 over 30 queries), and the size on disk.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from .chunking import Chunk
from .retrieve import hybrid_search
from .sources import Paper
from .store import Store

DIM = 384
VOCAB = 5000
WORDS_PER_ABSTRACT = 150


def _words(rng: np.random.Generator, count: int) -> str:
    ranks = np.minimum(rng.zipf(1.3, count), VOCAB) - 1
    return " ".join(f"w{rank}" for rank in ranks)


def _paper(i: int, rng: np.random.Generator) -> tuple[Paper, Chunk, np.ndarray]:
    paper = Paper(id=f"s{i:07d}", title=f"Synthetic paper {i} on {_words(rng, 4)}",
                  abstract=_words(rng, WORDS_PER_ABSTRACT), source="synthetic")
    chunk = Chunk(id=f"{paper.id}#{paper.content_hash[:8]}#0", paper_id=paper.id, index=0,
                  text=paper.abstract, title=paper.title)
    vector = rng.standard_normal(DIM).astype(np.float32)
    return paper, chunk, vector / np.linalg.norm(vector)


def _disk_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def measure(size: int, seed: int = 7, queries: int = 30) -> dict:
    rng = np.random.default_rng(seed)
    folder = Path(tempfile.mkdtemp(prefix=f"assistant-scale-{size}-"))
    try:
        store = Store(folder)
        start = time.perf_counter()
        batch: list[tuple[Paper, Chunk, np.ndarray]] = []
        for i in range(size):
            batch.append(_paper(i, rng))
            if len(batch) == 1000 or i == size - 1:
                _add_batch(store, batch)
                batch = []
        store.persist()
        build = time.perf_counter() - start

        start = time.perf_counter()
        reopened = Store(folder)
        _ = reopened.collection
        open_s = time.perf_counter() - start

        extra = _paper(size, rng)
        start = time.perf_counter()
        reopened.upsert(extra[0], [extra[1]], extra[2][None, :])
        reopened.persist()
        add_s = time.perf_counter() - start

        start = time.perf_counter()
        reopened.remove(extra[0].id)
        remove_s = time.perf_counter() - start

        latencies = []
        for _q in range(queries):
            query = _words(rng, 6)
            vector = rng.standard_normal(DIM).astype(np.float32)
            t0 = time.perf_counter()
            hybrid_search(reopened, query, vector / np.linalg.norm(vector), 4)
            latencies.append(time.perf_counter() - t0)
        latencies.sort()
        return {"papers": size, "build_s": build, "open_s": open_s, "add_one_s": add_s,
                "remove_one_s": remove_s, "search_p50_s": statistics.median(latencies),
                "search_p95_s": latencies[int(0.95 * (len(latencies) - 1))],
                "disk_mb": _disk_mb(folder)}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _add_batch(store: Store, batch: list[tuple[Paper, Chunk, np.ndarray]]) -> None:
    """Many papers per Chroma call (the build is setup, not what is measured)."""
    import json

    store.begin_write()
    metadatas = []
    for paper, _chunk, _vector in batch:
        metadatas.append({"paper_id": paper.id, "title": paper.title, "source": paper.source,
                          "year": -1, "index": 0, "content_hash": paper.content_hash,
                          "n_chunks": 1, "written_at": time.time(),
                          "paper_json": json.dumps(paper.to_dict())})
    store.collection.upsert(ids=[c.id for _p, c, _v in batch],
                            embeddings=np.vstack([v for _p, _c, v in batch]).tolist(),
                            documents=[c.text for _p, c, _v in batch], metadatas=metadatas)
    from .store import _tokens

    for paper, chunk, _vector in batch:
        store.records.replace_paper(paper, [chunk], _tokens([chunk]))


def scale(sizes: list[int], progress=None) -> dict:
    results = {"vectors": "generated (random unit vectors), not embedded",
               "sizes": []}
    for done, size in enumerate(sizes, start=1):
        results["sizes"].append(measure(size))
        if progress:
            progress(done, len(sizes))
    return results
