"""The index verbs of the pipeline: ingest (parse, chunk, embed, store) under the write
lock, remove, reindex, and the paper lookups the front ends use instead of the store."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .chunking import Chunk, chunk_paper
from .sources import Paper, Problem, SourceError, expand_paths, iter_source
from .store import StoredPaper

Progress = Callable[[int, int, int], None]  # papers done, bytes read, bytes in all


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

    @property
    def done(self) -> int:
        """Papers taken so far: added, updated or found unchanged."""
        return len(self.added) + len(self.updated) + len(self.unchanged)


def _fingerprint(paper: Paper) -> int:
    """What a reader sees of a paper, but not which file it came from: two files holding
    the same record give the same number."""
    fields = paper.to_dict()
    fields.pop("source")
    digest = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).digest()
    return int.from_bytes(digest[:8], "big")


class IndexVerbs:
    """Mixed into :class:`~assistant.pipeline.Pipeline`, which provides ``settings``,
    ``lock``, ``store``, ``embedder`` and ``_store``/``_checker``."""

    @contextmanager
    def writing(self, wait: bool = True, on_wait: Callable[[str], None] | None = None):
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
            if self._store._collection is not None:  # noqa: SLF001
                from chromadb.api.client import SharedSystemClient

                SharedSystemClient.clear_system_cache()
            self._store.close()
        self._store = None
        self._checker = None  # its IDF comes from the store

    # --- ingest -------------------------------------------------------------------------

    def stream(self, paths: Iterable[Path], report: IngestReport,
               keep: Callable[[Paper], bool] | None = None, limit: int | None = None,
               on_bytes: Callable[[int], None] | None = None) -> Iterator[Paper]:
        """Every readable paper of these files (directories searched recursively) that
        ``keep`` selects, at most ``limit``, as a stream; each unreadable file or record
        lands in the report as one line naming its place. A paper in two files (the same
        DOI or arXiv id): the first wins, and if the two copies differ, a warning names
        both files, so a user learns why the second file's version is not the one shown."""
        files, report.errors = expand_paths(paths)
        seen: dict[str, int] = {}  # id → file index × 2**64 + _fingerprint
        for index, path in enumerate(files):
            left = None if limit is None else limit - len(seen)
            if left is not None and left <= 0:
                break
            try:
                for item in iter_source(path, keep, left, on_bytes):
                    if isinstance(item, Problem):
                        (report.errors if item.skipped else report.warnings).append(str(item))
                        continue
                    mark = (index << 64) | _fingerprint(item)
                    first = seen.setdefault(item.id, mark)
                    if first == mark:
                        yield item
                    elif first & (2**64 - 1) != mark & (2**64 - 1):
                        report.warnings.append(
                            f"{path}: paper '{item.id}' is also in {files[first >> 64]} "
                            "(same id), with different fields; the first is kept")
            except SourceError as exc:
                report.errors.append(str(exc))

    def parse(self, paths: Iterable[Path], report: IngestReport,
              keep: Callable[[Paper], bool] | None = None,
              limit: int | None = None) -> list[Paper]:
        """:meth:`stream`, collected."""
        return list(self.stream(paths, report, keep, limit))

    def ingest(self, paths: Iterable[Path], progress: Progress | None = None,
               wait: bool = True, on_wait: Callable[[str], None] | None = None,
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
        batch = batch or self.settings.ingest_batch
        paths = list(paths)
        total = sum(f.stat().st_size for f in expand_paths(paths)[0] if f.is_file())
        read = 0

        def on_bytes(n: int) -> None:
            nonlocal read
            read += n

        with self.writing(wait, on_wait):
            pending: list[Paper] = []
            for paper in self.stream(paths, report, keep, limit, on_bytes):
                pending.append(paper)
                if len(pending) >= batch:
                    self._ingest_batch(pending, report)
                    pending = []
                    if progress:
                        progress(report.done, read, total)
            self._ingest_batch(pending, report)
            self.store.persist()
        if progress:
            progress(report.done, total, total)
        report.seconds = time.perf_counter() - start
        return report

    def add_embedded(self, items: Iterable[tuple[Paper, list[Chunk], np.ndarray]],
                     batch: int = 500) -> int:
        """Store papers whose chunks are already embedded (vectors computed elsewhere, or
        generated by ``bench scale``) under the write lock, ``batch`` papers per write;
        returns how many."""
        count = 0
        with self.writing():
            pending: list = []
            for item in items:
                pending.append(item)
                if len(pending) == batch:
                    self.store.upsert_many(pending)
                    count, pending = count + len(pending), []
            self.store.upsert_many(pending)
            count += len(pending)
            self.store.persist()
        return count

    def _legacy_entry(self, paper: Paper) -> str | None:
        """The id an older version gave this same record (an unscoped BibTeX key or CSV
        id), if that entry is indexed from the same file: it is replaced, not duplicated."""
        legacy = paper.legacy_id
        if not legacy or legacy == paper.id:
            return None
        stored = self.store.get_paper(legacy)
        return legacy if stored is not None and stored.source == paper.source else None

    def ingest_papers(self, papers: list[Paper], report: IngestReport,
                      progress: Callable[[int, int], None] | None = None,
                      batch: int = 64) -> None:
        """Add or update parsed papers under the write lock, ``batch`` per commit;
        ``progress`` hears papers done of all."""
        with self.writing():
            for i in range(0, len(papers), batch):
                self._ingest_batch(papers[i:i + batch], report)
                if progress:
                    progress(min(i + batch, len(papers)), len(papers))
            self.store.persist()

    def _ingest_batch(self, papers: list[Paper], report: IngestReport) -> None:
        """Embed the new and changed papers of one batch and commit them together."""
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
        items = []
        for paper, _status in todo:
            chunks = chunk_paper(paper, self.settings.chunk_tokens, embedder.count_tokens)
            t0 = time.perf_counter()
            vectors = embedder.embed(c.embed_text for c in chunks)
            report.embed_seconds += time.perf_counter() - t0
            items.append((paper, chunks, vectors))
            report.chunks += len(chunks)
        legacy = {paper.id: self._legacy_entry(paper) for paper, status in todo
                  if status == "new"}
        store.upsert_many(items)
        for paper, status in todo:
            old = legacy.get(paper.id)
            if old:
                store.remove(old, persist=False)
                report.migrated.append((old, paper.id))
                status = "changed"
            (report.added if status == "new" else report.updated).append(paper.id)

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
