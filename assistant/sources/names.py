"""Person names between the one-string form a :class:`~assistant.sources.records.Paper`
keeps (``First von Last`` or ``First Last, Jr.``) and the parts reference formats store
(CSL's ``family``/``given``/``suffix``, RIS's ``Last, First, Suffix``, BibTeX's
``von Last, Jr, First``).

:func:`join_name` is how every reader turns parts into the one string, and
:func:`name_parts` its exact inverse where one exists, so a name written out in parts
reads back as the same string."""

from __future__ import annotations

import re

from assistant.sources.records import clean_text

SUFFIX_RE = re.compile(r"(jr|sr|ii|iii|iv|v|vi|2nd|3rd|4th)\.?", re.I)


def join_name(family: str, given: str = "", suffix: str = "") -> str:
    """``given family, suffix`` with spaces normalised (a part may be empty)."""
    name = clean_text(f"{given} {family}")
    suffix = clean_text(suffix)
    return f"{name}, {suffix}" if name and suffix else name or suffix


def name_parts(name: str) -> tuple[str, str, str] | None:
    """``(family, given, suffix)`` with ``join_name(*parts) == name``: the last word is the
    family name, the words before it the given names, and a trailing ``, Jr.`` (or ``, II``)
    the suffix. None for a name these parts cannot hold exactly (another comma in it): it
    is written as one literal string."""
    name = clean_text(name)
    base, suffix = name, ""
    if "," in name:
        base, _, suffix = name.rpartition(",")
        if not SUFFIX_RE.fullmatch(suffix.strip()) or f"{base}, {suffix.strip()}" != name:
            return None
        suffix = suffix.strip()
    if not base or "," in base:
        return None
    given, _, family = base.rpartition(" ")
    return family, given, suffix


def flipped(value: str) -> str:
    """A name written ``Last, First`` or ``Last, First, Suffix`` (RIS, EndNote, PubMed) as
    ``First Last`` / ``First Last, Suffix``; ``Last, Jr.`` and names without a comma stay
    as they are, and so does a name with more commas than that."""
    parts = [part.strip() for part in clean_text(value).split(",")]
    if len(parts) == 2 and parts[1] and not SUFFIX_RE.fullmatch(parts[1]):
        return join_name(parts[0], parts[1])
    if len(parts) == 3:
        return join_name(parts[0], parts[1], parts[2])
    return clean_text(value)
