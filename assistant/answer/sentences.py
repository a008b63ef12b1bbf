"""Where an answer's sentences start and end, as the model writes them: lines are always
separate, abbreviations ("e.g.", "et al.") and decimals end none, and the citations after a
full stop go with the sentence they follow — or, where the model labels sentences with a
leading citation ("[1] This paper studies …. [2][3] These papers propose …"), with the
sentence they open. Also the cut of "A does X, while OPEN does Y" into two claims.
"""

from __future__ import annotations

import re

# One citation marker as the model writes it: "[3]", "[1, 2]", "[2–4]".
MARK = r"\[[\d\s,;–-]+\]"
# A sentence ends at . ! ? (optionally followed by its citations) before whitespace.
# Citations after the full stop stay with it unless a lowercase word follows them: then
# they are the next sentence's subject ("… networks. [1] states that …"). A name written
# small ("iDisc", "mAP": a capital or digit further in) starts a sentence like any other.
_END_RE = re.compile(rf"[.!?](?:[\"')\]]*)((?:\s*{MARK})*(?!\s*[a-z](?![\w-]*[A-Z0-9])))"
                     r"(?=\s|$)")
_ABBREVIATIONS = ("e.g", "i.e", "et al", "vs", "fig", "eq", "approx", "cf", "no", "al")
# a line that labels its first sentence with its citation ("[1] This paper studies …")
_LABEL_FIRST_RE = re.compile(rf"\s*(?:[-*•]\s*)?{MARK}(?:\s*{MARK})*\s+[A-Z]")
# a word or a number, as claims are measured in (a piece needs 4 to stand as a claim)
WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)?")


def sentence_bounds(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence; lines are always separate, abbreviations never end
    one, and a citation right after the full stop stays with its sentence — unless the
    line labels its sentences with leading citations: then it opens the next one."""
    bounds: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text):
        start = line.start()
        labels = _LABEL_FIRST_RE.match(line.group()) is not None
        for end_match in _END_RE.finditer(line.group()):
            label = labels and end_match.group(1).strip() and end_match.end() < len(line.group())
            cut = line.start() + (end_match.start(1) if label else end_match.end())
            before = text[start:line.start() + end_match.start()].lower()
            if before.endswith(_ABBREVIATIONS) and not end_match.group(1):
                continue
            if re.search(r"\d$", before) and cut < line.end() and \
                    text[cut:cut + 2].strip()[:1].isdigit():
                continue
            if end_match.group(0)[0] in "?!" and _in_quoted_title(
                    line.group(), end_match.start()):
                continue
            bounds.append((start, cut))
            start = cut
        if text[start:line.end()].strip():
            bounds.append((start, line.end()))
    return [(s + len(text[s:e]) - len(text[s:e].lstrip()), e) for s, e in bounds
            if text[s:e].strip()]


def _in_quoted_title(line: str, at: int) -> bool:
    """Whether position ``at`` of ``line`` is inside a quotation that closes later on the
    line: a "?" there ends a quoted title ('The paper "Why do Learning Rates Transfer?
    Reconciling …" studies …'), not the sentence."""
    before, after = line[:at], line[at + 1:]
    return (before.count('"') % 2 == 1 and '"' in after) or \
        (before.count("\u201c") > before.count("\u201d") and "\u201d" in after)


# "A does X, while OPEN does Y" (a name opens the clause), "…, while one source proposes
# DepthMaster": two claims, each checked alone
_CONTRAST_RE = re.compile(r",\s+(?=(?:while|whereas)\s+(?:(?!(?:The|This|These|Those|It|Its|"
                          r"They|Their|In|On|For|At|With|By|As|A|An)\b)[A-Z]|(?:one|another|"
                          r"the other|the (?:first|second|third|fourth|fifth)) (?:source|paper|"
                          r"study|work|article)\b|(?:source|paper|study|work|article)s?\s*\[\d))")


def contrasted(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """``text[start:end]`` cut before each "while"/"whereas" opening a clause about
    something named, when both sides are substantial."""
    pieces, cursor = [], start
    for match in _CONTRAST_RE.finditer(text, start, end):
        if len(WORD_RE.findall(text[cursor:match.start()])) >= 4 \
                and len(WORD_RE.findall(text[match.end():end])) >= 4:
            pieces.append((cursor, match.start()))
            cursor = match.end()
    return [*pieces, (cursor, end)]
