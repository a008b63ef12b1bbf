"""Which supported claims are padding: a small model given four retrieved papers tends to
describe each of them, also those the question is not about ("… the source also
supports this claim by providing information about TinyNets-E …" under a question about
once-for-all networks). Such a claim is true to its paper but no part of the answer; it
is shown apart, under "Other retrieved papers", instead of in the answer's body.

A claim is set apart when both its papers and the claim itself are clearly further from
the question than the answer's best: the closest sentence of each paper it cites is
``paper_margin`` less similar to the question than the best cited paper's, and the claim
is ``claim_margin`` less similar to the question than the answer's closest claim. The
other claims citing the same papers go with it: a paragraph about an unrelated paper
moves whole ("It highlights three key benefits …" would otherwise lose the sentence
that says what "it" is, or stay in the body after it). Claims citing the best paper
always stay, and so do those of a paper that a claim cites together with a close one
("The papers [1] and [2] both estimate depth with diffusion models": [2] is part of the
answer), and those of a paper the question names ("Compare FastDepth and PrimeDepth").
Both margins were chosen on the hand-labelled relevance of the claims in
``bench/relevance/`` (see the README: a rule on sentence similarity alone finds the
claims about other papers, not an off-topic detail of the right paper)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from assistant.answer.checked import Claim, SourceText
from assistant.index.naming import named

Vectors = Callable[[Sequence[str]], np.ndarray]


def set_apart(question: str, claims: list[tuple[str, Claim]], sources: Sequence[SourceText],
              vectors: Vectors, paper_margin: float, claim_margin: float) -> list[Claim]:
    """The supported claims (given with the text they were checked as) that are not
    about the question; each is marked ``relevant = False``."""
    supported = [(text, c) for text, c in claims if c.supported and c.citations]
    if not question.strip() or len(supported) < 2:
        return []
    asked = vectors([question])[0]
    closeness: dict[int, float] = {}
    for source in sources:
        if source.units:
            closeness[source.n] = float(np.max(vectors(source.units) @ asked))
    cited = {n for _, c in supported for n in c.citations if n in closeness}
    if not cited:
        return []
    best_paper = max(closeness[n] for n in cited)
    claim_closeness = vectors([text for text, _ in supported]) @ asked
    best_claim = float(np.max(claim_closeness))
    def distant(n: int) -> bool:
        return closeness.get(n, best_paper) <= best_paper - paper_margin

    # papers a claim cites together with a close one ("Both papers [1][2] …") are part
    # of the answer
    joined = {n for _, c in supported if not all(distant(m) for m in c.citations)
              for n in c.citations if len(c.citations) > 1}
    joined |= {sources[i].n for i in named(question, [s.title for s in sources])}  # asked about
    far: dict[int, bool] = {}  # claims of papers further than the best: is the claim far?
    for (_, claim), near in zip(supported, claim_closeness, strict=True):
        if all(distant(n) and n not in joined for n in claim.citations):
            far[id(claim)] = near <= best_claim - claim_margin
    off_papers = {tuple(c.citations) for _, c in supported if far.get(id(c))}
    apart = [c for _, c in supported if id(c) in far and tuple(c.citations) in off_papers]
    for claim in apart:
        claim.relevant = False
    return apart
