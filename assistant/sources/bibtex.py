"""BibTeX in and out, through bibtexparser v2.

Reading: entries with their LaTeX decoded (accents, protected capitals; a bare percent
sign stays a percent sign), author lists split the way BibTeX splits them (on ``and``
outside braces) before each name is decoded, so ``{Barnes and Noble}`` stays one name.

Writing: every value is LaTeX-encoded so that reading it back gives exactly the text it
came from (checked for each value as it is written, with the reader's own decoder), and
what BibTeX has no field for travels in ``x-`` fields (see :mod:`.export`)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

from assistant.sources.names import join_name, name_parts
from assistant.sources.records import (
    Item,
    Paper,
    Problem,
    clean_text,
    global_id,
    made,
    make_paper,
    pmid_id,
)

CARRIED_ID, CARRIED_SOURCE, CODE_FIELD = "x-assistant-id", "x-assistant-source", "x-code-urls"
CATEGORIES_FIELD = "x-categories"  # a JSON list, when a category holds a comma or semicolon


# --- decoding ------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _decoder():  # noqa: ANN202 - the middleware class is imported lazily
    """bibtexparser's LaTeX decoder, except that a bare ``%`` stays a percent sign: to
    LaTeX it starts a comment, so "30% lower error" would lose the rest of the line, yet
    real exports write percentages in abstracts without escaping them."""
    from bibtexparser.middlewares import LatexDecodingMiddleware

    class KeepPercent(LatexDecodingMiddleware):
        def _transform_python_value_string(self, python_string: str) -> tuple[str, str]:
            return super()._transform_python_value_string(
                re.sub(r"(?<!\\)%", r"\\%", python_string))

    return KeepPercent()


def decode(value: str) -> str:
    """A field's LaTeX as text (the value as written if it cannot be decoded)."""
    if not _DECODED_RE.search(value):
        return value  # no LaTeX in it: as fast as reading gets
    quick = _unescaped(value)
    if quick is not None:
        return quick
    text, error = _decoder()._transform_python_value_string(value)
    return value if error else text


_ESCAPES = {r"\textbackslash{}": "\\", r"\textasciitilde{}": "~", "{}": ""}
_ESCAPE_RE = re.compile(r"\\textbackslash\{\}|\\textasciitilde\{\}|\\[{}$&%#_]|\{\}")


def _unescaped(value: str) -> str | None:
    """What the LaTeX decoder makes of a value whose only LaTeX is what this module
    writes (the escapes, ``$…$`` math, which the decoder keeps as written, and one group
    around it all), in a fraction of its time; None for anything else."""
    if value.startswith("{") and value.endswith("}") and _balanced(value[1:-1]):
        value = value[1:-1]
    maths = list(_MATH_RE.finditer(value))
    if maths and ("\\$" in value or any("%" in m.group(0) or m.group(0)[-2] == "\\"
                                          or not _balanced(m.group(0)) for m in maths)):
        return None  # math next to escaped dollars: where the decoder's reading varies
    out, end = [], 0
    for match in [*maths, None]:
        text = value[end:match.start() if match else len(value)]
        if _DECODED_RE.search(_ESCAPE_RE.sub("\0", text)):
            return None
        out.append(_ESCAPE_RE.sub(lambda m: _ESCAPES.get(m.group(0), m.group(0)[1:]), text))
        if match:
            out.append(match.group(0))
            end = match.end()
    return "".join(out)


def bib_names(value: str) -> list[str]:
    """An author field as ``First von Last, Jr`` names ("and others", et al., dropped)."""
    from bibtexparser.middlewares.names import (
        parse_single_name_into_parts,
        split_multiple_persons_names,
    )

    names = []
    for raw in split_multiple_persons_names(value):
        if raw.strip().lower() == "others":
            continue
        parts = parse_single_name_into_parts(raw, strict=False)
        name = join_name(decode(" ".join([*parts.von, *parts.last])),
                         decode(" ".join(parts.first)), decode(" ".join(parts.jr)))
        if name:
            names.append(name)
    return names


# --- reading -------------------------------------------------------------------------------


def _categories(text: dict) -> list[str]:
    """The keywords, split on commas and semicolons, or the whole list an export wrote."""
    try:
        carried = json.loads(text.get(CATEGORIES_FIELD, "null"))
    except ValueError:
        carried = None
    if isinstance(carried, list) and all(isinstance(c, str) for c in carried):
        return carried
    return [k.strip() for k in re.split(r"[,;]", text.get("keywords", "")) if k.strip()]


def _paper(fields: dict, key: str, path: Path, where: str) -> Iterator[Item]:
    title, abstract = fields.get("title"), fields.get("abstract")
    if not isinstance(title, str) or not isinstance(abstract, str) or \
            not title.strip() or not abstract.strip():
        yield Problem(where, "no title or no abstract field")
        return
    text = {k: decode(v) for k, v in fields.items() if isinstance(v, str) and k != "author"}
    archive = str(fields.get("archiveprefix", "")).lower()
    eprint = text.get("eprint") if archive in ("", "arxiv") else None
    yield from made(make_paper(
        text["title"], text["abstract"], path.name,
        ids=(eprint, text.get("doi"), pmid_id(text.get("pmid"), bare=True)), key=key,
        legacy_native=text.get("eprint") or text.get("doi") or key,
        authors=bib_names(fields.get("author", "")), year=text.get("year"),
        url=text.get("url", ""), code_urls=text.get(CODE_FIELD),
        categories=_categories(text),
        carried_id=text.get(CARRIED_ID), carried_source=text.get(CARRIED_SOURCE)), where)


def parse_bibtex(path: Path, lines: Iterable[str]) -> Iterator[Item]:
    """Entries through bibtexparser v2; each field decoded from LaTeX, author lists split
    into names first (see :func:`bib_names`)."""
    import bibtexparser

    logging.getLogger("bibtexparser").setLevel(logging.ERROR)  # we report failed blocks
    library = bibtexparser.parse_string("".join(lines))
    for block in library.failed_blocks:
        line = getattr(block, "start_line", 0) + 1
        if type(block).__name__ == "DuplicateBlockKeyBlock":
            yield Problem(f"{path}:{line}", f"duplicate entry key '{block.key}' (the first "
                          "entry with this key is kept)")
        else:
            yield Problem(f"{path}:{line}", "malformed BibTeX entry")
    for entry in library.entries:
        fields = {f.key.lower(): f.value for f in entry.fields}
        where = f"{path}:{entry.start_line + 1}: entry '{entry.key}'"
        yield from _paper(fields, entry.key, path, where)


# --- writing -------------------------------------------------------------------------------

_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&",
            "%": r"\%", "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}"}
_SPECIAL_RE = re.compile(r"[\\{}$&%#_~]|[-'`?!](?=[-'`])")
_MATH_RE = re.compile(r"(?<!\\)\$[^$]+\$")
_DECODED_RE = re.compile(r"[\\{}$&%~]|[-'`?!](?=[-'`])")  # what decoding changes (not _ #)


def _escaped(text: str) -> str:
    """Text as LaTeX that reads back as the same characters: specials escaped, and the
    ligatures LaTeX would make (``--``, ``''``, ``?```) broken with ``{}`` (more than it
    must: ``a'-b`` too, which reads back the same)."""
    return _SPECIAL_RE.sub(lambda m: _SPECIAL.get(m.group(0), m.group(0) + "{}"), text)


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _with_math(text: str) -> str:
    """Like :func:`_escaped`, but ``$…$`` math is kept as written, for LaTeX to set."""
    out, end = [], 0
    for match in _MATH_RE.finditer(text):
        math = match.group(0)
        if _balanced(math):
            out += [_escaped(text[end:match.start()]), math]
            end = match.end()
    return "".join([*out, _escaped(text[end:])])


def latex(text: str) -> str:
    """``text`` as a BibTeX value the reader decodes back to ``text`` (math kept as math
    where that holds, else every special character escaped)."""
    if not _SPECIAL_RE.search(text):
        return text  # nothing LaTeX reads differently
    if "$" not in text:
        return _escaped(text)
    nice = _with_math(text)
    return nice if clean_text(decode(nice)) == clean_text(text) else _escaped(text)


def verbatim(text: str) -> str:
    """An identifier or URL as written where the reader gets it back so (``_`` and ``%``
    are common in them, and biblatex reads URLs verbatim), else as :func:`latex`."""
    safe = _balanced(text) and clean_text(decode(text)) == clean_text(text)
    return text if safe else latex(text)


def bib_name(name: str) -> str:
    """One author as BibTeX ``Last, First`` (``Last, Jr, First``) where that reads back as
    the same name, else the whole name braced (a corporate author, "Barnes and Noble")."""
    parts = name_parts(name)
    if parts:
        family, given, suffix = (latex(part) for part in parts)
        written = ", ".join(p for p in (family, suffix, given) if p)
        if bib_names(f"A and {written} and B") == ["A", name, "B"]:  # in a list, too
            return written
    return "{" + latex(name) + "}"


def _fields(paper: Paper) -> list[tuple[str, str]]:
    """The entry's fields (name, value as written), in the order a reader expects."""
    fields = [("title", "{" + latex(paper.title) + "}")]
    if paper.authors:
        fields.append(("author", " and ".join(bib_name(a) for a in paper.authors)))
    if paper.year is not None:
        fields.append(("year", str(paper.year)))
    kind = global_id(paper.id)
    if kind and kind.startswith("10."):
        fields.append(("doi", verbatim(paper.id)))
    elif kind and kind.startswith("pmid:"):
        fields.append(("pmid", paper.id.removeprefix("pmid:")))
    elif kind:
        fields += [("eprint", verbatim(paper.id)), ("archiveprefix", "arXiv")]
    if paper.url:
        fields.append(("url", verbatim(paper.url)))
    if paper.categories:
        fields.append(("keywords", latex(", ".join(paper.categories))))
    if any("," in c or ";" in c for c in paper.categories):  # the keywords split them
        fields.append((CATEGORIES_FIELD, latex(json.dumps(paper.categories,
                                                          ensure_ascii=False))))
    fields.append(("abstract", latex(paper.abstract)))
    if paper.code_urls:
        fields.append((CODE_FIELD, verbatim(" ".join(paper.code_urls))))
    return [*fields, (CARRIED_ID, verbatim(paper.id)), (CARRIED_SOURCE, latex(paper.source))]


def cite_key(paper_id: str, taken: set[str]) -> str:
    """A BibTeX key for the paper (its id, with what keys cannot hold replaced), unique
    among ``taken`` (which it joins)."""
    base = re.sub(r"[^A-Za-z0-9_.:/+-]+", "-", paper_id).strip("-") or "paper"
    key, n = base, 1
    while key.lower() in taken:
        n += 1
        key = f"{base}-{n}"
    taken.add(key.lower())
    return key


def write_bibtex(papers: Iterable[Paper]) -> str:
    """The papers as a BibTeX file (``@article`` for a DOI, ``@misc`` otherwise)."""
    import bibtexparser
    from bibtexparser.model import Entry, Field

    library = bibtexparser.Library()
    taken: set[str] = set()
    for paper in papers:
        kind = "article" if paper.id.startswith("10.") else "misc"
        fields = [Field(name, value) for name, value in _fields(paper)]
        library.add(Entry(kind, cite_key(paper.id, taken), fields))
    from bibtexparser.middlewares.parsestack import default_unparse_stack

    return bibtexparser.write_string(library, unparse_stack=default_unparse_stack(True))
