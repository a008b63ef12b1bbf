"""CSL JSON in and out: the native export of Zotero and Mendeley (a JSON array of items
with ``type``, ``title``, ``author: [{family, given} | {literal}]``, ``issued``, …).

Reading: the ``.json`` reader recognises CSL by its shape (:func:`looks_like_csl`) and
each item is translated into the generic record fields (:func:`csl_fields`), so the checks
and messages are the JSON reader's. Ids: ``DOI``, ``PMID``, an arXiv id from ``number``
(``arXiv:1706.03762``), ``URL`` or ``note`` (Zotero's Extra: ``arXiv: 1706.03762``); ``id``
as the JSON reader reads it. ``issued`` gives the year; ``container-title`` (the journal
or book) has no place in a paper record and is not kept.

Writing: one item per paper; this program's id, the file the paper came from and its
code URLs travel in ``custom`` (CSL's field for data it has no variable for)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from assistant.sources.names import join_name, name_parts
from assistant.sources.records import (
    ARXIV_RE,
    Paper,
    clean_text,
    note_ids,
    parse_year,
    text_value,
)

CSL_TYPES = {
    "article", "article-journal", "article-magazine", "article-newspaper", "bill", "book",
    "broadcast", "chapter", "classic", "collection", "dataset", "document", "entry",
    "entry-dictionary", "entry-encyclopedia", "event", "figure", "graphic", "hearing",
    "interview", "legal_case", "legislation", "manuscript", "map", "motion_picture",
    "musical_score", "pamphlet", "paper-conference", "patent", "performance", "periodical",
    "personal_communication", "post", "post-weblog", "regulation", "report", "review",
    "review-book", "software", "song", "speech", "standard", "thesis", "treaty", "webpage"}
NAME_KEYS = ("family", "given", "literal")
CUSTOM_ID, CUSTOM_SOURCE, CUSTOM_CODE, CUSTOM_CATEGORIES = (
    "assistant-id", "assistant-source", "code-urls", "categories")


def looks_like_csl(records: list) -> bool:
    """Whether a JSON list is CSL: an item with ``issued``, ``container-title``, a CSL
    ``type`` or an ``author`` list of CSL names (the generic reader's fields differ)."""
    for record in records[:100]:
        if not isinstance(record, dict):
            continue
        authors = record.get("author")
        if "issued" in record or "container-title" in record or \
                record.get("type") in CSL_TYPES or (
                    isinstance(authors, list) and authors and
                    all(isinstance(a, dict) and set(a) & set(NAME_KEYS) for a in authors)):
            return True
    return False


def _name(value: object) -> str | None:
    """One CSL name as the paper keeps it (``given particle family, suffix``)."""
    if isinstance(value, str):
        return clean_text(value) or None
    if not isinstance(value, dict):
        return None
    part = {k: clean_text(text_value(value.get(k)) or "") for k in
            ("literal", "family", "given", "suffix", "dropping-particle",
             "non-dropping-particle")}
    if part["literal"]:
        return part["literal"]
    given = f"{part['given']} {part['dropping-particle']}"
    family = f"{part['non-dropping-particle']} {part['family']}"
    return join_name(family, given, part["suffix"]) or None


def _authors(value: object) -> tuple[list[str] | str, list[str]]:
    """The names of a CSL ``author`` value, and notes on what could not be read."""
    if value is None:
        return [], []
    if isinstance(value, str):
        return value, ["'author' is text, not a list of names (read as text)"]
    if not isinstance(value, list):
        return [], [f"'author' is a {type(value).__name__}, not a list of names (left out)"]
    names = [_name(v) for v in value]
    notes = [f"author {n} has no name (left out)" for n, name in enumerate(names, 1)
             if name is None]
    return [name for name in names if name], notes


def _year(value: object) -> tuple[int | None, list[str]]:
    """The year of a CSL date (``date-parts``, ``raw`` or ``literal``; plain text or a
    number also do), or a note when ``issued`` has none of these shapes."""
    if value is None:
        return None, []
    if isinstance(value, dict):
        parts = value.get("date-parts")
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0] \
                and text_value(parts[0][0]) is not None:
            return parse_year(text_value(parts[0][0])), []
        text = text_value(value.get("raw")) or text_value(value.get("literal"))
        if text:
            return parse_year(text), []
    elif text_value(value) is not None:
        return parse_year(text_value(value)), []
    shown = json.dumps(value, ensure_ascii=False)
    return None, [f"'issued' is not a CSL date ({shown[:40]}); read without a year"]


def csl_fields(item: dict) -> tuple[dict, list[str], dict]:
    """A CSL item as the JSON reader's record (its CSL variables translated, any other
    field left for the JSON reader, so a JSON file that only looks like CSL loses
    nothing), notes on what did not fit, and what to pass on besides (``ids``,
    ``carried_id``, ``carried_source``)."""
    record = {str(k).lower(): v for k, v in item.items()}
    notes: list[str] = []
    if "author" in record:
        record["authors"], notes = _authors(record.pop("author"))
    if "issued" in record:
        record["year"], year_notes = _year(record.pop("issued"))
        notes += year_notes
    custom = record.pop("custom", None)
    custom = custom if isinstance(custom, dict) else {}
    if isinstance(custom.get(CUSTOM_CATEGORIES), list):
        record["categories"] = custom[CUSTOM_CATEGORIES]
    elif "keyword" in record:
        keywords = text_value(record.pop("keyword")) or ""
        record["categories"] = [k.strip() for k in re.split(r"[,;]", keywords) if k.strip()]
    if custom.get(CUSTOM_CODE):
        record["code_urls"] = custom[CUSTOM_CODE]
    number = text_value(record.get("number")) or ""
    ids = [number] if ARXIV_RE.match(number) and ":" in number else []
    ids += note_ids(text_value(record.get("note")))
    extra = {"ids": ids, "carried_id": custom.get(CUSTOM_ID),
             "carried_source": custom.get(CUSTOM_SOURCE)}
    return record, notes, extra


# --- writing -------------------------------------------------------------------------------


def csl_name(name: str) -> dict:
    parts = name_parts(name)
    if parts is None:
        return {"literal": name}
    family, given, suffix = parts
    return {k: v for k, v in (("family", family), ("given", given), ("suffix", suffix)) if v}


def csl_item(paper: Paper) -> dict:
    """One paper as a CSL item."""
    item: dict = {"id": paper.id, "type": "article", "title": paper.title}
    if paper.authors:
        item["author"] = [csl_name(a) for a in paper.authors]
    if paper.year is not None:
        item["issued"] = {"date-parts": [[paper.year]]}
    if paper.id.startswith("10."):
        item.update(type="article-journal", DOI=paper.id)
    elif paper.id.startswith("pmid:"):
        item.update(type="article-journal", PMID=paper.id.removeprefix("pmid:"))
    elif ARXIV_RE.match(paper.id):
        item.update(number=f"arXiv:{paper.id}", publisher="arXiv")
    item["abstract"] = paper.abstract
    if paper.url:
        item["URL"] = paper.url
    if paper.categories:
        item["keyword"] = ", ".join(paper.categories)
    custom: dict = {CUSTOM_ID: paper.id, CUSTOM_SOURCE: paper.source}
    if paper.code_urls:
        custom[CUSTOM_CODE] = list(paper.code_urls)
    if any("," in c or ";" in c for c in paper.categories):  # the keyword text splits them
        custom[CUSTOM_CATEGORIES] = list(paper.categories)
    item["custom"] = custom
    return item


def write_csl(papers: Iterable[Paper]) -> str:
    """The papers as a CSL JSON array."""
    return json.dumps([csl_item(p) for p in papers], ensure_ascii=False, indent=2) + "\n"
