"""Files → records: which files an argument means, how their bytes become text, and one
result per file (the papers, and every problem with its place in the file)."""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from assistant.sources.formats import PARSERS, parse_json, parse_jsonl
from assistant.sources.records import Paper, Problem, SourceError

BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"))
SNIFF_BYTES = 64 * 1024


@dataclass
class ParseResult:
    path: Path
    papers: list[Paper] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return sum(p.skipped for p in self.problems)


def known_types() -> str:
    return ", ".join(sorted(PARSERS))


def expand_paths(paths: Iterable[Path]) -> tuple[list[Path], list[str]]:
    """Files to read: files as given, directories searched recursively for supported
    files (hidden ones skipped). Returns the files and one error per useless argument."""
    files: list[Path] = []
    errors: list[str] = []
    for path in map(Path, paths):
        if not path.is_dir():
            files.append(path)
            continue
        found = sorted(f for f in path.rglob("*") if f.is_file()
                       and f.suffix.lower() in PARSERS
                       and not any(part.startswith(".") for part in f.relative_to(path).parts))
        if not found:
            errors.append(f"{path}: no supported files inside (known: {known_types()})")
        files += found
    return list(dict.fromkeys(files)), errors


def detect_encoding(head: bytes) -> str | None:
    """UTF-8/16/32 from a byte-order mark, UTF-16 without one from its zero bytes,
    else UTF-8; None for binary data."""
    for bom, encoding in BOMS:
        if head.startswith(bom):
            return encoding
    if b"\x00" in head:
        half = max(len(head) // 2, 1)
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if odd > 0.3 * half and even < 0.05 * half:
            return "utf-16-le"
        if even > 0.3 * half and odd < 0.05 * half:
            return "utf-16-be"
        return None
    return "utf-8"


def _looks_binary(text: str) -> bool:
    sample = text[:SNIFF_BYTES]
    controls = sum(1 for c in sample if ord(c) < 32 and c not in "\t\n\r\f")
    return controls > max(2, len(sample) // 100)


def decode(path: Path, data: bytes) -> tuple[str, Problem | None]:
    """The file's text, and a note when it was not UTF-8 (read as Windows-1252, what
    spreadsheet programs write)."""
    encoding = detect_encoding(data[:SNIFF_BYTES])
    if encoding is None:
        raise SourceError(f"{path}: binary data, not a text file")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding != "utf-8":
            raise SourceError(f"{path}: not valid {encoding} text (byte {exc.start})") from exc
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise SourceError(f"{path}: not UTF-8 text (byte {exc.start}); save it as "
                              "UTF-8") from exc
        note = Problem(str(path), f"not UTF-8 (byte {exc.start}); read as Windows-1252",
                       skipped=False)
        return _checked(path, text), note
    return _checked(path, text), None


def _checked(path: Path, text: str) -> str:
    if _looks_binary(text):
        raise SourceError(f"{path}: binary data, not a text file")
    if not text.strip():
        raise SourceError(f"{path}: file is empty")
    return text


def _json_lines(head: bytes) -> bool:
    """A ``.json`` file that is really JSON Lines (arXiv's metadata snapshot is one): its
    first line is a whole JSON object and another object starts on a later line. Read
    as JSONL it streams, line by line, and one broken line costs only that record."""
    encoding = detect_encoding(head)
    if encoding is None:
        return False
    text = head.decode(encoding, errors="ignore")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) < 2 or not lines[1].startswith("{"):
        return False
    try:
        return isinstance(json.loads(lines[0]), dict)
    except ValueError:
        return False


OnBytes = Callable[[int], None]


def _stream_lines(path: Path, on_bytes: OnBytes | None = None) -> Iterator[str | Problem]:
    """A UTF-8 file's lines without reading it whole; a line that is not UTF-8 becomes a
    problem for that line only. ``on_bytes`` hears how many bytes each line took."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if on_bytes:
                on_bytes(len(raw))
            if number == 1:
                raw = raw.removeprefix(codecs.BOM_UTF8)
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield Problem(f"{path}:{number}", f"not UTF-8 text (byte {exc.start})")
                yield "\n"  # keep the line count


def _jsonl_stream(path: Path, on_bytes: OnBytes | None = None) -> Iterator:
    """Problems from undecodable lines interleaved with the parsed records, in order."""
    pending: list[Problem] = []

    def lines() -> Iterator[str]:
        for item in _stream_lines(path, on_bytes):
            if isinstance(item, Problem):
                pending.append(item)
            else:
                yield item

    for item in parse_jsonl(path, lines()):
        yield from pending
        pending.clear()
        yield item
    yield from pending


def _place(where: str, path: Path) -> str:
    """``path:12`` → ``line 12``, ``path: record 3`` → ``record 3``."""
    place = where.removeprefix(str(path)).lstrip(":").strip()
    return f"line {place}" if place[:1].isdigit() else place


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise SourceError(f"{path}: no such file")
    if path.is_dir():
        raise SourceError(f"{path}: is a directory")
    if path.suffix.lower() not in PARSERS:
        raise SourceError(f"{path}: unsupported file type '{path.suffix}' "
                          f"(known: {known_types()})")


def read_source(path: Path, keep: Callable[[Paper], bool] | None = None,
                limit: int | None = None) -> ParseResult:
    """Parse one file into papers and problems (see :func:`iter_source`)."""
    result = ParseResult(Path(path))
    for item in iter_source(path, keep, limit):
        (result.problems if isinstance(item, Problem) else result.papers).append(item)
    return result


def iter_source(path: Path, keep: Callable[[Paper], bool] | None = None,
                limit: int | None = None, on_bytes: OnBytes | None = None
                ) -> Iterator[Paper | Problem]:
    """One file's papers and problems, in file order, as a stream: a UTF-8 JSONL dump is
    read line by line (never whole), so a multi-GB file costs memory for one record.

    Raises SourceError only when nothing in the file can be read (missing, binary, empty,
    no papers at all). ``keep`` selects papers and ``limit`` stops reading once that many
    are kept (a slice of a dump costs only the lines read); ``on_bytes`` hears how much
    of the file has been read, for progress and ETA."""
    path = Path(path)
    _check_readable(path)
    try:
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror})") from exc
    parser = PARSERS[path.suffix.lower()]
    if parser is parse_json and _json_lines(head):
        parser = parse_jsonl
    if parser is parse_jsonl and detect_encoding(head) in ("utf-8", "utf-8-sig"):
        if not head.strip():
            raise SourceError(f"{path}: file is empty")
        _checked(path, head.decode("utf-8", errors="replace"))
        items = _jsonl_stream(path, on_bytes)
    else:
        data = path.read_bytes()
        text, note = decode(path, data)
        if on_bytes:
            on_bytes(len(data))
        if note:
            yield note
        items = parser(path, text.splitlines(keepends=True))
    seen: dict[str, tuple[str, str]] = {}  # id → (where, content hash): small per paper
    found = 0
    problems = 0
    for item in items:
        if isinstance(item, Problem):
            problems += 1
            yield item
            continue
        where, paper = item
        if paper.id in seen:
            first_where, first_hash = seen[paper.id]
            if first_hash != paper.content_hash:
                problems += 1
                yield Problem(where, f"same id '{paper.id}' as "
                                     f"{_place(first_where, path)}; only that one is kept")
            continue
        if keep is not None and not keep(paper):
            continue
        seen[paper.id] = (where, paper.content_hash)
        found += 1
        yield paper
        if limit is not None and found >= limit:
            return
    if not found and not problems and keep is None:
        raise SourceError(f"{path}: no papers found")


def parse_file(path: Path) -> list[Paper]:
    """The papers of one file; any record that cannot be read raises SourceError (the
    strict form, for callers that must not lose a record silently)."""
    result = read_source(path)
    for problem in result.problems:
        if problem.skipped:
            raise SourceError(str(problem))
    return result.papers
