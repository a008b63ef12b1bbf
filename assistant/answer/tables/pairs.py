"""What the words around a number say it is, whatever kind the model gave it. Numbers of
one sentence that belong together, read from the words between them: the denominator of
"X of N", "X/N", "X out of N" (how many were counted in, never a result of its own), a
count with the share it is written with ("24 patients (21%)", "43 of the 66 (65%)",
"(n = 372, 53.5%)", "21% (24/114)"), which state one finding twice, and the bounds of a
spread ("range 2-57"); and a number the study sets rather than finds (a threshold, a
significance level, who entered, a follow-up time, a time point).

A small model sorts such numbers inconsistently (the share a result, its count a
"size"); :mod:`.verify` uses these relations to keep pairs together and to drop the
rest."""

from __future__ import annotations

import re

from assistant.answer.numerals import WORD_NUMBER_RE
from assistant.answer.tables.candidates import Candidate

# between X and N of "X of N", "X of the N", "X cases out of N", "X/N"
_OF = re.compile(r"\s*(?:(?:[A-Za-z-]+\s+){0,2}(?:out\s+)?of(?:\s+the|\s+all)?|/)\s*",
                 re.IGNORECASE)
# between a count and the share right after it: "24 patients (21%", "43 of the 66 (65%"
_COUNT_THEN_SHARE = re.compile(r"\s*(?:[A-Za-z-]+\s+){0,3}\(\s*", re.IGNORECASE)
# a count and its share in one bracket: "(n = 372, 53.5%", "(372, 53.5%"
_BRACKET_OPEN = re.compile(r"\(\s*(?:n\s*=\s*)?$", re.IGNORECASE)
_LISTED = re.compile(r"\s*[,;]\s*")
# between a share and the count right after it: "21% (24/114)", "53.5% (n = 372)"
_SHARE_THEN_COUNT = re.compile(r"\s*\(\s*(?:n\s*=\s*)?", re.IGNORECASE)


def _between(first: Candidate, second: Candidate, across: bool = False) -> str | None:
    """The sentence's text between two candidates of it (None across sentences; with
    ``across``, also across one sentence break, which the splitter may have put after
    an abbreviation: "15.5 microm per S.D. (2-29)")."""
    if second.start < first.end:
        return None
    if first.sentence_index == second.sentence_index:
        return first.sentence[first.end - first.sentence_start:second.offset]
    if across and first.sentence_index + 1 == second.sentence_index:
        return f"{first.sentence[first.end - first.sentence_start:]} " \
            f"{second.sentence[:second.offset]}"
    return None


# whom a count counts: the only units a count may have
_WHOM = frozenset("patients subjects participants cases children women men adults eyes "
                  "procedures specimens samples".split())


def _is_count(c: Candidate) -> bool:
    return (not c.unit or c.unit.casefold() in _WHOM) and not c.relative \
        and c.value >= 0 and float(c.value).is_integer()


def _is_share(c: Candidate) -> bool:
    return c.unit in ("%", "percent") and not c.relative


def denominators(candidates: list[Candidate]) -> dict[int, int]:
    """The id of each denominator, with the id of the count it divides ("43 of the 66":
    66 → 43)."""
    out = {}
    for first, second in zip(candidates, candidates[1:], strict=False):
        between = _between(first, second)
        if between is not None and _is_count(first) and _is_count(second) \
                and _OF.fullmatch(between) and second.value >= first.value:
            out[second.n] = first.n
    return out


def shares(candidates: list[Candidate]) -> dict[int, int]:
    """Counts and the shares written with them, both ways (count id ↔ share id): the
    same finding as a number and as a percentage."""
    under = denominators(candidates)
    out: dict[int, int] = {}
    for i, c in enumerate(candidates):
        if not _is_share(c):
            continue
        before = candidates[i - 1] if i else None
        count = candidates[i - 2] if before and before.n in under and i >= 2 else before
        between = _between(before, c) if before else None
        if between is not None and count and _is_count(count) and count.n not in under and (
                _COUNT_THEN_SHARE.fullmatch(between) or (
                    count is before and _LISTED.fullmatch(between)
                    and _BRACKET_OPEN.search(count.sentence[:count.offset]))):
            out[count.n], out[c.n] = c.n, count.n
            continue
        if i + 1 < len(candidates):
            after = candidates[i + 1]
            between = _between(c, after)
            if between is not None and _is_count(after) and after.n not in under \
                    and _SHARE_THEN_COUNT.fullmatch(between):
                out[after.n], out[c.n] = c.n, after.n
    return out


# between the two sides of a comparison: "68% vs 44%", "63% versus 87%"
_VERSUS = re.compile(r"\s*(?:vs\.?|versus|v\.)\s*", re.IGNORECASE)
# a p-value written after the comparison, in the same bracket or clause: "; p = 0.020"
_P_AFTER = re.compile(r"[^;()]{0,20}?[;,]?\s*\(?\s*p\s*(?:-?\s*value\s*)?(?:[<>=≤≥]|<or =)",
                      re.IGNORECASE)


def compared(candidates: list[Candidate]) -> set[int]:
    """The ids of the two sides of a comparison that a p-value tests ("(68% vs 44%;
    p = 0.020)"): the groups' figures the test compared, findings whatever kind a
    model gives them."""
    out = set()
    for first, second in zip(candidates, candidates[1:], strict=False):
        between = _between(first, second)
        if between is not None and _VERSUS.fullmatch(between) and _P_AFTER.match(
                second.sentence, second.offset + len(second.text)):
            out |= {first.n, second.n}
    return out


# what writes a range or an interval right before its bounds: "(range 2-57 days)",
# "[95% confidence interval (CI): 0.5-5.5]", "IQR 3 to 9"
# (not "ranged from 0.86 to 0.92", where the range is the finding itself)
_INTERVAL_BEFORE = re.compile(r"\b(?:range|CI|confidence intervals?|IQR|interquartile "
                              r"ranges?)\W{0,4}(?:(?:of|was|were|is)\s*)?$", re.IGNORECASE)
_INTERVAL_DASH = re.compile(r"\s*(?:-|–|to)\s*")
# a count after one of these is a threshold of the study's definitions ("at least 1
# polyp", "more than 150 scans", "as many as 3 reminders"), not a finding
_THRESHOLD_QUALIFIERS = frozenset(("at least", "more than", "less than", "at most", "up to",
                                   "as many as", ">", "<", "≥", "≤", ">or =", "<or ="))
# a bracketed bound right after the word it defines: "elevated (>90 bpm)",
# "(reference group: >1000 min)" (not "(p<0.05)")
_DEFINED_BY_BEFORE = re.compile(r"(?:[A-Za-z]{3,}\s*\(|reference(?: group| category)?\s*:?)\s*"
                                r"(?:[<>≤≥]|<or =|>or =)\s*$", re.IGNORECASE)
# "p-value<0.05 as statistical significant", "P < .05 was considered significant"
_SIGNIFICANCE_LEVEL = re.compile(r"\b(?:considered|regarded|defined|set at|taken as|as "
                                 r"statistical(?:ly)?|level of|threshold)\b", re.IGNORECASE)


def bounds(candidates: list[Candidate]) -> set[int]:
    """The ids of numbers that bound a range or an interval written as one ("range
    2-57", "CI: 0.5-5.5"), or bracketed right after the figure they surround ("46.0
    years (44.9-48.1)", "16.5 mm(2) (-4.6 to 38.5)"), and a standard deviation written
    after its figure ("0.221 (st.dev. 0.019)"): the spread of a figure, not a figure."""
    out = set()
    for i, (first, second) in enumerate(zip(candidates, candidates[1:], strict=False)):
        between = _between(first, second)
        if between is None or not _INTERVAL_DASH.fullmatch(between):
            continue
        if _INTERVAL_BEFORE.search(first.sentence[:first.offset]) \
                or _brackets_estimate(candidates[:i], first, second) \
                or _defines_category(first, second):
            out |= {first.n, second.n}
    for before, c in zip(candidates, candidates[1:], strict=False):
        between = _between(before, c, across=True)
        if between is not None and _DISPERSION_BEFORE.search(between):
            out.add(c.n)  # "0.221 (st.dev. 0.019)": the SD of the figure before it
    return out


# an opening bracket after a figure and at most a few words ("46.0 years (", "15.5
# microm per S.D. (", "16.5 mm(2) (")
_ESTIMATE_THEN_BRACKET = re.compile(r"\s*(?:[^\s()]+\s+){0,4}?(?:[^\s()]*\(\d\)\s*)?\(\s*$")


def _defines_category(first: Candidate, second: Candidate) -> bool:
    """Whether "first-second" is one of several ranges in one bracket (the bins of a
    variable: "(5-250 min; 251-500 min and 751-1000 min)") or a bracketed span of time
    right after a word ("an early (4 to 6 wk) colonoscopy"): a category or window the
    study set, not a figure it found."""
    opened = first.sentence.rfind("(", 0, first.offset)
    if opened < 0 or first.sentence.rfind(")", 0, first.offset) > opened:
        return False
    closed = first.sentence.find(")", first.offset)
    inside = first.sentence[opened:closed if closed >= 0 else len(first.sentence)]
    if len(_RANGE.findall(inside)) >= 2:
        return True
    tail = second.sentence[second.offset + len(second.text):]
    word = re.match(r"\s*([A-Za-z]*)", tail).group(1).casefold()
    return (second.unit.casefold() or word) in _TIME_UNITS and inside.lstrip("( ").startswith(
        first.text) and bool(re.match(r"\s*[A-Za-z]*\s*\)", tail)) \
        and bool(re.search(r"[A-Za-z]\s*\($", first.sentence[:opened + 1]))


_RANGE = re.compile(r"\d+(?:\.\d+)?\s*(?:-|–|to)\s*\d+")


def _brackets_estimate(earlier: list[Candidate], first: Candidate, second: Candidate) -> bool:
    """Whether "(first-second)" is the interval of the figure just before it: the
    bracket closes right after ``second``, and that figure, a few words before the
    bracket, lies between the two (an estimate lies inside its interval)."""
    if not re.match(r"\s*[)\]]", second.sentence[second.offset + len(second.text):]) \
            or not first.value <= second.value:
        return False
    estimate = earlier[-1] if earlier else None
    between = _between(estimate, first, across=True) if estimate else None
    return between is not None and bool(_ESTIMATE_THEN_BRACKET.fullmatch(between)) \
        and first.value <= estimate.value <= second.value


# a count of who entered the study: "69 cases were included", "120 patients were enrolled",
# "69 cases (24%) were included"
_ENTERED = re.compile(r"\s*(?:[A-Za-z-]+\s+){0,3}(?:\([^()]{0,20}\)\s*)?(?:(?:were|was|had been)"
                      r"\s+(?:included|enrolled|recruited|randomi[sz]ed|eligible|screened|"
                      r"selected|studied|analy[sz]ed)|participated|took part)\b", re.IGNORECASE)
# who they were, not what happened to them: "205 (55.4%) were boys", "(13% were black)"
_DEMOGRAPHIC_AFTER = re.compile(r"\s*(?:\([^()]{0,12}\)|\))?\s*(?:were|was)\s+(?:boys|girls|males?|"
                                r"females?|men|women|black|white|Hispanic|Asian|married|"
                                r"smokers)\b", re.IGNORECASE)
_TIME_UNITS = frozenset("min minutes minute h hours hour hrs days weeks months years day week "
                        "month year mo yr wk".split())
_FOLLOW_UP_BEFORE = re.compile(r"\bfollow-?up\b[^.;]{0,40}$", re.IGNORECASE)
# a time point or window of the design: "at 24 months", "within 24 months of stopping",
# "during the first 24 hours", "at 60 min of reperfusion"
# (not "after": "a recurrence after 42 months" is when an event happened, a finding)
_WHEN_BEFORE = re.compile(r"\b(?:at|within|before|for|from|during|over)\s+(?:the\s+)?"
                          r"(?:first\s+|last\s+|initial\s+)?$", re.IGNORECASE)


# the members of a list before its last: "at 12, 24 and 36 months" (12 and 24 are months)
_LIST_AFTER = re.compile(r"(?:\s*,\s*\d+(?:\.\d+)?)*\s*,?\s*(?:and|or)\s+\d+(?:\.\d+)?\s*-?\s*"
                         r"([A-Za-z]+)")
_LIST_BEFORE = re.compile(r"(?:\d+(?:\.\d+)?\s*(?:,\s*(?:(?:and|or)\s+)?|(?:and|or)\s+))+$",
                          re.IGNORECASE)


def without_list(before: str) -> str:
    """The text before a list's first member, for a later member ("P = 0.002 and" of
    "P = 0.002 and 0.001"; "at 12, 24 and" of "at 12, 24 and 36 months")."""
    return _LIST_BEFORE.sub("", before)


# "over" that says when ("improvement over 36 months"), not how much ("by over 2 days")
_HOW_MUCH_OVER = re.compile(r"\b(?:by|of|was|were|is|are|than|to|for)\s+over\s+$", re.IGNORECASE)
_FOLLOW_UP_AFTER = re.compile(r"^\s*-?\s*[A-Za-z]*\s*follow-?up", re.IGNORECASE)
# the count of "five of the 18 patients": its numerator is written in words
_WORD_COUNT_OF = re.compile(WORD_NUMBER_RE.pattern + r"\s+(?:[A-Za-z-]+\s+)?(?:out\s+)?of"
                            r"\s+(?:the\s+|all\s+)?$", re.IGNORECASE)
# a spread written as a standard deviation in brackets: "(SD 4.1)", "(st.dev. 0.019)"
# (the splitter may have cut the sentence after the abbreviation: see :func:`bounds`)
_DISPERSION_BEFORE = re.compile(r"\(\s*(?:\b(?:s\.\s?d|st\.?\s?dev|std\.?(?:\s?dev)?)\.?|"
                                r"\bSD|standard deviation)\s*[:=]?\s*$", re.IGNORECASE)
# the 1 of "1 - c-index", "1 − specificity": part of the quantity's name
_FORMULA_AFTER = re.compile(r"\s*[-−–]\s*[A-Za-z]")
# the 2 of "BRCA1/2", "DQ2/8": a second member of a name with a number
_NAME_VARIANT_BEFORE = re.compile(r"\b[A-Z][A-Za-z-]*\d+/$")
# a dummy code of a variable: "(women = 0, men = 1)"
_CODE_BEFORE = re.compile(r"\b[A-Za-z-]+\s*=\s*$")


def _time_unit(candidate: Candidate, after: str) -> str:
    """The time unit a number counts, its own or, for a member of a list, the last
    member's ("12" of "at 12, 24 and 36 months")."""
    unit = candidate.unit.casefold()
    if not unit and (listed := _LIST_AFTER.match(after)):
        unit = listed.group(1).casefold()
    return unit if unit in _TIME_UNITS else ""


def _when(candidate: Candidate, before: str, after: str) -> str:
    """Why a time is one the study chose ("at 24 months", "12, 24 and 36 month
    follow-up", "over 36 months"), or ""."""
    if not _time_unit(candidate, after):
        return ""
    if (candidate.relative and candidate.qualifier.casefold() != "over") \
            or _HOW_MUCH_OVER.search(before):
        return ""
    before = without_list(before)
    listed = _LIST_AFTER.match(after)  # after a list's last member: "… 36 month follow-up"
    if _FOLLOW_UP_BEFORE.search(before) or _FOLLOW_UP_AFTER.match(
            after[listed.start(1):] if listed else after):
        return "a follow-up time"
    if _WHEN_BEFORE.search(before):
        return "a time point (at 24 months, within 2 years …)"
    return ""


def no_finding(candidate: Candidate) -> str:
    """Why a number is a condition of the study rather than its finding, or "": a count
    bounded by "at least" / "more than" (a threshold of a definition), a share one is
    held "within" (a tolerance), the significance level a p-value is held to, a count of
    who entered the study ("69 cases were included"), the N of "five of the 18", a dummy
    code ("women = 0, men = 1"), how long they were followed, or when something was
    measured ("at 3 months", "within 24 months of stopping", each member of "at 12, 24
    and 36 months"), a bracketed bound that defines a group ("elevated (>90 bpm)"), who
    the subjects were ("205 (55.4%) were boys"), a standard deviation, the 1 of "1 -
    c-index", the 2 of "BRCA1/2"."""
    after = candidate.sentence[candidate.offset + len(candidate.text):]
    before = candidate.sentence[:candidate.offset]
    if _is_count(candidate) and candidate.qualifier.casefold() in _THRESHOLD_QUALIFIERS:
        return "a threshold (at least, more than …)"
    if _DEFINED_BY_BEFORE.search(before):
        return "a threshold that defines a group (elevated (>90 bpm) …)"
    if _is_share(candidate) and re.search(r"\bwithin\s+(?:±\s*)?$", before, re.IGNORECASE):
        return "a tolerance (within 10% …)"
    if _is_count(candidate) and _ENTERED.match(after):
        return "a count of who was studied"
    if (_is_count(candidate) or _is_share(candidate)) and _DEMOGRAPHIC_AFTER.match(after):
        return "a characteristic of who was studied (were women …)"
    if _is_count(candidate) and _WORD_COUNT_OF.search(before):
        return "a denominator (the N of X of N)"
    if candidate.value in (0, 1) and _CODE_BEFORE.search(before) \
            and re.search(r"=\s*0\b", candidate.sentence) \
            and re.search(r"=\s*1\b", candidate.sentence):
        return "a code of a variable (women = 0, men = 1)"
    if why := _when(candidate, before, after):
        return why
    if _DISPERSION_BEFORE.search(before):
        return "a standard deviation"
    if candidate.value == 1 and _FORMULA_AFTER.match(after):
        return "a constant of a formula (1 - c-index)"
    if _NAME_VARIANT_BEFORE.search(before):
        return "part of a name (BRCA1/2)"
    if candidate.qualifier in ("<", "≤", "<or =") and candidate.value <= 0.1 \
            and re.search(r"signific", candidate.sentence, re.IGNORECASE) \
            and _SIGNIFICANCE_LEVEL.search(candidate.sentence):
        return "a significance level"
    return ""

