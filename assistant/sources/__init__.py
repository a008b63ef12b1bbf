"""Sources → paper records: files in seven formats (a saved papers page or Markdown,
arXiv JSON/JSONL, CSV, and the reference managers' BibTeX, RIS and CSL JSON) become
:class:`Paper` records with collision-free ids, and every unreadable record becomes a
one-line :class:`Problem`. Papers go back out as BibTeX, CSL JSON or RIS
(:mod:`.export`), which read back as the same papers."""

from assistant.sources.export import (
    FORMATS,
    ExportError,
    export_format,
    export_papers,
    write_references,
)
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

__all__ = ["FORMATS", "PARSERS", "ExportError", "Paper", "ParseResult", "Problem",
           "SourceError", "clean_text", "expand_paths", "export_format", "export_papers",
           "extract_urls", "iter_source", "global_id", "known_types", "make_paper",
           "normalize_title", "paper_identity", "parse_file", "read_source",
           "write_references"]
