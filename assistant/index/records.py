"""Paper records, chunk texts and the keyword index in one SQLite database
(``index/records.sqlite3``, WAL mode).

One paper's change is one transaction touching only that paper's rows, so its cost does
not grow with the collection (the JSON registry and the bm25s index this replaces were
rewritten whole on every change). Lexical search is SQLite FTS5 with its BM25 ranking over
the same stemmed, stop-worded tokens the rest of the program uses; readers in other
processes see each commit at once (WAL), and ``PRAGMA data_version`` tells them that
something changed.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import AssistantError
from assistant.index.chunking import Chunk
from assistant.sources import Paper

REPAIR = "assistant reindex"
TABLES = """
CREATE TABLE IF NOT EXISTS papers(
    id TEXT PRIMARY KEY, record TEXT NOT NULL, content_hash TEXT NOT NULL,
    chunk_ids TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks(
    rowid INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, paper_id TEXT NOT NULL,
    idx INTEGER NOT NULL, title TEXT NOT NULL, text TEXT NOT NULL, tokens TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_by_paper ON chunks(paper_id);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    tokens, content='chunks', content_rowid='rowid', tokenize='unicode61 remove_diacritics 0');
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_vocab USING fts5vocab(chunks_fts, 'row');
"""
# Counting rows is O(n) in SQLite; every search needs the chunk count (for BM25's IDF
# cut-off), so the counts are kept by triggers in the same transactions as the rows.
COUNTS = """
CREATE TABLE IF NOT EXISTS counts(name TEXT PRIMARY KEY, n INTEGER NOT NULL);
CREATE TRIGGER IF NOT EXISTS paper_added AFTER INSERT ON papers
    BEGIN UPDATE counts SET n = n + 1 WHERE name = 'papers'; END;
CREATE TRIGGER IF NOT EXISTS paper_removed AFTER DELETE ON papers
    BEGIN UPDATE counts SET n = n - 1 WHERE name = 'papers'; END;
CREATE TRIGGER IF NOT EXISTS chunk_added AFTER INSERT ON chunks
    BEGIN UPDATE counts SET n = n + 1 WHERE name = 'chunks'; END;
CREATE TRIGGER IF NOT EXISTS chunk_removed AFTER DELETE ON chunks
    BEGIN UPDATE counts SET n = n - 1 WHERE name = 'chunks'; END;
INSERT OR IGNORE INTO counts SELECT 'papers', COUNT(*) FROM papers;
INSERT OR IGNORE INTO counts SELECT 'chunks', COUNT(*) FROM chunks;
"""
# filters by year use an index, not a scan of every record's JSON
YEAR_COLUMN = """
ALTER TABLE papers ADD COLUMN year INTEGER
    GENERATED ALWAYS AS (json_extract(record, '$.year')) VIRTUAL;
CREATE INDEX IF NOT EXISTS papers_by_year ON papers(year);
"""
# Which records these are, and how often their papers changed: a reader can tell that
# nothing changed since it last looked without opening the vectors (``Records.state``;
# a deleted and rebuilt records file has another id).
STATE = """
CREATE TABLE IF NOT EXISTS state(name TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO state VALUES ('records_id', lower(hex(randomblob(8))));
INSERT OR IGNORE INTO counts VALUES ('revision', 0);
CREATE TRIGGER IF NOT EXISTS revision_added AFTER INSERT ON papers
    BEGIN UPDATE counts SET n = n + 1 WHERE name = 'revision'; END;
CREATE TRIGGER IF NOT EXISTS revision_removed AFTER DELETE ON papers
    BEGIN UPDATE counts SET n = n + 1 WHERE name = 'revision'; END;
CREATE TRIGGER IF NOT EXISTS revision_changed AFTER UPDATE ON papers
    BEGIN UPDATE counts SET n = n + 1 WHERE name = 'revision'; END;
"""
# The schema's history: step n brings a database from version n-1 to n (``PRAGMA
# user_version``), each applied once, in its own transaction. New changes are appended.
MIGRATIONS: list[tuple[str, str]] = [
    ("papers, chunks and the FTS5 keyword index", TABLES),
    ("row counts kept by triggers", COUNTS),
    ("an indexed year column", YEAR_COLUMN),
    ("the records' id and revision", STATE),
]


def schema_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def _unrecorded_version(conn: sqlite3.Connection) -> int:
    """The version of a database written before versions were recorded (user_version 0):
    read once from what it holds, then recorded, so its steps are not applied twice."""
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    if "papers" not in tables:
        return 0
    if "counts" not in tables:
        return 1
    columns = {row[1] for row in conn.execute("PRAGMA table_xinfo(papers)")}
    if "year" not in columns:
        return 2
    return 4 if "state" in tables else 3


def migrate(conn: sqlite3.Connection) -> int:
    """Apply the steps this database has not had; returns its version. Two processes
    opening an old file at once: each step runs under ``BEGIN IMMEDIATE`` and a step that
    another process applied first is skipped."""
    if schema_version(conn) == 0 and (found := _unrecorded_version(conn)):
        conn.execute(f"PRAGMA user_version = {found}")
    while (version := schema_version(conn)) < len(MIGRATIONS):
        _name, script = MIGRATIONS[version]
        try:
            conn.executescript(f"BEGIN IMMEDIATE; {script} "
                               f"PRAGMA user_version = {version + 1}; COMMIT;")
        except sqlite3.OperationalError:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if schema_version(conn) <= version:  # not another process's doing
                raise
    return version


class IndexCorrupt(AssistantError):
    """Part of the index on disk cannot be read."""


@dataclass
class StoredPaper:
    paper: Paper
    content_hash: str
    chunk_ids: list[str]

    def to_dict(self, abstract: bool = True) -> dict:
        """The paper's fields and its chunk count: what `papers --json` (no abstract), `show
        --json` and the MCP server's paper tools return."""
        record = self.paper.to_dict()
        if not abstract:
            record.pop("abstract")
        record["chunks"] = len(self.chunk_ids)
        return record


def _guarded(method):
    """SQLite's errors for a damaged file become one line naming the repair."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                raise
            raise IndexCorrupt(f"{self.path} is unreadable ({exc}); rebuild it from the "
                               f"vectors with: {REPAIR}") from exc
    return wrapper


def _stored(row) -> StoredPaper:
    return StoredPaper(Paper(**json.loads(row[0])), row[1], json.loads(row[2]))


class Records:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None,
                                   check_same_thread=False)
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                migrate(conn)
            except sqlite3.DatabaseError as exc:
                conn.close()
                raise IndexCorrupt(f"{self.path} is unreadable ({exc}); rebuild it from the "
                                   f"vectors with: {REPAIR}") from exc
            self._conn = conn
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # --- reading ---------------------------------------------------------------------------

    @_guarded
    def data_version(self) -> int:
        """Changes whenever another connection commits."""
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def _count(self, name: str) -> int:
        return self.conn.execute("SELECT n FROM counts WHERE name = ?", (name,)).fetchone()[0]

    @_guarded
    def state(self) -> str:
        """These records' id and revision: equal only while no paper was added, changed
        or removed (by any process) and the file was not rebuilt."""
        (records_id,) = self.conn.execute(
            "SELECT value FROM state WHERE name = 'records_id'").fetchone()
        return f"{records_id}:{self._count('revision')}"

    @_guarded
    def paper_count(self) -> int:
        return self._count("papers")

    @_guarded
    def chunk_count(self) -> int:
        return self._count("chunks")

    @_guarded
    def paper_fields(self, year_min: int | None = None, year_max: int | None = None,
                     text: bool = True) -> list[tuple[str, str, str]]:
        """(id, source, title) of every paper within the years (an indexed column); source
        and title are read only when ``text`` (else empty): what filters need, without
        decoding every record in Python."""
        fields = ("json_extract(record, '$.source'), json_extract(record, '$.title')"
                  if text else "'', ''")
        sql = f"SELECT id, {fields} FROM papers WHERE 1"
        params: list = []
        if year_min is not None:
            sql += " AND year >= ?"
            params.append(year_min)
        if year_max is not None:
            sql += " AND year <= ?"
            params.append(year_max)
        return self.conn.execute(sql, params).fetchall()

    @_guarded
    def chunk_papers(self, chunk_ids: list[str]) -> dict[str, str]:
        """chunk id → paper id for these chunks (unknown ones are left out)."""
        found: dict[str, str] = {}
        for i in range(0, len(chunk_ids), 900):
            part = chunk_ids[i:i + 900]
            rows = self.conn.execute(f"SELECT id, paper_id FROM chunks WHERE id IN "
                                     f"({','.join('?' * len(part))})", part)
            found.update(rows.fetchall())
        return found

    @_guarded
    def chunk_ids(self) -> set[str]:
        return {row[0] for row in self.conn.execute("SELECT id FROM chunks")}

    @_guarded
    def papers(self) -> list[StoredPaper]:
        rows = self.conn.execute("SELECT record, content_hash, chunk_ids FROM papers "
                                 "ORDER BY rowid")
        return [_stored(row) for row in rows]

    @_guarded
    def stored(self, paper_id: str) -> StoredPaper | None:
        row = self.conn.execute("SELECT record, content_hash, chunk_ids FROM papers "
                                "WHERE id = ?", (paper_id,)).fetchone()
        return _stored(row) if row else None

    @_guarded
    def content_hash(self, paper_id: str) -> str | None:
        row = self.conn.execute("SELECT content_hash FROM papers WHERE id = ?",
                                (paper_id,)).fetchone()
        return row[0] if row else None

    @_guarded
    def chunk(self, chunk_id: str) -> dict | None:
        row = self.conn.execute("SELECT paper_id, title, text, idx FROM chunks WHERE id = ?",
                                (chunk_id,)).fetchone()
        if row is None:
            return None
        return {"paper_id": row[0], "title": row[1], "text": row[2], "index": row[3]}

    @_guarded
    def search(self, tokens: list[str], n: int, paper_ids: set[str] | None = None
               ) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) best first for any of ``tokens``. Terms in more than
        half the chunks are left out of the match (FTS5 gives them an IDF of almost zero,
        but matching them would make it score nearly every chunk)."""
        if not tokens or n <= 0:
            return []
        unique = list(dict.fromkeys(tokens))
        frequencies, total = self.document_frequencies(unique)
        kept = [t for t in unique if frequencies.get(t, 0) * 2 <= total] or unique
        query = " OR ".join('"' + t.replace('"', '""') + '"' for t in kept)
        sql = ("SELECT c.id, -bm25(chunks_fts) AS score FROM chunks_fts "
               "JOIN chunks c ON c.rowid = chunks_fts.rowid WHERE chunks_fts MATCH ?")
        params: list = [query]
        if paper_ids is not None:
            if not paper_ids:
                return []
            sql += f" AND c.paper_id IN ({','.join('?' * len(paper_ids))})"
            params += sorted(paper_ids)
        sql += " ORDER BY bm25(chunks_fts) LIMIT ?"
        params.append(n)
        return [(cid, float(score)) for cid, score in self.conn.execute(sql, params)]

    @_guarded
    def document_frequencies(self, terms: list[str]) -> tuple[dict[str, int], int]:
        """How many chunks use each term, and how many chunks there are."""
        total = self.chunk_count()
        if not terms:
            return {}, total
        rows = self.conn.execute(
            f"SELECT term, doc FROM chunks_vocab WHERE term IN ({','.join('?' * len(terms))})",
            list(terms))
        return dict(rows.fetchall()), total

    # --- writing ---------------------------------------------------------------------------

    def _delete_chunks(self, paper_id: str) -> list[str]:
        rows = self.conn.execute("SELECT rowid, id, tokens FROM chunks WHERE paper_id = ?",
                                 (paper_id,)).fetchall()
        for rowid, _cid, tokens in rows:
            self.conn.execute("INSERT INTO chunks_fts(chunks_fts, rowid, tokens) "
                              "VALUES('delete', ?, ?)", (rowid, tokens))
        self.conn.execute("DELETE FROM chunks WHERE paper_id = ?", (paper_id,))
        return [cid for _rowid, cid, _tokens in rows]

    def _insert(self, paper: Paper, chunks: list[Chunk], tokens: list[str]) -> None:
        for chunk, chunk_tokens in zip(chunks, tokens, strict=True):
            cursor = self.conn.execute(
                "INSERT INTO chunks(id, paper_id, idx, title, text, tokens) "
                "VALUES(?, ?, ?, ?, ?, ?)",
                (chunk.id, paper.id, chunk.index, chunk.title, chunk.text, chunk_tokens))
            self.conn.execute("INSERT INTO chunks_fts(rowid, tokens) VALUES(?, ?)",
                              (cursor.lastrowid, chunk_tokens))
        self.conn.execute(  # an upsert, not OR REPLACE: that would skip the delete trigger
            "INSERT INTO papers(id, record, content_hash, chunk_ids) VALUES(?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET record = excluded.record, "
            "content_hash = excluded.content_hash, chunk_ids = excluded.chunk_ids",
            (paper.id, json.dumps(paper.to_dict(), ensure_ascii=False), paper.content_hash,
             json.dumps([c.id for c in chunks])))

    @_guarded
    def replace_papers(self, items: list[tuple[Paper, list[Chunk], list[str]]]) -> list[str]:
        """Put these papers' records and chunks in place of their old ones, in one
        transaction; returns the ids of replaced chunks that are not among the new ones."""
        stale: list[str] = []
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            for paper, chunks, tokens in items:
                old = self._delete_chunks(paper.id)
                self._insert(paper, chunks, tokens)
                new = {c.id for c in chunks}
                stale += [cid for cid in old if cid not in new]
        return stale

    @_guarded
    def delete_paper(self, paper_id: str) -> StoredPaper | None:
        stored = self.stored(paper_id)
        if stored is None:
            return None
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self._delete_chunks(paper_id)
            self.conn.execute("DELETE FROM papers WHERE id = ?", (paper_id,))
        return stored

    @_guarded
    def rebuild(self, entries: Iterable[tuple[Paper, str, list[Chunk], list[str]]]) -> None:
        """Replace everything with these (paper, content hash, chunks, tokens) in one
        transaction: the repair after an interrupted write, from the vectors' metadata."""
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute("INSERT INTO chunks_fts(chunks_fts) VALUES('delete-all')")
            self.conn.execute("DELETE FROM chunks")
            self.conn.execute("DELETE FROM papers")
            for paper, content_hash, chunks, tokens in entries:
                self._insert(paper, chunks, tokens)
                self.conn.execute("UPDATE papers SET content_hash = ? WHERE id = ?",
                                  (content_hash, paper.id))
