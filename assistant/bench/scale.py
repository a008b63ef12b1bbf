"""`assistant bench scale`: how the index behaves as the collection grows.

Collections of synthetic papers (Zipf-distributed words from a fixed vocabulary, one chunk
each) are built through the pipeline and the real store (Chroma + SQLite records + FTS5)
with **generated unit vectors instead of embeddings** — embedding 100k abstracts would
take hours here and is not what is measured. Per size: build time, opening the index,
adding one paper, removing one, hybrid search latency (p50/p95 over 30 queries, with and
without a year filter), a cold `assistant search` process (time, peak RSS), and the size on
disk.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from assistant.bench.common import run_measured
from assistant.pipeline import Chunk, Filters, Paper, Pipeline
from assistant.settings import load_settings

DIM = 384
VOCAB = 5000
WORDS_PER_ABSTRACT = 150


def _words(rng: np.random.Generator, count: int) -> str:
    ranks = np.minimum(rng.zipf(1.3, count), VOCAB) - 1
    return " ".join(f"w{rank}" for rank in ranks)


def _paper(i: int, rng: np.random.Generator) -> tuple[Paper, list[Chunk], np.ndarray]:
    paper = Paper(id=f"s{i:07d}", title=f"Synthetic paper {i} on {_words(rng, 4)}",
                  abstract=_words(rng, WORDS_PER_ABSTRACT), source="synthetic",
                  year=2000 + i % 25)
    chunk = Chunk(id=f"{paper.id}#{paper.content_hash[:8]}#0", paper_id=paper.id, index=0,
                  text=paper.abstract, title=paper.title)
    vector = rng.standard_normal(DIM).astype(np.float32)
    return paper, [chunk], (vector / np.linalg.norm(vector))[None, :]


def _cold_search(folder: Path, query: str) -> tuple[float, float]:
    """A cold `assistant search --json` process (the real embedder embeds the query) with
    ``--since``: its wall time and peak RSS in MB."""
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(folder),
           "ASSISTANT_CONFIG": str(folder / "none.toml")}
    command = [sys.executable, "-m", "assistant", "search", "--json", "--since", "2015",
               query]
    seconds, _stdout, rss_mb = run_measured(command, env)
    return seconds, rss_mb


def _disk_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def measure(size: int, seed: int = 7, queries: int = 30) -> dict:
    rng = np.random.default_rng(seed)
    folder = Path(tempfile.mkdtemp(prefix=f"assistant-scale-{size}-"))
    settings = load_settings(config_path=folder / "none.toml", data_dir=folder)
    try:
        builder = Pipeline(settings)
        start = time.perf_counter()
        builder.add_embedded(_paper(i, rng) for i in range(size))
        build = time.perf_counter() - start
        builder.close()

        start = time.perf_counter()
        pipeline = Pipeline(settings)
        assert pipeline.paper_count() == size
        open_s = time.perf_counter() - start

        extra = _paper(size, rng)
        start = time.perf_counter()
        pipeline.add_embedded([extra])
        add_s = time.perf_counter() - start

        start = time.perf_counter()
        pipeline.remove(extra[0].id)
        remove_s = time.perf_counter() - start

        latencies, unfiltered = [], []
        since = Filters(year_min=2015)  # keeps 40% of the papers, as --since would
        for _q in range(queries):
            query = _words(rng, 6)
            vector = rng.standard_normal(DIM).astype(np.float32)
            vector /= np.linalg.norm(vector)
            t0 = time.perf_counter()
            pipeline.search(query, 4, filters=since, vector=vector)
            latencies.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            pipeline.search(query, 4, vector=vector)
            unfiltered.append(time.perf_counter() - t0)
        pipeline.close()
        cold_s, rss_mb = _cold_search(folder, _words(rng, 6))
        latencies.sort()
        unfiltered.sort()
        return {"papers": size, "build_s": build, "open_s": open_s, "add_one_s": add_s,
                "remove_one_s": remove_s, "search_p50_s": statistics.median(latencies),
                "search_p95_s": latencies[int(0.95 * (len(latencies) - 1))],
                "search_unfiltered_p50_s": statistics.median(unfiltered),
                "search_unfiltered_p95_s": unfiltered[int(0.95 * (len(unfiltered) - 1))],
                "cold_search_s": cold_s, "disk_mb": _disk_mb(folder), "peak_rss_mb": rss_mb}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def scale(sizes: list[int], progress=None) -> dict:
    results = {"vectors": "generated", "note": "random unit vectors stand in for "
               "embeddings; search p50/p95 are hybrid with a year filter keeping 40% of the "
               "papers; cold_search_s and peak_rss_mb are one `assistant search --since` "
               "process (its query embedded for real)", "sizes": []}
    for done, size in enumerate(sizes, start=1):
        results["sizes"].append(measure(size))
        if progress:
            progress(done, len(sizes))
    return results
