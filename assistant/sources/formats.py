"""One parser per input format. Each yields papers and problems as it reads, so a bad
record costs only itself: it is reported (file and line or entry) and the records around
it still land. A file that cannot be read at all raises :class:`SourceError`."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from assistant.sources.records import (
    MAX_ABSTRACT_CHARS,
    Paper,
    Problem,
    SourceError,
    make_paper,
    text_value,
)

Item = tuple[str, Paper] | Problem  # a paper with where it is in the file, or a problem
Parser = Callable[[Path, Iterable[str]], Iterator[Item]]
MIN_ABSTRACT_CHARS = 200


def _made(paper_and_notes: tuple[Paper, list[str]], where: str) -> Iterator[Item]:
    paper, notes = paper_and_notes
    for note in notes:
        yield Problem(where, note, skipped=False)
    yield where, paper


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
                yield from _made(make_paper(title, block, path.name), f"{path}:{previous[0]}")
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


def from_record(record: object, source: str, where: str) -> Iterator[Item]:
    """One paper (or one problem) from a mapping of field names to values."""
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
    yield from _made(make_paper(
        title_text, abstract_text, source,
        ids=(fields.get("arxiv_id"), fields.get("arxiv"), fields.get("eprint"),
             fields.get("id"), fields.get("doi")),
        key=text_value(local) if local is not None else None,
        legacy_native=record.get("id") or record.get("arxiv_id") or record.get("doi"),
        authors=_first(fields, AUTHOR_KEYS), year=year,
        url=_first(fields, URL_KEYS) or "", categories=_first(fields, CATEGORY_KEYS),
        code_urls=_first(fields, CODE_KEYS)), where)


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
    for index, record in enumerate(data, start=1):
        yield from from_record(record, path.name, f"{path}: record {index}")


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


# --- BibTeX ----------------------------------------------------------------------------


def _bib_names(value: object) -> list[str]:
    """bibtexparser's NameParts (after SplitNameParts) as "First von Last, Jr" names."""
    if not isinstance(value, list):
        return []
    names = []
    for parts in value:
        first = " ".join(getattr(parts, "first", []))
        von_last = " ".join([*getattr(parts, "von", []), *getattr(parts, "last", [])])
        jr = " ".join(getattr(parts, "jr", []))
        names.append(re.sub(r"\s+", " ", f"{first} {von_last}" + (f", {jr}" if jr else ""))
                     .strip())
    return [n for n in names if n and n.lower() != "others"]  # "and others": et al.


def _unbrace(text: str) -> str:
    return text.replace("{", "").replace("}", "")


def _bib_latex_middleware():  # noqa: ANN202 - the middleware class is imported lazily
    """bibtexparser's LaTeX decoder, except that a bare ``%`` stays a percent sign: to
    LaTeX it starts a comment, so "30% lower error" would lose the rest of the line, yet
    real exports write percentages in abstracts without escaping them."""
    from bibtexparser.middlewares import LatexDecodingMiddleware

    class KeepPercent(LatexDecodingMiddleware):
        def _transform_python_value_string(self, python_string: str) -> tuple[str, str]:
            return super()._transform_python_value_string(
                re.sub(r"(?<!\\)%", r"\\%", python_string))

    return KeepPercent()


def parse_bibtex(path: Path, lines: Iterable[str]) -> Iterator[Item]:
    """Entries through bibtexparser v2 with its middlewares: LaTeX decoded (accents,
    protected capitals, bare percent signs kept) and author lists split into names."""
    import bibtexparser
    from bibtexparser.middlewares import SeparateCoAuthors, SplitNameParts

    logging.getLogger("bibtexparser").setLevel(logging.ERROR)  # we report failed blocks
    library = bibtexparser.parse_string(
        "".join(lines),
        append_middleware=[_bib_latex_middleware(), SeparateCoAuthors(), SplitNameParts()])
    for block in library.failed_blocks:
        line = getattr(block, "start_line", 0) + 1
        kind = type(block).__name__
        if kind == "DuplicateBlockKeyBlock":
            yield Problem(f"{path}:{line}", f"duplicate entry key '{block.key}' (the first "
                          "entry with this key is kept)")
        else:
            yield Problem(f"{path}:{line}", "malformed BibTeX entry")
    for entry in library.entries:
        fields = {f.key.lower(): f.value for f in entry.fields}
        where = f"{path}:{entry.start_line + 1}: entry '{entry.key}'"
        title, abstract = fields.get("title"), fields.get("abstract")
        if not isinstance(title, str) or not isinstance(abstract, str) or \
                not title.strip() or not abstract.strip():
            yield Problem(where, "no title or no abstract field")
            continue
        archive = str(fields.get("archiveprefix", "")).lower()
        eprint = fields.get("eprint") if archive in ("", "arxiv") else None
        keywords = fields.get("keywords", "")
        yield from _made(make_paper(
            _unbrace(title), _unbrace(abstract), path.name,
            ids=(eprint, fields.get("doi")), key=entry.key,
            legacy_native=fields.get("eprint") or fields.get("doi") or entry.key,
            authors=_bib_names(fields.get("author")), year=fields.get("year"),
            url=fields.get("url", ""),
            categories=[k.strip() for k in re.split(r"[,;]", str(keywords)) if k.strip()]),
            where)


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
}

__all__ = ["PARSERS", "MAX_ABSTRACT_CHARS", "Item", "from_record"]
