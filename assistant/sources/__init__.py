"""Sources → paper records: files in five formats become :class:`Paper` records with
collision-free ids, and every unreadable record becomes a one-line :class:`Problem`."""

from assistant.sources.files import (
    ParseResult,
    expand_paths,
    iter_source,
    known_types,
    parse_file,
    read_source,
)
from assistant.sources.formats import PARSERS
from assistant.sources.records import (
    Paper,
    Problem,
    SourceError,
    clean_text,
    extract_urls,
    global_id,
    make_paper,
    normalize_title,
    paper_identity,
)

__all__ = ["PARSERS", "Paper", "ParseResult", "Problem", "SourceError", "clean_text",
           "expand_paths", "extract_urls", "iter_source", "global_id", "known_types", "make_paper",
           "normalize_title", "paper_identity", "parse_file", "read_source"]
