"""What an answer is: the checked text, its sources and citations, claims, verdict and
timings, and the fixed texts the program answers with when it cannot answer."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.answer.attribution import Attribution, Claim
from assistant.answer.cite import check_citations
from assistant.answer.evidence import Source
from assistant.answer.verdict import Verdict, none_such
from assistant.llm.base import Generation, GenerationStats, Message

OUT_OF_SCOPE = ("The indexed collection does not cover this question: no paper in it is "
                "relevant enough to answer from.")
EMPTY_COLLECTION = "The collection is empty. Add papers with: assistant ingest FILE…"
NOT_SUPPORTED = ("I could not find an answer to this in your papers: nothing I could "
                 "write was backed by what they say. Closest papers:")
STAND_IN = ("What I wrote was not borne out by your papers; shown instead is the sentence "
            "of theirs closest to the question.")
LISTED = ("These papers of yours match this best (found by search; nothing was written "
          "about them to check):")
NONE_SUCH = ("None of the papers found seems to be about this; nothing I could write about "
             "them was backed by what they say. Closest papers:")


def abstention(sources: list[Source], lead: str = NOT_SUPPORTED) -> str:
    """What the user reads instead of an answer none of whose claims a source supports:
    said to the user, with the closest papers by title (and year), never internal ids."""
    lines = [lead]
    lines += [f"- {s.title or 'an untitled paper'}" + (f" ({s.year})" if s.year else "")
              for s in sources]
    return "\n".join(lines)


# a request for the papers themselves ("List the papers about …", "Which papers …?")
_ASKS_FOR_PAPERS_RE = re.compile(
    r"^\W*(?:(?:please\s+)?(?:list|name|find|show|give)\b.*\b(?:papers|studies|articles)\b"
    r"|(?:which|what)\s+(?:papers|studies|articles)\b)", re.I)


def asks_for_papers(question: str) -> bool:
    return bool(_ASKS_FOR_PAPERS_RE.search(question))


def verdict_line(verdict: Verdict) -> str:
    return f"Verdict: {verdict.label} (probability {verdict.probability:.2f})"


def clip_words(text: str, words: int) -> str:
    parts = text.split()
    return text if len(parts) <= words else " ".join(parts[:words]) + " …"


@dataclass
class Status:
    """Where an answer is, for a front end to show while the user waits. Stages, in
    order: ``searching``, ``found`` (``titles`` of the papers found), ``loading`` (the
    model, only when not loaded yet), ``sources`` (the numbered ``sources`` with their
    evidence), ``reading`` (prompt tokens ``done`` of ``total``), ``writing`` (``done``
    pieces written), ``checking`` (the claims)."""

    stage: str
    done: int = 0
    total: int = 0
    titles: list[str] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)

    def describe(self, titles: list[str]) -> str:
        """One line for the user (``titles``: the papers found so far, from an earlier
        status): which papers are being read, how much of the prompt, how many tokens."""
        papers = "; ".join(_clip(t, 40) for t in titles[:4]) + ("; …" if len(titles) > 4
                                                                 else "")
        count = f"{len(titles)} paper{'s' if len(titles) != 1 else ''}"
        if self.stage == "searching":
            return "searching the papers…"
        if self.stage == "found":
            return f"found {count}: {papers}"
        if self.stage == "loading":
            return f"loading the model… (then reading {count}: {papers})"
        if self.stage == "reading" and self.total:
            return (f"reading {count} {100 * self.done // self.total}% "
                    f"({self.done}/{self.total} prompt tokens): {papers}")
        if self.stage == "writing":
            return f"writing… {self.done} tokens"
        if self.stage == "checking":
            return "checking each claim against the papers…"
        return f"reading {count}: {papers}"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


OnStatus = Callable[[Status], None]


@dataclass
class Turn:
    """One question and answer of a conversation, as a follow-up sees it. A turn answered
    in this session also keeps its ``prompt``, the model's ``draft`` and every source
    numbered in that prompt, so that a follow-up continues the same prompt (whose state
    the model still holds); a turn reopened from a saved chat has only the texts."""

    question: str
    answer: str
    paper_ids: list[str] = field(default_factory=list)  # the papers the answer cited
    prompt: list[Message] = field(default_factory=list, repr=False)
    draft: str = field(default="", repr=False)
    sources: list[Source] = field(default_factory=list, repr=False)


@dataclass
class Answer:
    question: str
    text: str
    sources: list[Source]
    citations: list[Source]
    invalid_citations: list[int]
    model: str
    out_of_scope: bool = False
    stopped: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    tokens: dict[str, int] = field(default_factory=dict)
    claims: list[Claim] = field(default_factory=list)
    verdict: Verdict | None = None
    abstained: bool = False
    rejected_citations: list[int] = field(default_factory=list)  # removed, one per claim
    added_citations: list[int] = field(default_factory=list)     # attached, one per claim
    draft: str = ""  # the model's own text, before the citation and claim checks
    extractive: bool = False  # the explanation is the papers' closest sentence, quoted
    notes: list[str] = field(default_factory=list)  # e.g. why there is no verdict
    error: str = ""  # why the answer stopped early when the user did not stop it
    # the prompt it was written from and every source numbered in it (a follow-up's
    # includes the conversation's earlier sources): what :meth:`turn` hands on
    prompt: list[Message] = field(default_factory=list, repr=False)
    given: list[Source] = field(default_factory=list, repr=False)

    def turn(self) -> Turn:
        """This answer as the conversation's latest turn."""
        return Turn(self.question, self.text, [c.paper_id for c in self.citations],
                    self.prompt, self.draft, self.given or self.sources)

    @property
    def unsupported(self) -> int:
        return sum(not c.supported for c in self.claims)

    def evidence_for(self, n: int) -> list[str]:
        """The source sentences the check matched to claims citing source ``n``."""
        return list(dict.fromkeys(e["sentence"] for c in self.claims if c.supported
                                  for e in c.evidence if e["n"] == n))

    def citation_records(self) -> list[dict]:
        """The cited sources as ``{n, id, title}``: the JSON and saved-chat form."""
        return [{"n": s.n, "id": s.paper_id, "title": s.title} for s in self.citations]

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.text,
            "citations": self.citation_records(),
            "invalid_citations": self.invalid_citations,
            "rejected_citations": self.rejected_citations,
            "added_citations": self.added_citations,
            "claims": [c.to_dict() for c in self.claims],
            "verdict": self.verdict.to_dict() if self.verdict else None,
            "abstained": self.abstained,
            "draft": self.draft,
            "extractive": self.extractive,
            "sources": [s.to_dict() for s in self.sources],
            "model": self.model,
            "out_of_scope": self.out_of_scope,
            "stopped": self.stopped,
            "error": self.error,
            "notes": self.notes,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "tokens": self.tokens,
        }


def compose_answer(question: str, model: str, sources: list[Source], generation: Generation,
                   body: str, attribution: Attribution, verdict: Verdict | None,
                   notes: list[str], earlier: list[Source] | None = None) -> Answer:
    """The answer as shown: the checked text (or an abstention when no claim is
    supported and the user did not stop it), its citations, the verdict line.
    ``earlier`` are the conversation's sources a follow-up may still cite besides its
    own."""
    stats = generation.stats
    by_n = {s.n: s for s in [*(earlier or []), *sources]}
    answer = Answer(
        question=question, text=attribution.text, sources=sources,
        citations=[by_n[n] for n in attribution.citations if n in by_n],
        invalid_citations=check_citations(body, set(by_n)).invalid, model=model,
        stopped=stats.stopped, claims=attribution.claims, verdict=verdict,
        rejected_citations=attribution.rejected, added_citations=attribution.added,
        draft=generation.text, notes=notes, error=stats.error,
        tokens={"prompt": stats.prompt_tokens, "cached_prefix": stats.cached_prefix_tokens,
                "completion": stats.completion_tokens})
    if not attribution.supported and not stats.stopped:
        answer.abstained = True
        answer.text = abstention(sources)
        listed = check_citations(body, set(by_n)).cited
        if listed and verdict is None and not attribution.claims \
                and asks_for_papers(question):
            # "List the papers about …" answered "[1] [2][3]": the papers it named, as such
            answer.text = abstention([by_n[n] for n in listed], LISTED)
        if none_such(question, verdict):
            # "Are there papers on …?" — no: the verdict is the answer, said as such
            answer.text = f"{verdict_line(verdict)}\n\n{abstention(sources, NONE_SUCH)}"
    elif verdict is not None:
        answer.text = f"{verdict_line(verdict)}\n\n{answer.text}"
    return answer


def answer_timings(start: float, retrieval_s: float, load_s: float, stats: GenerationStats,
                   check_s: float) -> dict[str, float]:
    """Where an answer's time went; the first token counts everything before it."""
    total = time.perf_counter() - start
    return {"retrieval": retrieval_s, "model_load": load_s,
            "first_token": total - stats.total_s - check_s + stats.first_token_s,
            "generation": stats.total_s, "check": check_s,
            "total": total, "tokens_per_s": stats.tokens_per_s}


def out_of_scope(question: str, model: str, start: float, retrieval_s: float) -> Answer:
    return Answer(question, OUT_OF_SCOPE, [], [], [], model, out_of_scope=True,
                  timings={"retrieval": retrieval_s, "first_token": 0.0,
                           "total": time.perf_counter() - start})


def empty_collection(question: str, model: str, start: float) -> Answer:
    return Answer(question, EMPTY_COLLECTION, [], [], [], model, out_of_scope=True,
                  timings={"total": time.perf_counter() - start})
