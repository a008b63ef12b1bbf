"""A comparison between the papers a question names, made by a claim one of them is
supposed to support: "Which is faster, FastDepth or PrimeDepth?" answered "FastDepth is
faster on embedded hardware [1]". The claim reads as true of FastDepth's abstract (it is
fast), but it says "faster than PrimeDepth", which that abstract never compares. A claim
that names the other paper ("faster than PrimeDepth") is already held to its names; this
is for the comparison left implicit by the question.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answer.checked import Claim, SourceText
from assistant.answer.entities import mentions
from assistant.index.naming import named
from assistant.sources.records import paper_name

# a comparative ("faster", "more accurate", "better") …
_COMPARATIVE_RE = re.compile(
    r"\b(?:faster|slower|quicker|better|worse|cheaper|smaller|larger|bigger|lighter|"
    r"heavier|higher|lower|stronger|weaker|simpler|superior|inferior|"
    r"(?:more|less)\s+\w+)\b", re.I)
# … with what it compares against said in the claim
_AGAINST_RE = re.compile(r"\b(?:than|compared|versus|vs\.?|over|relative to|against)\b",
                         re.I)


def implicit_comparison(claim: str) -> bool:
    """Whether the claim compares ("is faster") without saying with what."""
    return bool(_COMPARATIVE_RE.search(claim)) and not _AGAINST_RE.search(claim)


def _own_comparison(claim: Claim, question: str) -> bool:
    """Whether the claim's comparatives are the paper's own: each is in the sentence the
    claim rests on ("… to predict more accurate depth", MAMo against single-image
    networks) and the question does not ask it ("Which is faster, …?" asks "faster")."""
    said = [m.group(0).lower() for m in _COMPARATIVE_RE.finditer(claim.text)]
    evidence = " ".join(e.get("sentence", "") for e in claim.evidence).lower()
    return all(word in evidence and word not in question.lower() for word in said)


def uncompared(question: str, claims: list[Claim], sources: Sequence[SourceText]
               ) -> list[Claim]:
    """The supported claims that compare one of the papers the question names with the
    others without saying so, where the cited paper's text never mentions them: each is
    marked unsupported, with the reason. A comparative the paper's own sentence makes,
    which the question does not ask about, is the paper's comparison with its baseline."""
    names = named(question, [s.title for s in sources]) if question else set()
    if len(names) < 2:
        return []
    asked = {sources[i].n: sources[i] for i in names}
    found = []
    for claim in claims:
        if not (claim.supported and implicit_comparison(claim.text)
                and claim.citations and set(claim.citations) < set(asked)) \
                or any(e.get("quoted") for e in claim.evidence) \
                or _own_comparison(claim, question):  # the paper's own words
            continue
        others = [asked[n] for n in asked if n not in claim.citations]
        cited = " ".join(asked[n].text for n in claim.citations)
        called = [paper_name(o.title) or o.title for o in others]
        missing = [name for name in called if not mentions(name, cited)]
        if missing:
            claim.supported, claim.citations, claim.evidence = False, [], []
            claim.reason = f"the paper does not compare itself with {', '.join(missing)}"
            found.append(claim)
    return found
