"""The numbers an abstract reports, found by rule: each with its exact text, place, value
and unit.

This is the safety net under the model's extraction: the model only chooses among these
candidates and names what they measure, so every value a results table shows is a span
of its quoted sentence by construction (never a number the model wrote). Numbers that
are not quantities are left out here: years, parts of names (CIFAR-10, GPT-3, 3D),
citations and enumerators, table and stage labels, ratios like 1:2, powers, counts of the
set-up ("14 datasets", "5 GPUs"), and the bounds of a confidence interval or a ± spread
(they belong to the estimate before them). A number in scientific notation ("2.1 x
10(-5)") is one value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from assistant.answer.evidence import split_sentences
from assistant.answer.numerals import ONES, WORD_NUMBER_RE, word_value

_NUMBER_RE = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+", re.ASCII)
# "2.1 x 10(-5)", "3 × 10^-4", "1.2×10^{6}": one value
_SCIENTIFIC_RE = re.compile(r"(\d+(?:\.\d+)?)\s?[x×]\s?10\s?(?:\^\s?\{?|\()\s?([-−]?\d+)\s?[})]?",
                            re.ASCII)
_LONGEST = 30  # digits: a longer "number" is an identifier or noise, not a quantity
_MAGNITUDES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_GLUED_MULTIPLIERS = {"k": 1e3, "K": 1e3, "M": 1e6, "B": 1e9}  # "30m" is metres
# what may be glued to a number and still leave it a quantity ("4.23%", "2.3x", "24M",
# "30fps"); anything else glued ("3D", "B0", "v2") makes it part of a name
_GLUED = re.compile(r"(\\?%|×|x|times|fold|fps|ms|s|h|min|mm|cm|km|kg|mg|ml|g|gb|mb|tb|w|kw|"
                    r"m|b|k|°c?|°f?|pp)(?![A-Za-z0-9])", re.IGNORECASE)
# units written after a space ("178 fps", "10 W", "14 mg/dL")
_UNIT_WORDS = frozenset("""
% percent percentage fps frames ms milliseconds s sec seconds min minutes h hours hrs days
weeks months years yr w watts kw mw times fold x × tokens parameters params flops gflops
tflops macs gb mb kb tb points pp mm cm m km kg g mg ml l db hz khz mhz ghz px pixels
images epochs layers patients subjects participants cases children women men adults eyes
procedures specimens samples nodes papers mmhg bpm
""".split())
# things a paper counts without measuring them ("14 downstream datasets", "50 pre-trained
# models", "5 GPUs"): the size of a study's set-up, never one of its results
_COUNT_NOUNS = re.compile(
    r"^\s?(?:[\w-]+\s+){0,2}?(?:datasets?|benchmarks?|tasks?|models?|languages?|domains?|"
    r"baselines?|architectures?|sub-?networks?|gpus?|tpus?|classes|categories|layers?|"
    r"centres?|centers?|hospitals?|clinics?|sites?|countries|questions?|items?|"
    r"experiments?|runs?|seeds?|folds?|versions?|variants?|groups?|arms?|practices?|"
    r"wards?)\b", re.IGNORECASE)
# words before a number that make it a label, not a quantity ("Table 3", "stage 2")
_LABEL_WORDS = frozenset("""
table tables figure figures fig section sections eq equation appendix chapter type types
grade grades stage stages group groups phase experiment experiments class level levels
step version arm arms lemma theorem model cohort wave round trial study
""".split())
_QUALIFIERS = re.compile(
    r"(?:(?P<op>[<>≤≥=]|<or =|>or =)|\b(?P<word>up to|over|about|around|approximately|"
    r"nearly|almost|more than|less than|at least|at most|as many as|only|roughly|"
    r"under|above|below))\s*$", re.IGNORECASE)
# a bound of an interval: only numbers and separators between its keyword and it
_SPREAD_BEFORE = re.compile(r"(?:\bCI\b|confidence interval|\bIQR\b|\bSD\b|"
                            r"interquartile range)[\s\d.,:;=%\-–—]*(?:to\s*)?$", re.IGNORECASE)
_URL_RE = re.compile(r"(?:https?://|www\.)\S+|\S{1,200}\.(?:com|org|io|net)\S*"
                     r"|(?=\S{0,200}[A-Za-z])\S{0,200}[/_]\S{0,200}[/_]\S*")
# a number that is part of a time point naming an outcome ("5-year survival", "30 day
# mortality", "2- and 5-year rates"): when it was measured, not what was found
_TIME_POINT = re.compile(r"(?:-|\s)(?:year|month|week|day|hour)\s+[a-z]|-\s+(?:and|or|to)\s+\d",
                         re.IGNORECASE)
# a word numeral is a reported figure only in these company: "Forty percent",
# "Five patients died (4%)", "Four out of 244", "Twenty-four of 90"
_WORD_FIGURE_AFTER = re.compile(r"\s+percent\b|(?:\s+[A-Za-z-]+){0,2}\s+\(\d[\d.]*\s?%"
                                r"|\s+(?:out\s+)?of\s+\d", re.IGNORECASE)
# a sentence opening with a word numeral and whom it counts ("Sixteen patients failed",
# "Four cases developed necrosis") reports how many had an outcome
_SUBJECTS_AFTER = re.compile(
    r"(?!\s+(?:hundred|thousand|million)\b)(?:\s+[A-Za-z-]+)?\s+(?:patients|cases|subjects|"
    r"participants|children|women|men|adults|infants|eyes|isolates|specimens|samples|"
    r"respondents|families|mothers|individuals|people|persons|animals|mice|rats)\b",
    re.IGNORECASE)
_YEAR = range(1900, 2040)
# a figure stated relative to another (an improvement, a speed-up, a reduction): words
# just before or after it
_RELATIVE_BEFORE = re.compile(r"(improv\w*|gains?|reduc\w*|sav\w*|speed-?ups?|increas\w*|"
                              r"decreas\w*|by|of)\s+(\w+\s+){0,2}$", re.IGNORECASE)
_RELATIVE_AFTER = re.compile(r"^\s*(\w+\s+){0,2}(faster|slower|fewer|less|more|higher|"
                             r"lower|better|smaller|larger|improvement|gain|reduction|"
                             r"speed-?up|over(?!\s+\d)|than|steeper)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Candidate:
    """One number of an abstract: ``text`` is exactly ``abstract[start:end]``."""

    n: int
    sentence_index: int
    sentence: str
    text: str
    start: int  # offset in the abstract
    end: int
    value: float
    unit: str = ""
    qualifier: str = ""
    sentence_start: int = 0
    relative: bool = False  # stated against another: "2.3x fewer", "improvements of 21.7%"

    @property
    def offset(self) -> int:
        """Where the value starts in its sentence."""
        return self.start - self.sentence_start

    def to_dict(self) -> dict:
        return {"n": self.n, "text": self.text, "value": self.value, "unit": self.unit,
                "qualifier": self.qualifier, "sentence": self.sentence,
                "start": self.start, "end": self.end}


def sentence_spans(abstract: str) -> list[tuple[int, str]]:
    """Each sentence of the abstract with where it starts (the splitter strips them)."""
    spans, cursor = [], 0
    for sentence in split_sentences(abstract):
        at = abstract.find(sentence, cursor)
        if at < 0:  # cannot happen with a stripping splitter; kept safe
            continue
        spans.append((at, sentence))
        cursor = at + len(sentence)
    return spans


def _to_float(number: str) -> float:
    return float(number.replace(",", ""))


def _is_name_part(text: str, start: int) -> bool:
    """Whether the number at ``start`` is glued to letters before it (CIFAR-10, GPT-3,
    v2, F1, Top-1) or is a citation/enumerator/ratio part."""
    before = text[:start]
    if re.search(r"[A-Za-z]\([-−]?$", before):
        return True  # a unit's exponent: "ml(-1)", "kg/m(2)"
    if before[-1:] in ("x", "×") and (len(before) < 2 or not before[-2].isalnum()):
        return False  # "x21 faster"
    if before[-1:] == "/" and before[-2:-1].isdigit():
        return False  # "43/66", "0.967/0.947"
    if before.endswith(("-", "‐", "–")):
        prev = before[:-1]
        return bool(prev) and (prev[-1].isalpha())  # "18-65" is a range, "GPT-3" a name
    if before and (before[-1].isalnum() or before[-1] in "._/:'^@"):
        return True  # "Hits@20", "59.5@5%": the second number is a setting of the first
    return bool(re.search(r"\d:$", before))


def _unit_after(text: str, end: int) -> tuple[str, int, float]:
    """The unit glued or written after a number, where the value's text ends, and the
    multiplier a magnitude word or letter gives ("14 million", "24M")."""
    rest = text[end:]
    glued = _GLUED.match(rest)
    if glued:
        unit = glued.group(1).replace("\\", "")
        multiplier = _GLUED_MULTIPLIERS.get(unit, 1.0)
        label = unit if unit in ("M", "B", "K", "%") else unit.lower()
        return label, end + glued.end(), multiplier
    if rest[:1].isalpha():
        return "?", end, 1.0  # glued to other letters: a name ("3D", "7B0")
    word = re.match(r"(\s?)(%|×|[A-Za-z](?:[A-Za-z/\-]|\(\w+\))*[A-Za-z)]|[A-Za-z])", rest)
    if not word:
        return "", end, 1.0
    token = word.group(2)
    if token.endswith(")") and "(" not in token:
        token = token[:-1]  # "1.58 mmol/l)": the bracket closes the sentence's, not the unit's
    if token.lower() in _MAGNITUDES:
        return token.lower(), end + word.end(), _MAGNITUDES[token.lower()]
    if token == "%" or token.lower() in _UNIT_WORDS or ("/" in token and len(token) <= 12):
        return token, end, 1.0
    return "", end, 1.0


def _excluded(text: str, start: int, end: int, number: str, unit: str,
              sentence_start: int) -> bool:
    """A number that is no quantity: a year, a label's number, a citation, an
    enumerator, the 95 of "95% CI", a bound of a spread, a URL's digits."""
    before = text[max(sentence_start, start - 60):start]
    after = text[end:end + 12]
    if unit == "?":
        return True
    if len(number) == 4 and number.isdigit() and int(number) in _YEAR and not unit:
        return True
    if re.match(r"\s?%\s*(CI|confidence)", after, re.IGNORECASE):
        return True
    if unit in ("", "?") and _COUNT_NOUNS.match(text[end:end + 40]):
        return True
    if unit in ("K", "M", "B") and re.search(r"\b[A-Z][a-z]+[A-Z]\w*\s$", before):
        return True  # a dataset's name: "MovieLens 100K"
    word = re.search(r"([A-Za-z]+)(\.?)\s*$", before)
    if word and word.group(1).lower() in _LABEL_WORDS and not unit and (
            not word.group(2) or word.group(1).lower() in ("fig", "eq")):
        return True
    small = number.isdigit() and len(number) <= 2
    if small and re.search(r"[(\[]\s*$", before) and re.match(r"\s*[)\]]", after):
        return True  # "(1)", "[12]"
    if small and re.search(r"(?:^|[;:]\s|\s)$", before) and re.match(r"\)\s+[A-Za-z]", after) \
            and not re.search(r"[=<>≤≥]\s*$", before):
        return True  # "1) ..."
    if _TIME_POINT.match(text, end):
        return True  # "5-year survival", "30 day mortality", "2- and 5-year": a setting
    if re.match(r"\s?:\s?\d", after):
        return True  # a ratio "1:2"
    if after.startswith("^") or re.search(r"\^[{(]?[-−]?$", before):
        return True  # a power "10^{19}": a count of possibilities, never a result
    opened = before.rfind("(") > before.rfind(")")
    if (opened and _SPREAD_BEFORE.search(before[before.rfind("("):])) \
            or _SPREAD_BEFORE.search(before[-30:]) or re.search(r"(±|\+/-)\s*$", before):
        return True
    if re.match(r"\s+(?:out\s+)?of\s+(?:the\s+)?\d+\s+(?:groups?|arms?|clinics?|practices?|"
                r"sites?|centres?|centers?|hospitals?)\b", after, re.IGNORECASE):
        return True  # "1 of 3 groups": which one, not how many
    return False


_MAGNITUDE_RE = re.compile(r"\b(an|one|two|three|four|five)\s+orders?\s+of\s+magnitude\b",
                           re.IGNORECASE)


def _word_numbers(sentence: str, at: int) -> list[tuple[int, int, float, str]]:
    """Word numerals that report a figure: (start, end, value, unit) in the abstract."""
    found = [(at + m.start(), at + m.end(),
              1.0 if m.group(1).lower() in ("an", "one") else
              float(ONES.index(m.group(1).lower())), "orders of magnitude")
             for m in _MAGNITUDE_RE.finditer(sentence)]
    for match in WORD_NUMBER_RE.finditer(sentence):
        after = _WORD_FIGURE_AFTER.match(sentence, match.end()) or (
            match.start() == 0 and _SUBJECTS_AFTER.match(sentence, match.end()))
        if after:
            percent = after.group(0).strip().lower() == "percent"
            end = after.end() if percent else match.end()
            found.append((at + match.start(), at + end, float(word_value(match)),
                          "%" if percent else ""))
    return found


def _relative(sentence: str, offset: int, text: str, unit: str) -> bool:
    """Whether a figure is stated against another ("2.3x fewer", "improvements of
    21.7%", "1.5x faster than"), not as a level of its own."""
    if unit in ("x", "×", "times", "fold"):
        return True
    before, after = sentence[:offset], sentence[offset + len(text):]
    if re.search(r"\b(?:to|from|at)\s+$", before, re.IGNORECASE):
        return False  # "improved to 85%", "reduced latency to 12 ms": a level reached
    word = _RELATIVE_BEFORE.search(before)
    return bool(_RELATIVE_AFTER.match(after)) or bool(
        word and word.group(1).lower() not in ("by", "of")) or bool(
        re.search(r"(improv\w*|gains?|reduc\w*|speed-?ups?|increas\w*|decreas\w*)\s+"
                  r"(?:\w+\s+){0,3}(?:by|of)\s+$", before, re.IGNORECASE))


def _mark_relative(found: list[Candidate]) -> list[Candidate]:
    """Each candidate's ``relative``; a figure listed right after a relative one in the
    same unit is relative too ("improvements of 21.7% in AbsRel, 36.8% in SqRel")."""
    out: list[Candidate] = []
    for c in found:
        relative = _relative(c.sentence, c.offset, c.text, c.unit)
        prev = out[-1] if out else None
        if prev and prev.relative and prev.sentence_index == c.sentence_index \
                and prev.unit == c.unit and re.fullmatch(
                    r"[^.;]{0,40}?(,|\band)\s*", c.sentence[prev.offset + len(prev.text):c.offset]):
            relative = True
        out.append(replace(c, relative=relative))
    return out


def find_candidates(abstract: str) -> list[Candidate]:
    """Every quantity the abstract states, numbered from 1 in reading order."""
    urls = [m.span() for m in _URL_RE.finditer(abstract)]
    found: list[Candidate] = []
    for sentence_index, (at, sentence) in enumerate(sentence_spans(abstract)):
        powers = []
        for match in _SCIENTIFIC_RE.finditer(sentence):
            start, end = at + match.start(), at + match.end()
            powers.append((start, end))
            exponent = int(match.group(2).replace("−", "-"))
            if abs(exponent) <= 300:
                found.append(Candidate(
                    n=0, sentence_index=sentence_index, sentence=sentence,
                    text=abstract[start:end], start=start, end=end,
                    value=float(match.group(1)) * 10.0 ** exponent, sentence_start=at))
        for match in _NUMBER_RE.finditer(sentence):
            start, end = at + match.start(), at + match.end()
            if any(a <= start < b for a, b in urls + powers) \
                    or _is_name_part(abstract, start) or len(match.group()) > _LONGEST:
                continue
            number = match.group()
            unit, text_end, multiplier = _unit_after(abstract, end)
            if _excluded(abstract, start, end, number, unit, at):
                continue
            sign_start = start
            if start >= 1 and abstract[start - 1] in "+-−x×" and (
                    start < 2 or abstract[start - 2] in " \t\n([=:;,~"):
                sign_start = start - 1  # a sign, or the "x" of "x21 faster"
                if abstract[sign_start] in "x×":
                    unit = unit or "x"
            value = _to_float(number) * multiplier
            if sign_start < start and abstract[sign_start] in "-−":
                value = -value
            qualifier = _QUALIFIERS.search(abstract[max(at, sign_start - 20):sign_start])
            candidate = Candidate(
                n=0, sentence_index=sentence_index, sentence=sentence,
                text=abstract[sign_start:text_end], start=sign_start, end=text_end,
                value=value, unit=unit,
                qualifier=(qualifier.group(0).strip() if qualifier else ""),
                sentence_start=at)
            found.append(candidate)
        for start, end, value, unit in _word_numbers(sentence, at):
            found.append(Candidate(n=0, sentence_index=sentence_index, sentence=sentence,
                                   text=abstract[start:end], start=start, end=end,
                                   value=value, unit=unit, sentence_start=at))
    found.sort(key=lambda c: c.start)
    return _mark_relative([replace(c, n=i) for i, c in enumerate(found, 1)])
