"""Ingest into a real on-disk Chroma store: idempotent, incremental, updates, removal,
and bad files that leave the index intact. The hash embedder makes the vectors (fast);
whether chunks fit the real embedder's window is checked with the real one (slow)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import DATA
from fakes import HashEmbedder

from assistant.index.store import Store
from assistant.pipeline import Pipeline


def _chroma_ids(pipeline: Pipeline) -> set[str]:
    return set(pipeline.index.store.collection.get()["ids"])


def test_reingest_adds_nothing(hashed_copy):
    sample_copy = hashed_copy()
    before = _chroma_ids(sample_copy)
    report = sample_copy.ingest([DATA.parent.parent / "assistant" / "data" / "papers-page.txt"])
    assert report.added == [] and report.updated == [] and len(report.unchanged) == 76
    assert report.chunks == 0
    assert _chroma_ids(sample_copy) == before


def test_changed_paper_replaces_its_chunks(fast_pipeline, tmp_path: Path):
    path = tmp_path / "p.jsonl"
    record = json.loads((DATA / "arxiv.jsonl").read_text().splitlines()[1])
    path.write_text(json.dumps(record) + "\n")
    assert fast_pipeline.ingest([path]).added == ["2106.09685"]
    old_ids = _chroma_ids(fast_pipeline)
    record["abstract"] += " We also release a package that integrates LoRA with PyTorch."
    path.write_text(json.dumps(record) + "\n")
    report = fast_pipeline.ingest([path])
    assert report.updated == ["2106.09685"] and report.added == []
    new_ids = _chroma_ids(fast_pipeline)
    assert new_ids.isdisjoint(old_ids)
    docs = fast_pipeline.index.store.collection.get(ids=sorted(new_ids))["documents"]
    assert any("integrates LoRA with PyTorch" in d for d in docs)
    assert [p.paper.id for p in fast_pipeline.papers()] == ["2106.09685"]


def test_remove_drops_paper_from_chroma_and_the_records(hashed_copy):
    sample_copy = hashed_copy()
    hits = sample_copy.search("FastDepth embedded systems depth estimation")
    fast = hits[0]
    assert fast.title.startswith("FastDepth")
    removed = sample_copy.remove(fast.paper_id)
    assert removed is not None and removed.title.startswith("FastDepth")
    assert all(fast.paper_id not in cid for cid in _chroma_ids(sample_copy))
    assert len(sample_copy.papers()) == 75
    assert fast.paper_id not in {h.paper_id for h in sample_copy.search("FastDepth", k=10)}
    # A fresh process sees the same state.
    reopened = Pipeline(sample_copy.settings, embedder=HashEmbedder())
    assert len(reopened.papers()) == 75
    assert sample_copy.remove("no-such-id") is None


def test_bad_file_is_reported_and_good_files_still_land(hashed_copy, tmp_path: Path):
    sample_copy = hashed_copy()
    bad = tmp_path / "broken.jsonl"
    bad.write_text('{"title": "x", "abstract": "y"}\n{oops\n')
    before = _chroma_ids(sample_copy)
    report = sample_copy.ingest([bad, DATA / "zotero.bib"])
    assert len(report.errors) == 1 and "broken.jsonl:2" in report.errors[0]
    assert len(report.added) == 3  # line 1 of the broken file and both BibTeX entries
    after = _chroma_ids(sample_copy)
    assert before < after
    assert len(sample_copy.papers()) == 79


def test_every_format_ingests(fast_pipeline):
    files = sorted(p for p in DATA.iterdir() if p.is_file())
    report = fast_pipeline.ingest(files)
    assert report.errors == []
    assert len(fast_pipeline.papers()) == 14  # a paper in two files (same DOI, arXiv id) once
    titles = {p.paper.title for p in fast_pipeline.papers()}
    assert "Attention Is All You Need" in titles and "Adam: A Method for Stochastic " \
        "Optimization" in titles
    assert {p.paper.source for p in fast_pipeline.papers()} == {  # RIS and CSL JSON too
        "arxiv.jsonl", "endnote.ris", "notes.md", "papers.csv", "papers.json", "pubmed.ris",
        "zotero-csl.json", "zotero.bib"}


def test_chunks_carry_paper_id_and_title(hashed_sample_index):
    store = Store(hashed_sample_index)
    got = store.collection.get(include=["metadatas", "documents"])
    assert len(got["ids"]) >= 76
    titles = {p.paper.id: p.paper.title for p in store.papers()}
    for meta in got["metadatas"]:
        assert meta["title"] == titles[meta["paper_id"]]


@pytest.mark.slow  # the window is the real embedder's: its tokenizer counts
def test_short_abstracts_stay_whole_and_long_ones_split_within_the_window(pipeline):
    pipeline.ingest([DATA / "zotero.bib", DATA.parent.parent / "assistant" / "data" /
                     "papers-page.txt"])
    store = pipeline.index.store
    for stored in store.papers():
        texts = [store.chunk(cid)["text"] for cid in stored.chunk_ids]
        if stored.paper.source == "zotero.bib":
            assert texts == [stored.paper.abstract]
        for chunk_text in texts:
            embed_text = f"{stored.paper.title}\n{chunk_text}"
            assert pipeline.index.embedder.count_tokens(embed_text) <= 258


def test_records_rebuild_from_chroma(hashed_sample_index, tmp_path: Path):
    data_dir = tmp_path / "data"
    shutil.copytree(hashed_sample_index, data_dir)
    for name in ("records.sqlite3", "records.sqlite3-wal", "records.sqlite3-shm"):
        (data_dir / "index" / name).unlink(missing_ok=True)
    store = Store(data_dir)
    assert store.collection.count() > 0  # opening Chroma notices and rebuilds
    assert len(store.papers()) == 76
    assert store.lexical("FastDepth", 3)


def test_an_index_from_before_the_sqlite_store_is_migrated(hashed_copy):
    """Older indexes kept registry.json and a bm25s folder: opening rebuilds the records
    from the vectors and removes them."""
    data_dir = hashed_copy().settings.data_dir
    for name in ("records.sqlite3", "records.sqlite3-wal", "records.sqlite3-shm"):
        (data_dir / "index" / name).unlink(missing_ok=True)
    (data_dir / "index" / "registry.json").write_text('{"version": 1, "papers": {}}')
    (data_dir / "index" / "bm25").mkdir()
    pipeline = hashed_copy()
    try:
        assert pipeline.paper_count() == 76
        assert not (data_dir / "index" / "registry.json").exists()
        assert not (data_dir / "index" / "bm25").exists()
        assert pipeline.search("depth estimation on embedded hardware")[0].title.startswith(
            "FastDepth")
    finally:
        pipeline.close()


def test_one_change_touches_only_its_paper(hashed_copy, tmp_path: Path):
    """Adding one paper to the 76 leaves every other record as it was (one transaction
    for that paper; nothing is rewritten)."""
    import sqlite3

    sample_copy = hashed_copy()

    db = sample_copy.settings.data_dir / "index" / "records.sqlite3"
    before = sqlite3.connect(db).execute("SELECT id, rowid FROM chunks ORDER BY id").fetchall()
    sample_copy.ingest([DATA / "papers.json"])
    after = dict(sqlite3.connect(db).execute("SELECT id, rowid FROM chunks").fetchall())
    assert all(after[cid] == rowid for cid, rowid in before)
    assert len(after) == len(before) + 1


def _bib(key: str, title: str) -> str:
    abstract = f"{title} is studied here with a new method and careful experiments. " * 3
    return f"@article{{{key},\n title={{{title}}},\n abstract={{{abstract}}}\n}}\n"


def test_the_same_local_key_in_two_files_is_two_papers(fast_pipeline, tmp_path: Path):
    (tmp_path / "mine.bib").write_text(_bib("smith2020", "Graph Pruning"))
    (tmp_path / "theirs.bib").write_text(_bib("smith2020", "Protein Folding"))
    first = fast_pipeline.ingest([tmp_path / "mine.bib"])
    second = fast_pipeline.ingest([tmp_path / "theirs.bib"])
    assert first.added == ["mine.bib:smith2020"] and second.added == ["theirs.bib:smith2020"]
    assert second.updated == []
    assert {p.paper.title for p in fast_pipeline.papers()} == {"Graph Pruning", "Protein Folding"}


def test_the_same_doi_in_two_files_is_one_paper_and_a_differing_copy_is_named(
        fast_pipeline, tmp_path: Path):
    def entry(key: str, title: str, doi: str) -> str:
        return _bib(key, title).replace("\n}", f",\n doi={{{doi}}}\n}}")

    (tmp_path / "a.bib").write_text(entry("k1", "Graph Pruning", "10.1234/X"))
    (tmp_path / "b.bib").write_text(entry("k2", "Graph Pruning", "https://doi.org/10.1234/x"))
    (tmp_path / "c.bib").write_text(entry("k3", "Graph Pruning, revised", "doi:10.1234/X"))
    report = fast_pipeline.ingest([tmp_path])
    assert report.added == ["10.1234/x"]
    assert [p.paper.source for p in fast_pipeline.papers()] == ["a.bib"]
    assert len(report.warnings) == 1  # b.bib is the same record; c.bib differs
    assert "c.bib: paper '10.1234/x' is also in" in report.warnings[0]
    assert "a.bib" in report.warnings[0]


def test_an_index_with_unscoped_ids_migrates_on_reingest(fast_pipeline, tmp_path: Path):
    """Before ids were scoped, a BibTeX key was the id: re-ingesting the file replaces
    that entry instead of adding the paper a second time."""
    from dataclasses import replace

    from assistant.index.ingest import IngestReport
    from assistant.sources import parse_file

    (tmp_path / "refs.bib").write_text(_bib("smith2020", "Graph Pruning"))
    paper = parse_file(tmp_path / "refs.bib")[0]
    fast_pipeline.add_papers([replace(paper, id="smith2020")], IngestReport())  # the old index
    report = fast_pipeline.ingest([tmp_path / "refs.bib"])
    assert report.migrated == [("smith2020", "refs.bib:smith2020")]
    assert [p.paper.id for p in fast_pipeline.papers()] == ["refs.bib:smith2020"]
    assert set(_chroma_ids(fast_pipeline)) == set(fast_pipeline.papers()[0].chunk_ids)
    assert fast_pipeline.search("graph pruning")[0].paper_id == "refs.bib:smith2020"


def test_a_paper_indexed_under_arxivs_doi_migrates_to_its_arxiv_id(fast_pipeline, tmp_path: Path):
    from dataclasses import replace

    from assistant.index.ingest import IngestReport
    from assistant.sources import parse_file

    (tmp_path / "zotero.bib").write_text(
        _bib("vaswani2017", "Attention Is All You Need").replace(
            "\n}", ",\n doi={10.48550/arXiv.1706.03762}\n}"))
    paper = parse_file(tmp_path / "zotero.bib")[0]
    assert paper.id == "1706.03762"
    old = replace(paper, id="10.48550/arxiv.1706.03762")  # what the last version stored
    fast_pipeline.add_papers([old], IngestReport())
    report = fast_pipeline.ingest([tmp_path / "zotero.bib"])
    assert report.migrated == [("10.48550/arxiv.1706.03762", "1706.03762")]
    assert [p.paper.id for p in fast_pipeline.papers()] == ["1706.03762"]


def test_a_slice_of_a_large_dump_stops_reading_there(fast_pipeline, tmp_path: Path):
    """--where and --limit: only matching papers, and reading stops at the limit (the
    broken line after it is never reached)."""
    from assistant.sources.where import parse_where

    dump = tmp_path / "dump.jsonl"
    with dump.open("w") as handle:
        for i in range(40):
            handle.write(json.dumps({"id": f"2401.{i:05d}", "title": f"Paper {i}",
                                     "categories": "cs.CV cs.LG" if i % 2 else "hep-ph",
                                     "abstract": f"Method {i} improves results. " * 5}) + "\n")
        handle.write("{broken\n")
    report = fast_pipeline.ingest([dump], keep=parse_where(["category=cs.CV"]), limit=5)
    assert report.added == [f"2401.{i:05d}" for i in (1, 3, 5, 7, 9)]
    assert report.errors == []


def test_a_dump_is_read_as_a_stream_and_committed_batch_by_batch(fast_pipeline, tmp_path: Path):
    """Each batch is committed while the rest of the file is still unread: progress hears
    the papers done and the bytes read so far, and the index holds the first batch before
    the last one is read."""
    dump = tmp_path / "dump.jsonl"
    with dump.open("w") as handle:
        for i in range(30):
            handle.write(json.dumps({"id": f"2402.{i:05d}", "title": f"Study {i}",
                                     "abstract": f"Approach {i} reduces error. " * 8}) + "\n")
    size = dump.stat().st_size
    calls: list[tuple[int, int, int, int]] = []

    def progress(done: int, read: int, total: int) -> None:
        calls.append((done, read, total, fast_pipeline.index.store.records.paper_count()))

    report = fast_pipeline.ingest([dump], progress=progress, batch=8)
    assert len(report.added) == 30
    assert [c[0] for c in calls] == [8, 16, 24, 30]
    assert [c[3] for c in calls] == [8, 16, 24, 30]  # committed as it goes
    assert all(total == size for _d, _r, total, _c in calls)
    reads = [c[1] for c in calls]
    assert reads == sorted(reads) and reads[0] < size // 2 and reads[-1] == size
    again = fast_pipeline.ingest([dump], batch=8)  # a re-run (or a resumed one) skips them
    assert len(again.unchanged) == 30 and not again.added
