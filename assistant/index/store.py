"""Embed/store: a persistent Chroma collection (vectors) and the SQLite record store
(:mod:`.index_db`: paper records, chunk texts, FTS5 keyword index), kept in step.

Chroma carries everything needed to rebuild the records: every chunk has its paper's id,
title, source, year, content hash, chunk count and write time, and the first chunk of a
paper the whole paper record. A change to one paper costs the same at any collection
size: its vectors are upserted, then its records replaced in one SQLite transaction, then
its stale vectors deleted.

Crash safety: before a write touches Chroma it leaves a marker (``index/writing``) that
only a completed write removes. A process that finds the marker while no writer holds the
lock (:mod:`.locking`) knows a write was interrupted and rebuilds the records from Chroma
*by paper*: of each paper's versions it keeps the newest complete one and deletes the
rest, so a kill -9 at any point loses nothing indexed before it. Readers never write: they
skip chunk ids they do not know and notice other processes' commits (``data_version``),
so a chat sees new papers on its next question. An index from before the SQLite store
(``registry.json``) is rebuilt from its vectors the first time it is opened.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from pathlib import Path

import numpy as np

from assistant.index.chroma import IndexUnavailable, http_client
from assistant.index.chunking import Chunk
from assistant.index.filters import Filters
from assistant.index.locking import WriteLock
from assistant.index.records import REPAIR, IndexCorrupt, Records, StoredPaper
from assistant.index.terms import bm25_tokenize
from assistant.sources import Paper

COLLECTION = "chunks"
__all__ = ["REPAIR", "IndexCorrupt", "IndexUnavailable", "Store", "StoredPaper"]


def _tokens(chunks: list[Chunk]) -> list[str]:
    return [" ".join(tokens) for tokens in
            bm25_tokenize([f"{c.title}\n{c.text}" for c in chunks])] if chunks else []


RECORDS_FILE = "records.sqlite3"
OLD_FILES = ("registry.json", "bm25")  # what indexes before the SQLite store kept


def remove_old_files(index_dir: Path) -> None:
    """The one place that cleans up files of older index formats."""
    for name in OLD_FILES:
        path = index_dir / name
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)


def _newest_complete(by_hash: dict[str, list]) -> str | None:
    """The content hash of a paper's newest version whose chunks are all there (indexes
    written before chunk counts were recorded count as complete)."""
    best, best_time = None, -1.0
    for content_hash, items in by_hash.items():
        metas = [meta for _cid, _doc, meta in items]
        expected = metas[0].get("n_chunks")
        complete = ({m["index"] for m in metas} == set(range(expected)) if expected
                    else True) and any(m.get("paper_json") for m in metas)
        written = float(metas[0].get("written_at", 0.0))
        if complete and written >= best_time:
            best, best_time = content_hash, written
    return best


class Store:
    """Chroma (dense vectors) + SQLite records and FTS5 (lexical) over the same chunks."""

    def __init__(self, data_dir: Path, lock: WriteLock | None = None,
                 chroma_url: str = "") -> None:
        self.data_dir = data_dir
        self.chroma_url = chroma_url
        self.index_dir = data_dir / "index"
        self.chroma_dir = data_dir / "chroma"
        self.lock = lock or WriteLock(self.index_dir / "write.lock")
        self.marker = self.index_dir / "writing"
        self.records = Records(self.index_dir / RECORDS_FILE)
        self._collection = None
        self._seen_version: int | None = None
        self._writes = 0  # this process's own commits (data_version counts only others')
        self._allowed: dict[tuple, tuple[tuple[int, int], set[str]]] = {}

    # --- opening ------------------------------------------------------------------------

    @property
    def collection(self):
        if self._collection is None:
            import chromadb
            from chromadb.config import Settings as ChromaSettings

            self.data_dir.mkdir(parents=True, exist_ok=True)
            settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
            if self.chroma_url:
                client = http_client(self.chroma_url, settings)
            else:
                client = chromadb.PersistentClient(path=str(self.chroma_dir), settings=settings)
            try:
                self._collection = client.get_or_create_collection(
                    COLLECTION, embedding_function=None, metadata={"hnsw:space": "cosine"}
                )
                count = self._collection.count()
            except Exception as exc:  # chromadb raises many types for a damaged store
                self._collection = None
                if self.chroma_url:
                    raise IndexUnavailable(f"the Chroma server at {self.chroma_url} failed "
                                           f"({type(exc).__name__}: {exc})") from exc
                raise IndexCorrupt(f"the vector store in {self.chroma_dir} cannot be read "
                                   f"({type(exc).__name__}: {exc}); re-ingest your files "
                                   "into a fresh --data-dir") from exc
            if self.marker.exists() or count != self.records.chunk_count():
                self._repair()
        return self._collection

    def _repair(self) -> None:
        """Rebuild from Chroma after an interrupted write, unless a writer is at work now
        (then its marker is live, and it will leave a consistent index itself)."""
        if self.lock.held:
            self._rebuild_from_chroma()
        elif self.lock.try_acquire():
            try:
                self._rebuild_from_chroma()
            finally:
                self.lock.release()

    def refresh(self) -> bool:
        """Notice what another process committed since this one last looked (readers call
        this before each search); True if anything changed."""
        if self.lock.held:
            return False
        if self.chroma_url:  # others write to the server: compare with it
            if self._collection is None:
                self.collection  # noqa: B018 - opening derives the records when they differ
                return True
            if self._collection.count() != self.records.chunk_count():
                self._repair()
                return True
            return False
        first_look = self._seen_version is None
        changed = self.changed_elsewhere() and not first_look
        if changed:  # see the new vectors too
            self._forget_vectors()
        return changed

    def _forget_vectors(self) -> None:
        """Drop the open collection and Chroma's cached client, so the next use reads the
        vectors from disk as another process left them."""
        if self._collection is not None:
            from chromadb.api.client import SharedSystemClient

            SharedSystemClient.clear_system_cache()
            self._collection = None

    def changed_elsewhere(self) -> bool:
        """Whether another process has committed since this store last looked (a writer
        that waited for the lock must build on that); notes the version either way."""
        if self.chroma_url:
            return True  # the server is shared: always read it afresh
        version = self.records.data_version()
        changed = self._seen_version is None or version != self._seen_version
        self._seen_version = version
        return changed

    def begin_write(self) -> None:
        """Mark the index as being written until :meth:`persist` completes. The vectors
        are opened first, so an earlier interrupted write is repaired before this one
        starts (and this one's marker is never mistaken for it)."""
        self._writes += 1
        self.collection  # noqa: B018
        if not self.marker.exists():
            self.index_dir.mkdir(parents=True, exist_ok=True)
            self.marker.write_text(str(os.getpid()), encoding="utf-8")

    def _rebuild_from_chroma(self) -> None:
        """Re-derive the records and the keyword index from Chroma, paper by paper: of
        each paper's versions (content hashes) the newest complete one is kept, the rest
        deleted."""
        got = self._collection.get(include=["documents", "metadatas"])
        versions: dict[str, dict[str, list]] = {}
        for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
            by_hash = versions.setdefault(meta["paper_id"], {})
            by_hash.setdefault(meta.get("content_hash", ""), []).append((cid, doc, meta))
        entries, stale = [], []
        for pid, by_hash in versions.items():
            chosen = _newest_complete(by_hash)
            for content_hash, items in by_hash.items():
                if content_hash != chosen:
                    stale += [cid for cid, _doc, _meta in items]
            if chosen is None:
                continue
            items = sorted(by_hash[chosen], key=lambda item: item[2]["index"])
            record = next(meta["paper_json"] for _cid, _doc, meta in items
                          if meta.get("paper_json"))
            chunks = [Chunk(cid, pid, meta["index"], doc, meta["title"])
                      for cid, doc, meta in items]
            entries.append((Paper(**json.loads(record)), chosen, chunks, _tokens(chunks)))
        self.records.rebuild(entries)
        if stale and not self.chroma_url:  # a shared server: its writers clean up
            self._collection.delete(ids=stale)
        remove_old_files(self.index_dir)
        self.persist()

    @staticmethod
    def discard_records(index_dir: Path) -> None:
        """Delete everything derived from the vectors (records, keyword index, old-format
        files), so the next open rebuilds it (``assistant reindex``)."""
        for name in (RECORDS_FILE, RECORDS_FILE + "-wal", RECORDS_FILE + "-shm"):
            (index_dir / name).unlink(missing_ok=True)
        remove_old_files(index_dir)

    # --- writing ------------------------------------------------------------------------

    def status_of(self, paper: Paper) -> str:
        """'new', 'changed' or 'unchanged' relative to what is indexed."""
        stored = self.records.content_hash(paper.id)
        if stored is None:
            return "new"
        return "unchanged" if stored == paper.content_hash else "changed"

    def upsert_many(self, items: list[tuple[Paper, list[Chunk], np.ndarray]]) -> None:
        """Replace these papers' chunks: all their vectors in one Chroma call, then each
        paper's records in one transaction, then the old vectors go."""
        if not items:
            return
        self.begin_write()
        ids, vectors, documents, metadatas = [], [], [], []
        written = time.time()
        for paper, chunks, paper_vectors in items:
            for chunk in chunks:
                meta = {"paper_id": paper.id, "title": paper.title, "source": paper.source,
                        "year": paper.year or -1, "index": chunk.index,
                        "content_hash": paper.content_hash, "n_chunks": len(chunks),
                        "written_at": written}
                if chunk.index == 0:
                    meta["paper_json"] = json.dumps(paper.to_dict(), ensure_ascii=False)
                ids.append(chunk.id)
                documents.append(chunk.text)
                metadatas.append(meta)
            vectors.append(paper_vectors)
        self.collection.upsert(ids=ids, embeddings=np.vstack(vectors).tolist(),
                               documents=documents, metadatas=metadatas)
        stale = self.records.replace_papers([(paper, chunks, _tokens(chunks))
                                             for paper, chunks, _v in items])
        if stale:
            self.collection.delete(ids=stale)

    def remove(self, paper_id: str, persist: bool = True) -> Paper | None:
        stored = self.records.stored(paper_id)
        if stored is None:
            return None
        self.begin_write()
        self.records.delete_paper(paper_id)
        self.collection.delete(ids=stored.chunk_ids)
        if persist:
            self.persist()
        return stored.paper

    def persist(self) -> None:
        """The write is complete: every record is committed as it is made, so what is
        left is to drop the marker."""
        self.marker.unlink(missing_ok=True)

    # --- reading ------------------------------------------------------------------------

    def papers(self) -> list[StoredPaper]:
        self._ensure_open()
        return self.records.papers()

    def paper_count(self) -> int:
        self._ensure_open()
        return self.records.paper_count()

    def stored(self, paper_id: str) -> StoredPaper | None:
        self._ensure_open()
        return self.records.stored(paper_id)

    def get_paper(self, paper_id: str) -> Paper | None:
        stored = self.stored(paper_id)
        return stored.paper if stored else None

    def chunk(self, chunk_id: str) -> dict | None:
        """A chunk's text and paper, or None for an id the records do not know (a vector
        another process has written but not yet committed)."""
        return self.records.chunk(chunk_id)

    def settled_state(self) -> str | None:
        """The records' state (:meth:`Records.state`) when they can be read without the
        vectors: no write was interrupted (no marker) and the vectors are local. None
        otherwise (the caller then goes the whole way: open, repair, search)."""
        if self.chroma_url or self.marker.exists() or not self.chroma_dir.exists():
            return None
        return self.records.state()

    def settled_paper(self, paper_id: str) -> Paper | None:
        """A paper from the records alone; only for a caller that checked
        :meth:`settled_state` against a state it saw with the vectors open."""
        stored = self.records.stored(paper_id)
        return stored.paper if stored else None

    def _ensure_open(self) -> None:
        """Records are derived from the vectors: open Chroma (and repair if they differ)
        before trusting them — cheap once open, and only then."""
        if self._collection is None and (self.marker.exists() or self.chroma_dir.exists()
                                         or self.chroma_url
                                         or (self.index_dir / "registry.json").exists()):
            self.collection  # noqa: B018

    def allowed_ids(self, filters: Filters) -> set[str] | None:
        """The ids of the papers a filter keeps (None: no filter), computed once per
        filter until the index changes (a chat asking with --since over 100k papers pays
        for the set once). Years are selected by SQL, the rest by the filter."""
        if not filters.active:
            return None
        self._ensure_open()
        version = (self.records.data_version(), self._writes)
        cached = self._allowed.get(filters.key)
        if cached is None or cached[0] != version:
            if len(self._allowed) > 32:
                self._allowed.clear()
            rows = self.records.paper_fields(filters.year_min, filters.year_max,
                                             text=filters.reads_text)
            kept = {pid for pid, source, title in rows if filters.keeps(pid, source, title)}
            cached = self._allowed[filters.key] = (version, kept)
        return cached[1]

    def chunk_papers(self, chunk_ids: list[str]) -> dict[str, str]:
        self._ensure_open()
        return self.records.chunk_papers(chunk_ids)

    def chunk_count(self) -> int:
        self._ensure_open()
        return self.records.chunk_count()

    def dense(self, vector: np.ndarray, n: int,
              paper_ids: set[str] | None = None) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) best first."""
        collection = self.collection
        # the records' count is kept by triggers; Chroma's count() scans (ms per 10k)
        total = self.records.chunk_count() if not self.chroma_url else collection.count()
        if total == 0 or n <= 0:
            return []
        where = {"paper_id": {"$in": sorted(paper_ids)}} if paper_ids is not None else None
        if paper_ids is not None and not paper_ids:
            return []
        result = collection.query(query_embeddings=[vector.tolist()],
                                       n_results=min(n, total), where=where,
                                       include=["distances"])
        return [(cid, 1.0 - float(d))
                for cid, d in zip(result["ids"][0], result["distances"][0], strict=True)]

    def term_idf(self, terms: list[str]) -> dict[str, float]:
        """BM25's inverse document frequency (over chunks) of stemmed terms: how rare a
        word is in this collection. A term no chunk uses gets the highest value."""
        frequencies, total = self.records.document_frequencies(terms)
        if not total:
            return {}
        return {term: math.log(1.0 + (total - frequencies.get(term, 0) + 0.5)
                               / (frequencies.get(term, 0) + 0.5)) for term in terms}

    def lexical(self, query: str, n: int,
                paper_ids: set[str] | None = None) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) best first (SQLite FTS5 over the stemmed tokens)."""
        return self.records.search(bm25_tokenize([query])[0], n, paper_ids)

    def close(self, forget: bool = False) -> None:
        """Close the records; ``forget`` also drops the vectors' client (a store that is
        reopened must not get Chroma's cached view from before another process wrote)."""
        if forget:
            self._forget_vectors()
        self.records.close()
