"""References out: papers as BibTeX, CSL JSON or RIS, for Zotero, Mendeley, EndNote or a
LaTeX document.

The round-trip rule: ingesting an export changes nothing. Every paper keeps its id and
every field. Each format has fields for the title, abstract, authors, year, URL, DOI
(or arXiv id, PMID) and keywords (the categories); what none has a field for travels in
a field of the format's own kind for extra data, and the readers honour it:

=============  ===========================  =========================================
format         the paper's id               the file it came from / code URLs
=============  ===========================  =========================================
BibTeX         key, ``x-assistant-id``      ``x-assistant-source`` / ``x-code-urls``
CSL JSON       ``id``, ``custom``'s         ``custom``: ``assistant-source`` /
               ``assistant-id``             ``code-urls``
RIS            ``ID``, ``U1``               ``U2`` / ``U3`` (one per URL)
=============  ===========================  =========================================

A paper's id when read: its global id (arXiv, DOI, PMID) if the record has one, else the
carried id, else its key scoped to the file, else its title hash; its source: the
carried one, else the file's name. A hand-made file without these fields reads as
always. (BibTeX and CSL JSON keep keywords as one text: categories with a comma or a
semicolon in them also travel whole, in ``x-categories`` / ``custom``'s ``categories``;
RIS keeps one per line, and a JSON list in ``U4`` when one holds a semicolon.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from assistant.errors import AssistantError, UsageError
from assistant.fileio import write_atomic
from assistant.sources.bibtex import write_bibtex
from assistant.sources.csl import write_csl
from assistant.sources.records import Paper
from assistant.sources.ris import write_ris

WRITERS: dict[str, Callable[[Iterable[Paper]], str]] = {
    "bibtex": write_bibtex, "csljson": write_csl, "ris": write_ris}
SUFFIXES = {".bib": "bibtex", ".bibtex": "bibtex", ".json": "csljson", ".ris": "ris"}
FORMATS = tuple(WRITERS)


class ExportError(UsageError, ValueError):
    """An export format the program does not write."""


class CannotWrite(AssistantError, OSError):
    """The reference file cannot be written (a folder that is a file, no permission)."""


def export_format(fmt: str | None = None, path: Path | None = None) -> str:
    """The format to write: the one named, else the one the file's suffix means, else
    BibTeX."""
    if fmt:
        name = fmt.strip().lower().replace("-", "").replace("_", "")
        name = {"bib": "bibtex", "csl": "csljson", "json": "csljson"}.get(name, name)
        if name not in WRITERS:
            raise ExportError(f"unknown reference format '{fmt}' (use one of: "
                              f"{', '.join(FORMATS)})")
        return name
    if path is not None and path.suffix.lower() in SUFFIXES:
        return SUFFIXES[path.suffix.lower()]
    if path is not None and path.suffix:
        raise ExportError(f"{path}: cannot tell the format from '{path.suffix}' (use .bib, "
                          ".json or .ris, or --format)")
    return "bibtex"


def export_papers(papers: Iterable[Paper], fmt: str = "bibtex") -> str:
    """The papers as the text of a reference file in ``fmt``."""
    return WRITERS[export_format(fmt)](list(papers))


def write_references(papers: Iterable[Paper], path: Path, fmt: str | None = None) -> str:
    """Write the papers to ``path`` at once (never half a file); returns the format."""
    name = export_format(fmt, path)
    try:
        write_atomic(path, export_papers(papers, name))
    except OSError as exc:
        raise CannotWrite(f"{path}: cannot write ({exc.strerror or exc})") from exc
    return name
