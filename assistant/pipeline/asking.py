"""Answering, the pipeline's longest path: retrieve → choose evidence → prompt → (verdict)
→ stream → check each claim → compose the answer, telling a front end where it is at
every step (:class:`~assistant.answer.result.Status`), so nobody waits at a blank screen.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from assistant.answer.attribution import Attribution, Checker, SourceText
from assistant.answer.cite import StreamingCitationFilter, strip_source_list
from assistant.answer.closest import closest_finding
from assistant.answer.entailment import Judge
from assistant.answer.evidence import Source, select_sources
from assistant.answer.messages import (
    build_messages,
    fit_messages,
    follow_up,
    refers_back,
    retrieval_query,
)
from assistant.answer.result import (
    STAND_IN,
    Answer,
    OnStatus,
    Status,
    Turn,
    answer_timings,
    asks_for_papers,
    compose_answer,
    empty_collection,
    out_of_scope,
)
from assistant.answer.verdict import LABELS, Verdict, decide, is_yes_no, none_such
from assistant.index.collection import Index
from assistant.index.filters import Filters
from assistant.index.search import Hit, relevant
from assistant.llm.base import ChatModel, Generation, Message, NoLabelProbs, OnToken, ShouldStop
from assistant.llm.catalog import verdict_calibration
from assistant.llm.choice import Models
from assistant.settings import Settings


@dataclass
class Question:
    """One question and how to answer it. ``instructions``/``user_template`` name the
    prompt templates (the digest uses its own); ``k`` and ``budget`` override top-k and the
    evidence budget; ``given`` sources replace retrieval and ``check_texts`` the papers
    claims are checked against (the benchmarks use both to alter what the model sees);
    ``yes_no`` is detected when None."""

    text: str
    history: list[Turn] = field(default_factory=list)
    filters: Filters | None = None
    model: str | None = None
    instructions: str = "answer_system"
    user_template: str = "answer_user"
    k: int | None = None
    budget: int | None = None
    yes_no: bool | None = None
    given: list[Source] | None = None
    check_texts: list[SourceText] | None = None


def ignore_status(_status: Status) -> None:
    """The status listener of a caller that shows none."""


class Asker:
    """The pipeline's answering part, over its index and models."""

    def __init__(self, settings: Settings, index: Index, models: Models) -> None:
        self.settings = settings
        self.index = index
        self.models = models
        self._checker: Checker | None = None
        self._judge: Judge | None = None

    # --- sources ------------------------------------------------------------------------------

    def search(self, query: str, k: int | None = None, filters: Filters | None = None
               ) -> list[Hit]:
        return self.index.search(query, k or self.settings.top_k, filters)

    def hit_texts(self, hits: list[Hit]) -> list[str]:
        """Each hit's title and abstract (what a keyword question is matched against)."""
        stored = [self.index.store.stored(h.paper_id) for h in hits]
        return [f"{s.paper.title} {s.paper.abstract}" if s else h.title
                for h, s in zip(hits, stored, strict=True)]

    def _carry_over(self, question: str, paper_ids: list[str], hits: list[Hit],
                    k: int | None) -> list[Hit]:
        """A follow-up ("how fast is it?") usually means the papers just cited: they go
        first, then the new retrieval results, up to top-k."""
        cited = self.search(question, len(paper_ids), Filters(paper_ids=set(paper_ids)))
        cited.sort(key=lambda h: paper_ids.index(h.paper_id))
        seen = {h.paper_id for h in cited}
        return (cited + [h for h in hits if h.paper_id not in seen])[: k or self.settings.top_k]

    def sources_for(self, question: str, *, history: list[Turn] | None = None,
                    filters: Filters | None = None, k: int | None = None,
                    budget: int | None = None, model: str | None = None,
                    on_status: OnStatus = ignore_status) -> list[Source]:
        """The numbered sources an answer would be given (empty: out of scope). The papers
        found are announced before their evidence is chosen: choosing counts the model's
        tokens, which may mean loading it first."""
        history = history or []
        in_conversation = bool(history and history[-1].sources)
        query = question if in_conversation else retrieval_query(question, history,
                                                                 self.settings)
        hits = self.search(query, k, filters)
        if not (filters and filters.paper_ids):  # papers the user picked are always relevant
            hits = relevant(hits, self.settings, query, self.hit_texts)
        if in_conversation:
            hits = self._in_conversation(question, hits, history[-1], k)
        elif history and history[-1].paper_ids and not (filters and filters.active):
            hits = self._carry_over(question, history[-1].paper_ids, hits, k)
        if not hits:
            return []
        on_status(Status("found", titles=[h.title or h.paper_id for h in hits]))
        llm = self._llm(model, on_status)
        return select_sources(self.index.store, hits, question,
                              budget or self.settings.context_budget, llm.count_tokens,
                              self.settings)

    def _in_conversation(self, question: str, hits: list[Hit], last: Turn, k: int | None
                         ) -> list[Hit]:
        """A follow-up's papers when the model has already read the conversation's:
        ``hits`` are the question's own (not mixed with the earlier questions, which would
        rank the papers already read first); the new papers that rank above all of those
        already read are what the question adds (none when it points back at the papers
        discussed and asks for no others: "which benchmarks did they use?" finds a
        benchmarking paper by itself), then come the papers just cited and the
        conversation's other papers the question found again (read already, they cost
        nothing). A follow-up that finds nothing by itself ("how fast is it?") keeps the
        papers just cited, or, when the last answer cited none, the papers it read."""
        given = {s.paper_id for s in last.sources}
        new: list[Hit] = []
        for hit in hits if not refers_back(question) else []:
            if hit.paper_id in given:
                break
            new.append(hit)
        cited = self.search(" ".join(s.title for s in last.sources), len(given),
                            Filters(paper_ids=given)) if given else []
        order = {pid: i for i, pid in enumerate(last.paper_ids)}
        again = {h.paper_id for h in hits}
        kept = sorted((h for h in cited if h.paper_id in order or h.paper_id in again),
                      key=lambda h: order.get(h.paper_id, len(order)))
        if not new and not kept:  # nothing found by itself, nothing cited: the papers read
            kept = cited
        return new[: k or self.settings.top_k] + kept

    def _llm(self, model: str | None, on_status: OnStatus) -> ChatModel:
        if not self.models.holds(model):
            on_status(Status("loading"))
        return self.models.llm(model)

    def source_texts(self, sources: list[Source]) -> list[SourceText]:
        """What the checker compares claims with: each source paper's whole abstract (the
        model saw excerpts, but a claim is true to the paper if the paper says it)."""
        texts = []
        for source in sources:
            paper = self.index.get_paper(source.paper_id)
            texts.append(SourceText(source.n, source.title,
                                    paper.abstract if paper else source.text))
        return texts

    # --- verdicts -----------------------------------------------------------------------------

    def verdict(self, question: str, sources: list[Source], model: str | None = None,
                on_status: OnStatus = ignore_status) -> Verdict:
        """The calibrated yes/no/maybe verdict for a question given these sources."""
        messages = build_messages(question, sources, [], self.settings, "yesno_system")
        return self._decide(self.models.llm(model), messages, on_status)

    def _decide(self, llm: ChatModel, messages: list[Message], on_status: OnStatus) -> Verdict:
        probs = llm.label_probs(messages, "Answer:", LABELS,
                                on_prefill=_reading(on_status))
        return decide(probs, verdict_calibration(self.models.spec))

    # --- answering ----------------------------------------------------------------------------

    def answer(self, q: Question, on_token: OnToken | None = None,
               should_stop: ShouldStop | None = None, on_status: OnStatus = ignore_status
               ) -> Answer:
        """Retrieve, prompt, stream, then decide the citations claim by claim. A yes/no
        question first gets a calibrated verdict from the model's label probabilities,
        and the model then explains that verdict."""
        start = time.perf_counter()
        self.models.take_load_seconds()  # a load before this question is not its time
        question = q.text.strip()
        label = q.model or self.settings.model
        if not self.index.store.paper_count():
            return empty_collection(question, label, start)
        yes_no = (q.instructions == "answer_system" and is_yes_no(question)
                  if q.yes_no is None else q.yes_no)
        budget = self.settings.yes_no_budget if yes_no and q.budget is None else q.budget
        on_status(Status("searching"))
        sources = q.given if q.given is not None else self.sources_for(
            question, history=q.history, filters=q.filters, k=q.k, budget=budget,
            model=q.model, on_status=on_status)
        # selecting evidence counts tokens, which may load the model: that is not retrieval
        retrieval_s = time.perf_counter() - start - (self.models.load_s or 0.0)
        if not sources:
            return out_of_scope(question, label, start, retrieval_s)
        llm = self._llm(q.model, on_status)
        instructions = "yesno_system" if yes_no else q.instructions
        messages, sources, earlier = self._lay_out(llm, q, sources, instructions)
        on_status(Status("sources", sources=sources))
        messages, verdict, prefix, notes = self._prompt(llm, q, messages, sources, yes_no,
                                                        on_status)
        generation = self._generate(llm, messages, prefix, on_token, should_stop, on_status)
        body, _cut = strip_source_list(generation.text[len(prefix):])
        on_status(Status("checking"))
        texts = q.check_texts or self.source_texts([*sources, *earlier])
        attribution, extractive = self._attribute(llm, question, body, texts, verdict,
                                                  generation.stats.stopped)
        answer = compose_answer(question, llm.name, sources, generation, body, attribution,
                                verdict, notes, earlier)
        answer.extractive = extractive
        if extractive:  # the user is told the words are the paper's, not the model's
            answer.notes.append(STAND_IN)
        answer.prompt, answer.given = messages, [*sources, *earlier]
        answer.timings = answer_timings(start, retrieval_s, self.models.take_load_seconds(),
                                        generation.stats, attribution.seconds)
        return answer

    def _lay_out(self, llm: ChatModel, q: Question, sources: list[Source], instructions: str
                 ) -> tuple[list[Message], list[Source], list[Source]]:
        """The messages, the question's sources as numbered in them, and the
        conversation's earlier sources: a follow-up continues the last turn's prompt
        where it can (see :func:`~assistant.answer.messages.follow_up`), else the prompt
        is laid afresh."""
        question = q.text.strip()
        if q.history and q.given is None:
            laid = follow_up(llm, q.history[-1], question, sources, self.settings,
                             instructions, q.user_template)
            if laid is not None:
                return laid
        return fit_messages(llm, question, sources, q.history, self.settings, instructions,
                            q.user_template), sources, []

    def _prompt(self, llm: ChatModel, q: Question, messages: list[Message],
                sources: list[Source], yes_no: bool, on_status: OnStatus
                ) -> tuple[list[Message], Verdict | None, str, list[str]]:
        """The messages, and for a yes/no question the verdict and the start of the
        explanation ("Answer: yes\\nBecause:"); a model without label probabilities
        answers it as an open question instead, with a note saying why."""
        question = q.text.strip()
        if not yes_no:
            return messages, None, "", []
        try:
            verdict = self._decide(llm, messages, on_status)
        except NoLabelProbs as exc:
            return (fit_messages(llm, question, sources, q.history, self.settings), None, "",
                    [str(exc)])
        return messages, verdict, f"Answer: {verdict.label}\nBecause:", []

    def _generate(self, llm: ChatModel, messages: list[Message], prefix: str,
                  on_token: OnToken | None, should_stop: ShouldStop | None,
                  on_status: OnStatus) -> Generation:
        """Stream the reply; citations are decided after generation, so none is shown
        while streaming. Each piece is also counted for the status line."""
        stream = StreamingCitationFilter(set(), on_token) if on_token else None
        written = 0

        def piece(text: str) -> None:
            nonlocal written
            written += 1
            on_status(Status("writing", done=written))
            if stream:
                stream.feed(text)

        generation = llm.generate(messages, self.settings.max_tokens,
                                  self.settings.temperature, piece, should_stop, prefix,
                                  top_p=self.settings.top_p,
                                  repeat_penalty=self.settings.repeat_penalty,
                                  on_prefill=_reading(on_status))
        if stream:
            stream.flush()
        return generation

    def _attribute(self, llm: ChatModel, question: str, body: str, texts: list[SourceText],
                   verdict: Verdict | None, stopped: bool) -> tuple[Attribution, bool]:
        """The claim check of the reply, and whether the papers' own closest sentence
        replaced it: the verdict stands on the papers, so when the model's explanation
        does not, their most relevant sentence explains it instead of an abstention. An
        open question gets that sentence too when a claim of the model's matched a paper
        that states all its numbers and names, but its reading or the rules on where
        they stand and what its wording adds kept it out (its wording could not be
        confirmed: the paper's own words can), and so does one where the model denied
        what a paper states ("The OPEN paper does not provide information about the
        datasets" where it names nuScenes). A claim naming what the paper never
        names is about something else: no sentence stands in for it.
        The model reads the claims that pass (setting ``claim_entailment``) aside from
        the conversation's evaluated context, which is kept for the next turn.
        A "no" to a question about what the collection holds ("Are there papers on …?")
        gets no stand-in: one paper's finding cannot explain that none is about it (an
        unrelated paper's sentence was shown under "Verdict: no"); it abstains, naming
        the papers read. Nor does an open request for papers ("List the papers about
        …"): one sentence of one paper is no list; the papers the model named are."""
        with self.judging(llm):
            attribution = self.checker.check(body, texts, question)
            matched = (any(c.readings or c.near_miss for c in attribution.claims)
                       or attribution.refuted_denials > 0) \
                and not asks_for_papers(question)  # the papers it named are listed
            if (verdict is not None or matched) and not attribution.supported \
                    and not stopped and not none_such(question, verdict):
                fallback = closest_finding(self.checker, question, texts,
                                           self.settings.min_relevance)
                if fallback is not None:  # its time is on top of the check it replaces
                    fallback.seconds += attribution.seconds
                    return fallback, True
        return attribution, False

    @contextmanager
    def judging(self, llm: ChatModel | None, threshold: float | None = None
                ) -> Iterator[Checker]:
        """The checker with ``llm`` reading claims (when the setting asks for it and a
        model is given), the model's conversation context put aside meanwhile.
        ``threshold`` replaces ``claim_entail_threshold`` (the bench sweeps it)."""
        checker = self.checker
        if llm is None or not self.settings.claim_entailment:
            yield checker
            return
        wanted = self.settings.claim_entail_threshold if threshold is None else threshold
        if self._judge is None or self._judge.llm is not llm:
            self._judge = Judge(llm, wanted, self.settings.cache_dir)
        self._judge.threshold = wanted
        self._judge.begin()
        checker.judge = self._judge
        try:
            with llm.aside():
                yield checker
        finally:
            checker.judge = None

    @property
    def checker(self) -> Checker:
        """The claim checker, sharing the retrieval embedder and the collection's IDF."""
        if self._checker is None:
            self._checker = Checker(lambda texts: self.index.embedder.embed(texts),
                                    self.index.term_idf, tuning=self.settings)
        return self._checker

    def prompt_of(self, question: str, sources: list[Source], model: str | None = None
                  ) -> tuple[str, list[str]]:
        """The exact prompt text (and stop strings) an answer with these sources is
        generated from."""
        messages = build_messages(question, sources, [], self.settings)
        return self.models.llm(model).format_prompt(messages)


def _reading(on_status: OnStatus) -> Callable[[int, int], None]:
    """Prompt-reading progress as status events."""
    return lambda done, total: on_status(Status("reading", done=done, total=total))
