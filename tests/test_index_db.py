"""The SQLite record store on its own (no models): row counts kept by triggers stay equal
to the rows through inserts, updates, deletes and rebuilds, and an older database gets
them on open."""

from __future__ import annotations

import functools
import sqlite3
from pathlib import Path

from assistant.index.chunking import Chunk
from assistant.index.records import MIGRATIONS, Records
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
    with sqlite3.connect(path) as conn:  # as an older version left it: no versions either
        conn.executescript("DROP TRIGGER revision_added; DROP TRIGGER revision_removed; "
                           "DROP TRIGGER revision_changed; DROP TABLE state; "
                           "DROP TRIGGER paper_added; DROP TRIGGER paper_removed; "
                           "DROP TRIGGER chunk_added; DROP TRIGGER chunk_removed; "
                           "DROP TABLE counts; DROP INDEX papers_by_year; "
                           "ALTER TABLE papers DROP COLUMN year; PRAGMA user_version = 0;")
    reopened = Records(path)
    assert (reopened.paper_count(), reopened.chunk_count()) == (3, 6)
    reopened.replace_papers([_paper(9)])
    assert (reopened.paper_count(), reopened.chunk_count()) == (4, 8) == _true_counts(path)
    reopened.close()
    assert _version(path) == len(MIGRATIONS) and "year" in _columns(path)


def _version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA user_version").fetchone()[0]


def _columns(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {row[1] for row in conn.execute("PRAGMA table_xinfo(papers)")}


def test_a_new_database_records_every_step(tmp_path: Path):
    path = tmp_path / "records.sqlite3"
    Records(path).paper_count()
    assert _version(path) == len(MIGRATIONS) == 4 and "year" in _columns(path)


def test_steps_are_applied_once_and_only_the_missing_ones(tmp_path: Path, monkeypatch):
    """A file from before versions were recorded that has every step's work is recognised
    as such: no step runs again (re-adding the year column would fail)."""
    path = tmp_path / "records.sqlite3"
    records = Records(path)
    records.replace_papers([_paper(i) for i in range(2)])
    records.close()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 0")
    scripts: list[str] = []

    class Spy(sqlite3.Connection):
        def executescript(self, script):
            scripts.append(script)
            return super().executescript(script)

    real = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", functools.partial(real, factory=Spy))
    reopened = Records(path)
    assert reopened.paper_count() == 2
    reopened.close()
    assert scripts == [] and _version(path) == len(MIGRATIONS)
    monkeypatch.setattr(sqlite3, "connect", real)
    with sqlite3.connect(path) as conn:  # a file one step behind gets that step only
        conn.executescript("DROP INDEX papers_by_year; ALTER TABLE papers DROP COLUMN year; "
                           "PRAGMA user_version = 2;")
    monkeypatch.setattr(sqlite3, "connect", functools.partial(real, factory=Spy))
    Records(path).paper_count()
    assert len(scripts) == 2 and "ADD COLUMN year" in scripts[0] and "revision" in scripts[1]
    assert "year" in _columns(path) and _version(path) == 4


def test_the_records_state_changes_with_every_paper_change_and_with_a_new_file(tmp_path: Path):
    path = tmp_path / "records.sqlite3"
    records = Records(path)
    empty = records.state()
    records.replace_papers([_paper(1), _paper(2)])
    added = records.state()
    assert added != empty and records.state() == added  # reading changes nothing
    records.replace_papers([_paper(2)])  # the same paper written again
    assert records.state() != added
    records.close()
    for suffix in ("", "-wal", "-shm"):
        (tmp_path / f"records.sqlite3{suffix}").unlink(missing_ok=True)
    rebuilt = Records(path)
    rebuilt.replace_papers([_paper(1), _paper(2)])
    assert rebuilt.state() != added  # same changes, another file
    rebuilt.close()
