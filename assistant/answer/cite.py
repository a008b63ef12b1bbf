"""Citation checking: every ``[n]`` in an answer must point at a source that was given.

Citations of sources that were not given are removed from the text and reported, so a
reader never sees a citation the program cannot back with a real paper.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

CITE_RE = re.compile(r"\[(\s*\d+(?:\s*[-–,;]\s*\d+)*\s*)\]")


# A list of sources the model wrote itself ("Sources:", "**References**", "### Sources"),
# or the prompt's source block echoed ("Sources (quoted paper text; …):", "[source id=…"):
# the program shows its own list of the papers the check accepted, so the model's is cut.
SOURCE_LIST_RE = re.compile(r"^[ \t>#*_-]*(?:(?:sources|references|bibliography|works cited)"
                            r"[ \t*_]*(?:\([^)\n]*\)[ \t*_]*)?(?::[ \t*_]*)?(?:\[\d|$)"
                            r"|[\[<]source\s+id\s*=)", re.IGNORECASE | re.MULTILINE)


# A question the model goes on to ask itself, in the prompt's own "Question: …" form, and
# answers ("Question: What is the top-1 accuracy of OFA on MobileNetV3 [2]?" under a
# question about TRP): no part of the answer, though its sentences may match a paper.
OWN_QUESTION_RE = re.compile(r"^[ \t>#*_-]*(?:question|q)[ \t*_]*:", re.IGNORECASE | re.MULTILINE)


def strip_source_list(text: str) -> tuple[str, bool]:
    """The text up to a source list the model appended, or a question it went on to ask
    itself, and whether anything was cut."""
    starts = [m.start() for m in (SOURCE_LIST_RE.search(text), OWN_QUESTION_RE.search(text))
              if m is not None and m.start() > 0]
    if not starts:
        return text, False
    return text[:min(starts)].rstrip(), True


@dataclass
class CitationCheck:
    text: str
    cited: list[int] = field(default_factory=list)
    invalid: list[int] = field(default_factory=list)


def _numbers(inner: str) -> list[int]:
    numbers: list[int] = []
    for part in re.split(r"[,;]", inner):
        bounds = [int(x) for x in re.findall(r"\d+", part)]
        if len(bounds) == 2 and bounds[0] <= bounds[1] and bounds[1] - bounds[0] < 20:
            numbers.extend(range(bounds[0], bounds[1] + 1))
        else:
            numbers.extend(bounds)
    return numbers


def check_citations(text: str, valid: set[int]) -> CitationCheck:
    """Keep citations of ``valid`` source numbers, drop the rest, list both in order seen."""
    cited: list[int] = []
    invalid: list[int] = []

    def replace(match: re.Match) -> str:
        keep = []
        for n in _numbers(match.group(1)):
            if n in valid:
                keep.append(n)
                if n not in cited:
                    cited.append(n)
            elif n not in invalid:
                invalid.append(n)
        return "".join(f"[{n}]" for n in dict.fromkeys(keep))

    cleaned = CITE_RE.sub(replace, text)
    cleaned = re.sub(r"[ \t]+([.,;:])", r"\1", cleaned)
    cleaned = re.sub(r"[ \t]{2,}", " ", cleaned)
    return CitationCheck(cleaned.strip(), cited, invalid)


class StreamingCitationFilter:
    """Drops citations of sources that were not given while tokens stream, so a reader
    never sees one even for a moment; text inside a pending ``[…]`` is held back until
    the bracket closes (or turns out not to be a citation)."""

    MAX_PENDING = 24

    def __init__(self, valid: set[int], emit: Callable[[str], None]) -> None:
        self.valid = valid
        self.emit = emit
        self.pending = ""

    def feed(self, piece: str) -> None:
        """Take one streamed piece; emit (at most once) whatever is safe to show."""
        out: list[str] = []
        for char in piece:
            if self.pending:
                self.pending += char
                if char == "]" or len(self.pending) > self.MAX_PENDING:
                    out.append(self._release())
            elif char == "[":
                self.pending = char
            else:
                out.append(char)
        if "".join(out):
            self.emit("".join(out))

    def _release(self) -> str:
        text, self.pending = self.pending, ""
        return check_citations(text, self.valid).text if CITE_RE.fullmatch(text) else text

    def flush(self) -> None:
        if self.pending:
            text, self.pending = self.pending, ""
            self.emit(text)
