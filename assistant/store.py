"""Embed/store: a persistent Chroma collection plus a BM25 index and a paper registry.

Chroma is the source of truth: every chunk carries its paper's id, title, source, year,
content hash, chunk count and write time, and the first chunk of a paper carries the whole
paper record. The registry (``index/registry.json``) and the BM25 index (``index/bm25/``)
are derived from it and rewritten atomically after each change.

Crash safety: before a write touches Chroma it leaves a marker (``index/writing``) that
only a completed save removes. A process that finds the marker while no writer holds the
lock (:mod:`.locking`) knows a write was interrupted and rebuilds the registry from
Chroma *by paper*: of each paper's versions it keeps the newest complete one and deletes
the rest, so a kill -9 at any point loses nothing indexed before it. Readers never write:
they skip chunk ids they do not know (another process's fresh write) and reload the
registry when it changes on disk, so a chat sees new papers on its next question.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .chunking import Chunk
from .errors import AssistantError
from .locking import WriteLock
from .sources import Paper

COLLECTION = "chunks"
REGISTRY_VERSION = 1
REPAIR = "assistant reindex"


class IndexCorrupt(AssistantError):
    """Part of the index on disk cannot be read."""


class IndexUnavailable(AssistantError):
    """The Chroma server the settings name cannot be used."""


def _http_client(url: str, settings):
    """A client for a Chroma server (``chroma run --path DIR --port N``): the vectors live
    there, shared by everyone pointing at it; each user's registry and keyword index are
    derived from it like those of the embedded store."""
    from urllib.parse import urlparse

    import chromadb

    parts = urlparse(url)
    try:
        client = chromadb.HttpClient(host=parts.hostname or "127.0.0.1",
                                     port=parts.port or (443 if parts.scheme == "https" else 8000),
                                     ssl=parts.scheme == "https", settings=settings)
        client.heartbeat()
    except Exception as exc:  # connection refused, timeout, not a Chroma server
        raise IndexUnavailable(
            f"cannot reach the Chroma server at {url} ({type(exc).__name__}); start it with "
            "`chroma run --path DIR --port N`, or unset chroma_url (ASSISTANT_CHROMA_URL) to "
            "use the embedded store") from exc
    return client


@dataclass
class StoredPaper:
    paper: Paper
    content_hash: str
    chunk_ids: list[str]


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def bm25_tokenize(texts: list[str]) -> list[list[str]]:
    """Lower-cased, stop-worded, stemmed tokens: the same for documents and queries."""
    import bm25s

    return bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), return_ids=False,
                          show_progress=False)


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


class Registry:
    """The light-weight view of the index: papers and chunk texts, readable without Chroma."""

    def __init__(self, index_dir: Path) -> None:
        self.path = index_dir / "registry.json"
        self.papers: dict[str, StoredPaper] = {}
        self.chunks: dict[str, dict] = {}
        self.signature = self.disk_signature()
        if self.path.exists():
            try:
                self._load(json.loads(self.path.read_text(encoding="utf-8")))
            except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
                raise IndexCorrupt(f"{self.path} is unreadable ({type(exc).__name__}); "
                                   f"rebuild it from the vectors with: {REPAIR}") from exc

    def disk_signature(self) -> tuple[int, int]:
        """Changes whenever another process saves the registry."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return (0, 0)
        return (stat.st_mtime_ns, stat.st_size)

    def _load(self, data: dict) -> None:
        for pid, item in data.get("papers", {}).items():
            self.papers[pid] = StoredPaper(Paper(**item["paper"]), item["content_hash"],
                                           item["chunk_ids"])
        self.chunks = data.get("chunks", {})

    def save(self) -> None:
        data = {
            "version": REGISTRY_VERSION,
            "papers": {pid: {"paper": sp.paper.to_dict(), "content_hash": sp.content_hash,
                             "chunk_ids": sp.chunk_ids} for pid, sp in self.papers.items()},
            "chunks": self.chunks,
        }
        _atomic_write(self.path, json.dumps(data, ensure_ascii=False))
        self.signature = self.disk_signature()

    @property
    def chunk_count(self) -> int:
        return len(self.chunks)


class Store:
    """Chroma (dense vectors) + BM25 (lexical) over the same chunks, kept in step."""

    def __init__(self, data_dir: Path, lock: WriteLock | None = None,
                 chroma_url: str = "") -> None:
        self.data_dir = data_dir
        self.chroma_url = chroma_url
        self.index_dir = data_dir / "index"
        self.chroma_dir = data_dir / "chroma"
        self.lock = lock or WriteLock(self.index_dir / "write.lock")
        self.marker = self.index_dir / "writing"
        self.registry = Registry(self.index_dir)
        self._collection = None
        self._bm25 = None
        self._bm25_ids: list[str] | None = None

    # --- opening ------------------------------------------------------------------------

    @property
    def collection(self):
        if self._collection is None:
            import chromadb
            from chromadb.config import Settings as ChromaSettings

            self.data_dir.mkdir(parents=True, exist_ok=True)
            settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
            if self.chroma_url:
                client = _http_client(self.chroma_url, settings)
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
            if self.marker.exists() or count != self.registry.chunk_count:
                self._repair()
        return self._collection

    def _repair(self) -> None:
        """Rebuild from Chroma after an interrupted write, unless a writer is at work now
        (then its marker is live, and it will save a consistent registry itself)."""
        if self.lock.held:
            self._rebuild_from_chroma()
        elif self.lock.try_acquire():
            try:
                self._rebuild_from_chroma()
            finally:
                self.lock.release()

    def refresh(self) -> bool:
        """Reload what another process saved since this one read it (readers call this
        before each search); True if anything changed."""
        if self.lock.held:
            return False
        if self.chroma_url:  # others write to the server: compare with it
            if self._collection is None:
                self.collection  # noqa: B018 - opening derives the registry when it differs
                return True
            if self._collection.count() != self.registry.chunk_count:
                self._repair()
                self._bm25, self._bm25_ids = None, None
                return True
            return False
        if self.registry.disk_signature() == self.registry.signature:
            return False
        self.registry = Registry(self.index_dir)
        self._bm25, self._bm25_ids = None, None
        if self._collection is not None:  # see the new vectors too
            from chromadb.api.client import SharedSystemClient

            SharedSystemClient.clear_system_cache()
            self._collection = None
        return True

    def begin_write(self) -> None:
        """Mark the index as being written until :meth:`persist` completes."""
        if not self.marker.exists():
            self.index_dir.mkdir(parents=True, exist_ok=True)
            self.marker.write_text(str(os.getpid()), encoding="utf-8")

    def _rebuild_from_chroma(self) -> None:
        """Re-derive registry and BM25 from Chroma, paper by paper: of each paper's
        versions (content hashes) the newest complete one is kept, the rest deleted."""
        got = self._collection.get(include=["documents", "metadatas"])
        versions: dict[str, dict[str, list]] = {}
        for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
            by_hash = versions.setdefault(meta["paper_id"], {})
            by_hash.setdefault(meta.get("content_hash", ""), []).append((cid, doc, meta))
        registry = Registry.__new__(Registry)
        registry.path, registry.papers, registry.chunks = self.registry.path, {}, {}
        registry.signature = (0, 0)
        stale: list[str] = []
        for pid, by_hash in versions.items():
            chosen = _newest_complete(by_hash)
            for content_hash, items in by_hash.items():
                if content_hash != chosen:
                    stale += [cid for cid, _doc, _meta in items]
            if chosen is None:
                continue
            items = sorted(by_hash[chosen], key=lambda item: item[2]["index"])
            for cid, doc, meta in items:
                registry.chunks[cid] = {"paper_id": pid, "title": meta["title"], "text": doc,
                                        "index": meta["index"]}
            record = next(meta["paper_json"] for _cid, _doc, meta in items
                          if meta.get("paper_json"))
            registry.papers[pid] = StoredPaper(Paper(**json.loads(record)), chosen,
                                               [cid for cid, _doc, _meta in items])
        if stale and not self.chroma_url:  # a shared server: its writers clean up
            self._collection.delete(ids=stale)
        self.registry = registry
        self._persist_derived()

    # --- writing ------------------------------------------------------------------------

    def status_of(self, paper: Paper) -> str:
        """'new', 'changed' or 'unchanged' relative to what is indexed."""
        stored = self.registry.papers.get(paper.id)
        if stored is None:
            return "new"
        return "unchanged" if stored.content_hash == paper.content_hash else "changed"

    def upsert(self, paper: Paper, chunks: list[Chunk], vectors: np.ndarray) -> None:
        """Replace a paper's chunks (if any) with these; caller persists afterwards."""
        self.begin_write()
        old = self.registry.papers.get(paper.id)
        metadatas = []
        written = time.time()
        for chunk in chunks:
            meta = {"paper_id": paper.id, "title": paper.title, "source": paper.source,
                    "year": paper.year or -1, "index": chunk.index,
                    "content_hash": paper.content_hash, "n_chunks": len(chunks),
                    "written_at": written}
            if chunk.index == 0:
                meta["paper_json"] = json.dumps(paper.to_dict(), ensure_ascii=False)
            metadatas.append(meta)
        self.collection.upsert(ids=[c.id for c in chunks], embeddings=vectors.tolist(),
                               documents=[c.text for c in chunks], metadatas=metadatas)
        new_ids = {c.id for c in chunks}
        if old is not None:
            stale = [cid for cid in old.chunk_ids if cid not in new_ids]
            if stale:
                self.collection.delete(ids=stale)
            for cid in stale:
                self.registry.chunks.pop(cid, None)
        for chunk in chunks:
            self.registry.chunks[chunk.id] = {"paper_id": paper.id, "title": paper.title,
                                              "text": chunk.text, "index": chunk.index}
        self.registry.papers[paper.id] = StoredPaper(paper, paper.content_hash,
                                                     [c.id for c in chunks])

    def remove(self, paper_id: str, persist: bool = True) -> Paper | None:
        stored = self.registry.papers.get(paper_id)
        if stored is None:
            return None
        self.begin_write()
        self.collection.delete(ids=stored.chunk_ids)
        for cid in stored.chunk_ids:
            self.registry.chunks.pop(cid, None)
        del self.registry.papers[paper_id]
        if persist:
            self._persist_derived()
        return stored.paper

    def persist(self) -> None:
        self._persist_derived()

    def _persist_derived(self) -> None:
        """Rebuild and swap in the BM25 index, then write the registry (its change on disk
        is what tells readers to reload), then drop the write marker."""
        bm25_dir = self.index_dir / "bm25"
        ids = list(self.registry.chunks)
        self.index_dir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=self.index_dir, prefix="bm25-"))
        try:
            if ids:
                import bm25s

                texts = [f"{c['title']}\n{c['text']}" for c in self.registry.chunks.values()]
                retriever = bm25s.BM25()
                retriever.index(bm25_tokenize(texts), show_progress=False)
                retriever.save(str(tmp))
            _atomic_write(tmp / "ids.json", json.dumps(ids))
            if bm25_dir.exists():
                shutil.rmtree(bm25_dir)
            os.replace(tmp, bm25_dir)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        self.registry.save()
        self._bm25, self._bm25_ids = None, None
        self.marker.unlink(missing_ok=True)  # the write is complete

    # --- reading ------------------------------------------------------------------------

    def papers(self) -> list[StoredPaper]:
        return list(self.registry.papers.values())

    def get_paper(self, paper_id: str) -> Paper | None:
        stored = self.registry.papers.get(paper_id)
        return stored.paper if stored else None

    def chunk(self, chunk_id: str) -> dict | None:
        """A chunk's text and paper, or None for an id this process does not know (another
        process wrote it after this one read the registry)."""
        return self.registry.chunks.get(chunk_id)

    def dense(self, vector: np.ndarray, n: int,
              paper_ids: set[str] | None = None) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) best first."""
        total = self.collection.count()
        if total == 0 or n <= 0:
            return []
        where = {"paper_id": {"$in": sorted(paper_ids)}} if paper_ids is not None else None
        if paper_ids is not None and not paper_ids:
            return []
        result = self.collection.query(query_embeddings=[vector.tolist()],
                                       n_results=min(n, total), where=where,
                                       include=["distances"])
        return [(cid, 1.0 - float(d))
                for cid, d in zip(result["ids"][0], result["distances"][0], strict=True)]

    def _load_bm25(self) -> None:
        import bm25s

        bm25_dir = self.index_dir / "bm25"
        ids_path = bm25_dir / "ids.json"
        if not ids_path.exists() and self.registry.chunks and self.lock.held:
            self._persist_derived()
        self._bm25_ids = json.loads(ids_path.read_text()) if ids_path.exists() else []
        if self._bm25_ids and set(self._bm25_ids) != set(self.registry.chunks) and \
                self.lock.held:  # readers use what is there; unknown ids are skipped
            self._persist_derived()
            self._bm25_ids = json.loads(ids_path.read_text())
        self._bm25 = bm25s.BM25.load(str(bm25_dir)) if self._bm25_ids else None

    def term_idf(self, terms: list[str]) -> dict[str, float]:
        """BM25's inverse document frequency (over chunks) of stemmed terms: how rare a
        word is in this collection. A term no chunk uses gets the highest value."""
        if self._bm25_ids is None:
            self._load_bm25()
        if not self._bm25 or not self._bm25_ids:
            return {}
        total = len(self._bm25_ids)
        vocab = self._bm25.vocab_dict
        indptr = self._bm25.scores["indptr"]
        idf = {}
        for term in terms:
            index = vocab.get(term)
            df = int(indptr[index + 1] - indptr[index]) if index is not None else 0
            idf[term] = math.log(1.0 + (total - df + 0.5) / (df + 0.5))
        return idf

    def lexical(self, query: str, n: int,
                paper_ids: set[str] | None = None) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) best first; zero-score chunks are dropped."""
        if self._bm25_ids is None:
            self._load_bm25()
        if not self._bm25 or not self._bm25_ids:
            return []
        tokens = [t for t in bm25_tokenize([query])[0] if t in self._bm25.vocab_dict]
        if not tokens:
            return []
        k = len(self._bm25_ids) if paper_ids is not None else min(n, len(self._bm25_ids))
        docs, scores = self._bm25.retrieve([tokens], k=k, show_progress=False)
        hits = []
        for index, score in zip(docs[0], scores[0], strict=True):
            cid = self._bm25_ids[int(index)]
            if score <= 0:
                continue
            chunk = self.registry.chunks.get(cid)
            if chunk is None:
                continue
            if paper_ids is not None and chunk["paper_id"] not in paper_ids:
                continue
            hits.append((cid, float(score)))
            if len(hits) >= n:
                break
        return hits
