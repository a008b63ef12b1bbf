"""Paper records: the one shape every parser produces, and how a paper gets its id.

Identity is the rule that keeps two different papers from ever sharing an id:

* a **global id** (an arXiv id, a DOI, a PubMed id as ``pmid:12345678``) names the same
  paper in any file, so the same DOI in two exports is one paper; arXiv and DOI come
  before a PMID, so a paper is named alike by exports that have both and by those that
  lack the PMID;
* a **local id** (a BibTeX key, a CSV row id, a JSON ``id`` that is neither) only means
  something inside its file, so it is scoped by the file name: ``refs.bib:smith2020``;
* a paper with neither is named by a hash of its normalised title (the title, not the
  abstract, so that a corrected abstract replaces the old version).

A file this program exported carries each paper's id (and the file it was first read
from, :attr:`Paper.source`): a record without a global id keeps that **carried id**, so
re-ingesting an export changes nothing (see :mod:`assistant.sources.export`).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from functools import lru_cache

from assistant.errors import AssistantError

URL_RE = re.compile(r"https?://[^\s<>\"')\]]+")
CODE_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "huggingface.co", "codeberg.org")
MAX_ABSTRACT_CHARS = 20_000  # longer than any abstract: a whole paper pasted in

_ARXIV = r"(\d{4}\.\d{4,5}|[a-z][a-z.-]*/\d{7})"
ARXIV_RE = re.compile(rf"^(?:arxiv:\s*)?{_ARXIV}(?:v\d+)?$", re.I)
ARXIV_URL_RE = re.compile(rf"arxiv\.org/(?:abs|pdf)/{_ARXIV}", re.I)
ARXIV_DOI_PREFIX = "10.48550/arxiv."
DOI_RE = re.compile(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9}/\S+)$", re.I)
PMID_RE = re.compile(r"^pmid\s*:?\s*(\d{1,9})$", re.I)
PUBMED_URL_RE = re.compile(r"^https?://(?:www\.)?(?:pubmed\.ncbi\.nlm\.nih\.gov/|"
                           r"ncbi\.nlm\.nih\.gov/pubmed/)(\d{1,9})/?$", re.I)


class SourceError(AssistantError, ValueError):
    """A file (or one record of it) cannot be read; the message names the file and the
    line or record."""


@dataclass(frozen=True)
class Problem:
    """Something wrong with one record (or a whole file), reported as one line."""

    where: str  # "path:line", "path: entry 'key'", or just the path
    message: str
    skipped: bool = True  # False: the record still landed (a note, e.g. a truncation)

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


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
    # the id an older version gave this paper (unscoped local keys): lets an index built
    # before ids were scoped migrate on re-ingest. Not part of the record.
    legacy_id: str = field(default="", repr=False, compare=False)

    @property
    def content_hash(self) -> str:
        """Changes whenever anything a reader could see changes, so updates replace chunks."""
        payload = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("legacy_id")
        return data


Item = tuple[str, Paper] | Problem  # what a parser yields: a paper with its place, a problem


def made(paper_and_notes: tuple[Paper, list[str]], where: str) -> Iterator[Item]:
    """A parser's output for one record made by :func:`make_paper`: its notes as problems
    that did not cost the record, then the paper with where it is in the file."""
    paper, notes = paper_and_notes
    for note in notes:
        yield Problem(where, note, skipped=False)
    yield where, paper


# --- identity ------------------------------------------------------------------------------


def normalize_title(title: str) -> str:
    text = unicodedata.normalize("NFKC", title).casefold()
    return re.sub(r"[^\w]+", " ", text).strip()


def paper_name(title: str) -> str:
    """The method name a title announces ("FastDepth: Fast …" → "FastDepth"), if any."""
    head = title.split(":")[0].strip()
    return head if ":" in title and head and len(head.split()) <= 3 else ""


def names_paper(text: str, title: str) -> bool:
    """Whether ``text`` names the paper by the name its title announces ("Summarize
    FastDepth." names "FastDepth: Fast Monocular …"). A coined name (inner capitals,
    digits or hyphens: FastDepth, STU-Net, Once-for-All) matches in any case; a name
    that is also a plain word ("OPEN", "Less is More") only as the title writes it."""
    name = paper_name(title)
    if len(name) < 3:
        return False
    coined = re.search(r"[A-Z0-9-]", name[1:]) and not name.isupper()
    flags = re.IGNORECASE if coined else 0
    return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text, flags) is not None


def _clean_id(text: str) -> str:
    return re.sub(r"[^\w.:/-]+", "-", text.strip()).strip("-")


def title_id(title: str) -> str:
    return "p-" + hashlib.sha1(normalize_title(title).encode("utf-8")).hexdigest()[:10]


def pmid_id(value: object, bare: bool = False) -> str | None:
    """A PubMed id as ``pmid:N`` from ``PMID: N``, ``pmid:N`` or a PubMed URL, or from bare
    digits when ``bare`` (the value is from a field that holds PMIDs); else None."""
    text = str(value or "").strip()
    match = PMID_RE.match(text) or PUBMED_URL_RE.match(text)
    if match is None and bare and re.fullmatch(r"\d{1,9}", text):
        return f"pmid:{int(text)}" if int(text) else None
    return f"pmid:{int(match.group(1))}" if match and int(match.group(1)) else None


def global_id(value: object) -> str | None:
    """An arXiv id (version dropped), a DOI (lower-cased: DOIs ignore case) or a PMID
    (``pmid:N``), or None. arXiv's own DOIs (``10.48550/arXiv.1706.03762``, what Zotero
    stores for a preprint) give the arXiv id, so the preprint is one paper whichever way an
    export names it."""
    text = str(value or "").strip()
    if not text:
        return None
    if match := ARXIV_RE.match(text):
        return match.group(1)
    if match := DOI_RE.match(text):
        doi = match.group(1).lower()
        arxiv = ARXIV_RE.match(doi.removeprefix(ARXIV_DOI_PREFIX))
        return arxiv.group(1) if doi.startswith(ARXIV_DOI_PREFIX) and arxiv else doi
    if match := ARXIV_URL_RE.search(text):
        return match.group(1)
    return pmid_id(text)


def paper_identity(title: str, source: str, global_candidates: tuple[object, ...] = (),
                   local_key: object = None, legacy_native: object = None,
                   carried: object = None) -> tuple[str, str]:
    """``(id, legacy id)`` for a paper: the first arXiv id or DOI found, else a PMID, else
    the id an export of this program carried, else the local key scoped to the file, else
    the title hash. The legacy id is what the paper was called before: the carried id
    (the record has gained a global id since it was exported), the unscoped local key of
    an earlier version, arXiv's DOI before it meant the arXiv id, or, for a PMID (not a
    global id before), the id the record had without it."""
    legacy = _clean_id(str(legacy_native)) if legacy_native not in (None, "") else ""
    legacy = legacy or title_id(title)
    carried_id = clean_text(text_value(carried) or "")
    pmid = None
    for candidate in global_candidates:
        found = global_id(candidate)
        if found and found.startswith("pmid:"):
            pmid = pmid or found
        elif found:
            doi = DOI_RE.match(str(candidate).strip())
            if doi and doi.group(1).lower() != found:  # arXiv's DOI: once the id itself
                legacy = doi.group(1).lower()
            return found, carried_id or legacy
    key = _clean_id(str(local_key)) if local_key not in (None, "") else ""
    without_pmid = carried_id or (_clean_id(f"{source}:{key}") if key else title_id(title))
    if pmid:
        return pmid, without_pmid
    return without_pmid, carried_id or legacy


NOTE_ID_RE = re.compile(rf"\b(arxiv\s*:\s*{_ARXIV}(?:v\d+)?|pmid\s*:\s*\d{{1,9}})\b", re.I)


def note_ids(text: object) -> list[str]:
    """Ids labelled in free text, ``arXiv: 1706.03762`` or ``PMID: 123`` (Zotero's Extra
    field, a RIS note): the labels make them ids, not any number that happens to be there."""
    return [re.sub(r"\s+", "", m.group(1)) for m in NOTE_ID_RE.finditer(str(text or ""))]


def id_url(paper_id: str) -> str:
    """The page a global id names."""
    if paper_id.startswith("pmid:"):
        return f"https://pubmed.ncbi.nlm.nih.gov/{paper_id.removeprefix('pmid:')}/"
    if paper_id.startswith("10."):
        return f"https://doi.org/{paper_id}"
    return f"https://arxiv.org/abs/{paper_id}"


# --- field values ----------------------------------------------------------------------------


def clean_text(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def text_value(value: object) -> str | None:
    """A field as text, or None when it is not text (a list, an object): exports put
    numbers in titles, never structures."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def extract_urls(text: str) -> tuple[list[str], list[str]]:
    """Return (code urls, other urls) found in free text, trailing punctuation removed."""
    urls = [u.rstrip(".,;:") for u in URL_RE.findall(text or "")]
    code = [u for u in urls if any(h in u for h in CODE_HOSTS)]
    other = [u for u in urls if u not in code]
    return list(dict.fromkeys(code)), list(dict.fromkeys(other))


def parse_year(value: object) -> int | None:
    match = re.search(r"(19|20)\d{2}", str(value or ""))
    return int(match.group(0)) if match else None


def string_list(value: object, separators: str | None = None) -> list[str]:
    """A list field given as a list or as one string: ``"a; b"`` and ``"a, b"`` split on
    their punctuation (so multi-word keywords stay whole), ``"cs.CV cs.RO"`` on spaces."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        items = [text_value(v) for v in value]
        return [clean_text(v) for v in items if v and clean_text(v)]
    text = text_value(value)
    if text is None:
        return []
    if separators is None:
        separators = r"\s*[;,]\s*" if re.search(r"[;,]", text) else r"\s+"
    return [clean_text(p) for p in re.split(separators, text.strip()) if clean_text(p)]


def _name_from(value: object) -> str:
    """One author from a string, an arXiv ``[last, first, suffix]`` triple, or an object
    with ``name`` or ``given``/``family``."""
    if isinstance(value, list | tuple):
        parts = [text_value(p) or "" for p in value]
        last, first, suffix = (parts + ["", "", ""])[:3]
        return clean_text(f"{first} {last} {suffix}")
    if isinstance(value, dict):
        if value.get("name"):
            return clean_text(text_value(value["name"]) or "")
        return clean_text(f"{value.get('given', '')} {value.get('family', '')}")
    return clean_text(text_value(value) or "")


def _flip(name: str) -> str:
    """``Last, First`` → ``First Last``; any other name as it is."""
    name = clean_text(name)
    if name.count(",") != 1:
        return name
    last, first = (part.strip() for part in name.split(","))
    if not first or first.lower().rstrip(".") in ("jr", "sr", "ii", "iii"):
        return name
    return f"{first} {last}"


@lru_cache(maxsize=1)
def _latex_decoder():  # noqa: ANN202 - pylatexenc is imported only when a name needs it
    from pylatexenc.latex2text import LatexNodes2Text

    return LatexNodes2Text()


def _decoded(name: str) -> str:
    """A name with LaTeX accents (arXiv's ``Bal\\'azs``, ``M{\\"u}ller``) as the letters
    they stand for; names are never math, so decoding cannot eat anything."""
    if "\\" not in name and "{" not in name:
        return name
    return re.sub(r"\s+", " ", _latex_decoder().latex_to_text(name)).strip()


def split_authors(value: object) -> list[str]:
    """Authors from a list, or a string in any of the usual forms: ``A; B``, ``A, B and
    C`` (arXiv), ``Last, First and Last, First`` (BibTeX style, turned into First Last),
    with LaTeX accents decoded."""
    return [name for name in map(_decoded, _split_authors(value)) if name]


def _split_authors(value: object) -> list[str]:
    if isinstance(value, list | tuple):
        return [name for name in (_name_from(v) for v in value) if name]
    text = clean_text(text_value(value) or "")
    if not text:
        return []
    if ";" in text:  # "A; B" or Zotero's "Last, First; Last, First"
        return [_flip(p) for p in text.split(";") if p.strip()]
    parts = [p.strip() for p in re.split(r"\s+and\s+", text) if p.strip()]
    if len(parts) > 1 and all(p.count(",") == 1 for p in parts):
        return [_flip(p) for p in parts]
    if len(parts) == 1 and parts[0].count(",") == 1 and len(parts[0].split()) <= 4:
        last, first = parts[0].split(",")  # a single "Last, First"
        if len(last.split()) <= 2 and len(first.split()) <= 2:
            return [_flip(parts[0])]
    names = []
    for part in parts:
        names += [n.strip() for n in part.split(",") if n.strip()]
    return names


def make_paper(title: str, abstract: str, source: str, *, ids: tuple[object, ...] = (),
               key: object = None, legacy_native: object = None, authors: object = None,
               year: object = None, url: object = "", categories: object = None,
               code_urls: object = None, carried_id: object = None,
               carried_source: object = None) -> tuple[Paper, list[str]]:
    """Build a paper with normalised text and code links pulled out of the abstract.
    ``carried_id``/``carried_source``: what an export of this program says the paper's id
    and first file were (see :func:`paper_identity`; the file it is in scopes local keys).

    Returns the paper and notes about what was changed to make it fit (a truncated
    abstract), for the caller to report against the record's place in the file.
    """
    notes = []
    title = clean_text(title)
    abstract = clean_text(abstract)
    if len(abstract) > MAX_ABSTRACT_CHARS:
        notes.append(f"abstract of {len(abstract):,} characters truncated to "
                     f"{MAX_ABSTRACT_CHARS:,}")
        abstract = abstract[:MAX_ABSTRACT_CHARS].rsplit(" ", 1)[0] + " …"
    code, other = extract_urls(abstract)
    code = list(dict.fromkeys([*string_list(code_urls, r"[\s,;]+"), *code]))
    url_text = clean_text(text_value(url) or "")
    paper_id, legacy = paper_identity(title, source, (*ids, url_text), key, legacy_native,
                                      carried_id)
    if not url_text and not paper_id.startswith("p-") and global_id(paper_id) == paper_id:
        url_text = id_url(paper_id)
    paper = Paper(
        id=paper_id, title=title, abstract=abstract,
        source=clean_text(text_value(carried_source) or "") or source,
        authors=split_authors(authors), year=parse_year(year),
        url=url_text or (other[0] if other else ""), code_urls=code,
        categories=list(dict.fromkeys(string_list(categories))), legacy_id=legacy)
    return paper, notes
