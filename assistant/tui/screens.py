"""Secondary screens: one paper, the papers browser, saved conversations."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, OptionList, Static
from textual.widgets.option_list import Option

from assistant.pipeline import Paper, key_sentences
from assistant.tui.conversations import Conversation


def highlighted_abstract(abstract: str, passage: str, question: str = "",
                         evidence: list[str] | None = None) -> Text:
    """The abstract with the evidence highlighted (which sentences: the pipeline's
    :func:`key_sentences`)."""
    text = Text(abstract)
    for sentence in key_sentences(passage, question, evidence):
        start = abstract.find(sentence)
        if start >= 0:
            text.stylize("bold #ffd75f on #3a3a00", start, start + len(sentence))
    return text


class PaperScreen(Screen):
    """One paper: title, metadata, abstract with the retrieved passage highlighted."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("a", "ask_about", "Ask about this paper"),
        Binding("s", "summarise", "Summarise"),
    ]

    def __init__(self, paper: Paper, passage: str = "", question: str = "",
                 evidence: list[str] | None = None) -> None:
        super().__init__()
        self.paper = paper
        self.passage = passage
        self.question = question
        self.evidence = evidence or []

    def compose(self) -> ComposeResult:
        paper = self.paper
        yield Header()
        with VerticalScroll(id="paper-body"):
            yield Static(paper.title, id="paper-title", markup=False)
            meta = [paper.id]
            if paper.year:
                meta.append(str(paper.year))
            if paper.authors:
                meta.append(", ".join(paper.authors[:4]))
            meta.append(paper.source)
            yield Static(" · ".join(meta), id="paper-meta", markup=False)
            links = [u for u in [paper.url, *paper.code_urls] if u]
            if links:
                yield Static("\n".join(links), id="paper-links", markup=False)
            yield Static(highlighted_abstract(paper.abstract, self.passage, self.question,
                                              self.evidence), id="paper-abstract")
        yield Footer()

    def action_ask_about(self) -> None:
        self.app.scope_to(self.paper)

    def action_summarise(self) -> None:
        self.app.summarise_paper(self.paper)


class PapersScreen(Screen):
    """Browse and filter the indexed papers: typing filters (the filter box has the
    focus), Up/Down move through the list, Enter opens the highlighted paper."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back"),
                Binding("down", "move(1)", "Next", show=False),
                Binding("up", "move(-1)", "Previous", show=False)]

    def __init__(self, papers: list[Paper]) -> None:
        super().__init__()
        self.papers = sorted(papers, key=lambda p: p.title.lower())

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="Filter by title, id or source…", id="paper-filter")
        yield OptionList(id="paper-list")
        yield Static("", id="paper-count", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.refill("")
        self.query_one("#paper-filter", Input).focus()

    def action_move(self, step: int) -> None:
        options = self.query_one("#paper-list", OptionList)
        if options.option_count:
            now = options.highlighted if options.highlighted is not None else -1
            options.highlighted = max(0, min(options.option_count - 1, now + step))

    @on(Input.Submitted, "#paper-filter")
    def open_highlighted(self) -> None:
        options = self.query_one("#paper-list", OptionList)
        if options.highlighted is not None and options.option_count:
            self.open(options.get_option_at_index(options.highlighted).id)

    def refill(self, needle: str) -> None:
        needle = needle.lower().strip()
        shown = [p for p in self.papers
                 if not needle or needle in f"{p.title} {p.id} {p.source}".lower()]
        options = self.query_one("#paper-list", OptionList)
        options.clear_options()
        options.add_options([Option(Content.assemble(p.title, (f"  {p.id}", "dim")), id=p.id)
                             for p in shown])
        if shown:
            options.highlighted = 0
        self.query_one("#paper-count", Static).update(
            f"{len(shown)} of {len(self.papers)} papers · Enter opens a paper")

    @on(Input.Changed, "#paper-filter")
    def filter_changed(self, event: Input.Changed) -> None:
        self.refill(event.value)

    @on(OptionList.OptionSelected, "#paper-list")
    def open_paper(self, event: OptionList.OptionSelected) -> None:
        self.open(event.option.id)

    def open(self, paper_id: str | None) -> None:
        paper = next(p for p in self.papers if p.id == paper_id)
        self.app.push_screen(PaperScreen(paper))


class ConversationsScreen(Screen):
    """Reopen a saved conversation."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, conversations: list[Conversation]) -> None:
        super().__init__()
        self.conversations = conversations

    def compose(self) -> ComposeResult:
        yield Header()
        options = [Option(Content.assemble(c.title or "(empty)",
                                        (f"  {c.id} · {len(c.turns)} turns", "dim")), id=c.id)
                   for c in self.conversations]
        if not options:
            yield Static("No saved conversations yet.", id="no-conversations")
        yield OptionList(*options, id="conversation-list")
        yield Footer()

    def on_mount(self) -> None:
        conversations = self.query_one("#conversation-list", OptionList)
        conversations.focus()
        if conversations.option_count:
            conversations.highlighted = 0

    @on(OptionList.OptionSelected, "#conversation-list")
    def reopen(self, event: OptionList.OptionSelected) -> None:
        chosen = next(c for c in self.conversations if c.id == event.option.id)
        self.app.load_conversation(chosen)
