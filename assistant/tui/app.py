"""`assistant chat`: talk with the paper collection.

The app owns one :class:`~assistant.pipeline.Pipeline` (the same object `assistant ask`
uses). Answers are generated in a thread worker that streams tokens into a Markdown
widget and checks ``is_cancelled`` between tokens, so the UI never freezes and Escape
stops an answer while keeping what was written.
"""

from __future__ import annotations

import time
import traceback

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Markdown, Static
from textual.worker import get_current_worker

from assistant.errors import AssistantError, error_line
from assistant.pipeline import (
    Answer,
    Filters,
    Paper,
    Pipeline,
    Status,
    Turn,
    model_label,
)
from assistant.tui.conversations import Conversation, ConversationStore, answer_markdown
from assistant.tui.render import (
    answer_widget,
    checked_markdown,
    escape_markdown,
    linked_citations,
)
from assistant.tui.screens import ConversationsScreen, PapersScreen
from assistant.tui.sources import SourcesPanel

WELCOME = ("Ask a question about your papers. Answers cite their sources as [n]; select a "
           "source on the right to read its abstract.")


class ChatScreen(Screen):
    """The conversation, the sources panel and the question box."""

    BINDINGS = [
        Binding("escape", "stop", "Stop answer"),
        Binding("ctrl+n", "new_chat", "New chat"),
        Binding("ctrl+l", "papers", "Papers"),
        Binding("ctrl+t", "results", "Results table"),
        Binding("ctrl+o", "conversations", "Open chat"),
        Binding("ctrl+s", "save_answer", "Save answer"),
        Binding("ctrl+y", "copy_answer", "Copy answer"),
        Binding("ctrl+r", "cited_references", "Cited papers as .bib", show=False),
        Binding("ctrl+u", "clear_scope", "All papers", show=False),
        Binding("pageup", "scroll_conversation(-1)", "Scroll up", show=False),
        Binding("pagedown", "scroll_conversation(1)", "Scroll down", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.history: list[Turn] = []
        self.conversation = Conversation.new()
        self.last_answer: Answer | None = None
        self.scope: Paper | None = None
        self.tokens_per_s = 0.0

    @property
    def pipeline(self) -> Pipeline:
        return self.app.pipeline

    @property
    def panel(self) -> SourcesPanel:
        return self.query_one("#sources", SourcesPanel)

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            conversation = VerticalScroll(id="conversation")
            conversation.can_focus = False  # Tab goes from the question box to the sources
            yield conversation
            with Vertical(id="sidebar"):
                yield Static("Sources", id="sources-title")
                yield SourcesPanel(id="sources")
        yield Input(placeholder="Ask about your papers… (Enter to send)", id="question")
        yield Static("", id="status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#question", Input).focus()
        self.show_intro()
        self.refresh_status()

    # --- messages in the conversation --------------------------------------------------

    def show_intro(self) -> None:
        try:
            papers = self.pipeline.paper_count()
        except AssistantError as exc:  # an unreadable index: say how to repair it
            self.add_note(f"The index cannot be used: {exc}", "broken-index")
            return
        if papers == 0:
            self.add_note("The collection is empty. Add papers from a shell with:\n\n"
                          "    assistant ingest FILE…\n\n(try `assistant ingest --sample`), "
                          "then start the chat again.", "empty")
            return
        try:
            self.pipeline.check_model()
        except AssistantError as exc:
            self.add_note(f"The chat model is not available: {exc}", "missing-model")
            return
        self.pipeline.preload()  # loads while the user types the first question
        self.add_note(WELCOME, "welcome")

    def add_note(self, text: str, kind: str = "note") -> Static:
        note = Static(text, classes=f"note {kind}", markup=False)
        self.query_one("#conversation", VerticalScroll).mount(note)
        return note

    def add_question(self, question: str) -> None:
        box = self.query_one("#conversation", VerticalScroll)
        box.mount(Static(question, classes="question", markup=False))

    def add_answer_widget(self) -> Markdown:
        widget = answer_widget()
        box = self.query_one("#conversation", VerticalScroll)
        box.mount(widget)
        box.scroll_end(animate=False)
        return widget

    def refresh_status(self) -> None:
        name = model_label(self.pipeline.settings.model)
        try:
            count = f"{self.pipeline.paper_count()} papers"
        except AssistantError:
            count = "index unreadable"
        parts = [f"model: {name}", count]
        if self.pipeline.backend not in ("", "in-process"):
            parts[0] += f" (server {self.pipeline.backend})"
        if self.tokens_per_s:
            parts.append(f"{self.tokens_per_s:.1f} tok/s")
        if self.scope:
            parts.append(f"asking about: {self.scope.title[:50]} (ctrl+u: all papers)")
        self.query_one("#status", Static).update(" · ".join(parts))

    # --- asking --------------------------------------------------------------------------

    @on(Input.Submitted, "#question")
    def submit(self, event: Input.Submitted) -> None:
        question = event.value.strip()
        if not question:
            return
        if self.answering:
            self.notify("Still answering; press Escape to stop it first.", severity="warning")
            return
        event.input.value = ""
        self.add_question(question)
        self.answer(question)

    @property
    def answering(self) -> bool:
        return any(w.is_running for w in self.workers if w.group == "answer")

    @work(thread=True, exclusive=True, group="answer", exit_on_error=False)
    def answer(self, question: str) -> None:
        """Stream one answer. It belongs to the conversation it was asked in: if the user
        starts or opens another chat meanwhile, it is stopped and saved where it belongs,
        never shown in the new one."""
        worker = get_current_worker()
        app = self.app
        conversation, history = self.conversation, list(self.history)
        progress = app.call_from_thread(self.add_note, "searching the papers…", "progress")
        widget = app.call_from_thread(self.add_answer_widget)
        stream = app.call_from_thread(Markdown.get_stream, widget)

        def on_token(piece: str) -> None:
            if conversation is self.conversation:
                app.call_from_thread(stream.write, piece)

        titles: list[str] = []

        def on_status(status: Status) -> None:
            """The papers in the sources panel as soon as they are chosen, and a progress
            line while the prompt is read and the answer written."""
            if conversation is not self.conversation:
                return
            if status.titles or status.sources:
                titles[:] = status.titles or [s.title or s.paper_id for s in status.sources]
            if status.sources:
                app.call_from_thread(self.panel.show_reading, status.sources, question)
            app.call_from_thread(self.show_progress, progress, status.describe(titles))

        filters = Filters(paper_ids={self.scope.id}) if self.scope else None
        try:
            answer = self.pipeline.ask(question, history=history, filters=filters,
                                       on_token=on_token, on_status=on_status,
                                       should_stop=lambda: worker.is_cancelled)
        except Exception as exc:  # any failure is shown in the chat; the app keeps running
            detail = error_line(exc)
            self.log.error(traceback.format_exc())
            app.call_from_thread(self.show_progress, progress, "")
            app.call_from_thread(stream.stop)
            if conversation is self.conversation:
                app.call_from_thread(widget.update, f"**Error:** {escape_markdown(detail)}")
            return
        app.call_from_thread(stream.stop)
        app.call_from_thread(self.show_progress, progress, "")
        app.call_from_thread(self.finish_answer, widget, answer, conversation)

    async def finish_answer(self, widget: Markdown, answer: Answer,
                            conversation: Conversation | None = None) -> None:
        """Replace the streamed text with the checked one, then record the turn in the
        conversation the question was asked in."""
        conversation = conversation or self.conversation
        conversation.add(answer.question, answer.text, answer.citation_records())
        self.app.conversations.save(conversation)
        if conversation is not self.conversation:  # superseded: saved, not shown here
            return
        text = checked_markdown(answer, self.pipeline.notices)
        self.pipeline.notices.clear()
        await widget.update(text)
        self.last_answer = answer
        if not answer.out_of_scope:
            self.history.append(answer.turn())
        self.tokens_per_s = answer.timings.get("tokens_per_s", 0.0) or self.tokens_per_s
        self.panel.show_answer(answer)
        self.refresh_status()
        self.query_one("#conversation", VerticalScroll).scroll_end(animate=False)

    async def show_progress(self, note: Static, text: str) -> None:
        """What the answer below is doing; the line goes when the answer is finished
        (removed before the answer is shown: nothing still says "writing" after it)."""
        if not note.is_attached:  # a new chat cleared the conversation meanwhile
            return
        if text:
            note.update(text)
        else:
            await note.remove()

    def on_markdown_link_clicked(self, event: Markdown.LinkClicked) -> None:
        """A citation opens its paper. Any other link is never opened from here: it came
        from model output, so it is copied for the user to open deliberately."""
        if event.href.startswith("cite:"):
            n = int(event.href.removeprefix("cite:"))
            source = self.panel.cited(n, self.last_answer)
            if source is not None:
                self.panel.open(source, self.last_answer)
            return
        self.app.copy_to_clipboard(event.href)
        self.notify(f"Link not opened (it comes from model output); copied: {event.href}",
                    severity="warning", markup=False)

    # --- actions --------------------------------------------------------------------------

    def action_stop(self) -> None:
        for worker in self.workers:
            if worker.group == "answer" and worker.is_running:
                worker.cancel()

    def action_scroll_conversation(self, direction: int) -> None:
        box = self.query_one("#conversation", VerticalScroll)
        box.scroll_page_down() if direction > 0 else box.scroll_page_up()

    def action_new_chat(self) -> None:
        self.action_stop()
        self.history.clear()
        self.conversation = Conversation.new()
        self.last_answer = None
        self.query_one("#conversation", VerticalScroll).remove_children()
        self.panel.clear()
        self.show_intro()

    def action_papers(self) -> None:
        self.app.push_screen(PapersScreen([sp.paper for sp in self.pipeline.papers()]))

    def action_results(self) -> None:
        """The results the current answer's papers report, side by side."""
        from assistant.tui.results import open_results

        open_results(self.app, self.last_answer)

    def action_conversations(self) -> None:
        self.app.push_screen(ConversationsScreen(self.app.conversations.list()))

    def _answer_markdown(self) -> str | None:
        answer = self.last_answer
        if answer is None:
            self.notify("No answer yet.", severity="warning")
            return None
        return answer_markdown(answer.question, answer.text, answer.citation_records())

    def action_copy_answer(self) -> None:
        text = self._answer_markdown()
        if text:
            self.app.copy_to_clipboard(text)
            self.notify("Answer copied to the clipboard.")

    def action_save_answer(self) -> None:
        text = self._answer_markdown()
        if text:
            folder = self.pipeline.settings.data_dir / "exports"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"answer-{time.strftime('%Y%m%d-%H%M%S')}.md"
            path.write_text(text, encoding="utf-8")
            self.notify(f"Saved to {path} (ctrl+r: its cited papers as .bib)", markup=False)

    def action_cited_references(self) -> None:
        """The papers the last answer cites, as a BibTeX file beside the saved answers."""
        answer = self.last_answer
        papers = self.pipeline.cited_papers(answer) if answer else []
        if not papers:
            self.notify("The last answer cites no papers." if answer else "No answer yet.",
                        severity="warning")
            return
        name = time.strftime("references-%Y%m%d-%H%M%S.bib")
        path = self.pipeline.settings.data_dir / "exports" / name
        try:
            self.pipeline.write_references(papers, path)
            self.notify(f"{len(papers)} cited paper(s) written to {path}", markup=False)
        except AssistantError as exc:
            self.notify(error_line(exc), severity="error", markup=False)

    def action_clear_scope(self) -> None:
        self.scope = None
        self.refresh_status()

    def load(self, conversation: Conversation) -> None:
        self.action_new_chat()
        self.query_one("#conversation", VerticalScroll).remove_children()
        self.conversation = conversation
        for turn in conversation.turns:
            self.add_question(turn.question)
            valid = {c["n"] for c in turn.citations}
            box = self.query_one("#conversation", VerticalScroll)
            box.mount(answer_widget(linked_citations(turn.answer, valid)))
            self.history.append(Turn(turn.question, turn.answer,
                                     [c["id"] for c in turn.citations]))

    @work(thread=True, group="summary", exit_on_error=False)
    def summarise(self, paper: Paper) -> None:
        from assistant.summaries.batch import Summarizer

        app = self.app
        note = app.call_from_thread(self.add_note, f"Summarising “{paper.title}”…", "summary")
        try:
            summary = Summarizer(self.pipeline).summarize(paper)
        except Exception as exc:  # shown in the chat; the app keeps running
            self.log.error(traceback.format_exc())
            detail = error_line(exc)
            app.call_from_thread(note.update, f"Could not summarise: {detail}")
            return
        lines = [f"Summary of “{paper.title}”", f"TL;DR: {summary.tldr}"]
        lines += [f"{k.capitalize()}: {getattr(summary, k)}"
                  for k in ("problem", "method", "results") if getattr(summary, k)]
        if summary.invented_numbers:
            lines.append(f"(numbers not in the abstract: {', '.join(summary.invented_numbers)})")
        for claim in summary.unsupported_claims:
            lines.append(f"(not supported by the abstract: {claim})")
        app.call_from_thread(note.update, "\n".join(lines))


class AssistantApp(App):
    """The terminal chat app."""

    TITLE = "Paper assistant"
    CSS_PATH = "app.tcss"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit")]

    def __init__(self, pipeline: Pipeline) -> None:
        super().__init__()
        self.pipeline = pipeline
        self.conversations = ConversationStore(pipeline.settings.data_dir)
        self.chat = ChatScreen()

    def on_mount(self) -> None:
        self.push_screen(self.chat)

    def show_chat(self) -> None:
        """Close the paper/papers/conversation screens above the chat."""
        while self.screen is not self.chat and len(self.screen_stack) > 1:
            self.pop_screen()

    def scope_to(self, paper: Paper) -> None:
        self.show_chat()
        self.chat.scope = paper
        self.chat.refresh_status()
        self.chat.add_note(f"Questions now go to “{paper.title}” only (ctrl+u: all papers).",
                           "scope")

    def summarise_paper(self, paper: Paper) -> None:
        self.show_chat()
        self.chat.summarise(paper)

    def load_conversation(self, conversation: Conversation) -> None:
        self.show_chat()
        self.chat.load(conversation)
