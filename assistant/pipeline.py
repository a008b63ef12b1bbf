"""The one pipeline object every front end (CLI, TUI, batch, server, benchmarks) talks to.

It owns two parts with explicit interfaces, the :class:`~assistant.index.collection.Index`
(store, embedder, write lock) and the :class:`~assistant.llm.choice.Models` (the chat
model and where it runs), plus the claim checker, and exposes the product's verbs:
ingest, remove, papers, search, ask, verdict, summaries and digests. Tests hand it a
scripted chat model and a deterministic embedder through the constructor.

The names front ends need from the stages below (answers, filters, records) are
re-exported here, so a front end imports this module and nothing under it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

from assistant.answer.attribution import (
    UNSUPPORTED,
    Attribution,
    Checker,
    Claim,
    SourceText,
    Support,
    closest_finding,
)
from assistant.answer.cite import StreamingCitationFilter, strip_source_list
from assistant.answer.evidence import Source, key_sentences, select_sources
from assistant.answer.messages import (
    build_messages,
    fit_messages,
    prompt_prefix,
    retrieval_query,
)
from assistant.answer.prompts import steering_filter, template_version
from assistant.answer.result import (
    Answer,
    Turn,
    answer_timings,
    compose_answer,
    empty_collection,
    out_of_scope,
)
from assistant.answer.summary import FIELDS as SUMMARY_FIELDS
from assistant.answer.summary import STYLES as SUMMARY_STYLES
from assistant.answer.summary import PaperSummary, summarize_paper
from assistant.answer.verdict import LABELS as VERDICT_LABELS
from assistant.answer.verdict import Verdict, is_yes_no
from assistant.answer.verdict import decide as decide_verdict
from assistant.index.chunking import Chunk
from assistant.index.collection import Index
from assistant.index.filters import Filters
from assistant.index.ingest import IngestReport, Progress
from assistant.index.search import Hit, relevant
from assistant.index.store import StoredPaper
from assistant.llm.base import (
    ChatModel,
    Generation,
    Message,
    NoLabelProbs,
    OnToken,
    ShouldStop,
)
from assistant.llm.budget import ContextError
from assistant.llm.catalog import ModelError, model_label, resolve_model, verdict_calibration
from assistant.llm.choice import Models
from assistant.llm.remote import ServerError
from assistant.settings import Settings
from assistant.sources import Paper
from assistant.sources.where import WhereError, parse_where

__all__ = ["SUMMARY_FIELDS", "SUMMARY_STYLES", "UNSUPPORTED", "VERDICT_LABELS", "Answer",
           "Chunk", "ContextError", "Filters", "Hit", "IngestReport", "ModelUnusable", "Paper",
           "Pipeline", "Source", "SourceText", "StoredPaper", "Support", "Turn", "Verdict",
           "WhereError", "decide_verdict", "key_sentences", "model_label", "parse_where",
           "steering_filter", "template_version"]

# a missing or broken model, an unusable server: every paper of a batch would fail alike
ModelUnusable = (ModelError, ServerError)


class Pipeline:
    """Parse → chunk → embed/store → retrieve → generate/cite, behind one object."""

    def __init__(self, settings: Settings, *, chat: ChatModel | None = None,
                 embedder=None) -> None:
        self._settings = settings
        self.index = Index(settings, embedder, self._load_embedder)
        self.models = Models(settings, prompt_prefix, chat)
        self._checker: Checker | None = None

    @property
    def settings(self) -> Settings:
        """This pipeline's settings, fixed for its life (its parts hold them too): other
        settings mean another pipeline."""
        return self._settings

    def _load_embedder(self):
        from assistant.index.embedding import Embedder

        path = resolve_model(self.settings.embedder, self.settings.models_dir, "embedder")
        return Embedder(path, self.settings.threads, self.settings.embed_max_tokens)

    # --- the index's verbs ------------------------------------------------------------------

    def ingest(self, paths: Iterable[Path], progress: Progress | None = None, **options
               ) -> IngestReport:
        """Add or update papers from files (see :meth:`Index.ingest`)."""
        return self.index.ingest(paths, progress, **options)

    def add_papers(self, papers: Iterable[Paper], report: IngestReport,
                   progress: Callable[[], None] | None = None) -> None:
        """Add or update papers already parsed (a benchmark's set)."""
        self.index.add_papers(papers, report, progress=progress)

    def add_embedded(self, items: Iterable[tuple[Paper, list[Chunk], object]]) -> int:
        """Store papers whose chunks come with their vectors (``bench scale``)."""
        return self.index.add_embedded(items)

    def remove(self, paper_id: str, **options) -> Paper | None:
        return self.index.remove(paper_id, **options)

    def reindex(self, **options) -> int:
        return self.index.reindex(**options)

    def papers(self) -> list[StoredPaper]:
        return self.index.papers()

    def paper_count(self) -> int:
        return self.index.paper_count()

    def stored_paper(self, paper_id: str) -> StoredPaper | None:
        return self.index.stored_paper(paper_id)

    def get_paper(self, paper_id: str) -> Paper | None:
        return self.index.get_paper(paper_id)

    def search(self, query: str, k: int | None = None, filters: Filters | None = None,
               mode: str = "hybrid", vector=None) -> list[Hit]:
        """Top-k papers; ``mode`` is hybrid, dense or bm25; ``vector`` reuses a query
        embedding (the retrieval benchmark compares modes on one)."""
        return self.index.search(query, k or self.settings.top_k, filters, mode, vector)

    def embed_query(self, text: str):
        """The query vector :meth:`search` would compute (reused across modes)."""
        return self.index.embedder.embed_one(text)

    def relevant(self, hits: list[Hit]) -> list[Hit]:
        """Hits good enough to show the model; empty means out of scope."""
        return relevant(hits, self.settings)

    # --- the models' verbs ------------------------------------------------------------------

    def llm(self, model: str | None = None) -> ChatModel:
        return self.models.llm(model)

    @property
    def backend(self) -> str:
        return self.models.backend

    @property
    def notices(self) -> list[str]:
        return self.models.notices

    def model_id(self, model: str | None = None) -> str:
        return self.models.model_id(model)

    def warm(self, model: str | None = None) -> int:
        """Evaluate the fixed start of every answer prompt once (``assistant serve``)."""
        return self.models.warm(model)

    def check_model(self, model: str | None = None) -> Path | None:
        return self.models.check(model)

    # --- sources ------------------------------------------------------------------------------

    def _carry_over(self, question: str, paper_ids: list[str], hits: list[Hit],
                    k: int | None) -> list[Hit]:
        """A follow-up ("how fast is it?") usually means the papers just cited: they go
        first, then the new retrieval results, up to top-k."""
        cited = self.search(question, k=len(paper_ids), filters=Filters(paper_ids=set(paper_ids)))
        cited.sort(key=lambda h: paper_ids.index(h.paper_id))
        seen = {h.paper_id for h in cited}
        return (cited + [h for h in hits if h.paper_id not in seen])[: k or self.settings.top_k]

    def sources_for(self, question: str, *, history: list[Turn] | None = None,
                    filters: Filters | None = None, k: int | None = None,
                    budget: int | None = None, model: str | None = None) -> list[Source]:
        """The numbered sources an answer would be given (empty: out of scope)."""
        history = history or []
        hits = self.search(retrieval_query(question, history, self.settings), k=k,
                           filters=filters)
        if not (filters and filters.paper_ids):  # papers the user picked are always relevant
            hits = self.relevant(hits)
        if history and history[-1].paper_ids and not (filters and filters.active):
            hits = self._carry_over(question, history[-1].paper_ids, hits, k)
        if not hits:
            return []
        return select_sources(self.index.store, hits, question,
                              budget or self.settings.context_budget,
                              self.llm(model).count_tokens, self.settings)

    def source_texts(self, sources: list[Source]) -> list[SourceText]:
        """What the checker compares claims with: each source paper's whole abstract (the
        model saw excerpts, but a claim is true to the paper if the paper says it)."""
        texts = []
        for source in sources:
            paper = self.get_paper(source.paper_id)
            texts.append(SourceText(source.n, source.title,
                                    paper.abstract if paper else source.text))
        return texts

    # --- answering ----------------------------------------------------------------------------

    def ask(self, question: str, **options) -> Answer:
        """Answer one question (see :meth:`_ask`); one model user at a time."""
        with self.models.lock:
            return self._ask(question, **options)

    def digest(self, topic: str, k: int | None = None, model: str | None = None,
               on_token: OnToken | None = None) -> Answer:
        """A short cited overview of the papers on ``topic``, checked like ``ask``."""
        return self.ask(topic, model=model, on_token=on_token, instructions="digest_system",
                        user_template="digest_user", k=k or self.settings.digest_top_k,
                        budget=self.settings.digest_budget)

    def answer_prompt(self, question: str, sources: list[Source], model: str | None = None
                      ) -> tuple[str, list[str]]:
        """The exact prompt text (and stop strings) an answer with these sources is
        generated from, for ``bench speed``'s bare-engine baseline."""
        messages = build_messages(question, sources, [], self.settings)
        return self.llm(model).format_prompt(messages)

    def verdict(self, question: str, sources: list[Source],
                model: str | None = None) -> Verdict:
        """The calibrated yes/no/maybe verdict for a question given these sources."""
        with self.models.lock:
            llm = self.llm(model)
            messages = build_messages(question, sources, [], self.settings, "yesno_system")
            return self._decide(llm, messages)

    def _decide(self, llm: ChatModel, messages: list[Message]) -> Verdict:
        return decide_verdict(llm.label_probs(messages, "Answer:", VERDICT_LABELS),
                              verdict_calibration(self.models.spec))

    def verdict_calibration(self, model: str | None = None) -> dict | None:
        """The stored calibration of a model's verdicts (None: uncalibrated)."""
        return verdict_calibration(model or self.settings.model)

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
        self.models.take_load_seconds()  # a load before this question is not its time
        question = question.strip()
        label = model or self.settings.model
        if not self.index.store.paper_count():
            return empty_collection(question, label, start)
        if yes_no is None:
            yes_no = instructions == "answer_system" and is_yes_no(question)
        if yes_no and budget is None:
            budget = self.settings.yes_no_budget  # a verdict needs the key findings only
        sources = given if given is not None else self.sources_for(
            question, history=history, filters=filters, k=k, budget=budget, model=model)
        # selecting evidence counts tokens, which may load the model: that is not retrieval
        retrieval_s = time.perf_counter() - start - (self.models.load_s or 0.0)
        if not sources:
            return out_of_scope(question, label, start, retrieval_s)
        llm = self.llm(model)
        if on_sources:
            on_sources(sources)
        messages, verdict, prefix, notes = self._prompt(
            llm, question, sources, history, "yesno_system" if yes_no else instructions,
            user_template, yes_no)
        generation = self._generate(llm, messages, prefix, on_token, should_stop)
        body, _cut = strip_source_list(generation.text[len(prefix):])
        texts = check_texts or self.source_texts(sources)
        attribution, extractive = self._attribute(question, body, texts, verdict,
                                                  generation.stats.stopped)
        answer = compose_answer(question, llm.name, sources, generation, body, attribution,
                                verdict, notes)
        answer.extractive = extractive
        answer.timings = answer_timings(start, retrieval_s, self.models.take_load_seconds(),
                                        generation.stats, attribution.seconds)
        return answer

    def _prompt(self, llm: ChatModel, question: str, sources: list[Source],
                history: list[Turn], instructions: str, user_template: str, yes_no: bool
                ) -> tuple[list[Message], Verdict | None, str, list[str]]:
        """The messages, and for a yes/no question the verdict and the start of the
        explanation ("Answer: yes\\nBecause:"); a model without label probabilities
        answers it as an open question instead, with a note saying why."""
        messages = fit_messages(llm, question, sources, history, self.settings, instructions,
                                user_template)
        if not yes_no:
            return messages, None, "", []
        try:
            verdict = self._decide(llm, messages)
        except NoLabelProbs as exc:
            return (fit_messages(llm, question, sources, history, self.settings), None, "",
                    [str(exc)])
        return messages, verdict, f"Answer: {verdict.label}\nBecause:", []

    def _generate(self, llm: ChatModel, messages: list[Message], prefix: str,
                  on_token: OnToken | None, should_stop: ShouldStop | None) -> Generation:
        """Stream the reply; citations are decided after generation, so none is shown
        while streaming."""
        stream = StreamingCitationFilter(set(), on_token) if on_token else None
        generation = llm.generate(messages, self.settings.max_tokens,
                                  self.settings.temperature, stream.feed if stream else None,
                                  should_stop, prefix, top_p=self.settings.top_p,
                                  repeat_penalty=self.settings.repeat_penalty)
        if stream:
            stream.flush()
        return generation

    def _attribute(self, question: str, body: str, texts: list[SourceText],
                   verdict: Verdict | None, stopped: bool) -> tuple[Attribution, bool]:
        """The claim check of the reply, and whether the papers' own closest sentence
        replaced it: the verdict stands on the papers, so when the model's explanation
        does not, their most relevant sentence explains it instead of an abstention."""
        attribution = self.checker.check(body, texts)
        if verdict is not None and not attribution.supported and not stopped:
            fallback = closest_finding(self.checker, question, texts,
                                       self.settings.min_relevance)
            if fallback is not None:
                return fallback, True
        return attribution, False

    # --- the claim check ----------------------------------------------------------------------

    @property
    def checker(self) -> Checker:
        """The claim checker, sharing the retrieval embedder and the collection's IDF."""
        if self._checker is None:
            self._checker = Checker(lambda texts: self.index.embedder.embed(texts),
                                    self.index.term_idf, tuning=self.settings)
        return self._checker

    def supports(self, claim: str, texts: list[SourceText]) -> list[Support]:
        """How well each text supports ``claim``, best first (the attribution bench)."""
        return self.checker.supports(claim, texts)

    def choose_citations(self, claim: str, supports: list[Support]) -> Claim:
        """The claim's citations decided from these supports, none proposed by a model."""
        return self.checker.choose(claim, [], supports)

    # --- summaries ----------------------------------------------------------------------------

    def summarize(self, paper: Paper, style: str = "structured",
                  model: str | None = None) -> PaperSummary:
        """One paper's summary, checked against its own abstract (one model user at a
        time; the batch front end caches it)."""
        with self.models.lock:
            return summarize_paper(self.llm(model), paper, style, self.settings,
                                   self.checker.check)

    def summary_version(self, style: str) -> str:
        """The version of the templates a summary of this style is made with."""
        return template_version(SUMMARY_STYLES[style], "summary_user")

    def summary_key(self, style: str, model: str | None = None) -> str:
        """Everything besides the paper that shapes a summary (model file, templates,
        the settings it is made and checked with): part of its cache key, so a changed
        setting never serves a stale summary."""
        s = self.settings
        return "|".join(str(v) for v in (
            self.model_id(model), self.summary_version(style), style,
            s.summary_max_tokens, s.tldr_max_tokens, s.n_ctx, s.top_p, s.repeat_penalty,
            s.claim_threshold))

    def close(self) -> None:
        self._checker = None
        self.index.close()
        self.models.close()
