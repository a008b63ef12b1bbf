"""Which of the retrieved papers a question names: by the name its title announces
("Summarize FastDepth."), or by a phrase of its title the question calls a paper by ("the
graph-level tasks paper", "the paper on opposing signals").

A paper the question names is what it asks about, however far its abstract reads from the
question's words: retrieval keeps it, relevance never sets its claims apart, and the
closest-finding fallback quotes it rather than a neighbour that matches the wording
better. A phrase names a paper only when exactly one of the papers at hand has its words
in its title: "the depth estimation paper" among four depth papers names none.
"""

from __future__ import annotations

import re

from assistant.index.terms import bm25_tokenize
from assistant.sources.records import names_paper

_PAPER = r"(?:paper|study|article|preprint|work)"
# "the <phrase> paper" (the phrase holds no "the": "the authors of the X paper" is X) and
# "the paper on/about/titled <phrase>"
_BEFORE_RE = re.compile(rf"\bthe\s+((?:(?!the\b)[\w'’-]+\s+){{1,6}}?){_PAPER}\b(?!s)", re.I)
_AFTER_RE = re.compile(rf"\bthe\s+{_PAPER}\s+(?:on|about|titled|called|named)\s+"
                       r"((?:[\w'’-]+[\s,]*){1,6})", re.I)
MIN_WORDS = 2  # a phrase of one word ("the pruning paper") is a topic, not a title
MISSING_MOST = 1  # phrase words a title may lack ("the paper on X and Y *show*")


def _phrases(question: str) -> list[str]:
    return [m.group(1) for m in _BEFORE_RE.finditer(question)] \
        + [m.group(1) for m in _AFTER_RE.finditer(question)]


def described(question: str, titles: list[str]) -> set[int]:
    """The indexes of ``titles`` the question calls a paper by a phrase of: at least
    ``MIN_WORDS`` of the phrase's words (stemmed, stop words aside) in one title and at
    most ``MISSING_MOST`` missing, and no other title as close."""
    phrases = _phrases(question)
    if not phrases or not titles:
        return set()
    tokens = bm25_tokenize([*phrases, *titles])
    said, held = tokens[:len(phrases)], [set(t) for t in tokens[len(phrases):]]
    found: set[int] = set()
    for words in said:
        wanted = set(words)
        if len(wanted) < MIN_WORDS:
            continue
        shared = [len(wanted & title) for title in held]
        best = max(shared)
        if best < MIN_WORDS or best < len(wanted) - MISSING_MOST or shared.count(best) > 1:
            continue
        found.add(shared.index(best))
    return found


# words of a request that say nothing of its topic ("Which papers use …?")
_ASKING_WORDS = ("paper papers study studies work works article articles research use uses "
                 "used using propose proposes proposed approach approaches method methods "
                 "collection find list show tell explain summarize summarise describe compare "
                 "discuss exist exists which what who whom whose how why when where "
                 "there any all some deal deals dealing address addresses tackle tackles "
                 "concern concerns each do does did between")
# a request to compare ("…, and how do they differ?", "What are the main differences
# between …"): no words of the topic ("differ" would stem like "different", "key" and
# "main" are words of many topics)
_COMPARING_RE = re.compile(r"\b(?:and\s+)?how\s+(?:do|does|did)\s+(?:they|these|those|the\s+\w+)"
                           r"\s+(?:differ|compare)\b|\bwhat\s+(?:are|is)\s+the\s+(?:main\s+|"
                           r"key\s+)?differences?\s+between\b", re.I)
TOPIC_TITLES_MOST = 2  # titles a topic may be in and still pick out its papers


def titled_topic(question: str, titles: list[str]) -> set[int]:
    """The indexes of ``titles`` that hold every word of the question's topic, its words
    bar those of asking ("Which papers use diffusion models, and for what?" → "diffusion
    models": "DepthMaster: Taming Diffusion Models …"), when the topic has two words or
    more and at most ``TOPIC_TITLES_MOST`` titles hold it. A short question on one topic
    reads as far from every abstract to the embedder (cosine 0.25); a title that names
    the whole topic is about it. A question with words of its own beyond a title's
    ("… to reduce hallucinations in large language model chatbots") picks none."""
    asking, topic, *held = bm25_tokenize([_ASKING_WORDS, _COMPARING_RE.sub(" ", question),
                                          *titles])
    wanted = set(topic) - set(asking)
    if len(wanted) < MIN_WORDS:
        return set()
    found = {i for i, title in enumerate(held) if wanted <= set(title)}
    return found if len(found) <= TOPIC_TITLES_MOST else set()


# a topic or title that excludes ("… without labelled data", "Attention-Free …"): a
# title holding the topic's words may be just what it excludes
_EXCLUDING_RE = re.compile(r"\b(?:not|no|non|without|except|excluding|beyond|unlike|neither|"
                           r"nor|instead|rather|other\s+than|free|less)\b", re.I)
# words of a request for papers that leave its topic as it is ("papers that use …"); not
# "compare", "between", "each": a paper on X is no paper that compares X's methods
_TOPIC_ASKING_WORDS = ("paper papers study studies work works article articles research "
                       "collection use uses used using propose proposes proposed introduce "
                       "introduces introduced present presents presented approach approaches "
                       "method methods do does did deal deals dealing address addresses "
                       "tackle tackles concern concerns about which what there")
_TOPIC_ASKING = frozenset(bm25_tokenize([_TOPIC_ASKING_WORDS])[0])
# a word glued before a topic word that narrows it ("Self-supervised" is no "supervised")
_NARROWING = frozenset(bm25_tokenize(["self semi weakly non un partially"])[0])


def title_holds_topic(topic: str, title: str) -> bool:
    """Whether ``title`` holds every word of ``topic`` but those of asking ("papers in the
    collection that do self-supervised depth estimation" in "SPIdepth: … for
    Self-supervised Monocular Depth Estimation"): a paper whose title names the whole
    topic is about it. Its words must come in the topic's order, at most one other word
    (stop words aside) between two of them: "Strengthened Pose Information for … Depth
    Estimation" is no paper on pose estimation; nor may a narrowing word come right
    before them ("Weakly-Supervised …" for "supervised …"). A topic or a title that
    excludes something ("… without LiDAR Supervision", "Attention-Free …") never counts."""
    if _EXCLUDING_RE.search(topic) or _EXCLUDING_RE.search(title):
        return False
    words, held = bm25_tokenize([topic, title])
    wanted = list(dict.fromkeys(w for w in words if w not in _TOPIC_ASKING))
    return bool(wanted) and any(at == 0 or held[at - 1] not in _NARROWING
                                for at in _in_order_nearby(wanted, held))


def _in_order_nearby(wanted: list[str], held: list[str], gap: int = 2) -> list[int]:
    """Where in ``held`` the words of ``wanted`` start, in order, each word within
    ``gap`` places of the one before (every such start)."""
    found = []
    for start in (i for i, word in enumerate(held) if word == wanted[0]):
        reach = {start}
        for word in wanted[1:]:
            reach = {j for at in reach for j in range(at + 1, min(at + gap, len(held) - 1) + 1)
                     if held[j] == word}
            if not reach:
                break
        else:
            found.append(start)
    return found


# words a request for papers on a keyword adds to it ("… report results on KITTI?")
_REPORTING_WORDS = "report reports reported result results about"
KEYWORD_TOPIC_MOST = 2  # words of a topic a paper's words pick out on their own


def worded_topic(question: str, texts: list[str]) -> set[int]:
    """The indexes of ``texts`` (a paper's title and abstract each) that hold every word
    of the question's topic when that topic is one or two words ("Which papers are about
    speech?" → "speech"; "Which papers report results on KITTI?" → "KITTI"): a short
    question on one keyword reads as far from every abstract to the embedder, whatever
    the papers say. A question with more words of its own (every out-of-scope question
    of the latency bench) picks none here."""
    asking, topic, *held = bm25_tokenize([f"{_ASKING_WORDS} {_REPORTING_WORDS}",
                                          _COMPARING_RE.sub(" ", question), *texts])
    wanted = set(topic) - set(asking)
    if not 1 <= len(wanted) <= KEYWORD_TOPIC_MOST:
        return set()
    return {i for i, text in enumerate(held) if wanted <= set(text)}


# a coined name: a capital or digit after its first letter (FastRP, IRWE, STU-Net, GPT-4)
_COINED_RE = re.compile(r"(?<![\w-])[A-Za-z][\w-]*?[A-Z0-9][\w-]*(?![\w-])")


def coined_names(question: str) -> set[str]:
    return set(_COINED_RE.findall(question))


def coined_in(question: str, texts: list[str]) -> set[int]:
    """The indexes of ``texts`` that hold, as written, a coined name the question uses
    ("What speed-up does FastRP report?": FastRP is named in its abstract, not in its
    title "Fast and Accurate Network Embeddings via Very Sparse Random Projection")."""
    names = coined_names(question)
    return {i for i, text in enumerate(texts) if any(holds_name(text, name) for name in names)}


def holds_name(text: str, name: str) -> bool:
    """Whether ``text`` holds ``name`` as written, as a word ("GPT-4" is not "GPT-40")."""
    return bool(re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text))


def named(question: str, titles: list[str]) -> set[int]:
    """The indexes of ``titles`` the question names, by name or by a phrase."""
    return {i for i, title in enumerate(titles) if names_paper(question, title)} \
        | described(question, titles)
