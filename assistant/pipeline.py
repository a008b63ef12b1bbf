"""The one pipeline object every front end (CLI, TUI, batch) talks to.

It owns the store, the embedder and the chat model, loads each lazily and once, and
exposes the product's verbs: ingest, remove, papers, search, ask.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .chunking import chunk_paper
from .cite import StreamingCitationFilter, check_citations
from .evidence import Source, select_sources
from .generate import LocalLLM, Message, OnToken, ShouldStop
from .models import resolve_model
from .prompts import render
from .retrieve import Filters, Hit, hybrid_search
from .settings import Settings
from .sources import Paper, SourceError, parse_file
from .store import Store, StoredPaper

OUT_OF_SCOPE = ("The indexed collection does not cover this question: no paper in it is "
                "relevant enough to answer from.")
HISTORY_WORDS = 60  # each remembered answer is clipped so follow-ups stay within budget
EMPTY_COLLECTION = "The collection is empty. Add papers with: assistant ingest FILE…"


def _clip_words(text: str, words: int) -> str:
    parts = text.split()
    return text if len(parts) <= words else " ".join(parts[:words]) + " …"


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    chunks: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0


@dataclass
class Turn:
    question: str
    answer: str
    paper_ids: list[str] = field(default_factory=list)  # the papers the answer cited


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

    def citation_records(self) -> list[dict]:
        """The cited sources as ``{n, id, title}``: the JSON and saved-chat form."""
        return [{"n": s.n, "id": s.paper_id, "title": s.title} for s in self.citations]

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.text,
            "citations": self.citation_records(),
            "invalid_citations": self.invalid_citations,
            "sources": [s.to_dict() for s in self.sources],
            "model": self.model,
            "out_of_scope": self.out_of_scope,
            "stopped": self.stopped,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "tokens": self.tokens,
        }


class Pipeline:
    """Parse → chunk → embed/store → retrieve → generate/cite, behind one object."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._store: Store | None = None
        self._embedder = None
        self._llm: LocalLLM | None = None
        self._llm_spec: str | None = None
        self.load_seconds: dict[str, float] = {}
        # llama.cpp contexts are not thread-safe: the TUI's answer and summary workers
        # take turns through this lock.
        self.model_lock = threading.RLock()

    # --- components ---------------------------------------------------------------------

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.settings.data_dir)
        return self._store

    @property
    def embedder(self):
        if self._embedder is None:
            from .embedding import Embedder

            start = time.perf_counter()
            path = resolve_model(self.settings.embedder, self.settings.models_dir, "embedder")
            self._embedder = Embedder(path, self.settings.threads)
            self.load_seconds["embedder"] = time.perf_counter() - start
        return self._embedder

    def llm(self, model: str | None = None) -> LocalLLM:
        spec = model or self.settings.model
        if self._llm is None or self._llm_spec != spec:
            path = resolve_model(spec, self.settings.models_dir, "llm")
            if self._llm is not None:
                self._llm.close()
            start = time.perf_counter()
            self._llm = LocalLLM(path, self.settings.n_ctx, self.settings.threads,
                                 self.settings.seed)
            self._llm_spec = spec
            self._llm.warm_prefix(self._prompt_prefix(), self.settings.cache_dir)
            self.load_seconds["llm"] = time.perf_counter() - start
        return self._llm

    def check_model(self, model: str | None = None) -> Path:
        """Raise ModelError (with the fixing command) if the chat model is unusable."""
        return resolve_model(model or self.settings.model, self.settings.models_dir, "llm")

    # --- ingest -------------------------------------------------------------------------

    def parse(self, paths: Iterable[Path], report: IngestReport) -> list[Paper]:
        papers: list[Paper] = []
        for path in paths:
            try:
                papers.extend(parse_file(Path(path)))
            except SourceError as exc:
                report.errors.append(str(exc))
        return papers

    def ingest(self, paths: Iterable[Path],
               progress: Callable[[int, int], None] | None = None) -> IngestReport:
        """Add or update papers from files; bad files are reported, good ones still land."""
        start = time.perf_counter()
        report = IngestReport()
        papers = self.parse(paths, report)
        self.ingest_papers(papers, report, progress)
        report.seconds = time.perf_counter() - start
        return report

    def ingest_papers(self, papers: list[Paper], report: IngestReport,
                      progress: Callable[[int, int], None] | None = None) -> None:
        store = self.store
        todo = []
        for paper in papers:
            status = store.status_of(paper)
            if status == "unchanged":
                report.unchanged.append(paper.id)
            else:
                todo.append((paper, status))
        if not todo:
            return
        embedder = self.embedder
        for done, (paper, status) in enumerate(todo, start=1):
            chunks = chunk_paper(paper, self.settings.chunk_tokens, embedder.count_tokens)
            t0 = time.perf_counter()
            vectors = embedder.embed(c.embed_text for c in chunks)
            report.embed_seconds += time.perf_counter() - t0
            store.upsert(paper, chunks, vectors)
            report.chunks += len(chunks)
            (report.added if status == "new" else report.updated).append(paper.id)
            if progress:
                progress(done, len(todo))
        store.persist()

    def remove(self, paper_id: str) -> Paper | None:
        return self.store.remove(paper_id)

    def papers(self) -> list[StoredPaper]:
        return self.store.papers()

    # --- retrieval ----------------------------------------------------------------------

    def search(self, query: str, k: int | None = None, filters: Filters | None = None,
               mode: str = "hybrid") -> list[Hit]:
        if not self.store.registry.papers:
            return []
        vector = self.embedder.embed_one(query) if mode != "bm25" else None
        return hybrid_search(self.store, query, vector, k or self.settings.top_k,
                             self.settings.candidates, filters, mode)

    def relevant(self, hits: list[Hit]) -> list[Hit]:
        """Hits good enough to show the model; empty means out of scope.

        A paper much less similar than the best one is left out: a weak source costs
        prompt time and invites the model to cite it for claims it does not make.
        """
        best = max((h.dense for h in hits), default=0.0)
        if best < self.settings.min_relevance:
            return []
        floor = max(self.settings.min_relevance * 0.7, best - self.settings.relevance_margin)
        return [h for h in hits if h.dense >= floor]

    # --- answering ----------------------------------------------------------------------

    def _prompt_prefix(self) -> str:
        """The fixed start of every answer prompt, whose KV state is cached."""
        llm = self._llm
        system = render("answer_system")
        marker = "\u0000QUESTION\u0000"
        prompt, _stop = llm.format_prompt([Message("system", system), Message("user", marker)])
        return prompt.split(marker)[0]

    def _carry_over(self, question: str, paper_ids: list[str], hits: list[Hit],
                    k: int | None) -> list[Hit]:
        """A follow-up ("how fast is it?") usually means the papers just cited: they go
        first, then the new retrieval results, up to top-k."""
        cited = self.search(question, k=len(paper_ids), filters=Filters(paper_ids=set(paper_ids)))
        cited.sort(key=lambda h: paper_ids.index(h.paper_id))
        seen = {h.paper_id for h in cited}
        return (cited + [h for h in hits if h.paper_id not in seen])[: k or self.settings.top_k]

    def retrieval_query(self, question: str, history: list[Turn]) -> str:
        return render("condense_query", question=question,
                      history=[t.question for t in history[-2:]])

    def build_messages(self, question: str, sources: list[Source], history: list[Turn],
                       instructions: str = "answer_system",
                       user_template: str = "answer_user") -> list[Message]:
        messages = [Message("system", render(instructions))]
        for turn in history[-2:]:
            messages += [Message("user", turn.question),
                         Message("assistant", _clip_words(turn.answer, HISTORY_WORDS))]
        messages.append(Message("user", render(user_template, question=question,
                                               sources=sources)))
        return messages

    def ask(self, question: str, **options) -> Answer:
        """Answer one question (see :meth:`_ask`); one model user at a time."""
        with self.model_lock:
            return self._ask(question, **options)

    def _ask(self, question: str, *, history: list[Turn] | None = None,
            filters: Filters | None = None, model: str | None = None,
            on_token: OnToken | None = None, should_stop: ShouldStop | None = None,
            on_sources: Callable[[list[Source]], None] | None = None,
            instructions: str = "answer_system", user_template: str = "answer_user",
            k: int | None = None, budget: int | None = None, answer_prefix: str = "") -> Answer:
        """Retrieve, prompt, stream and check citations for one question.

        ``instructions``/``user_template`` name the prompt templates (benchmarks and the
        digest use their own); ``k`` and ``budget`` override top-k and the evidence budget.
        """
        history = history or []
        start = time.perf_counter()
        question = question.strip()
        if not self.store.registry.papers:
            return Answer(question, EMPTY_COLLECTION, [], [], [], model or self.settings.model,
                          out_of_scope=True, timings={"total": time.perf_counter() - start})
        hits = self.search(self.retrieval_query(question, history), k=k, filters=filters)
        if not (filters and filters.paper_ids):  # papers the user picked are always relevant
            hits = self.relevant(hits)
        if history and history[-1].paper_ids and not (filters and filters.active):
            hits = self._carry_over(question, history[-1].paper_ids, hits, k)
        retrieval_s = time.perf_counter() - start
        if not hits:
            return Answer(question, OUT_OF_SCOPE, [], [], [], model or self.settings.model,
                          out_of_scope=True,
                          timings={"retrieval": retrieval_s, "first_token": 0.0,
                                   "total": time.perf_counter() - start})
        llm = self.llm(model)
        sources = select_sources(self.store, hits, question,
                                 budget or self.settings.context_budget, llm.count_tokens)
        if on_sources:
            on_sources(sources)
        messages = self.build_messages(question, sources, history, instructions, user_template)
        stream = StreamingCitationFilter({s.n for s in sources}, on_token) if on_token else None
        generation = llm.generate(messages, self.settings.max_tokens,
                                  self.settings.temperature, stream.feed if stream else None,
                                  should_stop, answer_prefix)
        if stream:
            stream.flush()
        check = check_citations(generation.text, {s.n for s in sources})
        by_n = {s.n: s for s in sources}
        stats = generation.stats
        total = time.perf_counter() - start
        return Answer(
            question=question, text=check.text, sources=sources,
            citations=[by_n[n] for n in check.cited], invalid_citations=check.invalid,
            model=llm.name, stopped=stats.stopped,
            timings={"retrieval": retrieval_s,
                     "model_load": self.load_seconds.pop("llm", 0.0),
                     "first_token": total - stats.total_s + stats.first_token_s,
                     "generation": stats.total_s, "total": total,
                     "tokens_per_s": stats.tokens_per_s},
            tokens={"prompt": stats.prompt_tokens, "cached_prefix": stats.cached_prefix_tokens,
                    "completion": stats.completion_tokens},
        )

    def close(self) -> None:
        if self._llm is not None:
            self._llm.close()
            self._llm = None
        if self._embedder is not None:
            self._embedder.close()
            self._embedder = None
