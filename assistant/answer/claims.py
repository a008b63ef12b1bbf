"""Answers → claims: where each sentence of an answer starts and ends, which citations the
model put on it, and whether it is a claim at all.

A small model's citation formatting is not trusted (see :mod:`assistant.answer.attribution`, which
decides the citations); this module only cuts the text up so that every claim keeps its
position and the answer can be re-rendered with the decided citations in place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.answer.cite import CITE_RE, _numbers
from assistant.answer.framing import only_frames
from assistant.answer.pointers import one_paper_subject, pointed_claim
from assistant.answer.sentences import MARK as _MARK
from assistant.answer.sentences import WORD_RE as _WORD_RE
from assistant.answer.sentences import contrasted, sentence_bounds

# Markdown marks: emphasis and code anywhere, a heading's "#" or a quote's ">" only where
# a line starts ("aged >70 years" keeps its sign: the number means something else without)
_MARKUP_RE = re.compile(r"[*`]+|(?<!\w)_+|_+(?!\w)|^[ \t]*[#>]+", re.MULTILINE)
# openings that say nothing of their own about the paper: a connective ("However,", "In
# this paper,") or a report of what the sources say ("The abstracts found that", "These
# studies have shown that"); what follows is the claim
_LEAD_RE = re.compile(
    r"^(?:(?:however|moreover|furthermore|additionally|in addition|also|specifically"
    r"|in particular|notably|importantly|indeed|overall|finally"
    r"|in contrast|by contrast|on the other hand|conversely|meanwhile|similarly|likewise"
    r"|in (?:this |the )?(?:paper|work|study|abstract)"
    r"|according to (?:the|this) (?:paper|study|abstract)),\s*"
    r"|(?-i:while|whereas)\s+"  # the second half of "A does X, while B does Y"
    r"|(?:the|this|these|both) (?:(?:two|three|four) )?(?:study|studies|paper|papers|work"
    r"|abstract|abstracts|authors?|sources?|results|findings|data) (?:(?:have|has) )?"
    r"(?:found|finds?|shows?|showed|shown|reports?|reported|states?|stated|concludes?"
    r"|concluded|demonstrates?|demonstrated|indicates?|indicated|confirms?|confirmed"
    r"|reveals?|revealed) that\s+)+", re.I)
_BULLET_RE = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
# Words that carry no claim of their own: a sentence made only of these (and citations)
# is a pointer to a source ("This is stated in [3].") rather than a claim.
META_WORDS = frozenset("""
a an the this that these those it its is are was were be been as also so in on of for to
from by with and or see stated states state mentioned mentions mention described describes
reported reports shown shows show given gives according source sources paper papers abstract
abstracts study studies work article information found here there above following cited
refer refers reference details more detail which what said says can could may might
will would first last second third sentence sentences paragraph section part text line end
beginning located discussed discusses explained explains provided provides noted
method methods approach approaches example examples instance how achieved achieve done
illustrates illustrate illustrated
""".split())
# Sentences about the sources themselves, not about the world: no citation is owed.
_NOTE_RE = re.compile(
    r"\b(?:do(?:es)?n[o']?t|did not|does not|do not|cannot|can't|no)\s+"
    r"(?:\w+\s+){0,3}?(?:mention|say|state|provide|specify|discuss|contain|cover|answer|"
    r"give|include|report|address|describe|information)|"
    r"\bnot (?:mentioned|stated|specified|provided|given|reported|discussed|clear)\b|"
    r"^(?:yes|no|maybe|answer)\b[\s:,.!]*$|^(?:sources?|references?)\s*:?\s*$",
    re.IGNORECASE)
# What a note denies: "The sources do not provide information on <topic>."
_DENIED_RE = re.compile(
    r"\b(?:do(?:es)?n[o']?t|did not|does not|do not|cannot|can't)\s+(?:\w+\s+){0,2}?"
    r"(?:mention|say|state|provide|specify|discuss|contain|cover|give|include|report|"
    r"address|describe)\w*\s+(?:any\s+)?(?:(?:specific|direct|detailed|further|more|"
    r"explicit)\s+)?(?:information|details?|data|figures?|numbers?)?\s*"
    r"(?:on|about|regarding|of|for|whether|how|what|which)?\s*(?P<topic>[^.!?]*)",
    re.IGNORECASE)
_VAGUE_TOPIC_RE = re.compile(r"^(?:this|that|it|these|those|the (?:question|topic|answer|"
                             r"above)|this (?:question|topic))?\W*$", re.IGNORECASE)


def denied_topic(body: str) -> str | None:
    """What a note says the sources leave out ("" when it points back at the question or
    at what came before: "… do not provide information on this"); None for a note that
    denies nothing."""
    match = _DENIED_RE.search(body)
    if not match:
        return None
    topic = match.group("topic").strip(" ,;:")
    return "" if _VAGUE_TOPIC_RE.match(topic) else topic


# Sentences about the answer's own support ("This claim is supported by the first
# source", "The source does not directly support this claim"): the check decides that,
# so they are dropped like a pointer to a source.
_SELF_RE = re.compile(r"\b(?:this|that|the above|my|our) (?:claim|statement)\b",
                      re.IGNORECASE)


def _only_frames(body: str) -> bool:
    """Whether the sentence only frames the answer (:mod:`.framing`)."""
    return only_frames(_LEAD_RE.sub("", body.strip()))


@dataclass
class Span:
    """One sentence (or clause) of an answer, as found in the text."""

    start: int
    end: int
    body: str                       # the text without its citation markers
    model_citations: list[int] = field(default_factory=list)
    kind: str = "claim"             # "claim", "note" (about the sources) or "meta"
    pointer: str = ""               # what a sentence pointing at papers says of each

    @property
    def plain(self) -> str:
        """The body without Markdown or bullet marks: what is compared with sources
        (for a sentence that points at papers, what it says of each: :mod:`.pointers`)."""
        if self.pointer:
            return self.pointer
        text = _BULLET_RE.sub("", self.body)
        text = _MARKUP_RE.sub("", text)
        return re.sub(r"\s+", " ", text).strip().lstrip(",;: ")


# a subject that points at one source by its place in the list ("The second paper
# proposes …", "One source shows …"): read against that paper, it is "the paper"
PLACE = r"(?:first|second|third|fourth|fifth|last|other|next)"  # a source's place in a list
_SOURCE_NOUNS = "source|paper|study|abstract|article|publication|work"
ONE_SOURCE = rf"(?:{_SOURCE_NOUNS})\b"  # one source's noun
_POINTER_RE = re.compile(rf"^(?:(?:the|this) {PLACE}|one) {ONE_SOURCE}", re.I)
_PLACES = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5}
_NUMBERED_PLACE_RE = re.compile(rf"\b(?:the|this) ({'|'.join(_PLACES)}) {ONE_SOURCE}", re.I)
# any place word a few words before a source noun: "the first and the second papers"
_ANY_PLACE_RE = re.compile(rf"\b({'|'.join(_PLACES)})\b(?=(?:\W+\w+){{0,3}}?\W+"
                           rf"(?:{_SOURCE_NOUNS}|studies)s?\b)", re.I)


def designated(claim: str, model_citations: list[int], numbers: set[int]) -> int | None:
    """The source a claim names by its place in the list ("The second source also
    discusses …", "… is introduced in the first paper"), when it names exactly one such
    place, that source exists and the model's own citations (if any) include it: who the
    claim is about, as a method's name says it. A claim about the second paper is no
    finding of the first, however well the first paper's sentences match it."""
    places = {_PLACES[m.group(1).lower()] for m in _ANY_PLACE_RE.finditer(claim)}
    named = _NUMBERED_PLACE_RE.search(claim)
    if len(places) != 1 or named is None:
        return None
    n = _PLACES[named.group(1).lower()]
    if n not in numbers or (model_citations and n not in model_citations):
        return None
    return n


def unframed(claim: str) -> str:
    """The claim without an opening that only reports it ("The abstracts found that …"),
    and with a subject that points at a source by its place ("The third paper proposes
    …") or at the papers together ("The papers propose …") made "The paper": what is
    compared with a paper and read against it. The small
    model frames most PubMedQA explanations so, and its reading of a framed claim asks
    whether the paper says what "the abstracts" found — true paraphrases were read as not
    stated; read against one paper, "the third paper" is a paper it cannot place."""
    text = claim.strip()
    core = _POINTER_RE.sub("The paper", _LEAD_RE.sub("", text), count=1)
    if core != text:
        core = core[:1].upper() + core[1:]
    return one_paper_subject(core) or core  # "The papers propose …": read of one paper


def _citations_in(text: str) -> list[int]:
    found: list[int] = []
    for match in CITE_RE.finditer(text):
        for n in _numbers(match.group(1)):
            if n not in found:
                found.append(n)
    return found


def _strip_citations(text: str) -> str:
    text = re.sub(rf"({_MARK})\s*(?:,|and|&)\s*(?=\[)", r"\1", text)  # "[1] and [2]"
    text = CITE_RE.sub("", text)
    text = re.sub(r"[ \t]+([.,;:!?])", r"\1", text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


# A citation inside a sentence followed by a new clause: "A runs at 9 fps [1], while B …"
_CLAUSE_CUT_RE = re.compile(rf"({_MARK}(?:\s*{_MARK})*)\s*[,;:]?\s+"
                            r"(?=(?:and|while|whereas|but|which|and\s+\w+|[A-Za-z]))")


def _clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split a sentence after interior citations when a substantial clause follows (not
    after a citation that names the subject: "Papers [1] and [3] speed up …")."""
    pieces: list[tuple[int, int]] = []
    cursor = start
    for match in _CLAUSE_CUT_RE.finditer(text, start, end):
        before, after = text[start:match.start(1)], text[match.end(1):end]
        if _names_a_source(before, after) or _reported_subject(before, after):
            continue
        opens = _opens_clause(before, after)
        if opens is None and _continues(after):
            continue  # "Model Rubik's Cube: … TinyNets [1] proposes …": its subject's
        cut = match.end(1) if opens is None else start + opens
        rest = text[cut:end]
        if len(_WORD_RE.findall(rest)) >= 4 and len(_WORD_RE.findall(text[cursor:cut])) >= 4:
            pieces.append((cursor, len(text[:cut].rstrip())))  # spaces stay between pieces
            cursor = cut + len(text[cut:end]) - len(text[cut:end].lstrip())
    pieces.append((cursor, end))
    return [part for a, b in pieces for part in contrasted(text, a, b)]


# A citation used as a noun ("Source [1] demonstrates …", "[2] shows …", "according to
# [3], …"): the marker is part of the sentence's grammar, so removing it must leave words
# that still read ("One source demonstrates …"); the decided citation goes at the end.
# (one way only to match the space between two markers: no backtracking blow-up)
_CITES = rf"{_MARK}(?:\s*(?:(?:,|and|&)\s*)?{_MARK})*"
_SOURCE_NOUN = r"(?:source|paper|study|studies|abstract|article|reference|document|publication)s?"
_DETERMINER_RE = re.compile(r"(?:the|this|that|these|those|both|each|either)\s+$", re.I)
# "paper [1]", and the appositive "The first paper, [1], shows …" (its commas go with it)
_NOUN_REF_RE = re.compile(rf"\b({_SOURCE_NOUN})(?:\s*,\s*({_CITES})\s*,|\s*({_CITES}))", re.I)
# a citation as the subject, at the start or after an opening word ("However, [1] …")
_LEADING_REF_RE = re.compile(rf"^(\W*?(?:[A-Z][a-z]+(?: [a-z]+)?,\s+|"
                             rf"(?:while|whereas|but|and)\s+)?)({_CITES})\s+(?=[a-z])")
# "The sources note that [3] highlight …": the subject of what is reported
_THAT_REF_RE = re.compile(rf"\b(that)\s+({_CITES})(?=\s+[a-z])")
# a closing pointer to where the claim is said ("…, as stated in [1].", "… according to
# [2]."): the citation says it already
_TRAILING_REF_RE = re.compile(rf"\s*,?\s+(?:(?:as|which is|this is)\s+(?:stated|reported|"
                              rf"described|shown|noted|mentioned|discussed|found|seen|"
                              rf"demonstrated|explained|given)\s+)?(?:in|by|according to)\s+"
                              rf"(?:the\s+(?:paper|source|study|abstract)s?\s*)?({_CITES})"
                              rf"(?=\s*[.!?]?\s*$)", re.I)
# a citation after a preposition, the sentence going on after it ("according to [3], …",
# "is proposed in [1] to support …"): the paper is what the preposition governs
_PREPOSITION_REF_RE = re.compile(rf"\b(in|according to|from|by|see)\s+({_CITES})"
                                 rf"(?=\s*,|\s+(?!and\b|or\b)[a-z])", re.I)


def _reported_subject(before: str, after: str) -> bool:
    """Whether the citation is the subject of what a sentence reports ("The sources note
    that [3] highlight …"): no clause ends there."""
    return re.search(r"\bthat\s*$", before) is not None and re.match(r"\s+[a-z]", after) is not None


# words that start a clause of its own after a citation ("… [1] while LiteDet …")
_CLAUSE_WORDS = frozenset("and or but while whereas which who that although though yet so "
                          "as since because".split())


def _continues(after: str) -> bool:
    """Whether the sentence goes on after a citation with no comma or connective: a
    lowercase word that opens no clause ("… TinyNets [1] proposes …", "… [1] outperforming
    …"), so the citation belongs to what came before inside one claim."""
    word = re.match(r"\s+([a-z][\w-]*)", after)
    return word is not None and word.group(1) not in _CLAUSE_WORDS


def _opens_clause(before: str, after: str) -> int | None:
    """Where the clause starts whose subject is the citation between ``before`` and
    ``after`` ("…, while [2][3] present DGMLP …", "…, whereas [2] proposes …"): at its
    connective, or at the citation after a comma; None when the citation is no subject.
    It goes with that clause, where it is read as "the papers", not with the one before."""
    if not re.match(r"\s+[a-z]", after) or re.match(r"\s+and\b", after):
        return None
    found = re.search(r"(?:\b(while|whereas|but|and)\s*|,\s*)$", before)
    if found is None:
        return None
    return found.start(1) if found.group(1) else len(before)


def _names_a_source(before: str, after: str) -> bool:
    """Does the citation between ``before`` and ``after`` name a source rather than end a
    clause? It opens the sentence, follows a source noun or a preposition, or is one of a
    list of citations ("[1] and [3]")."""
    before = re.sub(rf"(?:{_CITES})\s*(?:,|and|&)\s*$", "", before)  # "… [1] and" [3]
    return (not before.strip(" -*•") or re.search(rf"\b{_SOURCE_NOUN}\s*,?\s*$", before, re.I)
            is not None or re.search(r"\b(?:in|according to|from|by)\s*$", before, re.I)
            is not None or re.match(r"\s*(?:,|and|&)\s*\[", after) is not None)


def _several(cites: str) -> bool:
    return len(_citations_in(cites)) > 1


def _dereference(piece: str) -> str:
    """Rewrite citations used as nouns into words, so that stripping the markers leaves a
    sentence: "Source [1] shows" → "One source shows", "The papers [1] and [3]" → "The
    papers", "[2] shows" → "One paper shows", "according to [3]," → "according to one
    paper,", "…, as stated in [1]." → "… [1].". Citations at the end of a claim are left for
    :func:`_strip_citations`."""
    def noun(match: re.Match) -> str:
        word = match.group(1)
        before = piece[:match.start()]
        if _DETERMINER_RE.search(before) or re.search(r"\w\s*$", before) and \
                not re.search(r"\b(?:and|while|whereas|but)\s*$", before, re.I):
            return word  # "the study [3]", "their paper [2]": the words already read
        article = "the" if word.lower().endswith("s") else "one"
        text = f"{article} {word.lower()}"
        return text[0].upper() + text[1:] if not before.strip(" -*•") else text

    def leading(match: re.Match) -> str:
        words = "The papers " if _several(match.group(2)) else "One paper "
        return match.group(1) + (words.lower() if re.search(r"\w", match.group(1)) else words)

    def preposition(match: re.Match) -> str:
        words = "the papers" if _several(match.group(2)) else "one paper"
        return f"{match.group(1)} {words}"

    piece = _TRAILING_REF_RE.sub(r" \1", piece)
    piece = _NOUN_REF_RE.sub(noun, piece)
    piece = _LEADING_REF_RE.sub(leading, piece)
    piece = _THAT_REF_RE.sub(preposition, piece)
    return _PREPOSITION_REF_RE.sub(preposition, piece)


def _kind(body: str, citations: list[int]) -> str:
    words = [w.lower() for w in _WORD_RE.findall(_MARKUP_RE.sub("", body))]
    content = [w for w in words if w not in META_WORDS]
    if (citations and len(content) < 2) or (len(words) >= 3 and not content) \
            or _SELF_RE.search(body) or _only_frames(body):
        return "meta"  # a pointer to a source ("This can be found in the source."), no claim
    if len(words) < 3 or _NOTE_RE.search(body.strip()):
        return "note"
    if body.rstrip().endswith(":") and not citations:
        return "note"  # a lead-in ("The papers are:")
    return "claim"


def split_claims(text: str) -> list[Span]:
    """The answer's sentences and clauses with the citations the model put on each.

    Meta sentences ("This is stated in [3].") hand their citations to the claim before
    them; the renderer drops them.
    """
    spans: list[Span] = []
    for s_start, s_end in sentence_bounds(text):
        for c_start, c_end in _clauses(text, s_start, s_end):
            piece = text[c_start:c_end]
            citations = _citations_in(piece)
            body = _strip_citations(_dereference(piece))
            kind = _kind(body, citations)
            pointer = pointed_claim(_MARKUP_RE.sub("", _BULLET_RE.sub("", piece))) \
                if kind == "claim" and citations else ""
            spans.append(Span(c_start, c_end, body, citations, kind, pointer))
    _quoted_by_meta(spans, text)
    previous: Span | None = None
    for span in spans:
        if span.kind == "meta" and previous is not None \
                and not _only_frames(span.plain):  # its papers are not the claim's
            previous.model_citations += [n for n in span.model_citations
                                         if n not in previous.model_citations]
        elif span.kind == "claim":
            previous = span
    return spans


def _opens_or_closes(piece: str) -> bool:
    """Whether ``piece`` leaves a quotation open that was closed before it, or closes one:
    an odd number of straight double quotes, or unmatched curly ones."""
    return piece.count('"') % 2 == 1 or piece.count("\u201c") != piece.count("\u201d")


def _quoted_by_meta(spans: list[Span], text: str) -> None:
    """A passage that a meta sentence quotes ('This claim is supported by the text from
    source [1], which states: "It can obtain … . … In particular, OFA achieves …"') is meta
    up to its closing quote: the check shows the paper's own sentence as evidence, and the
    model's quotation, cut into sentences, would otherwise be shown as claims of its own
    (a stray "… In particular, …" fragment with a dangling quote mark). A quotation ends
    at its closing mark or at the end of its paragraph, whichever comes first: one the
    model never closes does not take the rest of the answer with it."""
    inside = by_meta = False
    cursor = 0
    for span in spans:
        if "\n" in text[cursor:span.start]:
            inside = by_meta = False
        cursor = span.end
        if inside and by_meta:
            span.kind = "meta"
        if _opens_or_closes(text[span.start:span.end]):
            inside, by_meta = (False, False) if inside else (True, span.kind == "meta")


_LOOSE_CLOSE_RE = re.compile(r'([.!?])[ \t]+(["\u201d])(?=\s|$)')


def glued_quotes(text: str) -> str:
    """The answer with a closing quote mark that the model wrote after a space ('… the
    prediction accuracy. "') put back against its sentence: left loose, it stayed behind
    the citation ('accuracy [1]. "'). Only a mark that closes an open quotation moves."""
    def glue(match: re.Match) -> str:
        before = text[:match.start()]
        opened = before.count('"') % 2 == 1 if match.group(2) == '"' \
            else before.count("\u201c") > before.count("\u201d")
        return match.group(1) + match.group(2) if opened else match.group(0)

    return _LOOSE_CLOSE_RE.sub(glue, text)
