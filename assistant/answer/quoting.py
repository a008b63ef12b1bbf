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
  (a negation, a condition, a question, a hypothesis, an aim, earlier work or others'
  reports, a comparison), no number (a setting it holds in: "On CIFAR-10, …", "in 2
  of 10 runs …") and no clause opening with a setting ("In mice, …", "For small graphs,
  …"; "In this paper," and other connectives set nothing). Frames are listed
  generously: a true copy they turn away only costs a reading.

A claim may also copy a sentence in the authors' voice with the paper as its subject
instead of the authors: "The paper proposes a new pipeline that …" for "To address these
issues, we propose a new pipeline that …", "This method outperforms …" for "Our method
outperforms …". The sentence's subject must be the authors or their own work ("we", "our
method", "this work", the paper's own name from its title) and the claim's the paper
("the paper", "the authors", "this method", that same name); the verb may
change its ending to agree ("propose" → "proposes", "have" → "has"), and follows the
subject directly, which opens the sentence or a clause after a comma ("To address these
issues, we propose …"; not "Removing the memory from our method reduces …", "DPT, like
our method, fails …" or "Can we train …?"); every word after it is the sentence's, under
the rules above. A claim whose subject is another method's name, a pronoun ("they" may be
earlier work in the answer) or a title's words that are no coined name ("Deep Learning:
A Review") is no such copy: the reading and the name rules decide it.

A claim that is not a copy goes through the reading as before.
"""

from __future__ import annotations

import re

from assistant.answer.claims import META_WORDS, unframed
from assistant.answer.pointers import AGREEMENT

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
question unclear unknown controversial debated can do does did how when whenever once
after before until only
""".split())


# a clause that starts with one of these limits what came before it ("…, but only in
# mice"): a run may not end there
_QUALIFIERS = frozenset("""
but although though except only unless whereas while yet however not if when provided
albeit without apart
""".split())


def _words(tokens: list[str]) -> list[str]:
    return [t for t in tokens if t not in _PUNCTUATION]


# the paper as a claim's subject, and the authors or their work as a sentence's
_CLAIM_SUBJECTS = [s.split() for s in (
    "the paper", "this paper", "the study", "this study", "the work", "this work",
    "the authors", "the method", "this method", "the proposed method",
    "the approach", "this approach", "the proposed approach", "the model", "this model",
    "the proposed model", "the framework", "this framework", "the proposed framework")]
_OWN_SUBJECTS = [s.split() for s in (
    "we", "our method", "our approach", "our model", "our framework", "our network",
    "our system", "our algorithm", "our methodology", "our work", "our proposed method",
    "our proposed approach", "our proposed model", "our proposed framework",
    "our proposed network", "this paper", "this work", "the proposed method",
    "the proposed approach", "the proposed model", "the proposed framework")]
_OPENERS = frozenset(",;:)")  # what may come right before a clause's subject


def quoted_sentence(claim: str, sentences: list[str], name: str = "") -> str:
    """The sentence of ``sentences`` that ``claim`` copies word for word (see the module's
    rules), or "" when it copies none; ``name``: the paper's own name (its title's), which
    may stand for the authors on either side."""
    wanted = _words(_TOKEN_RE.findall((_quotation(claim) or unframed(claim)).lower()))
    if len(wanted) < MIN_WORDS:
        return ""
    own = _words(_TOKEN_RE.findall(name.lower())) if _coined(name) else []
    claim_subjects = _CLAIM_SUBJECTS + ([own] if own else [])
    rest = next((wanted[len(s):] for s in sorted(claim_subjects, key=len, reverse=True)
                 if wanted[:len(s)] == s), None)
    if rest is not None and len(rest) < MIN_WORDS:
        rest = None
    subjects = _OWN_SUBJECTS + ([own] if own else [])
    for sentence in sentences:
        tokens = _TOKEN_RE.findall(sentence.lower())
        if _copies(wanted, tokens, own=own) \
                or rest is not None and _copies(rest, tokens, subjects, own):
            return sentence
    return ""


# a quotation in the claim ("… which states that "A. schaalii was found …"")
_QUOTATION_RE = re.compile(r"[\"“](?!\s)([^\"“”]+)(?:[\"”]|$)")  # (a mark before a space closes)
# the words a claim may wrap a quotation in without saying anything of its own
_REPORTING = META_WORDS | frozenset("seen evidenced supported written quote quoted reads read "
                                    "verbatim explicitly clearly directly".split())


def _quotation(claim: str) -> str:
    """The one quotation a claim makes, where its words outside the quotation marks only
    report it ("This can be seen from the first source, which states that "…"", "The
    abstract says: "…""): the quotation is then the claim, to be copied from a sentence
    like any other. "" where there is no such quotation (or the words around it say
    something, "not" or a figure)."""
    found = _QUOTATION_RE.findall(claim)
    if len(found) != 1:
        return ""
    outside = _QUOTATION_RE.sub(" ", claim)
    words = re.findall(r"[a-z0-9]+", outside.lower())
    return found[0] if all(w in _REPORTING for w in words) else ""


QUOTATION_WORDS_LEAST = 6  # words a quotation needs before it is held word for word


def misquoted(claim: str, paper: list[str]) -> bool:
    """Whether the claim puts between quotation marks words that the paper (its title
    and sentences, ``paper``) does not give in that order: quotation marks say the words
    are the paper's, so "Serum biochemical markers … reflect …" for the paper's
    "Systemic biochemical markers … reflect …" is no quotation of it. Quotations of
    fewer than ``QUOTATION_WORDS_LEAST`` words (a term, a name) are not held; an
    ellipsis may leave words out, and a quotation may run over two sentences."""
    text: list[str] | None = None  # the paper's words, read only for a claim that quotes
    for quotation in _QUOTATION_RE.findall(claim):
        pieces = [_words(_TOKEN_RE.findall(part.lower()))
                  for part in re.split(r"\.\.\.|…", quotation)]
        if sum(len(p) for p in pieces) < QUOTATION_WORDS_LEAST:
            continue
        text = text if text is not None else _words(_TOKEN_RE.findall(" ".join(paper).lower()))
        if not _in_order([p for p in pieces if p], text):
            return True
    return False


def _in_order(pieces: list[list[str]], text: list[str]) -> bool:
    """Whether each piece runs in ``text`` after the one before it."""
    start = 0
    for words in pieces:
        size = len(words)
        at = next((i for i in range(start, len(text) - size + 1)
                   if text[i:i + size] == words), None)
        if at is None:
            return False
        start = at + size
    return True


def _coined(name: str) -> bool:
    """Whether a title's name is a coined one ("MAMo", "FastDepth", "STU-Net"), which
    names the paper's own method, and not words of its field ("Deep Learning: A Review")."""
    return len(name.split()) == 1 and bool(re.search(r"[A-Z0-9]", name[1:]))


def _agrees(claimed: str, written: str) -> bool:
    """The claim's verb is the sentence's, its ending made to agree with a singular
    subject ("propose" → "proposes")."""
    return claimed in (written, written + "s", written + "es", AGREEMENT.get(written))


def _copies(wanted: list[str], tokens: list[str],
            subjects: list[list[str]] | None = None, own: list[str] | None = None) -> bool:
    """Whether ``wanted`` is a run of ``tokens``' words that ends a clause and is not
    framed by the words before it; with ``subjects``, a run right after one of them whose
    first word may agree with another subject (see :func:`_agrees`). ``own``: the
    paper's own name, whose "In MAMo, we …" sets nothing."""
    places = [i for i, t in enumerate(tokens) if t not in _PUNCTUATION]
    words = [tokens[i] for i in places]
    size = len(wanted)
    for start in range(len(words) - size + 1):
        before = _run_at(words, tokens, places, start, wanted, subjects)
        if before is None:
            continue
        after = places[start + size - 1] + 1
        while after < len(tokens) and tokens[after] == ")":
            after += 1
        if after < len(tokens) and (tokens[after] not in _CLAUSE_ENDS
                                    or _QUALIFIERS.intersection(tokens[after + 1:after + 3])):
            continue
        if _FRAMES.isdisjoint(words[:before]) and not any(w[0].isdigit() for w in words[:before]) \
                and not _in_a_setting(words, tokens, places, before, own or []):
            return True
    return False


# a phrase opening a clause with one of these sets where the rest holds ("In mice, …",
# "On small graphs, …", "Among older adults, …"), unless it is one of the connectives
_SETTINGS = frozenset("in on for under among across at within during over".split())
_CONNECTIVES = [c.split() for c in (
    "in this paper", "in this work", "in this study", "in this article", "in this letter",
    "in the present study", "in the present work", "in the present paper", "in our work",
    "in addition", "in particular", "in summary", "in conclusion", "in general",
    "in practice", "in this way", "in doing so", "in turn", "in other words", "in short",
    "in response", "on the other hand", "on top of that", "for example", "for instance",
    "for this purpose", "for that purpose", "at the same time", "in this context")]


def _in_a_setting(words: list[str], tokens: list[str], places: list[int], before: int,
                  own: list[str]) -> bool:
    """Whether a clause before the run (the first ``before`` words) opens with a setting
    ("In mice, drug X halved tumour growth"): the run alone would claim everywhere what
    the paper found there. "In this paper,", "In MAMo," (``own``: the paper's name) and
    other connectives set nothing."""
    connectives = _CONNECTIVES + ([["in", *own]] if own else [])
    for i in range(before):
        opens = places[i] == 0 or tokens[places[i] - 1] in _OPENERS
        if opens and words[i] in _SETTINGS \
                and not any(words[i:i + len(c)] == c for c in connectives):
            return True
    return False


def _run_at(words: list[str], tokens: list[str], places: list[int], start: int,
            wanted: list[str], subjects: list[list[str]] | None) -> int | None:
    """Whether ``wanted`` runs from word ``start`` (after one of ``subjects`` that opens
    a clause, when given): where the words before it end (the subject's start), or
    None. ``places``: where each of ``words`` stands among ``tokens``."""
    if subjects is None:
        return start if words[start:start + len(wanted)] == wanted else None
    if words[start + 1:start + len(wanted)] != wanted[1:] or not _agrees(wanted[0],
                                                                          words[start]):
        return None
    subject = next((s for s in subjects
                    if start >= len(s) and words[start - len(s):start] == s), None)
    if subject is None or not _starts_clause(tokens, places, start - len(subject), start):
        return None
    return start - len(subject)


def _starts_clause(tokens: list[str], places: list[int], subject: int, verb: int) -> bool:
    """Whether the subject (words ``subject`` to ``verb``) opens the sentence or a clause
    after a comma ("To address these issues, we propose …") and its verb follows it
    directly: "our method" inside a phrase ("Removing the memory from our method reduces
    …", "DPT, like our method, fails …", "Can we train …?") is not what the verb speaks
    of."""
    first = places[subject]
    return (first == 0 or tokens[first - 1] in _OPENERS) \
        and places[verb] == places[verb - 1] + 1
