"""The chat's results view (Ctrl+T): what the current answer's papers report, as a table
with a bar chart of the highlighted row's metric; Enter opens the paper with the
sentence the value is quoted from highlighted.

Extraction uses the model (the answer's lock: one model user at a time) and the same
per-paper cache as `assistant compare`, so it runs in a thread worker and reports each
paper as it is read."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static
from textual_plotext import PlotextPlot

from assistant.errors import AssistantError, error_line
from assistant.pipeline import Paper, ResultRow, ResultsTable, build_table, paper_name
from assistant.summaries.results import ResultsCache
from assistant.tui.screens import PaperScreen


def open_results(app, answer) -> None:
    """Open the results view for an answer's papers (a notice when there is none yet)."""
    papers = [app.pipeline.get_paper(s.paper_id) for s in answer.sources] if answer else []
    papers = [p for p in papers if p is not None]
    if not papers:
        app.notify("Ask a question first: the table shows what its papers report.",
                   severity="warning")
        return
    app.push_screen(ResultsScreen(answer.question, papers))


def short_title(title: str, width: int = 32) -> str:
    """A paper as a table cell: the name its title announces, else the title cut."""
    name = paper_name(title)
    return name or (title if len(title) <= width else title[:width - 1] + "…")


class ResultsScreen(Screen):
    """The reported results of a set of papers (the current answer's sources)."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, topic: str, papers: list[Paper]) -> None:
        super().__init__()
        self.topic = topic
        self.papers = papers
        self.table: ResultsTable | None = None
        self.rows: list[tuple[ResultRow, int]] = []  # each table row, with its group

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Reading the results of {len(self.papers)} papers…", id="results-status",
                     markup=False)
        with Horizontal(id="results-main"):
            yield DataTable(id="results-table", cursor_type="row", zebra_stripes=True)
            with Vertical(id="results-side"):
                yield PlotextPlot(id="results-chart")
                yield Static("", id="results-sentence", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        grid = self.query_one("#results-table", DataTable)
        grid.add_columns("", "metric · dataset", "paper", "by", "value", "condition")
        grid.focus()
        self.extract()

    @work(thread=True, exclusive=True)
    def extract(self) -> None:
        """Each paper's results (cached after the first time), then the table."""
        def progress(done: int, _rate: float) -> None:
            self.app.call_from_thread(self.set_status, f"Reading results: {done} of "
                                      f"{len(self.papers)} papers…")

        try:
            batch = ResultsCache(self.app.pipeline).all(self.papers, progress)
        except AssistantError as exc:
            self.app.call_from_thread(self.set_status, f"Cannot read results: {exc}")
            return
        except Exception as exc:  # noqa: BLE001 - a bug is one line here, not a crash
            self.app.call_from_thread(self.set_status, error_line(exc))
            return
        self.app.call_from_thread(self.show, build_table(self.topic, batch.results))

    def set_status(self, text: str) -> None:
        self.query_one("#results-status", Static).update(text)

    def show(self, table: ResultsTable) -> None:
        self.table = table
        grid = self.query_one("#results-table", DataTable)
        for index, group in enumerate(table.groups):
            best = group.best
            for i, row in enumerate(group.rows):
                by = (row.method or "own") if row.own else f"{row.method or 'other'} (baseline)"
                grid.add_row("★" if row is best else "", group.label if i == 0 else "",
                             short_title(row.title), by,
                             f"{row.qualifier} {row.value_text}".strip(), row.condition)
                self.rows.append((row, index))
        shown = len(table.rows)
        papers = len(table.papers) - len(table.without_results)
        self.set_status(f"{shown} results from {papers} of {len(table.papers)} papers · "
                        "Enter opens the paper at its sentence" if shown else
                        f"None of the {len(table.papers)} papers reports a result.")
        if self.rows:
            self.highlight(0)

    @on(DataTable.RowHighlighted, "#results-table")
    def row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.highlight(event.cursor_row)

    def highlight(self, index: int) -> None:
        """The row's sentence beside the table, and its group as bars."""
        if not self.table or not 0 <= index < len(self.rows):
            return
        row, group_index = self.rows[index]
        self.query_one("#results-sentence", Static).update(f"“{row.sentence}”")
        group = self.table.groups[group_index]
        chart = self.query_one("#results-chart", PlotextPlot)
        plt = chart.plt
        plt.clear_data()
        plt.clear_figure()
        labels = [f"{short_title(r.title, 16)}{'' if r.own else ' (b)'}" for r in group.rows]
        plt.bar(labels, [r.value for r in group.rows], orientation="horizontal")
        plt.title(group.label)
        chart.refresh()

    @on(DataTable.RowSelected, "#results-table")
    def open_row(self, event: DataTable.RowSelected) -> None:
        if not 0 <= event.cursor_row < len(self.rows):
            return
        row, _ = self.rows[event.cursor_row]
        paper = self.app.pipeline.get_paper(row.paper_id)
        if paper is not None:
            self.app.push_screen(PaperScreen(paper, row.sentence, evidence=[row.sentence]))
