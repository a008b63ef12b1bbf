"""Sources → paper records.

Each supported input format becomes a list of :class:`Paper`. Parsers never touch the
store: a broken file raises :class:`SourceError` naming the file and the line or record, so
the caller can report it and keep ingesting the other files.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import AssistantError

URL_RE = re.compile(r"https?://[^\s<>\"')\]]+")
CODE_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "huggingface.co", "codeberg.org")
MIN_ABSTRACT_CHARS = 200


class SourceError(AssistantError, ValueError):
    """A source file could not be parsed; the message names the file and line/record."""


@dataclass
class Paper:
    """One paper as the rest of the pipeline sees it."""

    id: str
    title: str
    abstract: str
    source: str = ""
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    url: str = ""
    code_urls: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)

    @property
    def content_hash(self) -> str:
        """Changes whenever anything a reader could see changes, so updates replace chunks."""
        payload = json.dumps(asdict(self), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]

    def to_dict(self) -> dict:
        return asdict(self)


def normalize_title(title: str) -> str:
    text = unicodedata.normalize("NFKC", title).casefold()
    return re.sub(r"[^\w]+", " ", text).strip()


def paper_id_for(title: str, native_id: str | None = None) -> str:
    """A stable id: the source's own id (arXiv, DOI, key) when it has one, else a title hash.

    The title, not the abstract, decides identity so that a corrected abstract replaces
    the old version instead of living beside it.
    """
    if native_id:
        cleaned = re.sub(r"[^\w.:/-]+", "-", native_id.strip()).strip("-")
        if cleaned:
            return cleaned
    return "p-" + hashlib.sha1(normalize_title(title).encode("utf-8")).hexdigest()[:10]


def clean_text(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def extract_urls(text: str) -> tuple[list[str], list[str]]:
    """Return (code urls, other urls) found in free text, trailing punctuation removed."""
    urls = [u.rstrip(".,;:") for u in URL_RE.findall(text or "")]
    code = [u for u in urls if any(h in u for h in CODE_HOSTS)]
    other = [u for u in urls if u not in code]
    return list(dict.fromkeys(code)), list(dict.fromkeys(other))


def _parse_year(value: object) -> int | None:
    match = re.search(r"(19|20)\d{2}", str(value or ""))
    return int(match.group(0)) if match else None


def _split_authors(value: object) -> list[str]:
    if isinstance(value, list):
        return [clean_text(str(a)) for a in value if clean_text(str(a))]
    text = clean_text(str(value or ""))
    if not text:
        return []
    parts = re.split(r"\s+and\s+|;|,(?=\s*[A-Z][^,]*\s)", text)
    return [p.strip() for p in parts if p.strip()]


def make_paper(title: str, abstract: str, source: str, **extra: object) -> Paper:
    """Build a paper with normalised text and code links pulled out of the abstract."""
    title = clean_text(title)
    abstract = clean_text(abstract)
    code, other = extract_urls(abstract)
    code = list(dict.fromkeys([*code, *(extra.pop("code_urls", None) or [])]))
    url = str(extra.pop("url", "") or (other[0] if other else ""))
    native = extra.pop("native_id", None)
    return Paper(
        id=paper_id_for(title, str(native) if native else None),
        title=title,
        abstract=abstract,
        source=source,
        authors=_split_authors(extra.pop("authors", None)),
        year=_parse_year(extra.pop("year", None)),
        url=url,
        code_urls=code,
        categories=[c for c in str(extra.pop("categories", "") or "").split() if c],
    )


# --- the saved papers page / plain text / markdown -------------------------------------


def _paragraphs(text: str) -> list[tuple[int, str]]:
    """Split text into (first line number, paragraph) pairs on blank lines."""
    out: list[tuple[int, str]] = []
    buf: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(), start=1):
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


def _looks_like_title(text: str) -> bool:
    return 3 <= len(text) <= 300 and not _looks_like_abstract(text)


def _looks_like_abstract(text: str) -> bool:
    return len(text) >= MIN_ABSTRACT_CHARS and text.count(" ") >= 25


def parse_text(path: Path, text: str) -> list[Paper]:
    """A title line followed by an abstract paragraph; anything else is page chrome.

    Markdown headings (``# Title``) directly above their abstract are titles too.
    """
    raw_lines = text.splitlines()
    blocks: list[str] = []
    for number, para in _paragraphs(text):
        first = raw_lines[number - 1].strip()
        rest = para[len(first):].strip()
        if first.startswith("#") and rest:
            blocks += [first, rest]
        else:
            blocks.append(para)
    papers: list[Paper] = []
    previous: str | None = None
    for block in blocks:
        if previous is not None and _looks_like_abstract(block):
            title = previous.lstrip("#").strip()
            if _looks_like_title(title):
                papers.append(make_paper(title, block, path.name))
                previous = None
                continue
        previous = block
    if not papers:
        raise SourceError(
            f"{path}: no papers found (expected a title line followed by an abstract paragraph)"
        )
    return papers


# --- JSON / JSONL ----------------------------------------------------------------------

TITLE_KEYS = ("title", "Title", "TITLE")
ABSTRACT_KEYS = ("abstract", "Abstract", "summary", "ABSTRACT")


def _first(record: dict, keys: Iterable[str]) -> object:
    for key in keys:
        if record.get(key):
            return record[key]
    return None


def _from_record(record: object, source: str, where: str) -> Paper:
    if not isinstance(record, dict):
        raise SourceError(f"{where}: expected an object with title and abstract")
    title = _first(record, TITLE_KEYS)
    abstract = _first(record, ABSTRACT_KEYS)
    if not title or not abstract:
        raise SourceError(f"{where}: record has no title or no abstract field")
    native = record.get("id") or record.get("arxiv_id") or record.get("doi")
    url = record.get("url") or (f"https://arxiv.org/abs/{native}" if record.get("id") else "")
    return make_paper(
        str(title),
        str(abstract),
        source,
        native_id=native,
        authors=record.get("authors") or record.get("author"),
        year=record.get("year") or record.get("update_date") or record.get("published"),
        url=url,
        categories=record.get("categories"),
        code_urls=record.get("code_urls"),
    )


def parse_json(path: Path, text: str) -> list[Paper]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg})") from exc
    if isinstance(data, dict):
        data = data.get("papers") or data.get("items") or [data]
    if not isinstance(data, list):
        raise SourceError(f"{path}: expected a list of paper objects")
    return [_from_record(r, path.name, f"{path}: record {i + 1}") for i, r in enumerate(data)]


def parse_jsonl(path: Path, text: str) -> list[Paper]:
    papers = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SourceError(f"{path}:{number}: invalid JSON ({exc.msg})") from exc
        papers.append(_from_record(record, path.name, f"{path}:{number}"))
    return papers


# --- CSV -------------------------------------------------------------------------------


def parse_csv(path: Path, text: str) -> list[Paper]:
    reader = csv.DictReader(text.splitlines())
    columns = {c.strip().lower(): c for c in (reader.fieldnames or [])}
    if "title" not in columns or not ({"abstract", "summary"} & columns.keys()):
        raise SourceError(f"{path}:1: CSV needs 'title' and 'abstract' columns")
    papers = []
    for number, row in enumerate(reader, start=2):
        record = {k.strip().lower(): v for k, v in row.items() if k}
        papers.append(_from_record(record, path.name, f"{path}:{number}"))
    return papers


# --- BibTeX ----------------------------------------------------------------------------


def _strip_latex_braces(text: str) -> str:
    return clean_text(text.replace("{", "").replace("}", ""))


def parse_bibtex(path: Path, text: str) -> list[Paper]:
    import bibtexparser

    library = bibtexparser.parse_string(text)
    if library.failed_blocks:
        block = library.failed_blocks[0]
        line = getattr(block, "start_line", 0) + 1
        raise SourceError(f"{path}:{line}: malformed BibTeX entry")
    papers = []
    for entry in library.entries:
        fields_ = {f.key.lower(): str(f.value) for f in entry.fields}
        where = f"{path}: entry '{entry.key}'"
        if not fields_.get("title") or not fields_.get("abstract"):
            raise SourceError(f"{where}: no title or no abstract field")
        native = fields_.get("eprint") or fields_.get("doi") or entry.key
        papers.append(
            make_paper(
                _strip_latex_braces(fields_["title"]),
                _strip_latex_braces(fields_["abstract"]),
                path.name,
                native_id=native,
                authors=_strip_latex_braces(fields_.get("author", "")),
                year=fields_.get("year"),
                url=fields_.get("url", ""),
                categories=fields_.get("keywords", "").replace(",", " "),
            )
        )
    if not papers:
        raise SourceError(f"{path}: no BibTeX entries found")
    return papers


PARSERS: dict[str, Callable[[Path, str], list[Paper]]] = {
    ".txt": parse_text,
    ".md": parse_text,
    ".markdown": parse_text,
    ".json": parse_json,
    ".jsonl": parse_jsonl,
    ".ndjson": parse_jsonl,
    ".csv": parse_csv,
    ".bib": parse_bibtex,
    ".bibtex": parse_bibtex,
}


def parse_file(path: Path) -> list[Paper]:
    """Parse one file into papers, or raise SourceError with a one-line reason."""
    path = Path(path)
    if not path.exists():
        raise SourceError(f"{path}: no such file")
    if path.is_dir():
        raise SourceError(f"{path}: is a directory; pass the files inside it")
    parser = PARSERS.get(path.suffix.lower())
    if parser is None:
        known = ", ".join(sorted(PARSERS))
        raise SourceError(f"{path}: unsupported file type '{path.suffix}' (known: {known})")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    if not text.strip():
        raise SourceError(f"{path}: file is empty")
    papers = parser(path, text)
    return _dedupe(papers)


def _dedupe(papers: list[Paper]) -> list[Paper]:
    """The same paper twice in one file keeps its last version."""
    by_id: dict[str, Paper] = {}
    for paper in papers:
        by_id[paper.id] = paper
    return list(by_id.values())
