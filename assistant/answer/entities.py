"""What a claim states that a paper must state too, found by rule: numbers, names of
methods, models and datasets, and the words that turn a finding around ("not", "only",
"because").

The claim check (:mod:`.attribution`) uses them as hard constraints on top of similarity:
a paper that reports a figure for its own detector does not support that figure for
another one, and a sentence that says a method works does not support the claim that it
does not.
"""

from __future__ import annotations

import re

from assistant.answer.numerals import WORD_NUMBER_RE, with_digits, word_value

NUMBER_RE = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*")
_TOKEN_RE = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-.][A-Za-z0-9]+)*")
# Upper-case words that name no particular method, model or dataset.
GENERIC_NAMES = frozenset("""
ai ml nlp cv llm llms gpu gpus cpu cpus tpu rgb rgbd api apis sota us usa uk eu dna rna
ii iii iv i a an the it we our this these in on of for to and or but yes no maybe not
fps map iou ms gb mb kb tb hz db pdf html url http https id ids pca svm cnn cnns rnn rnns
ok vs et al fig tab eq ie eg de la le
""".split())
# words that start a sentence or join a name without being part of one
_JOINERS = frozenset("a an the this these that our their its we it they in on of for to "
                     "and or with by from at as via".split())
# the parts of a paper a sentence may point to ("Table 3"): not names
_DOCUMENT_PARTS = frozenset("table tables figure figures fig section sections appendix "
                            "equation eq chapter".split())
# a run of capitalised words or version tokens: "NYU Depth v2", "Trained Rank Pruning"
_RUN_RE = re.compile(r"\b[A-Z][\w-]*(?:\s+(?:[A-Z][\w-]*|v?\d+(?:\.\d+)*))+")


def _canonical_number(number: str) -> str:
    return number.replace(",", "").rstrip(".")


def numbers_in(text: str) -> list[str]:
    """The numbers a text states, as written ("1,000" and "1000" compare equal)."""
    return list(dict.fromkeys(NUMBER_RE.findall(text)))


def invented_numbers(text: str, reference: str) -> list[str]:
    """Numbers in ``text`` that ``reference`` never states, in digits or in words (a
    summary's "44%" is the abstract's "Forty-four percent")."""
    known = {_canonical_number(n) for n in NUMBER_RE.findall(with_digits(reference))}
    return [n for n in numbers_in(text) if _canonical_number(n) not in known]


_UNIT_RE = re.compile(r"(?<![\w.])(\d+(?:[.,]\d+)*)\s?(%|×|x\b|[A-Za-z]+)?")
_UNIT_ALIASES = {"percent": "%", "times": "x", "×": "x", "frames": "fps", "frame": "fps",
                 "million": "m", "billion": "b", "thousand": "k"}


def _unit(word: str | None) -> str:
    word = (word or "").casefold()
    word = _UNIT_ALIASES.get(word, word)
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def number_units(text: str) -> dict[str, set[str]]:
    """Each number of a text with what follows it ("178 fps" → fps, "10 W" → w, "83.6%"
    → %): what the number counts."""
    units: dict[str, set[str]] = {}
    for match in _UNIT_RE.finditer(text):
        units.setdefault(_canonical_number(match.group(1)), set()).add(_unit(match.group(2)))
    return units


# units of measurement: a number followed by one of these counts that, and nothing else
UNITS = frozenset("% x fps ms s sec second minute hour day week month year w kw mw v hz ghz "
                  "mhz gb mb kb tb m b k param parameter flop gflop tflop mac point pp mm cm "
                  "km kg g mg ml l db px pixel image token epoch layer".split())


def misbound_numbers(claim: str, evidence: str) -> list[str]:
    """Numbers of the claim that the evidence gives for something else: the same number,
    followed in the claim by a unit of measurement and in the evidence only by other
    units ("10 fps" where the paper says "10 W"), or stated in the claim as a speed-up
    where the paper gives it as an accuracy ("a speed-up of up to 83.6%" for "83.6% on
    Top-1"), or counting another kind of thing ("three datasets" where the paper has
    "three AD settings": :data:`COUNTED`), or as another named rate ("a success rate of
    1.3%" where the paper's 1.3% is a contamination rate). Other words after a number ("3
    patient reminders") are not held."""
    stated = number_units(evidence)
    wrong = []
    for number, units in number_units(claim).items():
        claimed = units & UNITS
        given = stated.get(number, set())
        if claimed and given and given <= UNITS and not claimed & given:
            wrong.append(number)
    speeds = {_canonical_number(m.group(1)) for m in _SPEED_OF_RE.finditer(claim)}
    wrong += [n for n in sorted(speeds - set(wrong)) if _only_accuracy(n, evidence)]
    given_counts = counted(evidence)
    wrong += [n for n, things in counted(claim).items() if n not in wrong
              and given_counts.get(n) and not things & given_counts[n]]
    given_rates = named_rates(evidence)
    return wrong + [n for n, rates in named_rates(claim).items() if n not in wrong
                    and given_rates.get(n) and not rates & given_rates[n]
                    and not any(re.search(rf"\b{re.escape(r)}", evidence, re.I) for r in rates)]


# a percentage given as a named rate ("a success rate of 1.3%", "the contamination rate on
# sample basis was 1.3 %"): the claim's rate must be the evidence's for that number
_RATE_RE = re.compile(r"\b([a-z][\w-]+)\s+rates?\b(?:\s+[\w-]+){0,4}?\s+(\d+(?:[.,]\d+)*)\s*%",
                      re.I)
_UNNAMED_RATES = frozenset("the a an overall total mean average median its their this that "
                           "high low higher lower same similar comparable reduced increased "
                           "acceptable corresponding cumulative crude annual yearly monthly "
                           "daily estimated observed reported actual expected respective "
                           "combined pooled adjusted final initial".split())
# names of one rate ("mortality rate" is "death rate")
_SAME_RATE = {"death": "mortality", "fatality": "mortality", "deaths": "mortality"}


def named_rates(text: str) -> dict[str, set[str]]:
    """Each percentage of ``text`` with the word naming its rate ("success rate of 1.3%" →
    1.3: success); a rate named by no such word ("the rate was 3%") is left out."""
    found: dict[str, set[str]] = {}
    for match in _RATE_RE.finditer(text):
        word = match.group(1).lower()
        if word not in _UNNAMED_RATES and not any(c.isdigit() for c in word):
            found.setdefault(_canonical_number(match.group(2)), set()).add(
                _SAME_RATE.get(word, word))
    return found


# what an evaluation or a study counts, words for one kind of thing together: "3
# datasets" is "3 benchmarks" but not "3 AD settings"
_COUNTED_GROUPS = ("dataset benchmark corpus", "task", "setting scenario", "model baseline "
                   "method approach competitor", "language", "domain", "patient participant "
                   "subject case individual", "study trial", "center centre hospital site",
                   "video", "class category", "module component", "stage step", "metric",
                   "view", "architecture subnetwork sub-network", "parameter param weight")
COUNTED = {word: i for i, group in enumerate(_COUNTED_GROUPS) for word in group.split()}
_COUNT_RE = re.compile(r"(?<![\w.-])(?P<number>\d+(?:[.,]\d+)*|"
                       + WORD_NUMBER_RE.pattern[2:-2] + r")(?P<things>(?:\s+[\w-]+){1,3})",
                       re.I)


def counted(text: str) -> dict[str, set[str]]:
    """Each number of ``text`` (in digits or words) with the kinds of thing of
    :data:`COUNTED` among the three words after it ("evaluated under three AD settings"
    → 3: the settings' kind)."""
    found: dict[str, set[str]] = {}
    for match in _COUNT_RE.finditer(text):
        number = match.group("number")
        word = WORD_NUMBER_RE.fullmatch(number)
        value = str(word_value(word)) if word else _canonical_number(number)
        things = {w.lower().removesuffix("s") for w in match.group("things").split()}
        things = {t.removesuffix("ie") + "y" if t.endswith("ie") else t for t in things}
        kinds = {COUNTED[t] for t in things if t in COUNTED}
        if kinds:
            found.setdefault(value, set()).update(kinds)
    return found


# a number the claim states as a speed-up: "a speed-up of (up to) 83.6%", "faster by 30%"
_SPEED_OF_RE = re.compile(r"\b(?:speed-?ups?|accelerations?|faster)\s+(?:of|by)\s+"
                          r"(?:up to |about |around |over |nearly |almost )?(\d+(?:[.,]\d+)*)",
                          re.I)
_SPEED_WORD_RE = re.compile(r"\b(?:speed-?ups?|faster|slower|accelerat\w*|latency|fps|"
                            r"throughput|x|×|times)\b", re.I)
_ACCURACY_WORD_RE = re.compile(r"\b(?:accuracy|top-?[15]|ap|map|miou|f1|auc|error|precision|"
                               r"recall)\b", re.I)


def _only_accuracy(number: str, evidence: str) -> bool:
    """Whether every place ``evidence`` gives ``number`` has an accuracy word beside it
    (three words either side) and no word of speed."""
    places = [m for m in NUMBER_RE.finditer(evidence) if _canonical_number(m.group()) == number]
    for place in places:
        before = " ".join(evidence[:place.start()].split()[-3:])
        after = " ".join(evidence[place.end():].split()[:3])
        near = f"{before} {after}"
        if _SPEED_WORD_RE.search(near) or not _ACCURACY_WORD_RE.search(near):
            return False
    return bool(places)


def swapped_numbers(claim: str, sentence: str) -> list[str]:
    """Numbers of a claim that copies ``sentence`` which stand where the sentence gives
    others: the claim states a number the sentence does not and leaves out one that it
    does ("the duration was increased to 300 msec" for the sentence's "to 150 msec",
    300 being another experiment's). A claim that keeps the sentence's numbers and adds
    one from elsewhere (two sentences joined) is not a swap."""
    extra = invented_numbers(claim, sentence)
    return extra if extra and invented_numbers(sentence, claim) else []


# what makes a number an upper limit rather than a value: "<600M MACs", "less than 5
# ms", "at most 3" (not "up to 83.6%" or "over 96%": how far a result reached; not
# "under", which is as often a condition: "under 20% label noise")
_LIMIT_BEFORE = re.compile(r"(?:[<≤]=?|<or =|\b(?:at most|less than|fewer than))\s*$",
                           re.IGNORECASE)
# how a claim may write a limit in its own words ("up to 600M", "a 600M budget")
_CLAIMED_LIMIT_BEFORE = re.compile(r"(?:[<≤]=?|<or =|\b(?:at most|less than|fewer than|under|"
                                   r"below|up to|within|no more than|sub-?|budget of|limit of)"
                                   r")\s*$", re.IGNORECASE)
_CLAIMED_LIMIT_AFTER = re.compile(r"(?:\s*[A-Za-z%]+){0,2}\s+(?:or less|or fewer|budget|limit|"
                                  r"cap)\b", re.IGNORECASE)


def _limits(text: str, before: re.Pattern[str], after: re.Pattern[str] | None = None
            ) -> dict[str, bool]:
    """Each number of a text, and whether every time it is written it is a limit."""
    out: dict[str, bool] = {}
    for match in NUMBER_RE.finditer(text):
        number = _canonical_number(match.group())
        limit = bool(before.search(text[max(0, match.start() - 20):match.start()])) or bool(
            after and after.match(text, match.end()))
        out[number] = out.get(number, True) and limit
    return out


def bounds_as_values(claim: str, evidence: str) -> list[str]:
    """Numbers the evidence gives only as an upper limit ("<600M MACs", "less than 5
    ms") that the claim states as a value ("with only 600M MACs"): the paper's limit (a
    budget, a setting) is not the paper's figure."""
    given = _limits(evidence, _LIMIT_BEFORE)
    claimed = _limits(claim, _CLAIMED_LIMIT_BEFORE, _CLAIMED_LIMIT_AFTER)
    return [number for number, limit in claimed.items() if not limit and given.get(number)]


def squash(text: str) -> str:
    return re.sub(r"[\s\-_.]+", "", text.casefold())


def _acronym(word: str) -> bool:
    """A short acronym of two or three capitals (TRP, RCT, MRI), generic ones left out."""
    letters = re.sub(r"[^A-Za-z]", "", word)
    return (2 <= len(letters) <= 3 and letters.isupper() and word.isalnum()
            and letters.casefold() not in GENERIC_NAMES)


def _distinctive(word: str) -> bool:
    """A word that names one particular thing: CamelCase (FastDepth, ImageNet), letters
    with digits (YOLOv3, TX2), an acronym of four or more capitals (BERT, KITTI), or a
    short one (TRP), which a paper may also spell out (see :func:`missing_names`)."""
    letters = re.sub(r"[^A-Za-z]", "", word)
    if len(word) < 2 or letters.casefold() in GENERIC_NAMES:
        return False
    if re.fullmatch(r"[A-Za-z]\d*\.\d+", word):
        return False  # "P0.05": a p-value whose "<" was lost, not a name like "B0" or "P100"
    if letters.isupper():
        return len(letters) >= 4 or bool(re.search(r"\d", word)) or _acronym(word)
    inner_caps = any(c.isupper() for c in letters[1:])
    mixed = bool(re.search(r"\d", word)) and len(letters) >= 2
    return inner_caps or mixed


def _runs(text: str) -> list[str]:
    """Names of several words: runs of capitalised words, trimmed of joining words, with
    at least two words left ("NYU Depth v2", "Trained Rank Pruning"). A run of two that
    starts a sentence may owe its first capital to the sentence ("Deep Networks"): its
    first word counts only if it is distinctive itself."""
    found = []
    for match in _RUN_RE.finditer(text):
        words = match.group().split()
        while words and words[0].casefold() in _JOINERS:
            words = words[1:]
        before = text[:match.start()].rstrip()
        starts = not before or before[-1] in ".!?:"
        if starts and len(words) == 2 and not _distinctive(words[0]):
            words = words[1:]
        while words and words[-1].casefold() in _JOINERS:
            words = words[:-1]
        if len(words) >= 2 and words[0].casefold() not in _DOCUMENT_PARTS:
            found.append(" ".join(words))
    return found


def names_in(text: str) -> list[str]:
    """Names of methods, models or datasets in a text: distinctive words ("YOLOv3-tiny"
    gives "YOLOv3"; "BRAF-mutant" gives "BRAF"; a plural "GANs" gives "GAN") and names
    of several words."""
    found = []
    for match in _TOKEN_RE.finditer(text):
        for part in re.split(r"-(?=[a-z]{3,}\b)", match.group()):
            part = re.sub(r"(?<=[A-Z])s$", "", re.sub(r"^[a-z]+-(?=[A-Z])", "", part))
            if _distinctive(part):
                found.append(part)
    return list(dict.fromkeys([*_runs(text), *found]))


def _spelled_out(acronym: str, reference: str) -> bool:
    """Whether ``reference`` spells the acronym out: consecutive words whose initials are
    its letters ("Trained Rank Pruning" for TRP, "randomized controlled trial" for RCT)."""
    letters = acronym.casefold()
    parts = re.findall(r"[A-Za-z][A-Za-z0-9]*", reference)
    # hyphens split ("Roux-en-Y" gives R, Y); small joining words count for nothing
    words = [w for w in parts if not (w.islower() and len(w) <= 3 and w not in ("y",))]
    initials = "".join(w[0].casefold() for w in words)
    return letters in initials and any(
        "".join(w[0].casefold() for w in words[i:i + len(letters)]) == letters
        for i in range(len(words) - len(letters) + 1))


def mentions(name: str, reference: str) -> bool:
    """Whether ``reference`` names ``name`` (case, spaces and hyphens ignored; a short
    acronym also counts when spelled out, alone or as a word of a longer name: "Sheaf
    NNs" for "Sheaf Neural Networks")."""
    if squash(name) in squash(reference):
        return True
    acronym = name.isalpha() and name.isupper() and 2 <= len(name) <= 6
    if acronym:
        return _spelled_out(name, reference)
    return " " in name and _spelled_in_run(name.split(), reference)


def _short_form(word: str) -> str:
    """The letters of an acronym word of a name, a plural's "s" aside ("NNs" → "NN"),
    or "" for a word that is no acronym."""
    letters = re.sub(r"(?<=[A-Z])s$", "", word)
    return letters if letters.isalpha() and letters.isupper() and 2 <= len(letters) <= 6 \
        else ""


def _spelled_in_run(words: list[str], reference: str) -> bool:
    """Whether ``reference`` has the name's words in a row, each acronym among them
    spelled out there by as many words as it has letters ("Sheaf NNs": "Sheaf Neural
    Networks"); a name with no acronym word is not looked for this way."""
    if not any(_short_form(w) for w in words):
        return False
    theirs = [w.casefold() for w in re.findall(r"[A-Za-z0-9]+", reference)]

    def match_at(i: int, k: int) -> bool:
        if k == len(words):
            return True
        short = _short_form(words[k]).casefold()
        if short:
            size = len(short)
            return "".join(w[0] for w in theirs[i:i + size]) == short \
                and match_at(i + size, k + 1)
        return i < len(theirs) and squash(words[k]) == theirs[i] and match_at(i + 1, k + 1)

    return any(match_at(i, 0) for i in range(len(theirs)))


def missing_names(text: str, reference: str) -> list[str]:
    """Names in ``text`` that ``reference`` never mentions."""
    return [name for name in names_in(text) if not mentions(name, reference)]


# Words that turn a finding around: a claim using one must rest on a sentence that uses
# one of its kind too (the paper says "not", "only", "because" itself). A negation may be
# worded as a verb: "without any paired data" rests on "avoiding any paired data".
MARKERS = {
    "negation": re.compile(r"\b(not(?!\s+only)|no|never|none|cannot|can't|without|neither|"
                           r"nor|fails?|failed|lacks?|unable|non\w*|un\w+able|"
                           r"avoid(?:s|ed|ing)?|free of|absen(?:t|ce)|"
                           r"eliminat(?:e|es|ed|ing))\b", re.I),
    "restriction": re.compile(r"\b(only|solely|merely|just|exclusively)\b", re.I),
    "cause": re.compile(r"\b(because|due to|caused by|owing to|thanks to|since|as a "
                        r"result|leads? to|led to|results? in|explains?|reason)\b", re.I),
}


def unstated_markers(claim: str, evidence: str) -> list[str]:
    """The kinds of marker the claim uses and the evidence does not ("negation" for a
    "not" the paper never wrote)."""
    return [kind for kind, pattern in MARKERS.items()
            if pattern.search(claim) and not pattern.search(evidence)]
