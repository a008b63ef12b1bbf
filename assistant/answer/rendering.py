"""The checked answer as the user reads it: each claim with its decided citations (or a
mark saying no source supports it, or that its paper says the opposite), meta sentences
and repeats dropped, a citation used as a noun replaced by the paper's short name, and
the authors' "we" of a copied sentence made "the authors".
The text shown is always the text that was checked."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from assistant.answer.checked import Claim
from assistant.answer.claims import ONE_SOURCE, PLACE, Span
from assistant.answer.pointers import named_subjects, pointed_text

UNSUPPORTED = "[unsupported]"
CONTRADICTED = "[contradicted]"
ASIDE = "Other retrieved papers:"


def without_repeats(spans: list[Span]) -> list[Span]:
    """A claim that says again what an earlier one said (a small model repeats itself)
    is dropped from the shown text, like a meta sentence, and not checked twice."""
    seen: set[str] = set()
    kept = []
    for span in spans:
        key = re.sub(r"[^\w]+", " ", span.plain.lower()).strip()
        if span.kind == "claim" and key and key in seen:
            span = replace(span, kind="meta")
        seen.add(key)
        kept.append(span)
    return kept


# the words a citation used as a noun became (claims._dereference), and the small model's
# own ways of pointing at "its" paper at the start of a sentence
_GENERIC_REF_RE = re.compile(r"\b([Oo])ne (?:source|paper|study|abstract|article|publication|"
                             r"reference|document)\b")
_LEADING_REF_RE = re.compile(rf"^(\W*)(?:The|This) (?:{PLACE} )?{ONE_SOURCE}(?! (?:and|or)\b)")
_GOVERNED_RE = re.compile(r"\b(?:in|from|by|according to|see)\s+$", re.I)
_ORDINAL_REF_RE = re.compile(rf"^(\W*)(?:The|This) {PLACE} {ONE_SOURCE}")
_IN_PAPER_RE = re.compile(r"^(\W*)In (?:the |this |one )?(?:paper|study|abstract|source),")


@dataclass
class _Names:
    """What the answer's papers are called: the short names their titles announce, the
    titles, and the papers already introduced by title (see :func:`_titled`)."""

    short: dict[int, str] = field(default_factory=dict)
    titles: dict[int, str] = field(default_factory=dict)
    introduced: set[int] = field(default_factory=set)

    def call(self, n: int) -> str:
        """Paper ``n``'s short name, or its title in quotes where it announces none."""
        return self.short.get(n) or (f"“{self.titles[n]}”" if self.titles.get(n) else "")

    def called(self) -> dict[int, str]:
        """What each paper is called (see :meth:`call`)."""
        return {n: self.call(n) for n in {*self.short, *self.titles}}


def _named(body: str, claim: Claim, names: _Names) -> str:
    """"One paper shows …", "The paper proposes …" → "FastDepth shows …", "In paper, the
    authors …" → "In the FastDepth paper, the authors …", when the claim has one
    citation, the check confirmed the model's (or attached it to an uncited claim), and
    that paper's title announces a name: the sentence then says which paper it is about
    without the reader decoding [n]. A citation the check moved keeps the generic words
    (the model's sentence was about another paper), less a place in the list, which
    pointed at the paper the model cited ("The second paper proposes DepthMaster [3]" →
    "One paper …") — unless the sentence opens on its generic subject ("The source
    reports results on NYU Depth v2", moved from iDisc to FastDepth → "FastDepth reports
    …": every name in a claim the check confirmed is the paper's it moved to); a
    sentence that names the paper already keeps the generic words too, less the place
    ("The third paper proposes DepthMaster" → "One paper proposes DepthMaster").
    A paper whose title announces no name may be named by its title (:func:`_titled`)."""
    if not (claim.supported and len(claim.citations) == 1):
        return body
    if claim.model_citations not in ([], claim.citations) \
            and not _LEADING_REF_RE.search(body):
        return _ORDINAL_REF_RE.sub(lambda m: m.group(1) + "One paper", body, count=1)
    name = names.short.get(claim.citations[0], "")
    if not name:
        title = names.titles.get(claim.citations[0], "")
        if title and _IN_PAPER_RE.search(body):  # "In paper, the authors …"
            return _IN_PAPER_RE.sub(lambda m: f"{m.group(1)}In “{title}”,", body, count=1)
        return _titled(body, claim.citations[0], names)
    governed = _GENERIC_REF_RE.search(body)
    if governed and _GOVERNED_RE.search(body[:governed.start()]):  # "proposed in one paper"
        return f"{body[:governed.start()]}the {name} paper{body[governed.end():]}"
    if name.lower() in body.lower():
        # "The third paper proposes DepthMaster …": the name is there; the place is noise
        return _ORDINAL_REF_RE.sub(lambda m: m.group(1) + "One paper", body, count=1)
    if _IN_PAPER_RE.search(body):
        return _IN_PAPER_RE.sub(lambda m: f"{m.group(1)}In the {name} paper,", body, count=1)
    if match := _LEADING_REF_RE.search(body):
        return body[:match.start()] + match.group(1) \
            + _as_subject(name, body[match.end():], "The") + body[match.end():]
    if match := _GENERIC_REF_RE.search(body):
        article = "The" if match.group(1) == "O" else "the"
        return body[:match.start()] + _as_subject(name, body[match.end():], article) \
            + body[match.end():]
    return body


# verbs of what a text says: a method does not "state" or "argue", its paper does
_SAYS_RE = re.compile(r"\s+(?:also\s+)?(?:states?|stated|says?|said|reports?|reported|notes?|"
                      r"noted|mentions?|mentioned|argues?|argued|claims?|claimed|writes?|"
                      r"describes?|described|discusses?|discussed|concludes?|concluded|"
                      r"suggests?|suggested|emphasi[sz]es|highlights?|explains?|"
                      r"acknowledges?)\b")


def _as_subject(name: str, rest: str, article: str) -> str:
    """The paper's name as the subject of ``rest``: "PoP-Net learns …", but "The PoP-Net
    paper states that …" where the verb is one of saying (the name is the method's)."""
    return f"{article} {name} paper" if _SAYS_RE.match(rest) else name


# a sentence that opens on the bare paper and a verb ("The paper uses …"), not on a
# phrase that says which paper ("The paper on random search …")
_BARE_REF_RE = re.compile(rf"^(\W*)(?:The|This|One) (?:{PLACE} )?{ONE_SOURCE}"
                          r"(?= (?!(?:on|about|of|in|for|by|with|from|and|or)\b)[a-z])")


def _titled(body: str, n: int, names: _Names) -> str:
    """'The paper uses knowledge distillation' → 'The paper "Network Pruning via
    Transformable Architecture Search" uses knowledge distillation', the first time the
    answer speaks so of paper ``n`` (confirmed, its title announcing no short name):
    without it the sentence names its paper only by "[1]"."""
    title = names.titles.get(n)
    if n in names.introduced or not title or not _BARE_REF_RE.search(body):
        return body
    names.introduced.add(n)
    return _BARE_REF_RE.sub(lambda m: f"{m.group(1)}The paper “{title}”", body, count=1)


# the first "we" becomes the authors, the rest refer back to them
_FIRST_SUBJECT = [(re.compile(r"^(\W*)We\b"), r"\1The authors"),
                  (re.compile(r"\bwe\b"), "the authors")]
_FIRST_PERSON = [(re.compile(r"^(\W*)Our\b"), r"\1The authors'"),
                 (re.compile(r"\bwe\b"), "they"), (re.compile(r"\bWe\b"), "They"),
                 (re.compile(r"\bour\b"), "their"), (re.compile(r"\bus\b"), "them"),
                 (re.compile(r"\bourselves\b"), "themselves")]


def _third_person(body: str, claim: Claim) -> str:
    """"In this work, we propose DepthMaster …" copied from an abstract speaks as its
    authors; in the answer "we" would be the assistant. A claim the check confirmed for
    one paper gets the authors as its subject ("In this work, the authors propose …");
    what it says of the paper is unchanged."""
    if not (claim.supported and len(claim.citations) == 1) \
            or not re.search(r"\b(?:[Ww]e|[Oo]ur|us|ourselves)\b", body):
        return body
    for pattern, replacement in _FIRST_SUBJECT:
        body, done = pattern.subn(replacement, body, count=1)
        if done:
            break
    for pattern, replacement in _FIRST_PERSON:
        body = pattern.sub(replacement, body)
    return body


# "It argues that …", "Specifically, it shows …": a paper or method as a pronoun subject
# ("It is worth noting …", "It was found …", "It can be seen …" have no subject to name)
_PRONOUN_RE = re.compile(r"^(\W*(?:[A-Z][a-z]+(?: [a-z]+)?,\s+)?)(?:[Ii]t)(?=\s+[a-z])"
                         r"(?!\s+(?:is|was|has|had|seems|seemed|appears|appeared|remains|can|"
                         r"could|should|may|might|would|will|must|turns|turned|follows|"
                         r"followed|becomes|became|happens|happened)\b)")


def names_pronoun(body: str, title: str, name: str) -> bool:
    """Whether a sentence opening on "it" as its subject ("It adapts …", "Specifically,
    it argues …"), confirmed for a paper of this ``title`` and short ``name`` right after
    a sentence about another paper, is shown with that paper's name in place of "it"
    (see :func:`_pronoun_named`)."""
    match = _PRONOUN_RE.match(body)
    return bool(match and (name or (title and _SAYS_RE.match(body[match.end():]))))


def _pronoun_named(body: str, claim: Claim, names: _Names, previous: Claim | None) -> str:
    """"Specifically, it argues that …" confirmed for paper [2] right after a sentence
    about another paper (or one no paper supports): "it" would be read as that other
    paper. The paper's short name takes its place ("… the MAMo paper argues …" for a
    verb of saying), "One paper" where the sentence names it already ("It proposes
    EvolveGCN" moved to EvolveGCN), or for a verb of saying its title; else it stays."""
    if not (claim.supported and len(claim.citations) == 1):
        return body
    if previous is not None and previous.supported and previous.citations == claim.citations:
        return body
    match = _PRONOUN_RE.match(body)
    if not match:
        return body
    lead = match.group(1).strip(" -*•\t")  # "Specifically, " (a bullet is no word)
    rest, article = body[match.end():], "the" if lead else "The"
    name = names.short.get(claim.citations[0], "")
    title = names.titles.get(claim.citations[0], "")
    if name and name.lower() in rest.lower():  # "It proposes EvolveGCN" moved to EvolveGCN
        return f"{match.group(1)}{'one' if lead else 'One'} paper{rest}"
    if name:
        return f"{match.group(1)}{_as_subject(name, rest, article)}{rest}"
    if title and _SAYS_RE.match(rest):  # "… the paper “Why do Learning Rates …” argues"
        return f"{match.group(1)}{article} paper “{title}”{rest}"
    return body


def _voiced(body: str, claim: Claim, names: _Names, quoted: bool) -> str:
    """The claim named and in the third person, except where it quotes the paper
    (``quoted``: it starts inside a quotation or holds one of the model's — a title put in
    for the paper is none): a quotation keeps the paper's words, "we" included."""
    body = _named(body, claim, names)
    return body if quoted else _third_person(body, claim)


_AUTHORS_RE = re.compile(r"^(\W*)The authors\b(?!')")


def _authors_named(shown: str, claim: Claim, names: _Names, before: str) -> str:
    """"The authors conduct … [2]" (often the paper's "We conduct …" in the third person)
    names the paper the first time the answer speaks so of it — "The authors of
    “Evaluating Deep Graph Neural Networks” conduct …", "The authors of FastDepth …" —
    where neither the sentence nor the answer before it (``before``) names the paper
    already: under "Which papers propose benchmarks?" three paragraphs opened on "The
    authors" and said which paper only by [n]."""
    match = _AUTHORS_RE.match(shown)
    if match is None or not (claim.supported and len(claim.citations) == 1
                             and claim.model_citations in ([], claim.citations)):
        return shown
    n = claim.citations[0]
    name, title, called = names.short.get(n, ""), names.titles.get(n, ""), names.call(n)
    said = (before + shown).lower()
    if not called or n in names.introduced or any(
            word and word.lower() in said for word in (name, title)):
        return shown
    names.introduced.add(n)
    return f"{match.group(1)}The authors of {called}{shown[match.end():]}"


def contradiction_mark(claim: Claim, longest: int = 200) -> str:
    """"[contradicted by [2]: “…”]": the paper that says otherwise, in its own words."""
    found = claim.contradicted_by or {}
    sentence = found.get("sentence", "")
    if len(sentence) > longest:
        sentence = sentence[:longest].rsplit(" ", 1)[0] + " …"
    return f"{CONTRADICTED[:-1]} by [{found.get('n')}]: “{sentence}”]"


def _marks(claim: Claim) -> str:
    if claim.supported:
        return "".join(f"[{n}]" for n in claim.citations)
    return contradiction_mark(claim) if claim.contradicted_by else UNSUPPORTED


_QUOTES = "\"'”’"


def _with_citations(body: str, claim: Claim) -> str:
    """The marks go before the sentence's closing punctuation ("… 178 fps [1]."), and
    after a closing quotation mark, which ends what the paper wrote ('… GPU" [1].'): a
    mark inside the quotation would read as the paper's. A quoted question keeps its
    "?" inside ('"Is depth needed?" [1].'); a sentence the model left without a full stop
    after its quotation gets one."""
    marks = _marks(claim)
    match = re.match(rf"(.*?)((?:[.!?:;,]|\s*[{_QUOTES}])*)$", body, re.DOTALL)
    head, tail = (match.group(1), match.group(2)) if match else (body, "")
    quotes = re.sub(rf"[^{_QUOTES}]", "", tail)
    if not quotes:
        return f"{head.rstrip()} {marks}{tail}"
    inside = re.sub(r"[^!?]", "", tail[:tail.find(quotes[0])])
    stops = re.sub(rf"[{_QUOTES}\s]", "", tail)
    stop = "." if re.search(r"[.!?]", stops) else stops[-1:]
    if not stop and body[:1].isupper():
        stop = "."  # 'The paper states that "… prohibitive"': the sentence still ends
    return f"{head.rstrip()}{inside}{quotes} {marks}{stop}"


def _opens_quote(text: str) -> bool:
    """Whether ``text`` ends inside a quotation (one the model opened and has not yet
    closed)."""
    return text.count('"') % 2 == 1 or text.count("“") > text.count("”")


_SENTENCE_END_RE = re.compile(r"([.!?])[\"'”’)\]]*(?:\s*\[[\d\s,;–-]+\])*\s*$")


def _end_sentence(parts: list[str], dropped: str) -> None:
    """A dropped clause that ended its sentence ("…, whereas DepthMaster proposes … ."
    repeating an earlier claim) leaves the clause before it ending in a comma: that
    clause now ends the sentence."""
    end = _SENTENCE_END_RE.search(dropped)
    if end and parts and parts[-1].rstrip().endswith(","):
        parts[-1] = parts[-1].rstrip()[:-1] + end.group(1)


# what joins a clause to the one before ("…, while B does Y"): no more once that is gone
_CONNECTIVE_RE = re.compile(r"^[\s,;]*(?:(?:while|whereas|but|and)\s+)?")


def _all_kept(claim: Claim) -> bool:
    """Whether the check kept every paper the model cited for the claim (or gave it its
    one): "The papers run detectors and depth networks [1][3]" with [1] alone kept says
    of the two papers together what one does not, so it is not put on that one's name."""
    return len(claim.model_citations) <= 1 or set(claim.model_citations) <= set(claim.citations)


def _standing(clause: str) -> str:
    """A clause shown without the one it was joined to: its comma and connective gone,
    its first letter capital ("…, while one source proposes …" → "One source proposes
    …")."""
    clause = _CONNECTIVE_RE.sub("", clause.strip(), count=1)
    return clause[:1].upper() + clause[1:]


def _close_sentence(parts: list[str], left_out: str) -> None:
    """A clause left out that ended its sentence ("…, while B does Y [2].") leaves the
    clause before it ending the sentence: it gets the full stop."""
    end = _SENTENCE_END_RE.search(left_out)
    shown = "".join(parts)
    if end and shown.strip() and not _ended(shown):
        last = max(i for i, part in enumerate(parts) if part.strip())
        parts[last] = parts[last].rstrip().rstrip(",;") + end.group(1)


def _ended(shown: str) -> bool:
    """Whether what is shown so far ends a sentence (or is nothing yet)."""
    return not shown.strip() or _SENTENCE_END_RE.search(shown) is not None


def _only_paper(decided: list[tuple[Span, Claim | None]]) -> int | None:
    """The one paper every claim is confirmed for, where there is one: a line that leads
    into them ("The paper discusses the information bottleneck, and its two phases are as
    follows:") speaks of it, and is named like a claim about it. None where any claim is
    unsupported (the lead-in may be about the paper the check could not confirm)."""
    claims = [claim for _, claim in decided if claim is not None]
    cited = {n for claim in claims for n in claim.citations}
    return next(iter(cited)) if claims and len(cited) == 1 \
        and all(claim.supported for claim in claims) else None


def _about(n: int) -> Claim:
    """A claim confirmed for paper ``n`` alone: what naming a sentence about it needs."""
    return Claim(text="", citations=[n], supported=True, support=1.0, evidence=[],
                 model_citations=[n])


def render(text: str, decided: list[tuple[Span, Claim | None]],
           names: dict[int, str] | None = None, titles: dict[int, str] | None = None) -> str:
    """The answer with each claim's decided citations (or the unsupported mark) in place
    of the model's; meta sentences are dropped, notes kept as they are, and claims about
    papers the question is not about moved to a closing "Other retrieved papers:"
    paragraph."""
    parts: list[str] = []
    aside: list[str] = []
    naming = _Names(names or {}, titles or {})
    cursor = 0
    previous: Claim | None = None
    dropped = False  # the span before was left out (meta or set apart)
    only = _only_paper(decided)
    for span, claim in decided:
        gap = text[cursor:span.start]
        cursor = span.end
        if span.kind == "meta":
            _end_sentence(parts, text[span.start:span.end])
            dropped = True
            continue
        if claim is not None and span.pointer and claim.supported:
            shown = pointed_text(span.body, claim.citations, naming.called())
        elif claim is not None and claim.supported and _all_kept(claim) and (
                subjects := named_subjects(span.body, claim.citations, naming.called())):
            shown = subjects
        elif claim is None and only is not None and span.body.rstrip().endswith(":") \
                and not _ORDINAL_REF_RE.search(span.body):
            shown = _named(span.body, _about(only), naming)  # "The paper discusses …:"
        else:
            body = _pronoun_named(span.body, claim, naming, previous) if claim else span.body
            quoted = _opens_quote(text[:span.start]) or bool(re.search(r"[\"“”]", span.body))
            shown = _with_citations(
                _authors_named(_voiced(body, claim, naming, quoted), claim, naming,
                               "".join(parts)), claim) if claim else span.body
        if claim is not None:
            previous = claim
        if claim is not None and not claim.relevant:
            aside.append(_standing(shown))
            parts.append(gap if "\n" in gap else "")
            _close_sentence(parts, text[span.start:span.end])
            dropped = True
            continue
        if dropped and re.fullmatch(r"[\s,;]*", gap) and _ended("".join(parts)):
            gap, shown = " ", _standing(shown)  # "…, while B does Y" whose A is gone
        dropped = False
        parts.append(gap)
        parts.append(shown)
    parts.append(text[cursor:])
    rendered = "".join(parts)
    rendered = re.sub(r"[ \t]{2,}", " ", rendered)
    rendered = re.sub(r"\n{3,}", "\n\n", re.sub(r" +\n", "\n", rendered)).strip()
    aside = [item if _ended(item) else f"{item}." for item in aside]
    return f"{rendered}\n\n{ASIDE} {' '.join(aside)}" if aside else rendered
