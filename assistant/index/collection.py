"""The index as one owned part of the pipeline: the store, the embedder and the write
lock, with the verbs that change the index (ingest, remove, reindex) and those that read
it (papers, lookups, search).

Every change holds the write lock (:mod:`.locking`); a reader notices what other
processes committed before each search (:meth:`Store.refresh`).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from assistant.fileio import write_atomic
from assistant.index.chunking import Chunk
from assistant.index.filters import Filters
from assistant.index.ingest import IngestReport, Progress, batches, ingest_batch, stream_papers
from assistant.index.locking import WriteLock
from assistant.index.search import Hit, hybrid_search
from assistant.index.store import Store, StoredPaper
from assistant.settings import Settings
from assistant.sources import Paper, expand_paths

OnWait = Callable[[str], None]


class Index:
    """Chroma vectors + SQLite records of one data directory, and the embedder that
    makes the vectors. The embedder is loaded on first use, or given (tests pass a
    deterministic one; anything with ``embed``, ``embed_one``, ``count_tokens``,
    ``close``)."""

    def __init__(self, settings: Settings, embedder=None,
                 load_embedder: Callable[[], object] | None = None) -> None:
        self.settings = settings
        self.lock = WriteLock(settings.data_dir / "index" / "write.lock")
        self._store: Store | None = None
        self._embedder = embedder
        self._load_embedder = load_embedder

    # --- parts ----------------------------------------------------------------------------

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.settings.data_dir, self.lock, self.settings.chroma_url)
        return self._store

    @property
    def embedder(self):
        if self._embedder is None:
            self._embedder = self._load_embedder()
        return self._embedder

    @contextmanager
    def writing(self, wait: bool = True, on_wait: OnWait | None = None):
        """Hold the index's write lock for a change. If another process committed since
        this one last looked, the store is reopened once the lock is held, so a writer
        that waited builds on what the other one wrote; otherwise the open store is kept
        (reopening Chroma reloads its whole vector index: 0.3 s at 100k papers)."""
        if self.lock.held:  # re-entrant: ingest calling remove for a migration
            yield
            return
        self.lock.acquire(wait, on_wait)
        try:
            if self._store is not None and self._store.changed_elsewhere():
                self._reopen_store()
            yield
        finally:
            self.lock.release()

    def _reopen_store(self) -> None:
        if self._store is not None:
            self._store.close(forget=True)
        self._store = None

    # --- changing the index -----------------------------------------------------------------

    def ingest(self, paths: Iterable[Path], progress: Progress | None = None,
               wait: bool = True, on_wait: OnWait | None = None,
               keep: Callable[[Paper], bool] | None = None,
               limit: int | None = None, batch: int | None = None) -> IngestReport:
        """Add or update papers from files (those ``keep`` selects, at most ``limit``); bad
        files and records are reported, good ones still land. Holds the write lock
        (``wait=False``: IndexBusy if another process is writing).

        The files are read as a stream and committed ``batch`` papers at a time (setting
        ``ingest_batch``; one Chroma call, one transaction each), so a multi-GB dump needs
        memory for one batch, and a killed ingest re-run skips every paper already
        committed (they are "unchanged") and goes on from there. ``progress`` hears papers
        done, bytes read and total bytes."""
        start = time.perf_counter()
        report = IngestReport()
        paths = list(paths)
        total = sum(f.stat().st_size for f in expand_paths(paths)[0] if f.is_file())
        read = 0

        def on_bytes(n: int) -> None:
            nonlocal read
            read += n

        def reported() -> None:
            if progress:
                progress(report.done, read, total)

        papers = stream_papers(paths, report, keep, limit, on_bytes)
        self.add_papers(papers, report, batch, reported, wait, on_wait)
        if progress:
            progress(report.done, total, total)
        report.seconds = time.perf_counter() - start
        return report

    def add_papers(self, papers: Iterable[Paper], report: IngestReport,
                   batch: int | None = None, progress: Callable[[], None] | None = None,
                   wait: bool = True, on_wait: OnWait | None = None) -> None:
        """Embed and commit parsed papers under the write lock, ``batch`` per commit
        (setting ``ingest_batch``); ``progress`` is called after each full batch."""
        self._write_batches(
            papers, batch or self.settings.ingest_batch,
            lambda chunk: ingest_batch(self.store, self.embedder, self.settings.chunk_tokens,
                                       chunk, report),
            progress, wait, on_wait)

    def add_embedded(self, items: Iterable[tuple[Paper, list[Chunk], np.ndarray]],
                     batch: int = 500) -> int:
        """Store papers whose chunks are already embedded (vectors computed elsewhere, or
        generated by ``bench scale``) under the write lock, ``batch`` papers per write;
        returns how many."""
        count = 0

        def commit(chunk: list) -> None:
            nonlocal count
            self.store.upsert_many(chunk)
            count += len(chunk)

        self._write_batches(items, batch, commit)
        return count

    def _write_batches(self, items: Iterable, size: int, commit: Callable[[list], None],
                       progress: Callable[[], None] | None = None, wait: bool = True,
                       on_wait: OnWait | None = None) -> None:
        """The one batching loop of every write: under the lock, ``commit`` each batch,
        then mark the write complete. ``progress`` hears each full batch; the end is the
        caller's to report."""
        with self.writing(wait, on_wait):
            for chunk in batches(items, size):
                commit(chunk)
                if progress and len(chunk) == size:
                    progress()
            self.store.persist()

    def remove(self, paper_id: str, wait: bool = True,
               on_wait: OnWait | None = None) -> Paper | None:
        with self.writing(wait, on_wait):
            return self.store.remove(paper_id)

    def reindex(self, wait: bool = True, on_wait: OnWait | None = None) -> int:
        """Rebuild the records and the keyword index from the vectors (the repair for an
        unreadable records database); returns the number of papers."""
        with self.writing(wait, on_wait):
            if self._store is not None:
                self._store.close()
            Store.discard_records(self.settings.data_dir / "index")
            self._reopen_store()
            store = self.store
            store.collection  # noqa: B018 - opening notices the empty records and rebuilds
            return store.paper_count()

    # --- reading ----------------------------------------------------------------------------

    def papers(self) -> list[StoredPaper]:
        self.store.refresh()
        return self.store.papers()

    def paper_count(self) -> int:
        self.store.refresh()
        return self.store.paper_count()

    def stored_paper(self, paper_id: str) -> StoredPaper | None:
        """A paper with its index entry (chunks), or None."""
        return self.store.stored(paper_id)

    def get_paper(self, paper_id: str) -> Paper | None:
        return self.store.get_paper(paper_id)

    def term_idf(self, terms: list[str]) -> dict[str, float]:
        """How rare each stemmed term is in the collection (for the claim check)."""
        return self.store.term_idf(terms)

    def search(self, query: str, k: int, filters: Filters | None = None,
               mode: str = "hybrid", vector=None) -> list[Hit]:
        """Top-k papers; ``mode`` is hybrid, dense or bm25; ``vector`` reuses a query
        embedding (the retrieval benchmark compares modes on one)."""
        self.store.refresh()  # another process may have changed the index since
        if not self.store.paper_count():
            return []
        if vector is None and mode != "bm25":
            vector = self.embedder.embed_one(query)
        return hybrid_search(self.store, query, vector, k, self.settings, filters, mode)

    # --- remembered searches ---------------------------------------------------------------

    def recall(self, key: str) -> list[Paper] | None:
        """The papers a search remembered under ``key`` found, while the index is in the
        state it was in then (None: not remembered, or the index changed since). Reads
        the records only: no vectors opened, no query embedded."""
        state = self.store.settled_state()
        path = self._memo_path(key)
        if state is None or not path.exists():
            return None
        try:
            memo = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return None
        if memo.get("state") != state or memo.get("key") != key:
            return None
        papers = [self.store.settled_paper(pid) for pid in memo.get("ids", [])]
        return None if None in papers else papers

    def remember(self, key: str, state: str | None, papers: list[Paper]) -> None:
        """Remember what a search found under ``key``, if the index is still in ``state``
        (taken before the search: a change by another process meanwhile is not
        remembered as this state's)."""
        if state is None or self.store.settled_state() != state:
            return
        write_atomic(self._memo_path(key), json.dumps(
            {"key": key, "state": state, "ids": [p.id for p in papers]}))

    def _memo_path(self, key: str) -> Path:
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]
        return self.settings.cache_dir / "searches" / f"{digest}.json"

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
        if self._embedder is not None:
            self._embedder.close()
            self._embedder = None
