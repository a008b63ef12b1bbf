"""The index verbs of the pipeline: ingest (parse, chunk, embed, store) under the write
lock, remove, reindex, and the paper lookups the front ends use instead of the store."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .chunking import chunk_paper
from .sources import Paper, SourceError, expand_paths, read_source
from .store import StoredPaper


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)    # records or files that did not land
    warnings: list[str] = field(default_factory=list)  # landed, with a change worth knowing
    migrated: list[tuple[str, str]] = field(default_factory=list)  # (old id, new id)
    chunks: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0


class IndexVerbs:
    """Mixed into :class:`~assistant.pipeline.Pipeline`, which provides ``settings``,
    ``lock``, ``store``, ``embedder`` and ``_store``/``_checker``."""

    @contextmanager
    def writing(self, wait: bool = True, on_wait: Callable[[str], None] | None = None):
        """Hold the index's write lock for a change. The store is reopened once the lock
        is held, so a writer that waited builds on what the other one committed."""
        if self.lock.held:  # re-entrant: ingest calling remove for a migration
            yield
            return
        self.lock.acquire(wait, on_wait)
        try:
            self._reopen_store()
            yield
        finally:
            self.lock.release()

    def _reopen_store(self) -> None:
        if self._store is not None:
            if self._store._collection is not None:  # noqa: SLF001
                from chromadb.api.client import SharedSystemClient

                SharedSystemClient.clear_system_cache()
            self._store.close()
        self._store = None
        self._checker = None  # its IDF comes from the store

    # --- ingest -------------------------------------------------------------------------

    def parse(self, paths: Iterable[Path], report: IngestReport,
              keep: Callable[[Paper], bool] | None = None,
              limit: int | None = None) -> list[Paper]:
        """Every readable paper of these files (directories searched recursively) that
        ``keep`` selects, at most ``limit``; each unreadable file or record lands in the
        report as one line naming its place."""
        files, report.errors = expand_paths(paths)
        papers: dict[str, Paper] = {}
        for path in files:
            left = None if limit is None else limit - len(papers)
            if left is not None and left <= 0:
                break
            try:
                result = read_source(path, keep, left)
            except SourceError as exc:
                report.errors.append(str(exc))
                continue
            for problem in result.problems:
                (report.errors if problem.skipped else report.warnings).append(str(problem))
            for paper in result.papers:
                papers.setdefault(paper.id, paper)  # a paper in two files: the first wins
        return list(papers.values())

    def ingest(self, paths: Iterable[Path],
               progress: Callable[[int, int], None] | None = None, wait: bool = True,
               on_wait: Callable[[str], None] | None = None,
               keep: Callable[[Paper], bool] | None = None,
               limit: int | None = None) -> IngestReport:
        """Add or update papers from files (those ``keep`` selects, at most ``limit``); bad
        files and records are reported, good ones still land. Holds the write lock
        (``wait=False``: IndexBusy if another process is writing)."""
        start = time.perf_counter()
        report = IngestReport()
        papers = self.parse(paths, report, keep, limit)
        with self.writing(wait, on_wait):
            self.ingest_papers(papers, report, progress)
        report.seconds = time.perf_counter() - start
        return report

    def _legacy_entry(self, paper: Paper) -> str | None:
        """The id an older version gave this same record (an unscoped BibTeX key or CSV
        id), if that entry is indexed from the same file: it is replaced, not duplicated."""
        legacy = paper.legacy_id
        if not legacy or legacy == paper.id:
            return None
        stored = self.store.get_paper(legacy)
        return legacy if stored is not None and stored.source == paper.source else None

    def ingest_papers(self, papers: list[Paper], report: IngestReport,
                      progress: Callable[[int, int], None] | None = None) -> None:
        with self.writing():
            self._ingest_papers(papers, report, progress)

    def _ingest_papers(self, papers: list[Paper], report: IngestReport,
                       progress: Callable[[int, int], None] | None) -> None:
        store = self.store
        todo = []
        for paper in papers:
            status = store.status_of(paper)
            if status == "unchanged":
                report.unchanged.append(paper.id)
            else:
                todo.append((paper, status))
        if not todo:
            return
        embedder = self.embedder
        for done, (paper, status) in enumerate(todo, start=1):
            chunks = chunk_paper(paper, self.settings.chunk_tokens, embedder.count_tokens)
            t0 = time.perf_counter()
            vectors = embedder.embed(c.embed_text for c in chunks)
            report.embed_seconds += time.perf_counter() - t0
            legacy = self._legacy_entry(paper) if status == "new" else None
            store.upsert(paper, chunks, vectors)
            if legacy:
                store.remove(legacy, persist=False)
                report.migrated.append((legacy, paper.id))
                status = "changed"
            report.chunks += len(chunks)
            (report.added if status == "new" else report.updated).append(paper.id)
            if progress:
                progress(done, len(todo))
        store.persist()

    def remove(self, paper_id: str, wait: bool = True,
               on_wait: Callable[[str], None] | None = None) -> Paper | None:
        with self.writing(wait, on_wait):
            return self.store.remove(paper_id)

    def reindex(self, wait: bool = True, on_wait: Callable[[str], None] | None = None) -> int:
        """Rebuild the records and the keyword index from the vectors (the repair for an
        unreadable records database); returns the number of papers."""
        index = self.settings.data_dir / "index"
        with self.writing(wait, on_wait):
            if self._store is not None:
                self._store.close()
            for name in ("records.sqlite3", "records.sqlite3-wal", "records.sqlite3-shm",
                         "registry.json"):
                (index / name).unlink(missing_ok=True)
            shutil.rmtree(index / "bm25", ignore_errors=True)
            self._reopen_store()
            store = self.store
            store.collection  # noqa: B018 - opening notices the empty records and rebuilds
            return store.paper_count()

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
