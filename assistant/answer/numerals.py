"""Numbers written as words ("Forty-four percent", "Sixteen patients"): a claim that
gives such a figure in digits ("44%") states the paper's number, not one of its own."""

from __future__ import annotations

import re

ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
        "fourteen fifteen sixteen seventeen eighteen nineteen").split()
TENS = dict(zip("twenty thirty forty fifty sixty seventy eighty ninety".split(),
                range(20, 100, 10), strict=True))
WORD_NUMBER_RE = re.compile(
    r"\b(?:(?P<tens>" + "|".join(TENS) + r")(?:[-\s](?P<ones>" + "|".join(ONES[1:10])
    + r"))?|(?P<small>" + "|".join(ONES[1:]) + r"))\b", re.IGNORECASE)
# "Forty-four percent", "Sixteen patients": the word after the numeral, kept as its unit
_AFTER_RE = re.compile(r"\s+([A-Za-z%]+)")


def word_value(match: re.Match) -> int:
    """The value of a :data:`WORD_NUMBER_RE` match ("Forty-four" → 44)."""
    if match.group("small"):
        return ONES.index(match.group("small").lower())
    ones = match.group("ones")
    return TENS[match.group("tens").lower()] + (ONES.index(ones.lower()) if ones else 0)


def with_digits(text: str) -> str:
    """``text`` followed by each number it spells out, in digits with the word after it
    ("… Forty-four percent of parents …" gains "44 percent"), so that rules comparing
    a claim's digits with a paper's text find the paper's spelt-out figures."""
    extra = []
    for match in WORD_NUMBER_RE.finditer(text):
        after = _AFTER_RE.match(text, match.end())
        extra.append(f"{word_value(match)} {after.group(1) if after else ''}".strip())
    return f"{text}\n{'; '.join(extra)}" if extra else text
