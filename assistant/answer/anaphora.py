"""A sentence that speaks of the paper before it, confirmed for another paper.

"The neighborhood-aware temporal network model (NAT) scales to large graphs by … This is
achieved through its ability to adapt the graph convolutional network (GCN) model along
the temporal dimension … [3]." The second sentence, read alone against [3] (EvolveGCN),
is EvolveGCN's finding, and the check confirmed it; read where it stands, "its" is NAT's,
and the answer tells the user that NAT does what EvolveGCN does. A claim whose subject
points back ("This", "It", "Its", "The method" …) is about the paper the sentence
before it names, when that sentence names exactly one and the claim names none of its
own; confirmed only for other papers, it is not supported as written. Where the shown
text puts the confirmed paper's name in place of a subject "it" ("It adapts …" →
"EvolveGCN adapts …", :mod:`.rendering`), the sentence says which paper it is about and
stands.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answer.checked import Claim, SourceText
from assistant.answer.claims import Span
from assistant.answer.evidence import paper_name
from assistant.answer.rendering import names_pronoun
from assistant.index.naming import coined_in, coined_names, holds_name, named

# a subject that points back at the one paper the sentence before spoke of: not "It is
# worth noting …", "It has been shown …" (no subject), nor "They", "These", "Such" (a
# paper is "it"; those are the things it works on: "They generate images …")
_BACK_RE = re.compile(r"^\W*(?:This\b(?! (?:paper|papers|study|studies|source|sources|work|"
                      r"works|article|abstract)\b)|Its\b|It\b(?!\s*(?:'s|’s|is|was|has|had|"
                      r"seems|seemed|appears|appeared|remains|can|could|should|may|might|"
                      r"would|will|must|turns|turned|follows|followed|becomes|became|happens|"
                      r"happened)\b)|(?:The|This) (?:method|approach|model|framework|technique|"
                      r"network|system|algorithm|architecture|module|strategy)\b)")
# a sentence where the authors name what they propose: "this work proposes … (NAT).", "we
# propose EvolveGCN, which adapts the … (GCN) model" (EvolveGCN's, not GCN)
_PROPOSES_RE = re.compile(r"\b(?:we|this (?:paper|work|study|article))\s+(?:\w+\s+)?"
                          r"(?:propose|introduce|present|develop|design|call|name|term)[sd]?\b"
                          r"(?P<what>[^,;.]*)", re.I)


def _papers_named(text: str, sources: Sequence[SourceText]) -> set[int]:
    """The sources ``text`` names: by its title's name or a phrase of it, or by a coined
    name ("NAT", "EvolveGCN") that exactly one source's title and abstract hold."""
    found = {sources[i].n for i in named(text, [s.title for s in sources])}
    texts = [f"{s.title}\n{s.text}" for s in sources]
    for name in coined_names(text):
        holders = coined_in(name, texts)
        if len(holders) == 1:
            found.add(sources[holders.pop()].n)
    return found



def _own_names(text: str, sources: Sequence[SourceText]) -> set[int]:
    """The sources ``text`` calls by a name of their own: their titles' names, a phrase of
    a title, or a name the authors give what they propose ("NAT"). Not an acronym the
    paper only uses ("… adapt the graph convolutional network (GCN) model": GCN is in
    EvolveGCN's abstract, but as the thing EvolveGCN adapts)."""
    called = {sources[i].n for i in named(text, [s.title for s in sources])}
    for source in sources:
        names = {paper_name(source.title)} | {
            name for m in _PROPOSES_RE.finditer(source.text) for name in coined_names(m["what"])}
        if any(name and holds_name(text, name) for name in names):
            called.add(source.n)
    return called


def _called(n: int, sources: Sequence[SourceText]) -> tuple[str, str]:
    title = next((s.title for s in sources if s.n == n), "")
    return title, paper_name(title)


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
        meant = _papers_named(before.plain, sources)
        if len(meant) != 1 or meant <= set(claim.citations):
            continue
        if _own_names(span.plain, sources) - meant:
            continue  # it names another paper ("This contrasts with NAT, which …")
        if len(claim.citations) == 1 and names_pronoun(span.body, *_called(claim.citations[0],
                                                                             sources)):
            continue  # shown with the cited paper's name for "it" ("EvolveGCN adapts …")
        (n,) = meant
        title = next(s.title for s in sources if s.n == n)
        claim.supported, claim.citations, claim.evidence = False, [], []
        claim.reason = f"it is said of the paper the sentence before speaks of (“{title}”)"
        found.append(claim)
    return found
