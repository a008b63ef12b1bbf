"""The sources panel: the papers being read while an answer is written (each with the
first sentence of its evidence), then the cited papers and, dimmed, those retrieved but
not cited. Selecting one opens its abstract with the evidence highlighted."""

from __future__ import annotations

from textual import on
from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from assistant.pipeline import Answer, Source
from assistant.tui.screens import PaperScreen


class SourcesPanel(OptionList):
    """Entries map to (source, the answer — or the question while it is answered)."""

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self.entries: dict[str, tuple[Source, Answer | str]] = {}

    def clear(self) -> None:
        self.clear_options()
        self.entries.clear()

    def show_reading(self, sources: list[Source], question: str) -> None:
        """The sources the model is reading, before the answer is written (they can be
        opened already)."""
        self.clear()
        for source in sources:
            key = f"s{source.n}"
            self.entries[key] = (source, question)
            first = source.text.split(". ")[0].strip(" …")
            first = first if len(first) <= 70 else first[:69] + "…"
            self.add_option(Option(Content.assemble(
                f"[{source.n}] {source.title}\n", (f"    {first}", "dim")), id=key))

    def show_answer(self, answer: Answer) -> None:
        """The cited sources, then those retrieved but not cited."""
        self.clear()
        cited = {c.n for c in answer.citations}
        for source in answer.citations:
            key = f"s{source.n}"
            self.entries[key] = (source, answer)
            year = f" ({source.year})" if source.year else ""
            self.add_option(Option(Content(f"[{source.n}] {source.title}{year}\n    "
                                           f"{source.paper_id}"), id=key))
        others = [s for s in answer.sources if s.n not in cited]
        if others:
            self.add_option(None)
            for source in others:
                key = f"r{source.n}"
                self.entries[key] = (source, answer)
                self.add_option(Option(Content.styled(f"retrieved, not cited: "
                                                      f"{source.title}", "dim"), id=key))
        if self.option_count:
            self.highlighted = 0

    def cited(self, n: int, answer: Answer | None) -> Source | None:
        """Source ``n`` of this answer, if the panel shows it."""
        for source, shown in self.entries.values():
            if source.n == n and shown is answer:
                return source
        return None

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        source, answer = self.entries[event.option.id]
        self.open(source, answer)

    def open(self, source: Source, answer: Answer | str) -> None:
        """The paper's abstract with the sentences the claim check matched highlighted
        (for a source no claim cites, or while the answer is being written: the retrieved
        passage's best sentences)."""
        paper = self.app.pipeline.get_paper(source.paper_id)
        if paper is None:
            self.notify("That paper is no longer indexed.", severity="warning")
            return
        if isinstance(answer, str):  # still answering this question
            self.app.push_screen(PaperScreen(paper, source.text, answer))
            return
        self.app.push_screen(PaperScreen(paper, source.text, answer.question,
                                         evidence=answer.evidence_for(source.n)))
