"""The SQLite record store on its own (no models): row counts kept by triggers stay equal
to the rows through inserts, updates, deletes and rebuilds, and an older database gets
them on open."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from assistant.index.chunking import Chunk
from assistant.index.records import Records
from assistant.sources import make_paper


def _paper(i: int, chunks: int = 2):
    paper, _ = make_paper(f"Paper {i}", f"Abstract {i} about graphs.", "x.jsonl",
                          ids=(f"2401.{i:05d}",))
    parts = [Chunk(f"{paper.id}#{k}", paper.id, k, f"text {i} {k}", paper.title)
             for k in range(chunks)]
    return paper, parts, [f"graph text{i} part{k}" for k in range(chunks)]


def _true_counts(path: Path) -> tuple[int, int]:
    with sqlite3.connect(path) as conn:
        return (conn.execute("SELECT COUNT(*) FROM papers").fetchone()[0],
                conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])


def test_counts_follow_every_change(tmp_path: Path):
    path = tmp_path / "records.sqlite3"
    records = Records(path)
    records.replace_papers([_paper(i) for i in range(5)])
    assert (records.paper_count(), records.chunk_count()) == (5, 10) == _true_counts(path)
    records.replace_papers([_paper(2, chunks=3)])  # an update: one paper, one more chunk
    assert (records.paper_count(), records.chunk_count()) == (5, 11) == _true_counts(path)
    records.delete_paper("2401.00001")
    assert (records.paper_count(), records.chunk_count()) == (4, 9) == _true_counts(path)
    records.rebuild([(p, p.content_hash, c, t) for p, c, t in (_paper(7), _paper(8, 1))])
    assert (records.paper_count(), records.chunk_count()) == (2, 3) == _true_counts(path)
    assert records.document_frequencies(["graph"]) == ({"graph": 3}, 3)
    records.close()


def test_a_database_from_before_the_counts_gets_them(tmp_path: Path):
    path = tmp_path / "records.sqlite3"
    records = Records(path)
    records.replace_papers([_paper(i) for i in range(3)])
    records.close()
    with sqlite3.connect(path) as conn:  # as an older version left it
        conn.executescript("DROP TRIGGER paper_added; DROP TRIGGER paper_removed; "
                           "DROP TRIGGER chunk_added; DROP TRIGGER chunk_removed; "
                           "DROP TABLE counts;")
    reopened = Records(path)
    assert (reopened.paper_count(), reopened.chunk_count()) == (3, 6)
    reopened.replace_papers([_paper(9)])
    assert (reopened.paper_count(), reopened.chunk_count()) == (4, 8) == _true_counts(path)
    reopened.close()
