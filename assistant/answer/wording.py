"""What a claim's wording asserts beyond its facts, held to the sentences it rests on.

A claim can take a paper's facts and still say more than the paper: it ranks ("the
smallest model" where the paper says "for instance, TinyNet-E"), it weighs ("crucial"
where the paper says it wants to raise awareness), it answers what the paper only asks
("clinical outcome was improved" from "we explored whether clinical outcome is
improved"), or it reports the paper's background as what the study found. Similarity
finds these claims close to their sentences and the small model's reading passes most
of them (P(yes) 0.76–0.94 on the labelled set's "partly" pairs), so they are held by
rule, like "not", "only" and "because" (:data:`assistant.answer.entities.MARKERS`).

Each rule needs a word of the same kind in the sentences the claim rests on (or the
title), not the same word: "the best accuracy" may rest on "the highest accuracy", and
"plays a critical role" on "is extremely important".
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from assistant.answer.entities import MARKERS
from assistant.index.terms import bm25_tokenize

# a rank: the claim's word needs one of its group in the sentences
_RANKS = {
    "smallest": "smallest tiniest fewest least lowest minimum minimal lightest leanest",
    "largest": "largest biggest greatest most maximum highest heaviest",
    "best": "best top highest leading state-of-the-art sota outperforms outperform "
            "outperformed surpasses surpass beats superior",
    "fastest": "fastest quickest lowest shortest",
    "worst": "worst lowest poorest",
}
_RANK_WORDS = {word: frozenset(group.split()) | {word} for word, group in _RANKS.items()}
_RANK_RE = re.compile(r"\b(" + "|".join(_RANKS) + r")\b", re.I)

# a weight the claim puts on something: some word of weight must be in the sentences.
# "vital", "critical" and "essential" weigh only in a role or after a verb ("a critical
# role", "is essential for"): "vital signs", "critical temperature" and "essential
# hypertension" are terms.
_WEIGHT_RE = re.compile(r"\b(?:crucial|paramount|indispensable|pivotal)\b"
                        r"|\b(?:vital|critical|essential)(?=\s+(?:role|roles|for|to|in|part|"
                        r"component|step|factor|element|importance|aspect|insight)\b)"
                        r"|\b(?:is|are|was|were|be|been|remains?|seems?)\s+(?:\w+ly\s+)?"
                        r"(?:vital|critical|essential)\b", re.I)
_WEIGHED_RE = re.compile(r"\b(crucial|vital|critical|critically|essential|paramount|"
                         r"indispensable|pivotal|important|importance|key|necessary|"
                         r"necessity|central|fundamental|foundational)\b", re.I)

# a sentence that asks (the paper's question, not its answer)
_ASKS_RE = re.compile(r"\bwhether\b|\b(?:explor|investigat|examin|determin|assess|test|"
                      r"ask|evaluat|stud)\w*\s+if\b", re.I)
# a claim that reports a question or an aim itself
_REPORTS_ASKING_RE = re.compile(r"\b(?:whether|if|aims?|aimed|objective|purpose|goal|"
                                r"explor\w*|investigat\w*|examin\w*|assess\w*|evaluat\w*|"
                                r"question\w*|asks?|asked)\b", re.I)

# a sentence that says what the study set out to do restates the question; it explains no
# verdict ("To evaluate the impact of HER2 …", "The aim of this study was …")
AIM_RE = re.compile(
    r"^(?:to (?:\w+ ){0,2}?(?:evaluate|assess|examine|investigate|determine|compare"
    r"|analy[sz]e|study|describe|identify|explore|test|verify|establish|clarify|estimate"
    r"|measure|review|ascertain|delineate|elucidate|characteri[sz]e)\b"
    r"|(?:the |our |this )?(?:main |primary )?(?:aims?|purposes?|objectives?|goals?)\b"
    r"|(?:this|the present|the current|our) (?:\w+ )?(?:study|work|paper|research|audit"
    r"|trial|review|analysis) (?:aims?|aimed|sought|was designed|examined|evaluated"
    r"|investigated|assessed|set out|explored|addresses|asks)\b"
    r"|we (?:aimed|sought|set out|hypothesi[sz]ed|asked|wanted)\b)", re.I)


# a sentence that says what a word means ("Networks are considered untrainable when …")
DEFINITION_RE = re.compile(r"\b(?:(?:is|are) (?:commonly |usually |often |typically )?"
                           r"(?:considered|defined|called|termed|referred to|known as)"
                           r"|we (?:define|call|term|refer to)|refers? to|is a term for)\b",
                           re.I)


# a sentence that says what was done, not what came of it ("Spearman's rank correlation
# was performed between …", "OSA severity was recorded"): a method, no result
METHOD_RE = re.compile(r"\b(?:was|were) (?:\w+ly )?(?:performed|conducted|carried out|"
                       r"measured|recorded|assessed|calculated|collected|administered|"
                       r"undertaken)\b", re.I)
_RESULT_RE = re.compile(r"\b(?:found|finds?|show\w*|demonstrat\w*|reveal\w*|significan\w*|"
                        r"associat\w*|correlated with|increas\w*|decreas\w*|reduc\w*|"
                        r"improv\w*|high\w*|low\w*|greater|fewer|differ\w*|predict\w*|"
                        r"remain\w*|similar|results?|outcomes?|excellent|good|poor|better|"
                        r"worse|achiev\w*|success\w*)\b"
                        r"|\d\s*%|\bp\s*[<=>]", re.I)


# "The abstracts found that …": the model's way of reporting what the abstracts say, not
# always a finding (the background it frames so is left to the labels' rules); a method
# framed so is still no finding
_ABSTRACTS_FOUND_RE = re.compile(r"^\W*the abstracts? (?:found|finds|show(?:s|ed)?|"
                                 r"demonstrat(?:es|ed)|reveal(?:s|ed))\s+that\b", re.I)


def found_in_method(framed: str, basis: list[str]) -> bool:
    """Whether a claim framed as what was found ("The study found that …", "The
    abstracts found that …") rests only on sentences that say what was done."""
    return bool(FINDING_RE.search(framed) or _ABSTRACTS_FOUND_RE.search(framed)) \
        and bool(basis) and all(states_method(sentence) for sentence in basis)


def states_method(sentence: str) -> bool:
    """Whether the sentence only says what was done (a test performed, a value recorded),
    giving no result: a claim that "the study found" something rests on no finding."""
    return bool(METHOD_RE.search(sentence)) and not _RESULT_RE.search(sentence)


def states_aim(sentence: str) -> bool:
    """Whether the sentence gives the study's aim or question (not its background)."""
    return bool(AIM_RE.match(sentence.strip()) or _ASKS_RE.search(sentence))


# an opening that reports the rest ("The abstracts state that …", "The study found that")
_REPORT_RE = re.compile(r"^[^,;]{0,80}?\b(?:found|finds|show(?:s|ed)?|demonstrat(?:es|ed)|"
                        r"reveal(?:s|ed)|conclud(?:es|ed)|observ(?:es|ed)|report(?:s|ed)|"
                        r"states?|stated|mentions?|mentioned|says?|said|notes?|noted)"
                        r"\s+that\b", re.I)
# one that presents it as what the research found, not only as what the text says
FINDING_RE = re.compile(r"^[^,;\"“]{0,60}?\b(?:study|studies|trial|results?|findings?|data|"
                        r"analys[ie]s|authors|researchers|investigators|survey|experiments?|"
                        r"paper|work|it|they)"
                        r"(?:\s+(?:on|about|of)(?:\s+(?!that\b)[\w-]+){1,5}?)?"  # "… on X and Y"
                        r"\s+(?:have |has )?(?:found|finds?|show(?:s|ed|n)?|demonstrat(?:es|ed)|"
                        r"reveal(?:s|ed)|conclud(?:es|ed)|observ(?:es|ed))\s+that\b", re.I)


# a use or benefit the claim credits ("is particularly useful for …", "a valuable tool"),
# unless denied ("was not advantageous": a finding of no gain, which the sentences may
# give as "no difference"): the sentences must speak of some use, benefit or gain
_BENEFIT_RE = re.compile(r"\b(?:useful|usefulness|beneficial|benefits?|advantages?|"
                         r"advantageous|valuable|helpful|well-suited|particularly suited)\b",
                         re.I)
_BENEFITED_RE = re.compile(r"\b(?:use\w*|using|usage|benefit\w*|advantage\w*|valu\w*|"
                           r"exploit\w*|leverag\w*|"
                           r"help\w*|suit\w*|applicab\w*|applied|enabl\w*|allow\w*|"
                           r"improv\w*|facilitat\w*|effective\w*|promis\w*|gain\w*)\b", re.I)
# a strength the claim gives an effect ("has a significant impact on …"), unless denied
# ("no significant effect"): the sentences must give the effect some strength
_EFFECT_RE = re.compile(r"\b(?:(?:statistically|clinically)\s+)?(?:significant|substantial|"
                        r"considerable|major|profound|strong) (?:impact|effect|influence)s?\b",
                        re.I)
# a denial earlier in the clause ("had no statistically significant effect", "did not have
# a significant impact"): the effect is denied, not weighed
_DENIED_BEFORE_RE = re.compile(r"\b(?:no|not|never|without|nor|neither|n't)\b[^.;,]*$", re.I)
# a negation a few words before ("was not advantageous", "offered no clear benefit"; not
# "not only useful", nor a "no" that began the clause long before)
_DENIED_JUST_BEFORE_RE = re.compile(r"\b(?:no|not|never|without|n't)\b(?!\s+(?:only|just)\b)"
                                    r"(?:\W+\w+){0,2}\W*$", re.I)
_EFFECTED_RE = re.compile(r"\b(?:significan\w*|substantial\w*|considerabl\w*|major|large\w*|"
                          r"strong\w*|profound\w*|remarkabl\w*|dramatic\w*|marked\w*|"
                          r"greatly|crucial|critical\w*|key|important\w*|p\s*[<=]|"
                          r"odds ratio|hazard ratio)", re.I)


def unstated_wording(claim: str, evidence: str) -> list[str]:
    """The kinds of wording the claim uses and ``evidence`` (the sentences it rests on,
    with the title) gives no word of: "rank" (smallest, best, …), "weight" (crucial,
    vital, …), "benefit" (useful, valuable, …), "effect" (a significant impact) and
    "cause" (a "because" or "due to" where no sentence gives a reason or consequence)."""
    kinds = []
    for match in _RANK_RE.finditer(claim):
        group = _RANK_WORDS[match.group(1).lower()]
        if not any(re.search(rf"\b{re.escape(word)}\b", evidence, re.I) for word in group):
            kinds.append("rank")
            break
    if _WEIGHT_RE.search(claim) and not _WEIGHED_RE.search(evidence):
        kinds.append("weight")
    credited = [m for m in _BENEFIT_RE.finditer(claim)
                if not _DENIED_JUST_BEFORE_RE.search(claim[:m.start()])]
    if credited and not _BENEFITED_RE.search(evidence):
        kinds.append("benefit")
    weighed = [m for m in _EFFECT_RE.finditer(claim)
               if not _DENIED_BEFORE_RE.search(claim[:m.start()])]
    if weighed and not _EFFECTED_RE.search(evidence):
        kinds.append("effect")
    if _REASON_RE.search(claim) and not (MARKERS["cause"].search(evidence)
                                         or _REASONED_RE.search(evidence)):
        kinds.append("cause")
    return kinds


# a reason the claim gives ("… because it provides a more nuanced view", "… is due to
# …"; not "mortality due to sepsis", a name for what is counted): the sentences it rests
# on must give some reason or consequence too, in whatever words
_REASON_RE = re.compile(r"\b(?:because|thanks to|as a result of)\b|\b(?:is|are|was|were|be|"
                        r"been)\s+(?:\w+ly\s+)?(?:due|owing) to\b", re.I)
_REASONED_RE = re.compile(r"\b(?:attribut\w*|driven by|stems? from|stemm\w+ from|"
                          r"accounts? for|accounted for|therefore|thus|hence|consequently|"
                          r"so that|enabl\w*|allow\w*|owing|resulting|because|why|"
                          r"through|by \w+ing|led to|leads? to)\b", re.I)


def answers_a_question(claim: str, sentence: str) -> bool:
    """Whether the claim states as settled what ``sentence`` only asks ("clinical outcome
    was improved" from "we explored whether clinical outcome is improved"): the sentence
    asks, the claim does not say that it was asked, and every word of the claim (an
    opening such as "the study found that" aside) is the question's. A claim that adds
    words of its own may rest on the paper's answer elsewhere."""
    if not _ASKS_RE.search(sentence) or _REPORTS_ASKING_RE.search(claim):
        return False
    claim_terms, asked = bm25_tokenize([_REPORT_RE.sub("", claim), sentence])
    return bool(claim_terms) and set(claim_terms) - _FUNCTION_WORDS <= set(asked)


# tense and function words a question and its restatement may differ in
_FUNCTION_WORDS = frozenset("is are was were be been being has have had do does did can "
                            "could will would may might who which what when where how "
                            "that this these those".split())


# a means the claim gives ("by discarding …"): a turn of the "cause" kind
_MEANS_RE = re.compile(r"\bby\s+\w+ing\b|\bthereby\b|\bso that\b", re.I)
_ADDED_MEANS_RE = re.compile(r"\b(?:by|thereby|so)\b")
_WORD_RE = re.compile(r"[\w%-]+(?:[.,]\d+)*")
COPIED_SHARE = 0.8  # of the claim's words, in order in one sentence: a copy of a stretch


def inserted_turns(claim: str, sentences: list[str]) -> list[str]:
    """The kinds of turn ("negation", "restriction", "cause") in words the claim puts into
    a stretch it otherwise copies from one of ``sentences`` (at least ``COPIED_SHARE``
    of its words, in order): "adds context to the network by discarding …" copied from
    "adds context to the network, discarding …" says how where the paper does not. A
    long sentence may use such a word elsewhere, so the words the claim adds are read
    (against the words they replace), not the sentence as a whole."""
    words = _WORD_RE.findall(claim.lower())
    if len(words) < 6:
        return []
    best: list[tuple[int, int, str]] = []
    best_share = 0.0
    for sentence in sentences:
        theirs = _WORD_RE.findall(sentence.lower())
        matcher = SequenceMatcher(None, theirs, words, autojunk=False)
        share = sum(block.size for block in matcher.get_matching_blocks()) / len(words)
        if share > best_share:
            best_share = share
            best = [(j1, j2, " ".join(_near(theirs, i1, i2, j2 - j1 + 2, j1 == 0)))
                    for tag, i1, i2, j1, j2 in matcher.get_opcodes()
                    if tag in ("insert", "replace")]
    if best_share < COPIED_SHARE:
        return []
    kinds = set()
    for j1, j2, replaced in best:
        added = " ".join(words[j1:j2])
        kinds |= {kind for kind, pattern in MARKERS.items()
                  if pattern.search(added) and not pattern.search(replaced)}
        with_next = " ".join(words[j1:j2 + 1])  # "by" added + the copied "discarding"
        if _ADDED_MEANS_RE.search(added) and _MEANS_RE.search(with_next) \
                and not _MEANS_RE.search(replaced):
            kinds.add("cause")
    return sorted(kinds)


# words that make what follows them a condition, not a fact ("begins when the errors
# become small")
_CONDITION_WORDS = frozenset("when whenever if whether unless once until".split())
CONDITION_BEFORE = 3  # sentence words just before the copied stretch that may frame it


def copies_a_condition(claim: str, sentences: list[str]) -> bool:
    """Whether the claim copies a stretch of a sentence (``COPIED_SHARE`` of its words, in
    order) that the sentence gives as a condition ("The compression phase begins *when*
    the training errors become small …" → "The paper demonstrates that the training
    errors become small …"), and says no such word itself: it states as a fact what the
    paper makes the condition of something else."""
    words = _WORD_RE.findall(claim.lower())
    if len(words) < 6 or _CONDITION_WORDS & set(words):
        return False
    for sentence in sentences:
        theirs = _WORD_RE.findall(sentence.lower())
        matcher = SequenceMatcher(None, theirs, words, autojunk=False)
        blocks = [b for b in matcher.get_matching_blocks() if b.size >= 3]  # the stretch
        if not blocks or sum(b.size for b in blocks) < COPIED_SHARE * len(words):
            continue
        before = theirs[max(0, blocks[0].a - CONDITION_BEFORE):blocks[0].a]
        if _CONDITION_WORDS & set(before):
            return True
    return False


# the means a claim gives, up to the end of its clause ("by introducing a shared
# representation across layers")
_MEANS_CLAUSE_RE = re.compile(r"\bby\s+(\w+ing\b[^,;:.()]*)", re.I)
MEANS_WORDS_LEAST = 3  # content words a means needs before it is held to the sentences
MEANS_HELD_SHARE = 0.5  # of those, at least this share in the sentences it rests on


def unheld_means(claim: str, sentences: list[str]) -> bool:
    """Whether the claim says how ("… adds inductive bias by introducing a shared
    representation across different layers") in words the sentences it rests on mostly
    lack: the means is the claim's own, however well the rest matches ("… can be trained
    using inductive biases from another architecture")."""
    for match in _MEANS_CLAUSE_RE.finditer(claim):
        means, held = bm25_tokenize([match.group(1), " ".join(sentences)])
        wanted = set(means)
        if len(wanted) >= MEANS_WORDS_LEAST \
                and len(wanted & set(held)) < MEANS_HELD_SHARE * len(wanted):
            return True
    return False


def _near(words: list[str], start: int, end: int, most: int, before: bool) -> list[str]:
    """The sentence's words an added stretch replaces, at most ``most`` of them: at the
    claim's start they are the ones just before the copied part, elsewhere the first."""
    return words[max(start, end - most):end] if before else words[start:min(end, start + most)]


# a conclusion the claim draws from what it reports (", indicating that early extubation is
# indeed the goal", ", which suggests that some patients …"): the paper must draw it
_INFERENCE_RE = re.compile(r"(?:,\s*(?:indicating|suggesting|showing|demonstrating|implying|"
                           r"highlighting)|\bwhich\s+(?:indicates|suggests|shows|demonstrates|"
                           r"implies|highlights|means))\s+(?:that\s+)?"
                           r"((?:[^.;]|\.(?=\d)|\b(?:e\.g|i\.e|vs|al)\.)+)", re.I)
INFERENCE_HELD_SHARE = 0.6  # of the conclusion's content words, at least this share in the paper


def unheld_inference(claim: str, paper: list[str]) -> bool:
    """Whether the claim ends on a conclusion of its own: what follows "indicating",
    "suggesting", "which shows" … is in words the paper (title and sentences, anywhere:
    an abstract gives its conclusion apart from its results) mostly lacks. The small model
    adds such a conclusion to a true report ("… lower mortality (1% vs 9%), indicating
    that early extubation is indeed the goal for children"); the reading passes the
    report and with it the conclusion."""
    for match in _INFERENCE_RE.finditer(claim):
        drawn, held = bm25_tokenize([match.group(1), " ".join(paper)])
        wanted = set(drawn)
        if wanted and len(wanted & set(held)) < INFERENCE_HELD_SHARE * len(wanted):
            return True
    return False
