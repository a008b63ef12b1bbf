"""Numbers of one sentence that belong together, read from the words between them: the
denominator of "X of N", "X/N", "X out of N" (how many were counted in, never a result
of its own), and a count with the share it is written with ("24 patients (21%)", "43 of
the 66 (65%)", "(n = 372, 53.5%)", "21% (24/114)"), which state one finding twice.

A small model sorts such a pair inconsistently (the share a result, its count a "size");
:mod:`.verify` uses these relations to keep the two together and to drop denominators."""

from __future__ import annotations

import re

from assistant.answer.tables.candidates import Candidate

# between X and N of "X of N", "X of the N", "X out of N", "X/N"
_OF = re.compile(r"\s*(?:(?:out\s+)?of(?:\s+the|\s+all)?|/)\s*", re.IGNORECASE)
# between a count and the share right after it: "24 patients (21%", "43 of the 66 (65%"
_COUNT_THEN_SHARE = re.compile(r"\s*(?:[A-Za-z-]+\s+){0,3}\(\s*", re.IGNORECASE)
# a count and its share in one bracket: "(n = 372, 53.5%", "(372, 53.5%"
_BRACKET_OPEN = re.compile(r"\(\s*(?:n\s*=\s*)?$", re.IGNORECASE)
_LISTED = re.compile(r"\s*[,;]\s*")
# between a share and the count right after it: "21% (24/114)", "53.5% (n = 372)"
_SHARE_THEN_COUNT = re.compile(r"\s*\(\s*(?:n\s*=\s*)?", re.IGNORECASE)


def _between(first: Candidate, second: Candidate) -> str | None:
    """The sentence's text between two candidates of it (None across sentences)."""
    if first.sentence_index != second.sentence_index or second.start < first.end:
        return None
    return first.sentence[first.end - first.sentence_start:second.offset]


# whom a count counts: the only units a count may have
_WHOM = frozenset("patients subjects participants cases children women men adults eyes "
                  "procedures specimens samples".split())


def _is_count(c: Candidate) -> bool:
    return (not c.unit or c.unit.casefold() in _WHOM) and not c.relative \
        and c.value >= 0 and float(c.value).is_integer()


def _is_share(c: Candidate) -> bool:
    return c.unit == "%" and not c.relative


def denominators(candidates: list[Candidate]) -> dict[int, int]:
    """The id of each denominator, with the id of the count it divides ("43 of the 66":
    66 → 43)."""
    out = {}
    for first, second in zip(candidates, candidates[1:], strict=False):
        between = _between(first, second)
        if between is not None and _is_count(first) and _is_count(second) \
                and _OF.fullmatch(between) and second.value >= first.value:
            out[second.n] = first.n
    return out


def shares(candidates: list[Candidate]) -> dict[int, int]:
    """Counts and the shares written with them, both ways (count id ↔ share id): the
    same finding as a number and as a percentage."""
    under = denominators(candidates)
    out: dict[int, int] = {}
    for i, c in enumerate(candidates):
        if not _is_share(c):
            continue
        before = candidates[i - 1] if i else None
        count = candidates[i - 2] if before and before.n in under and i >= 2 else before
        between = _between(before, c) if before else None
        if between is not None and count and _is_count(count) and count.n not in under and (
                _COUNT_THEN_SHARE.fullmatch(between) or (
                    count is before and _LISTED.fullmatch(between)
                    and _BRACKET_OPEN.search(count.sentence[:count.offset]))):
            out[count.n], out[c.n] = c.n, count.n
            continue
        if i + 1 < len(candidates):
            after = candidates[i + 1]
            between = _between(c, after)
            if between is not None and _is_count(after) and after.n not in under \
                    and _SHARE_THEN_COUNT.fullmatch(between):
                out[after.n], out[c.n] = c.n, after.n
    return out
