"""A sentence that speaks of the paper before it, confirmed for another paper.

"The neighborhood-aware temporal network model (NAT) scales to large graphs by … This is
achieved through its ability to adapt the graph convolutional network (GCN) model along
the temporal dimension … [3]." The second sentence, read alone against [3] (EvolveGCN),
is EvolveGCN's finding, and the check confirmed it; read where it stands, "its" is NAT's,
and the answer tells the user that NAT does what EvolveGCN does. A claim whose subject
points back ("This", "It", "Its", "They", "The method" …) is about the paper the sentence
before it names, when that sentence names exactly one and the claim names none of its
own; confirmed only for other papers, it is not supported as written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answer.checked import Claim, SourceText
from assistant.answer.claims import Span
from assistant.answer.evidence import paper_name
from assistant.index.naming import coined_names, named

# a subject that points back at what the sentence before spoke of
_BACK_RE = re.compile(r"^\W*(?:(?:This|These|It|Its|They|Their|Such)\b(?! (?:paper|papers|"
                      r"study|studies|source|sources|work|works|article|abstract)\b)"
                      r"|(?:The|This|These|Such) (?:method|approach|model|framework|"
                      r"technique|network|system|algorithm|architecture|module|strategy)s?\b)")


def _papers_named(text: str, sources: Sequence[SourceText]) -> set[int]:
    """The sources ``text`` names: by its title's name or a phrase of it, or by a coined
    name ("NAT", "EvolveGCN") that exactly one source's title and abstract hold."""
    found = {sources[i].n for i in named(text, [s.title for s in sources])}
    for name in coined_names(text):
        pattern = re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])")
        holders = {s.n for s in sources if pattern.search(f"{s.title}\n{s.text}")}
        if len(holders) == 1:
            found |= holders
    return found


def _own_names(text: str, sources: Sequence[SourceText]) -> set[int]:
    """The sources ``text`` calls by their titles' names or a phrase of a title: not by an
    acronym of their abstracts, which may be a thing the paper uses ("… adapt the graph
    convolutional network (GCN) model", GCN only in EvolveGCN's abstract)."""
    called = {s.n for s in sources if (name := paper_name(s.title))
              and re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text)}
    return called | {sources[i].n for i in named(text, [s.title for s in sources])}


def spoken_of_before(text: str, decided: list[tuple[Span, Claim | None]],
                     sources: Sequence[SourceText]) -> list[Claim]:
    """The supported claims that point back at the one paper the claim before them (in
    the same paragraph of ``text``) names, and are confirmed only for other papers: each
    is marked unsupported, with the reason."""
    found = []
    previous: Span | None = None
    for span, claim in decided:
        if span.kind != "claim":
            continue
        before, previous = previous, span
        if claim is None or not claim.supported or span.pointer or before is None \
                or "\n\n" in text[before.end:span.start] or not _BACK_RE.match(span.plain):
            continue
        if _own_names(span.plain, sources):  # it says which paper it is about
            continue
        meant = _papers_named(before.plain, sources)
        if len(meant) != 1 or meant <= set(claim.citations):
            continue
        (n,) = meant
        title = next(s.title for s in sources if s.n == n)
        claim.supported, claim.citations, claim.evidence = False, [], []
        claim.reason = f"it is said of the paper the sentence before speaks of (“{title}”)"
        found.append(claim)
    return found
