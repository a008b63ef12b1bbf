"""The one pipeline object every front end (CLI, TUI, batch, server, benchmarks) talks to.

It owns two parts with explicit interfaces, the :class:`~assistant.index.collection.Index`
(store, embedder, write lock) and the :class:`~assistant.llm.choice.Models` (the chat
model and where it runs), plus the claim checker, and exposes the product's verbs:
ingest, remove, papers, search, ask, verdict, summaries, digests, and references out
(the collection, a slice of it or an answer's citations as BibTeX, CSL JSON or RIS). Tests hand it a
scripted chat model and a deterministic embedder through the constructor.

The names front ends need from the stages below (answers, filters, records) are
re-exported here, so a front end imports this module and nothing under it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from assistant.answer.attribution import UNSUPPORTED, Checker, Claim, SourceText, Support
from assistant.answer.evidence import Source, key_sentences, paper_name, split_sentences
from assistant.answer.messages import prompt_prefix
from assistant.answer.prompts import steering_filter, template_version
from assistant.answer.result import Answer, OnStatus, Status, Turn
from assistant.answer.summary import FIELDS as SUMMARY_FIELDS
from assistant.answer.summary import STYLES as SUMMARY_STYLES
from assistant.answer.summary import PaperSummary, summarize_paper
from assistant.answer.tables.extract import extract_results, results_prefix, results_version
from assistant.answer.tables.table import ResultsTable, build_table, table_csv, table_markdown
from assistant.answer.tables.verify import PaperResults, ResultRow, check_reply
from assistant.answer.verdict import LABELS as VERDICT_LABELS
from assistant.answer.verdict import Verdict
from assistant.answer.verdict import decide as decide_verdict
from assistant.errors import AssistantError
from assistant.index.chunking import Chunk
from assistant.index.collection import Index
from assistant.index.filters import Filters
from assistant.index.ingest import IngestReport, Progress
from assistant.index.search import Hit, relevant
from assistant.index.store import StoredPaper
from assistant.llm.base import ChatModel, OnToken, ServerError, ShouldStop
from assistant.llm.budget import ContextError
from assistant.llm.catalog import ModelError, model_label, resolve_model, verdict_calibration
from assistant.llm.choice import Models
from assistant.pipeline.asking import Asker, Question, ignore_status
from assistant.settings import Settings
from assistant.sources import FORMATS as REFERENCE_FORMATS
from assistant.sources import ExportError, Paper, export_format, export_papers, write_references
from assistant.sources.where import WhereError, parse_where

__all__ = ["REFERENCE_FORMATS", "SUMMARY_FIELDS", "SUMMARY_STYLES", "UNSUPPORTED",
           "VERDICT_LABELS", "Answer", "Chunk", "Claim", "ContextError", "ExportError", "Filters",
           "Hit",
           "IngestReport", "ModelUnusable", "Paper", "PaperResults", "Pipeline", "ResultRow",
           "ResultsTable", "Source", "SourceText",
           "Status", "StoredPaper", "Support", "Turn", "UnknownPaper", "Verdict", "WhereError",
           "build_table", "decide_verdict", "export_format", "key_sentences", "model_label",
           "paper_name",
           "parse_where", "split_sentences", "steering_filter", "table_csv", "table_markdown",
           "template_version"]

# a missing or broken model, an unusable server: every paper of a batch would fail alike
ModelUnusable = (ModelError, ServerError)


class UnknownPaper(AssistantError):
    """No indexed paper has this id; the message suggests the closest ones."""

    def __init__(self, paper_id: str, ids: list[str]) -> None:
        import difflib

        close = difflib.get_close_matches(paper_id, ids, n=3, cutoff=0.6)
        close += [i for i in ids if i.endswith(":" + paper_id) and i not in close][:3]
        hint = f"; did you mean {', '.join(close)}?" if close else " (see: assistant papers)"
        super().__init__(f"no paper with id '{paper_id}' is indexed{hint}")


def _filter_key(filters: Filters | None) -> list | None:
    """A filter as JSON, the same in every process (a set's order is not)."""
    if filters is None or not filters.active:
        return None
    return [filters.year_min, filters.year_max, filters.source, filters.title,
            sorted(filters.paper_ids) if filters.paper_ids is not None else None]


class Pipeline:
    """Parse → chunk → embed/store → retrieve → generate/cite, behind one object."""

    def __init__(self, settings: Settings, *, chat: ChatModel | None = None,
                 embedder=None) -> None:
        self._settings = settings
        self.index = Index(settings, embedder, self._load_embedder)
        self.models = Models(settings, prompt_prefix, chat)
        self.asker = Asker(settings, self.index, self.models)
        self._results_warm: set[int] = set()  # models whose extraction prefix is read

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

    def require_paper(self, paper_id: str) -> StoredPaper:
        """The indexed paper with this id, or :class:`UnknownPaper` naming the closest
        indexed ids (a mistyped id, or a file-scoped key given without its file)."""
        stored = self.index.stored_paper(paper_id)
        if stored is None:
            raise UnknownPaper(paper_id, [sp.paper.id for sp in self.papers()])
        return stored

    def search(self, query: str, k: int | None = None, filters: Filters | None = None,
               mode: str = "hybrid", vector=None) -> list[Hit]:
        """Top-k papers; ``mode`` is hybrid, dense or bm25; ``vector`` reuses a query
        embedding (the retrieval benchmark compares modes on one)."""
        return self.index.search(query, k or self.settings.top_k, filters, mode, vector)

    def embed_query(self, text: str):
        """The query vector :meth:`search` would compute (reused across modes)."""
        return self.index.embedder.embed_one(text)

    def relevant(self, hits: list[Hit], query: str = "") -> list[Hit]:
        """Hits good enough to show the model (and those ``query`` names); empty means
        out of scope."""
        return relevant(hits, self.settings, query, self.asker.hit_texts)

    def topic_papers(self, topic: str, k: int | None = None,
                     filters: Filters | None = None) -> list[Paper]:
        """The papers relevant to ``topic`` (``compare``'s set: retrieved, above the
        relevance floor). Remembered per index state: asked again while no paper changed,
        they come from the records alone — no vectors opened, no query embedded, so a
        cached table prints at once from the shell."""
        key = json.dumps([topic, k or self.settings.top_k,
                          _filter_key(filters),
                          self.settings.model_dump_json()])
        found = self.index.recall(key)
        if found is not None:
            return found
        state = self.index.store.settled_state()
        hits = self.relevant(self.search(topic, k, filters), topic)
        papers = [p for p in (self.get_paper(h.paper_id) for h in hits) if p is not None]
        self.index.remember(key, state, papers)
        return papers

    # --- references out ----------------------------------------------------------------------

    def select(self, where: list[str] | None = None) -> list[Paper]:
        """The indexed papers a ``--where`` filter selects (all without one)."""
        keep = parse_where(where) if where else None
        return [sp.paper for sp in self.papers() if keep is None or keep(sp.paper)]

    def cited_papers(self, answer: Answer) -> list[Paper]:
        """The papers an answer cites, in the order of their numbers (one removed from the
        index since is left out)."""
        papers = (self.get_paper(pid) for pid in dict.fromkeys(
            source.paper_id for source in answer.citations))
        return [paper for paper in papers if paper is not None]

    def export(self, papers: Iterable[Paper], fmt: str = "bibtex") -> str:
        """Papers as a reference file's text (bibtex, csljson or ris) that ingests back
        as the same papers (see :mod:`assistant.sources.export`)."""
        return export_papers(papers, fmt)

    def write_references(self, papers: Iterable[Paper], path: Path,
                         fmt: str | None = None) -> str:
        """Write papers to a reference file at once (format: ``fmt``, else from the
        suffix, else BibTeX); returns the format written."""
        return write_references(papers, path, fmt)

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

    def preload(self, model: str | None = None) -> bool:
        """Start loading the chat model in the background (setting ``llm_preload``): a
        one-shot command calls this first, so the load overlaps opening the index and
        retrieval; the first use of the model waits for it."""
        return self.settings.llm_preload and self.models.preload(model)

    def warm(self, model: str | None = None) -> int:
        """Evaluate the fixed start of every answer prompt once (``assistant serve``)."""
        return self.models.warm(model)

    def check_model(self, model: str | None = None) -> Path | None:
        return self.models.check(model)

    # --- answering (the work is the Asker's: :mod:`.asking`) ------------------------------

    def sources_for(self, question: str, **options) -> list[Source]:
        """The numbered sources an answer would be given (empty: out of scope)."""
        return self.asker.sources_for(question, **options)

    def source_texts(self, sources: list[Source]) -> list[SourceText]:
        """Each source paper's whole abstract: what claims are checked against."""
        return self.asker.source_texts(sources)

    def ask(self, question: str, *, on_token: OnToken | None = None,
            should_stop: ShouldStop | None = None, on_status: OnStatus | None = None,
            **options) -> Answer:
        """Answer one question (options: :class:`~.asking.Question`'s fields); one model
        user at a time. ``on_status`` hears each step (papers found, prompt read, tokens
        written, claims checked), ``should_stop`` is polled between prompt chunks and
        tokens."""
        with self.models.lock:
            return self.asker.answer(Question(question, **options), on_token, should_stop,
                                     on_status or ignore_status)

    def digest(self, topic: str, k: int | None = None, model: str | None = None,
               on_token: OnToken | None = None, on_status: OnStatus | None = None
               ) -> Answer:
        """A short cited overview of the papers on ``topic``, checked like ``ask``."""
        return self.ask(topic, model=model, on_token=on_token, on_status=on_status,
                        instructions="digest_system",
                        user_template="digest_user", k=k or self.settings.digest_top_k,
                        budget=self.settings.digest_budget)

    def answer_prompt(self, question: str, sources: list[Source], model: str | None = None
                      ) -> tuple[str, list[str]]:
        """The exact prompt text (and stop strings) an answer with these sources is
        generated from, for ``bench speed``'s bare-engine baseline."""
        return self.asker.prompt_of(question, sources, model)

    def verdict(self, question: str, sources: list[Source],
                model: str | None = None) -> Verdict:
        """The calibrated yes/no/maybe verdict for a question given these sources."""
        with self.models.lock:
            return self.asker.verdict(question, sources, model)

    def verdict_calibration(self, model: str | None = None) -> dict | None:
        """The stored calibration of a model's verdicts (None: uncalibrated)."""
        return verdict_calibration(model or self.settings.model)

    @property
    def checker(self) -> Checker:
        return self.asker.checker

    @contextmanager
    def judging(self, model: str | None = None, *, entail: bool = True,
                threshold: float | None = None) -> Iterator[Checker]:
        """The claim checker with the chat model reading each passing claim (``entail``
        and the ``claim_entailment`` setting), as answers check them (benches)."""
        with self.models.lock, self.asker.judging(self.llm(model) if entail else None,
                                                  threshold) as checker:
            yield checker

    def supports(self, claim: str, texts: list[SourceText]) -> list[Support]:
        """How well each text supports ``claim``, best first (the attribution bench)."""
        return self.checker.supports(claim, texts)

    def set_apart(self, question: str, claims: list[tuple[str, Claim]],
                  texts: list[SourceText]) -> list[Claim]:
        """The supported claims (with the text they were checked as) that are not about
        ``question``, marked so, as answers set them apart (the relevance bench)."""
        return self.checker.set_apart(question, claims, texts)

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

    # --- reported results ----------------------------------------------------------------------

    def extract_results(self, paper: Paper, model: str | None = None) -> PaperResults:
        """The results one paper reports, each value verified against its sentence (one
        model user at a time; the front ends cache it: :mod:`assistant.summaries.results`)."""
        with self.models.lock:
            llm = self.llm(model)
            if id(llm) not in self._results_warm:  # the instructions' state, from disk
                self._results_warm.add(id(llm))
                if llm.vocab is not None:  # a server that formats prompts itself: none
                    llm.warm_prefix(results_prefix(llm), self.settings.cache_dir)
            return extract_results(llm, paper, self.settings)

    def check_results(self, paper: Paper, stored: PaperResults) -> PaperResults:
        """A stored extraction's rows under the current rules (no model work)."""
        return check_reply(paper, stored)

    def results_key(self, model: str | None = None) -> str:
        """Everything besides the paper that shapes the model's results table (model file,
        templates, the code that writes it, settings): part of the cache key; the rules
        that check its rows are applied at every read."""
        s = self.settings
        return "|".join(str(v) for v in (self.model_id(model), results_version(),
                                         s.results_max_tokens, s.n_ctx, s.top_p))

    def close(self) -> None:
        self.index.close()
        self.models.close()
