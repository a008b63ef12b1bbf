"""The one pipeline object every front end (CLI, TUI, batch) talks to.

It owns the store, the embedder and the chat model, loads each lazily and once, and
exposes the product's verbs: ingest, remove, papers, search, ask.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from .answers import (
    EMPTY_COLLECTION,
    OUT_OF_SCOPE,
    Answer,
    Turn,
    abstention,
    clip_words,
    verdict_line,
)
from .attribution import Attribution, Checker, SourceText
from .backends import ModelVerbs
from .budget import ContextError
from .cite import StreamingCitationFilter, check_citations, strip_source_list
from .evidence import Source, select_sources
from .generate import ChatModel, Message, OnToken, ShouldStop
from .indexing import IndexVerbs
from .locking import WriteLock
from .models import resolve_model, verdict_calibration
from .prompts import data, render
from .remote import NoLogprobs
from .retrieve import Filters, Hit, hybrid_search
from .settings import Settings
from .store import Store
from .verdict import LABELS, Verdict, decide, is_yes_no


class Pipeline(IndexVerbs, ModelVerbs):
    """Parse → chunk → embed/store → retrieve → generate/cite, behind one object."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._store: Store | None = None
        self._embedder = None
        self._llm: ChatModel | None = None
        self._llm_spec: str | None = None
        self._checker: Checker | None = None
        self.load_seconds: dict[str, float] = {}
        self.notices: list[str] = []  # things a front end should tell the user once
        # llama.cpp contexts are not thread-safe: the TUI's answer and summary workers
        # take turns through this lock.
        self.model_lock = threading.RLock()
        self.lock = WriteLock(settings.data_dir / "index" / "write.lock")

    # --- components ---------------------------------------------------------------------

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.settings.data_dir, self.lock, self.settings.chroma_url)
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

    # --- retrieval ----------------------------------------------------------------------

    # --- ingest -------------------------------------------------------------------------


    def search(self, query: str, k: int | None = None, filters: Filters | None = None,
               mode: str = "hybrid", vector=None) -> list[Hit]:
        """Top-k papers; ``mode`` is hybrid, dense or bm25; ``vector`` reuses a query
        embedding (the retrieval benchmark compares modes on one)."""
        if self.store.refresh():  # another process changed the index since
            self._checker = None
        if not self.store.paper_count():
            return []
        if vector is None and mode != "bm25":
            vector = self.embedder.embed_one(query)
        return hybrid_search(self.store, query, vector, k or self.settings.top_k,
                             self.settings.candidates, filters, mode, self.settings.rrf_k)

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

    def prompt_prefix(self, llm: ChatModel) -> str:
        """The fixed start of every answer prompt, whose KV state is cached."""
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

    def _recent(self, history: list[Turn]) -> list[Turn]:
        """The turns a follow-up sees (each remembered answer is clipped to
        ``history_words`` so follow-ups stay within budget)."""
        turns = self.settings.history_turns
        return history[-turns:] if turns else []

    def retrieval_query(self, question: str, history: list[Turn]) -> str:
        return render("condense_query", question=question,
                      history=[t.question for t in self._recent(history)])

    def build_messages(self, question: str, sources: list[Source], history: list[Turn],
                       instructions: str = "answer_system",
                       user_template: str = "answer_user") -> list[Message]:
        messages = [Message("system", render(instructions))]
        for turn in self._recent(history):  # earlier turns are text too: control tokens defused
            messages += [Message("user", data(turn.question)),
                         Message("assistant", data(clip_words(turn.answer,
                                                               self.settings.history_words)))]
        messages.append(Message("user", render(user_template, question=question,
                                               sources=sources)))
        return messages

    @property
    def sampling(self) -> dict[str, float]:
        """Sampling settings beyond the temperature, for every generation."""
        return {"top_p": self.settings.top_p, "repeat_penalty": self.settings.repeat_penalty}

    def fit_messages(self, llm: ChatModel, question: str, sources: list[Source],
                     history: list[Turn], instructions: str = "answer_system",
                     user_template: str = "answer_user") -> list[Message]:
        """The prompt, fitted to the context window with room for the answer: earlier
        turns are dropped first (the sources are already within their budget); a question
        that still does not fit is a ContextError."""
        room = self.settings.n_ctx - self.settings.max_tokens
        for turns in ([history, []] if history else [[]]):
            messages = self.build_messages(question, sources, turns, instructions,
                                           user_template)
            tokens = llm.prompt_tokens(messages)
            if tokens <= room:
                return messages
        raise ContextError(f"the question is too long: with its sources the prompt is "
                           f"{tokens} tokens, and the model's context of "
                           f"{self.settings.n_ctx} tokens leaves {room} after the answer's "
                           f"{self.settings.max_tokens}")

    def ask(self, question: str, **options) -> Answer:
        """Answer one question (see :meth:`_ask`); one model user at a time."""
        with self.model_lock:
            return self._ask(question, **options)

    def sources_for(self, question: str, *, history: list[Turn] | None = None,
                    filters: Filters | None = None, k: int | None = None,
                    budget: int | None = None, model: str | None = None) -> list[Source]:
        """The numbered sources an answer would be given (empty: out of scope)."""
        history = history or []
        hits = self.search(self.retrieval_query(question, history), k=k, filters=filters)
        if not (filters and filters.paper_ids):  # papers the user picked are always relevant
            hits = self.relevant(hits)
        if history and history[-1].paper_ids and not (filters and filters.active):
            hits = self._carry_over(question, history[-1].paper_ids, hits, k)
        if not hits:
            return []
        return select_sources(self.store, hits, question,
                              budget or self.settings.context_budget,
                              self.llm(model).count_tokens)

    def verdict(self, question: str, sources: list[Source],
                model: str | None = None) -> Verdict:
        """The calibrated yes/no/maybe verdict for a question given these sources."""
        with self.model_lock:
            llm = self.llm(model)
            messages = self.build_messages(question, sources, [], "yesno_system")
            return decide(llm.label_probs(messages, "Answer:", LABELS),
                          verdict_calibration(self._llm_spec or self.settings.model))

    def _ask(self, question: str, *, history: list[Turn] | None = None,
             filters: Filters | None = None, model: str | None = None,
             on_token: OnToken | None = None, should_stop: ShouldStop | None = None,
             on_sources: Callable[[list[Source]], None] | None = None,
             instructions: str = "answer_system", user_template: str = "answer_user",
             k: int | None = None, budget: int | None = None,
             yes_no: bool | None = None, given: list[Source] | None = None,
             check_texts: list[SourceText] | None = None) -> Answer:
        """Retrieve, prompt, stream, then decide the citations claim by claim.

        ``instructions``/``user_template`` name the prompt templates (the digest uses its
        own); ``k`` and ``budget`` override top-k and the evidence budget; ``given`` sources
        replace retrieval and ``check_texts`` the papers claims are checked against (the
        benchmarks use both to alter what the model sees). A yes/no question
        (``yes_no``, detected when None) first gets a calibrated verdict from the model's
        label probabilities, and the model then explains that verdict.
        """
        history = history or []
        start = time.perf_counter()
        self.load_seconds.pop("llm", None)  # a load before this question is not its time
        question = question.strip()
        label = model or self.settings.model
        if not self.store.paper_count():
            return Answer(question, EMPTY_COLLECTION, [], [], [], label, out_of_scope=True,
                          timings={"total": time.perf_counter() - start})
        if yes_no is None:
            yes_no = instructions == "answer_system" and is_yes_no(question)
        if yes_no and budget is None:
            budget = self.settings.yes_no_budget  # a verdict needs the key findings only
        sources = given if given is not None else self.sources_for(
            question, history=history, filters=filters, k=k, budget=budget, model=model)
        # selecting evidence counts tokens, which may load the model: that is not retrieval
        retrieval_s = time.perf_counter() - start - self.load_seconds.get("llm", 0.0)
        if not sources:
            return self._out_of_scope(question, label, start, start + retrieval_s)
        llm = self.llm(model)
        if on_sources:
            on_sources(sources)
        if yes_no:
            instructions = "yesno_system"
        messages = self.fit_messages(llm, question, sources, history, instructions,
                                     user_template)
        verdict = None
        prefix = ""
        notes: list[str] = []
        if yes_no:
            try:
                verdict = decide(llm.label_probs(messages, "Answer:", LABELS),
                                 verdict_calibration(self._llm_spec or self.settings.model))
                prefix = f"Answer: {verdict.label}\nBecause:"
            except NoLogprobs as exc:  # answered as an open question instead
                notes.append(str(exc))
                messages = self.fit_messages(llm, question, sources, history)
        # citations are decided after generation, so none is shown while streaming
        stream = StreamingCitationFilter(set(), on_token) if on_token else None
        generation = llm.generate(messages, self.settings.max_tokens,
                                  self.settings.temperature, stream.feed if stream else None,
                                  should_stop, prefix, **self.sampling)
        if stream:
            stream.flush()
        body = generation.text[len(prefix):] if prefix else generation.text
        body, _cut = strip_source_list(body)
        check = check_citations(body, {s.n for s in sources})
        texts = check_texts or self.source_texts(sources)
        attribution = self.checker.check(body, texts)
        stats = generation.stats
        extractive = False
        if verdict is not None and not attribution.supported and not stats.stopped:
            # the verdict stands on the papers; when the model's explanation does not, the
            # papers' own most relevant sentence explains it instead of an abstention
            fallback = self._closest_finding(question, texts)
            if fallback is not None:
                attribution, extractive = fallback, True
        answer = Answer(
            question=question, text=attribution.text, sources=sources, citations=[],
            invalid_citations=check.invalid, model=llm.name, stopped=stats.stopped,
            claims=attribution.claims, verdict=verdict,
            rejected_citations=attribution.rejected, added_citations=attribution.added,
            draft=generation.text, notes=notes, error=stats.error,
            tokens={"prompt": stats.prompt_tokens, "cached_prefix": stats.cached_prefix_tokens,
                    "completion": stats.completion_tokens})
        by_n = {s.n: s for s in sources}
        answer.citations = [by_n[n] for n in attribution.citations if n in by_n]
        answer.extractive = extractive
        if not attribution.supported and not stats.stopped:
            answer.abstained = True
            answer.text = abstention(sources)
        elif verdict is not None:
            answer.text = f"{verdict_line(verdict)}\n\n{answer.text}"
        total = time.perf_counter() - start
        answer.timings = {"retrieval": retrieval_s,
                          "model_load": self.load_seconds.pop("llm", 0.0),
                          "first_token": total - stats.total_s - attribution.seconds
                          + stats.first_token_s,
                          "generation": stats.total_s, "check": attribution.seconds,
                          "total": total, "tokens_per_s": stats.tokens_per_s}
        return answer

    def _out_of_scope(self, question: str, model: str, start: float, retrieved: float
                      ) -> Answer:
        return Answer(question, OUT_OF_SCOPE, [], [], [], model, out_of_scope=True,
                      timings={"retrieval": retrieved - start, "first_token": 0.0,
                               "total": time.perf_counter() - start})

    # --- attribution ----------------------------------------------------------------------

    @property
    def checker(self) -> Checker:
        """The claim checker, sharing the retrieval embedder and the collection's IDF."""
        if self._checker is None:
            self._checker = Checker(self.embedder.embed, self.store.term_idf,
                                    self.settings.claim_threshold)
        return self._checker

    def source_texts(self, sources: list[Source]) -> list[SourceText]:
        """What the checker compares claims with: each source paper's whole abstract (the
        model saw excerpts, but a claim is true to the paper if the paper says it)."""
        texts = []
        for source in sources:
            paper = self.store.get_paper(source.paper_id)
            texts.append(SourceText(source.n, source.title,
                                    paper.abstract if paper else source.text))
        return texts

    def _closest_finding(self, question: str, texts: list[SourceText]) -> Attribution | None:
        """The source sentence that best matches the question, cited, as a checked
        answer body (None when nothing matches at all)."""
        titles = {t.title for t in texts}
        supports = [s for s in self.checker.supports(question, texts)
                    if s.sentence and s.sentence not in titles]
        if not supports:
            return None
        best = max(supports, key=lambda s: s.score)
        if best.dense < self.settings.min_relevance:
            return None
        result = self.checker.check(f"{best.sentence} [{best.n}]", texts)
        return result if result.supported else None

    def check_claims(self, text: str, sources: list[Source]) -> Attribution:
        """Decide the citations of any text (a digest, a summary) against these sources."""
        return self.checker.check(text, self.source_texts(sources))

    def close(self) -> None:
        self._checker = None
        if self._store is not None:
            self._store.close()
        if self._llm is not None:
            self._llm.close()
            self._llm = None
        if self._embedder is not None:
            self._embedder.close()
            self._embedder = None
