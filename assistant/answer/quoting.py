"""Claims that copy the paper: a sentence the paper states word for word needs no reading.

The small model often answers in the paper's own words ("However, dense 3D facial
geometry … plays a critical role …"). Such a claim is what the paper says, so the claim
check lets it stand without the model's reading (:mod:`.entailment`), which costs a few
seconds a claim and sometimes rejects a true sentence. Copying is strict, so that a copy
cannot change what the paper says:

- the claim's words (case and punctuation aside) are a run of one sentence's words, at
  least ``MIN_WORDS`` long, after an opening connective ("However,", "In this paper,")
  or an attribution to the cited paper ("The abstracts found that") is set aside
  (:func:`~assistant.answer.claims.unframed`);
- the run ends where the sentence or one of its clauses ends, and the clause after it
  does not limit it (a trailing qualifier such as ", but only in mice" or ", if trained
  on X" cannot be cut off);
- the part of the sentence before the run holds no word that frames it as something else
  (a negation, a condition, a hypothesis, an aim, earlier work or others' reports, a
  comparison). Frames are listed generously: a true copy they turn away only costs a
  reading.

A claim that is not a copy goes through the reading as before.
"""

from __future__ import annotations

import re

from assistant.answer.claims import unframed

MIN_WORDS = 6
_TOKEN_RE = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*|[,;:()]")
_CLAUSE_ENDS = frozenset(",;:(")
_PUNCTUATION = _CLAUSE_ENDS | {")"}
# words before the run that make it something other than the paper's statement
_FRAMES = frozenset("""
not no never nor neither whether if unless without instead rather than unlike although
though previous previously prior existing earlier conventional traditional hypothesis
hypothesized hypothesised hypothesize assume assumed assuming believed claimed expected
studies literature others reported reports suggest suggests suggested shown known thought
commonly widely often may might could would should aim aims aimed objective purpose
question unclear unknown controversial debated
""".split())


# a clause that starts with one of these limits what came before it ("…, but only in
# mice"): a run may not end there
_QUALIFIERS = frozenset("""
but although though except only unless whereas while yet however not if when provided
albeit without apart
""".split())


def _words(tokens: list[str]) -> list[str]:
    return [t for t in tokens if t not in _PUNCTUATION]


def quoted_sentence(claim: str, sentences: list[str]) -> str:
    """The sentence of ``sentences`` that ``claim`` copies word for word (see the module's
    rules), or "" when it copies none."""
    wanted = _words(_TOKEN_RE.findall(unframed(claim).lower()))
    if len(wanted) < MIN_WORDS:
        return ""
    return next((sentence for sentence in sentences
                 if _copies(wanted, _TOKEN_RE.findall(sentence.lower()))), "")


def _copies(wanted: list[str], tokens: list[str]) -> bool:
    """Whether ``wanted`` is a run of ``tokens``' words that ends a clause and is not
    framed by the words before it."""
    places = [i for i, t in enumerate(tokens) if t not in _PUNCTUATION]
    words = [tokens[i] for i in places]
    size = len(wanted)
    for start in range(len(words) - size + 1):
        if words[start:start + size] != wanted:
            continue
        after = places[start + size - 1] + 1
        while after < len(tokens) and tokens[after] == ")":
            after += 1
        if after < len(tokens) and (tokens[after] not in _CLAUSE_ENDS
                                    or _QUALIFIERS.intersection(tokens[after + 1:after + 3])):
            continue
        if _FRAMES.isdisjoint(words[:start]):
            return True
    return False
