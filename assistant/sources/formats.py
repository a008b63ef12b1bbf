"""One parser per input format (the reference formats have modules of their own: BibTeX,
RIS, and CSL JSON, which the JSON reader recognises by its shape). Each yields papers
and problems as it reads, so a bad record costs only itself: it is reported (file and
line or entry) and the records around it still land. A file that cannot be read at all
raises :class:`SourceError`."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from assistant.sources.bibtex import parse_bibtex
from assistant.sources.csl import csl_fields, looks_like_csl
from assistant.sources.records import (
    MAX_ABSTRACT_CHARS,
    Item,
    Problem,
    SourceError,
    made,
    make_paper,
    pmid_id,
    text_value,
)
from assistant.sources.ris import parse_ris

Parser = Callable[[Path, Iterable[str]], Iterator[Item]]
MIN_ABSTRACT_CHARS = 200


# --- the saved papers page / plain text / markdown -------------------------------------


def _paragraphs(lines: list[str]) -> list[tuple[int, str]]:
    """Split text into (first line number, paragraph) pairs on blank lines."""
    out: list[tuple[int, str]] = []
    buf: list[str] = []
    start = 0
    for number, line in enumerate(lines, start=1):
        if line.strip():
            if not buf:
                start = number
            buf.append(line.strip())
        elif buf:
            out.append((start, " ".join(buf)))
            buf = []
    if buf:
        out.append((start, " ".join(buf)))
    return out


def _looks_like_abstract(text: str) -> bool:
    return MIN_ABSTRACT_CHARS <= len(text) and text.count(" ") >= 25


def _looks_like_title(text: str) -> bool:
    return 3 <= len(text) <= 300 and not _looks_like_abstract(text)


def parse_text(path: Path, lines: Iterable[str]) -> Iterator[Item]:
    """A title line followed by an abstract paragraph; anything else is page chrome.

    Markdown headings (``# Title``) directly above their abstract are titles too.
    """
    raw = [line.rstrip("\r\n") for line in lines]
    blocks: list[tuple[int, str]] = []
    for number, para in _paragraphs(raw):
        first = raw[number - 1].strip()
        rest = para[len(first):].strip()
        if first.startswith("#") and rest:
            blocks += [(number, first), (number + 1, rest)]
        else:
            blocks.append((number, para))
    found = 0
    previous: tuple[int, str] | None = None
    for number, block in blocks:
        if previous is not None and _looks_like_abstract(block):
            title = previous[1].lstrip("#").strip()
            if _looks_like_title(title):
                found += 1
                yield from made(make_paper(title, block, path.name), f"{path}:{previous[0]}")
                previous = None
                continue
        previous = (number, block)
    if not found:
        raise SourceError(f"{path}: no papers found (expected a title line followed by an "
                          "abstract paragraph)")


# --- records with named fields: JSON, JSONL, CSV ------------------------------------------

TITLE_KEYS = ("title",)
ABSTRACT_KEYS = ("abstract", "summary", "abstract note", "abstractnote", "description")
AUTHOR_KEYS = ("authors_parsed", "authors", "author", "creators")
YEAR_KEYS = ("year", "publication year", "date", "published")
CATEGORY_KEYS = ("categories", "category", "keywords", "tags", "manual tags", "subjects")
CODE_KEYS = ("code_urls", "code_url", "code", "repository", "github")
URL_KEYS = ("url", "link", "abs_url")


def _first(record: dict, keys: Iterable[str]) -> object:
    for key in keys:
        value = record.get(key)
        if value not in (None, "", [], {}):
            return value
    return None


def _first_version(fields: dict) -> object:
    """When an arXiv record's first version appeared (its year is the paper's year; the
    record's ``update_date`` is when the metadata last changed)."""
    versions = fields.get("versions")
    if isinstance(versions, list) and versions and isinstance(versions[0], dict):
        return versions[0].get("created")
    return None


def from_record(record: object, source: str, where: str, ids: Iterable[object] = (),
                carried_id: object = None, carried_source: object = None) -> Iterator[Item]:
    """One paper (or one problem) from a mapping of field names to values; ``ids`` and
    the carried id and source come from a format's own fields (CSL's)."""
    if not isinstance(record, dict):
        yield Problem(where, f"expected an object with title and abstract, got "
                             f"{type(record).__name__}")
        return
    fields = {str(k).strip().lower(): v for k, v in record.items() if k is not None}
    title, abstract = _first(fields, TITLE_KEYS), _first(fields, ABSTRACT_KEYS)
    if title is None or abstract is None:
        yield Problem(where, "record has no title or no abstract")
        return
    title_text, abstract_text = text_value(title), text_value(abstract)
    if title_text is None or abstract_text is None:
        bad, value = ("title", title) if title_text is None else ("abstract", abstract)
        yield Problem(where, f"the {bad} is a {type(value).__name__}, not text")
        return
    if not title_text.strip() or not abstract_text.strip():
        yield Problem(where, "record has no title or no abstract")
        return
    local = _first(fields, ("id", "key", "citation_key", "citation key"))
    year = _first(fields, YEAR_KEYS) or _first_version(fields) or fields.get("update_date")
    yield from made(make_paper(
        title_text, abstract_text, source,
        ids=(*ids, fields.get("arxiv_id"), fields.get("arxiv"), fields.get("eprint"),
             fields.get("id"), fields.get("doi"),
             pmid_id(text_value(fields.get("pmid")), bare=True)),
        key=text_value(local) if local is not None else None,
        legacy_native=record.get("id") or record.get("arxiv_id") or record.get("doi"),
        authors=_first(fields, AUTHOR_KEYS), year=year,
        url=_first(fields, URL_KEYS) or "", categories=_first(fields, CATEGORY_KEYS),
        code_urls=_first(fields, CODE_KEYS), carried_id=carried_id,
        carried_source=carried_source), where)


def _json_reason(exc: Exception) -> str:
    if isinstance(exc, RecursionError):
        return "JSON nested too deeply"
    return f"invalid JSON ({getattr(exc, 'msg', exc)})"


def parse_json(path: Path, lines: Iterable[str]) -> Iterator[Item]:
    text = "".join(lines)
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        line = getattr(exc, "lineno", 1)
        raise SourceError(f"{path}:{line}: {_json_reason(exc)}") from exc
    if isinstance(data, dict):
        inner = _first(data, ("papers", "items", "records", "entries", "data"))
        data = inner if inner is not None else [data]
    if not isinstance(data, list):
        raise SourceError(f"{path}: expected a list of paper objects, got "
                          f"{type(data).__name__}")
    csl = looks_like_csl(data)
    for index, record in enumerate(data, start=1):
        where = f"{path}: record {index}"
        if csl and isinstance(record, dict):
            record, notes, extra = csl_fields(record)
            yield from (Problem(where, note, skipped=False) for note in notes)
            yield from from_record(record, path.name, where, **extra)
        else:
            yield from from_record(record, path.name, where)


def parse_jsonl(path: Path, lines: Iterable[str]) -> Iterator[Item]:
    """One JSON object per line, read as a stream: a multi-GB dump is never held whole."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            yield Problem(f"{path}:{number}", _json_reason(exc))
            continue
        yield from from_record(record, path.name, f"{path}:{number}")


DELIMITERS = (",", ";", "\t", "|")


def _delimiter(header: str) -> str:
    """The delimiter the header line uses most (Excel in many locales writes ``;``)."""
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _line_breaks(row: dict) -> int:
    """Line breaks inside a row's quoted fields: the row began that many lines before the
    reader's line number (counting from the end is right even after blank lines, which
    the reader skips)."""
    values = [v for v in row.values() if isinstance(v, str)]
    values += [v for extra in row.values() if isinstance(extra, list) for v in extra]
    return sum(v.count("\n") for v in values)


def parse_csv(path: Path, lines: Iterable[str]) -> Iterator[Item]:
    """Real CSV (the csv module): quoted multi-line fields, CRLF, ``;`` or tab delimiters.
    A row with more fields than the header is skipped: an unquoted delimiter in it has
    shifted the columns, so no field can be trusted."""
    text = "".join(lines)
    header = text.split("\n", 1)[0]
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=_delimiter(header),
                            strict=True)
    try:
        columns = [c.strip().lower() for c in (reader.fieldnames or []) if c]
    except csv.Error as exc:
        raise SourceError(f"{path}:1: unreadable CSV header ({exc})") from exc
    if "title" not in columns or not set(ABSTRACT_KEYS) & set(columns):
        raise SourceError(f"{path}:1: CSV needs 'title' and 'abstract' columns "
                          f"(found: {', '.join(columns) or 'none'})")
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # the reader raises before counting the line it failed on
            yield Problem(f"{path}:{reader.line_num + 1}", f"CSV quoting error ({exc})")
            continue
        where = f"{path}:{reader.line_num - _line_breaks(row)}"
        if None in row:
            yield Problem(where, f"{len(columns) + len(row[None])} fields but the header has "
                                 f"{len(columns)} (an unquoted delimiter?)")
            continue
        yield from from_record(row, path.name, where)


PARSERS: dict[str, Parser] = {
    ".txt": parse_text,
    ".md": parse_text,
    ".markdown": parse_text,
    ".json": parse_json,
    ".jsonl": parse_jsonl,
    ".ndjson": parse_jsonl,
    ".csv": parse_csv,
    ".tsv": parse_csv,
    ".bib": parse_bibtex,
    ".bibtex": parse_bibtex,
    ".ris": parse_ris,
}

__all__ = ["PARSERS", "MAX_ABSTRACT_CHARS", "Item", "from_record"]
