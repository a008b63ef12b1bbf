"""RIS in and out (EndNote, Zotero, Mendeley, PubMed-derived exports), through rispy.

rispy reads one record at a time here: this module finds the records (``TY`` … ``ER``)
itself, so each has its line number, a record whose ``ER`` is missing still lands (with a
warning) instead of vanishing or running into the next one, and text outside records is
reported rather than skipped unseen.

Fields: title ``TI``/``T1``, abstract ``AB``/``N2``, authors ``AU``/``A1`` (``Last, First``),
year ``PY``/``Y1``/``DA``, DOI ``DO``, URL ``UR``, keywords ``KW`` (categories).
A PMID is read from ``AN`` (the accession number) when the record says it comes from
PubMed/MEDLINE (``DB``/``DP``), or when ``AN`` or a note says ``PMID: N``; an arXiv id
from the URL, an arXiv DOI or a note (``arXiv: 1706.03762``). ``ID`` is a local key. This
program's exports add ``U1`` (its id), ``U2`` (the file the paper came from), ``U3``
(code URLs) and, when a category holds a semicolon, ``U4`` (the categories as a JSON
list): RIS's user-definable tags."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from assistant.sources.names import flipped, name_parts
from assistant.sources.records import (
    Item,
    Paper,
    Problem,
    SourceError,
    clean_text,
    global_id,
    made,
    make_paper,
    note_ids,
    pmid_id,
)

PUBMED_DB_RE = re.compile(r"pubmed|medline|\bnlm\b", re.I)


def _tags():  # noqa: ANN202 - rispy is imported when a RIS file is read or written
    """rispy's tag names with RIS's user-definable tags added (U3 may repeat)."""
    from rispy.config import LIST_TYPE_TAGS, TAG_KEY_MAPPING

    mapping = {**TAG_KEY_MAPPING, "U1": "user1", "U2": "user2", "U3": "user3",
               "U4": "user4", "U5": "user5"}
    return mapping, [*LIST_TYPE_TAGS, "U3"]


def _tag(line: str) -> str | None:
    """The tag of a ``XX  - value`` line (rispy's own test), else None."""
    if line[2:5] == "  -" and line[:2].isupper() and line[:1].isalpha():
        return line[:2]
    return None


def _records(path: Path, lines: Iterable[str]) -> Iterator[tuple[int, list[str], list[str]]
                                                           | Problem]:
    """Each record as (line of its first tag, its lines, notes about its shape), and a
    warning for each run of text outside any record."""
    record: list[str] | None = None
    start, notes, stray = 0, [], False
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        tag = _tag(line)
        if tag == "TY" or (tag and tag != "ER" and record is None):
            if record is not None:
                yield start, record, [*notes, "no ER line before the next TY (read up to it)"]
            record, start, stray = [line], number, False
            notes = [] if tag == "TY" else ["record has no TY line (read anyway)"]
        elif tag == "ER" and record is not None:
            yield start, record, notes
            record = None
        elif record is not None:
            record.append(line)
        elif line.strip() and not stray:
            stray = True
            yield Problem(f"{path}:{number}", "text outside any TY … ER record (ignored)",
                          skipped=False)
    if record is not None:
        yield start, record, [*notes, "no ER line at the end of the file"]


def _texts(record: dict, *keys: str) -> list[str]:
    values = []
    for key in keys:
        value = record.get(key)
        values += value if isinstance(value, list) else [value] if value else []
    return [clean_text(v) for v in values if isinstance(v, str) and clean_text(v)]


def _keywords(record: dict) -> list[str]:
    """One category per ``KW`` line, or per ``;``-separated part of one (commas stay:
    MeSH headings such as ``Radiography, Thoracic`` have them); an export's ``U4`` list
    when a category holds a semicolon."""
    try:
        carried = json.loads((_texts(record, "user4") or ["null"])[0])
    except ValueError:
        carried = None
    if isinstance(carried, list) and all(isinstance(c, str) for c in carried):
        return carried
    return [k for line in _texts(record, "keywords") for k in map(str.strip, line.split(";"))
            if k]


def _pmids(record: dict) -> list[str | None]:
    from_pubmed = bool(PUBMED_DB_RE.search(" ".join(_texts(record, "name_of_database",
                                                           "database_provider"))))
    return [pmid_id(an, bare=from_pubmed) for an in _texts(record, "accession_number")]


def _paper(record: dict, path: Path, where: str) -> Iterator[Item]:
    title = (_texts(record, "title", "primary_title") or [""])[0]
    abstract = " ".join(_texts(record, "abstract") or _texts(record, "notes_abstract"))
    if not title or not abstract:
        yield Problem(where, "record has no title or no abstract")
        return
    notes = " ".join(_texts(record, "notes", "note", "accession_number"))
    urls = [u for text in _texts(record, "urls") for u in re.split(r";?\s+", text) if u]
    authors = [flipped(a) for a in _texts(record, "authors") or _texts(record, "first_authors")]
    yield from made(make_paper(
        title, abstract, path.name,
        ids=(*note_ids(notes), *_texts(record, "doi"), *urls[1:], *_pmids(record)),
        key=(_texts(record, "id") or [None])[0], authors=authors,
        year=(_texts(record, "year", "publication_year", "date") or [None])[0],
        url=urls[0] if urls else "", categories=_keywords(record),
        code_urls=_texts(record, "user3"), carried_id=(_texts(record, "user1") or [None])[0],
        carried_source=(_texts(record, "user2") or [None])[0]), where)


def parse_ris(path: Path, lines: Iterable[str]) -> Iterator[Item]:
    """Records between ``TY`` and ``ER`` lines, each read by rispy."""
    from rispy import RisParser

    mapping, list_tags = _tags()
    parser = RisParser(mapping=mapping, list_tags=list_tags, delimiter_tags_mapping={})
    found, stray = False, []  # text outside records: said once a record is found
    for item in _records(path, lines):
        if isinstance(item, Problem):
            if found:
                yield item
            else:
                stray.append(item)
            continue
        if not found:
            yield from stray
            found = True
        start, record_lines, notes = item
        where = f"{path}:{start}"
        for note in notes:
            yield Problem(where, note, skipped=False)
        if _tag(record_lines[0]) != "TY":
            record_lines = ["TY  - GEN", *record_lines]
        try:
            parsed = parser.parse_lines(iter([*record_lines, "ER  - "]))
        except Exception as exc:  # rispy on a shape it does not expect: this record only
            yield Problem(where, f"unreadable RIS record ({type(exc).__name__}: {exc})")
            continue
        for record in parsed:
            yield from _paper(record, path, where)
    if not found:
        raise SourceError(f"{path}: no RIS records found (a record runs from a TY line to an ER "
                          "line)")


# --- writing -------------------------------------------------------------------------------


def ris_name(name: str) -> str:
    """An author as RIS ``Last, First`` (``Last, First, Suffix``) where that reads back as
    the same name; else as written, or ``A, , B`` for a name kept as ``A, B``."""
    parts = name_parts(name)
    candidates = [", ".join(p for p in parts if p)] if parts and parts[1] else []
    candidates += [name, name.replace(", ", ", , ", 1)]
    return next((c for c in candidates if flipped(c) == name), name)


def _ris_record(paper: Paper) -> dict:
    record: dict = {"type_of_reference": "GEN", "title": paper.title}
    if paper.authors:
        record["authors"] = [ris_name(a) for a in paper.authors]
    if paper.year is not None:
        record["year"] = str(paper.year)
    if paper.id.startswith("10."):
        record.update(type_of_reference="JOUR", doi=paper.id)
    elif paper.id.startswith("pmid:"):
        record.update(type_of_reference="JOUR", name_of_database="PubMed",
                      accession_number=paper.id.removeprefix("pmid:"))
    elif global_id(paper.id) == paper.id:  # an arXiv id: as Zotero notes it
        record.update(type_of_reference="UNPB", notes=[f"arXiv:{paper.id}"])
    record["abstract"] = paper.abstract
    if paper.url:
        record["urls"] = [paper.url]
    if paper.categories:
        record["keywords"] = list(paper.categories)
    if any(";" in c for c in paper.categories):  # the reader splits KW lines there
        record["user4"] = json.dumps(paper.categories, ensure_ascii=False)
    record.update(id=paper.id, user1=paper.id, user2=paper.source)
    if paper.code_urls:
        record["user3"] = list(paper.code_urls)
    return record


def write_ris(papers: Iterable[Paper]) -> str:
    """The papers as a RIS file (one ``TY`` … ``ER`` record each)."""
    from rispy import RisWriter

    class Plain(RisWriter):
        def set_header(self, count: int) -> str:
            return ""  # rispy numbers records with a line of its own; RIS has none

    mapping, list_tags = _tags()
    writer = Plain(mapping=mapping, list_tags=list_tags, delimiter_tags_mapping={})
    return writer.formats([_ris_record(paper) for paper in papers])
