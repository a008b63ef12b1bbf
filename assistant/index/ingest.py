"""Files → papers → embedded chunks, in batches: what one ingest reads, decides and
reports. The :class:`~assistant.index.collection.Index` runs these under its write lock."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TypeVar

from assistant.index.chunking import chunk_paper
from assistant.index.store import Store
from assistant.sources import Paper, Problem, SourceError, expand_paths, iter_source

Progress = Callable[[int, int, int], None]  # papers done, bytes read, bytes in all
T = TypeVar("T")


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


def batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of ``size`` (the last may be shorter), read lazily: a stream of
    papers from a multi-GB dump is never held whole."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _fingerprint(paper: Paper) -> int:
    """What a reader sees of a paper, but not which file it came from: two files holding
    the same record give the same number."""
    fields = paper.to_dict()
    fields.pop("source")
    digest = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def stream_papers(paths: Iterable[Path], report: IngestReport,
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


def _legacy_entry(store: Store, paper: Paper) -> str | None:
    """The id an older version gave this same record (an unscoped BibTeX key or CSV
    id), if that entry is indexed from the same file: it is replaced, not duplicated."""
    legacy = paper.legacy_id
    if not legacy or legacy == paper.id:
        return None
    stored = store.get_paper(legacy)
    return legacy if stored is not None and stored.source == paper.source else None


def ingest_batch(store: Store, embedder, chunk_tokens: int, papers: list[Paper],
                 report: IngestReport) -> None:
    """Embed the new and changed papers of one batch and commit them together."""
    todo = []
    for paper in papers:
        status = store.status_of(paper)
        if status == "unchanged":
            report.unchanged.append(paper.id)
        else:
            todo.append((paper, status))
    if not todo:
        return
    items = []
    for paper, _status in todo:
        chunks = chunk_paper(paper, chunk_tokens, embedder.count_tokens)
        t0 = time.perf_counter()
        vectors = embedder.embed(c.embed_text for c in chunks)
        report.embed_seconds += time.perf_counter() - t0
        items.append((paper, chunks, vectors))
        report.chunks += len(chunks)
    legacy = {paper.id: _legacy_entry(store, paper) for paper, status in todo
              if status == "new"}
    store.upsert_many(items)
    for paper, status in todo:
        old = legacy.get(paper.id)
        if old:
            store.remove(old, persist=False)
            report.migrated.append((old, paper.id))
            status = "changed"
        (report.added if status == "new" else report.updated).append(paper.id)
