"""Sentences that point at papers instead of naming them.

"The papers that use diffusion models are [1] and [2]." names its papers only by their
numbers; with the citations taken off, the words left ("The papers that use diffusion
models are.") are no statement, and the check could only reject them. Such a sentence
says of each paper it cites that it is one of the papers it describes, so that is what is
checked ("This is one of the papers that use diffusion models.", against each cited
paper), and it is shown with each paper's name in the place of its number ("… are
DepthMaster [1] and PrimeDepth [2]."). Likewise a sentence whose subject is "the papers"
it cites ("The papers estimate depth from video [1][2].") gets their names as its subject.
"""

from __future__ import annotations

import re

from assistant.answer.sentences import MARK
from assistant.index.naming import title_holds_topic, worded_topic

_CITES = rf"{MARK}(?:\s*(?:,|and|&|,\s*and)?\s*{MARK})*"
# a description, a copula, and the citations closing the sentence
_POINTER_RE = re.compile(rf"^(?P<head>.*\S)\s+(?P<verb>is|are|was|were|include|includes)"
                         rf"\s*:?\s*(?P<cites>{_CITES})\s*\.?\s*$", re.DOTALL)
_DETERMINER_RE = re.compile(r"^(?:the|this|these|those|a|an)\b", re.I)
_PLURAL = frozenset({"are", "were", "include"})


def pointed_claim(piece: str) -> str:
    """What a pointing sentence says of each paper it cites ("This is one of the papers
    that use diffusion models."), or "" when ``piece`` (a sentence with its citation
    marks) does not end on a copula and its citations. The description must be a noun
    phrase of a few words at least: "It is [1]." points at nothing."""
    match = _POINTER_RE.match(piece.strip())
    if not match:
        return ""
    head = re.sub(r"\s+", " ", match.group("head")).strip(" ,;:")
    if len(head.split()) < 3 or re.search(r"\[\d", head) or not head[:1].isupper():
        return ""
    if head[1:2].islower():  # "Papers that …", not "NYU Depth …"
        head = head[:1].lower() + head[1:]
    if not _DETERMINER_RE.match(head):
        head = "the " + head
    if match.group("verb") in _PLURAL:
        return f"This is one of {head}."
    return f"This is {head}."


def _listed(citations: list[int], names: dict[int, str]) -> str:
    """"DepthMaster [1], PrimeDepth [2] and “A Title” [3]"."""
    listed = [f"{names.get(n) or 'one paper'} [{n}]" for n in citations]
    return listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + " and " + listed[-1]


_POINTED_RE = re.compile(r"^This is (?:one of )?(?P<what>.+)\.$")


def holds_pointed_topic(claim: str, text: str) -> bool:
    """Whether ``claim`` is what a pointing sentence says of a paper ("This is one of the
    papers about speech.") with a topic of one or two words that the paper's ``text``
    (title and abstract) holds: such a claim shares too few words with any one sentence
    to reach the support threshold (0.34 for LightHuBERT against 0.40), though every
    word of its topic is the paper's. It still has to be read as stated."""
    match = _POINTED_RE.match(claim)
    return bool(match and worded_topic(match.group("what"), [text]))


def titled_pointed_topic(claim: str, title: str) -> bool:
    """Whether ``claim`` is what a pointing sentence says of a paper ("This is one of the
    papers in the collection that do self-supervised depth estimation.") and the paper's
    ``title`` names that whole topic ("SPIdepth: … for Self-supervised Monocular Depth
    Estimation"): the paper is one of them, whatever the small reader makes of a
    membership put against two of its sentences (P(yes) 0.67 for SPIdepth, so a list
    opening on it named one paper while the answer went on about two)."""
    match = _POINTED_RE.match(claim)
    return bool(match and title and title_holds_topic(match.group("what"), title))


def pointed_text(body: str, citations: list[int], names: dict[int, str]) -> str:
    """The pointing sentence with each supported paper's name and number where the
    model had numbers alone: "The papers that use diffusion models are DepthMaster [1]
    and PrimeDepth [2]." (``body`` is the sentence without its marks, "… are.")."""
    head = body.rstrip().rstrip(".").rstrip(":").rstrip()
    return f"{head} {_listed(citations, names)}."


# "The papers", "Both studies", "These two sources" … followed by a verb
_PAPERS_SUBJECT_RE = re.compile(r"^(\W*)(?:(?:(?P<both>Both)|(?:The|These|Those)(?: two| three)?) "
                                r"(?:papers|studies|sources|works|articles|abstracts)"
                                # "Both approaches …": the papers' methods together (not
                                # "The methods …", which may be one paper's several)
                                r"|(?:(?P<both_methods>Both)|(?:The|These|Those) (?:two|three)) "
                                r"(?P<methods>approaches|methods|models|frameworks|networks"
                                r"|techniques))"
                                r"(?= (?:(?:also|both|all) )?[a-z]+(?:s|ed)?\b)(?! (?:that|which|"
                                r"who|of|on|in|about|for|by|from|with)\b)")


def one_paper_subject(claim: str) -> str:
    """"The papers propose new aggregation functions …" as said of the one paper it is
    read against: "The paper proposes new aggregation functions …" ("" when the claim does
    not open on the papers as its subject, says what they do together, or its verb cannot
    be made to agree). The small reader, asked whether one paper states what "the papers"
    do, answered no (P(yes) 0.25 for the paper that does)."""
    match = _PAPERS_SUBJECT_RE.match(claim)
    if match and match.group("methods"):  # "Both methods …" may be one paper's two
        return ""
    rest = _singular(claim[match.end():]) if match else None
    return f"{match.group(1)}The paper{rest}" if match and rest is not None else ""


def named_subjects(body: str, citations: list[int], names: dict[int, str]) -> str:
    """"The papers estimate depth from video." with two or more supported citations →
    "FutureDepth [1] and MAMo [2] estimate depth from video."; with one (the check kept
    one of the papers the model cited) → "FutureDepth [1] estimates depth from video.",
    the verb made to agree ("" when the sentence does not open on the papers as its
    subject). The marks stand by the names, so the caller adds none at the end."""
    match = _PAPERS_SUBJECT_RE.match(body)
    if not citations or not match:
        return ""
    if len(citations) == 1:
        if match.group("methods"):  # one paper's two methods, as likely as two papers'
            return ""
        rest = _singular(body[match.end():])
        return f"{match.group(1)}{_listed(citations, names)}{rest}" if rest is not None else ""
    both = match.group("both") or match.group("both_methods")
    subject = _listed(citations, names) + (" both" if both else "")
    return f"{match.group(1)}{subject}{body[match.end():]}"


# a plural verb and its singular, where adding "s" will not do (quoting reads them too)
AGREEMENT = {"have": "has", "are": "is", "were": "was", "do": "does"}
_UNCHANGED = frozenset("can cannot could will would may might must should shall did had was "
                       "found took built made gave got saw led ran began brought thought "
                       "sought held kept left lost met paid put read said set sent spent "
                       "stood told won wrote chose drew grew knew became came".split())
# what "the papers" do together, which one paper cannot do alone
_TOGETHER_RE = re.compile(r"\b(?:each other|one another|different|differ\w*|respectively|"
                          r"together|in common|both|all|compare[sd]?|contrast\w*|similar|"
                          r"same|either|neither)\b", re.I)
_VERB_RE = re.compile(r"^( (?:also )?)([a-z]+)(?= )")
_LY_VERBS = frozenset("apply rely supply reply multiply comply imply".split())


def _singular(rest: str) -> str | None:
    """The words after a plural subject with their verb made singular ("propose X" →
    "proposes X", "also have" → "also has"; a past or modal verb stays); None where that
    is not sure (an adverb or "not" first, a contraction) or the papers do something
    together ("use different backbones", "complement each other")."""
    match = _VERB_RE.match(rest)
    if not match or _TOGETHER_RE.search(rest):
        return None
    verb = match.group(2)
    if verb.endswith("ly") and verb not in _LY_VERBS \
            or verb in ("not", "each", "only", "still", "then", "thus"):
        return None
    if verb in _UNCHANGED or verb.endswith("ed"):
        agreed = verb
    elif verb in AGREEMENT:
        agreed = AGREEMENT[verb]
    elif re.search(r"(?:s|sh|ch|x|z|o)$", verb):
        agreed = verb + "es"
    elif re.search(r"[^aeiou]y$", verb):
        agreed = verb[:-1] + "ies"
    else:
        agreed = verb + "s"
    return f"{match.group(1)}{agreed}{rest[match.end():]}"
