"""The terminal chat, driven headless by Textual's pilot: the real app over a real store,
with the real small model end to end (slow) and, for deterministic UI checks, a scripted
model over the sample papers indexed with the hash embedder (fast)."""

from __future__ import annotations

import pytest
from chat_pilot import ask, submit, wait_for_answer, wait_until
from conftest import TEST_LLM
from fakes import HashEmbedder, ScriptedLLM, TableLLM
from textual.widgets import Input

from assistant.pipeline import Pipeline
from assistant.tui.app import AssistantApp
from assistant.tui.screens import PaperScreen, PapersScreen, highlighted_abstract

QUESTION = "How fast is FastDepth on embedded hardware?"
SCRIPTED = "FastDepth runs at 178 fps on a Jetson TX2 GPU [1]. Others are slower [7]."


def shown(widget, index: int) -> str:
    """The text an option list really shows for an option (markup parsed if it is a str)."""
    from textual.visual import visualize

    return visualize(widget, widget.get_option_at_index(index).prompt).plain


def source_labels(app) -> list[str]:
    panel = app.chat.query_one("#sources")
    return [shown(panel, i) for i in range(panel.option_count)]


@pytest.mark.slow
async def test_real_model_streams_an_answer_and_lists_its_sources(sample_pipeline):
    app = AssistantApp(sample_pipeline)
    streamed: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        original = sample_pipeline.ask

        def spy(question, **options):
            inner = options["on_token"]
            options["on_token"] = lambda piece: (streamed.append(piece), inner(piece))
            return original(question, **options)

        sample_pipeline.ask = spy
        try:
            await ask(app, pilot, QUESTION)
        finally:
            del sample_pipeline.ask
        answer = app.chat.last_answer
        assert answer is not None and answer.text.strip()
        assert len(streamed) > 1
        labels = source_labels(app)
        assert any("FastDepth" in label for label in labels)
        for cited in answer.citations:
            assert any(f"[{cited.n}] {cited.title}" in label for label in labels)
        assert "tok/s" in str(app.chat.query_one("#status").render())


async def test_cited_source_opens_abstract_and_invalid_citation_is_not_a_link(hashed_copy):
    fake = ScriptedLLM(SCRIPTED)
    pipeline = hashed_copy(fake)
    app = AssistantApp(pipeline)
    async with app.run_test(size=(120, 40)) as pilot:
        await ask(app, pilot, QUESTION)
        answer = app.chat.last_answer
        assert answer.invalid_citations == [7]
        markdown = app.chat.query(".answer").last()
        assert "cite:1" in markdown.source and "[7]" not in markdown.source
        assert source_labels(app)[0].startswith("[1] FastDepth")
        await pilot.press("tab")  # from the question box straight to the sources
        assert app.focused is app.chat.query_one("#sources")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PaperScreen)
        assert "178 fps" in str(app.screen.query_one("#paper-abstract").render())
        # the highlighted sentence is the one the claim check matched, not a guess
        evidence = answer.evidence_for(1)
        assert app.screen.evidence == evidence and "178 fps" in evidence[0]
        shown = highlighted_abstract(app.screen.paper.abstract, "", "", evidence)
        assert [shown.plain[s.start:s.end] for s in shown.spans] == evidence
        assert "\\[unsupported\\]" in markdown.source  # "Others are slower" is marked
        await pilot.press("escape")
        assert app.screen is app.chat


async def test_follow_up_sends_history_and_new_chat_forgets_it(hashed_copy):
    fake = ScriptedLLM("FastDepth is fast [1].")
    pipeline = hashed_copy(fake)
    app = AssistantApp(pipeline)
    async with app.run_test(size=(120, 40)) as pilot:
        await ask(app, pilot, "Tell me about FastDepth on embedded systems")
        await ask(app, pilot, "How fast is it?")
        roles = [m.role for m in fake.calls[-1]]
        assert roles == ["system", "user", "assistant", "user"]
        assert fake.calls[-1][:2] == fake.calls[0]  # the first prompt, continued
        first_sources = fake.calls[0][-1].content.split("Question:")[0]
        repeated = [line for line in fake.calls[-1][-1].content.splitlines()
                    if len(line) > 40 and not line.startswith(("<", "Sources"))
                    and line in first_sources]
        assert repeated == []  # what the model has read is not sent again
        assert app.chat.last_answer.sources[0].title.startswith("FastDepth")
        await pilot.press("ctrl+n")
        await ask(app, pilot, "Which papers do link prediction?")
        assert [m.role for m in fake.calls[-1]] == ["system", "user"]


async def test_escape_stops_answer_and_keeps_partial_text(hashed_copy):
    fake = ScriptedLLM(" ".join(f"word{i}" for i in range(400)), delay=0.05)
    app = AssistantApp(hashed_copy(fake))
    async with app.run_test(size=(120, 40)) as pilot:
        await submit(app, pilot, QUESTION)
        await wait_until(pilot, lambda: len(fake.streamed) >= 3, 10)  # mid-answer
        await pilot.press("escape")
        await wait_for_answer(app, pilot, 0)
        answer = app.chat.last_answer
        assert answer.stopped
        assert answer.text.startswith("word0 word1")
        assert len(answer.text.split()) < 400
        assert "(stopped)" in app.chat.query(".answer").last().source


async def test_empty_collection_says_how_to_ingest(fast_pipeline):
    app = AssistantApp(fast_pipeline)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        note = app.chat.query_one(".empty")
        assert "assistant ingest" in str(note.render())


async def test_missing_model_file_is_explained(hashed_copy):
    settings = hashed_copy().settings.model_copy(  # a model file deleted after the settings
        update={"model": "/nonexistent/model.gguf"})  # loaded; no model given: it is checked
    app = AssistantApp(Pipeline(settings, embedder=HashEmbedder()))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        note = str(app.chat.query_one(".missing-model").render())
        assert "/nonexistent/model.gguf does not exist" in note


async def test_saved_chat_titles_with_markup_are_listed_as_written(fast_pipeline):
    from assistant.tui.conversations import Conversation
    from assistant.tui.screens import ConversationsScreen

    app = AssistantApp(fast_pipeline)
    title = "What do [bold]Results[/bold] of [red] say?"
    conversation = Conversation.new()
    conversation.add(title, "An answer.", [])
    app.conversations.save(conversation)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, ConversationsScreen)
        options = app.screen.query_one("#conversation-list")
        assert title in shown(options, 0)


async def test_a_corrupt_index_is_explained_in_the_chat(hashed_copy):
    data_dir = hashed_copy().settings.data_dir
    for suffix in ("-wal", "-shm"):
        (data_dir / "index" / f"records.sqlite3{suffix}").unlink(missing_ok=True)
    (data_dir / "index" / "records.sqlite3").write_bytes(b"not a database" * 300)
    app = AssistantApp(hashed_copy(ScriptedLLM("A scripted answer.")))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        note = str(app.chat.query_one(".broken-index").render())
        assert "assistant reindex" in note and app.is_running


async def test_missing_catalog_model_names_install_command(hashed_copy):
    settings = hashed_copy().settings.replace(  # no model given: the catalog's is checked
        model=TEST_LLM, models_dir=hashed_copy().settings.data_dir / "no-models")
    app = AssistantApp(Pipeline(settings, embedder=HashEmbedder()))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        note = str(app.chat.query_one(".missing-model").render())
        assert f"assistant models install {TEST_LLM}" in note


async def test_results_table_of_the_answers_papers(hashed_copy):
    from textual.widgets import DataTable

    from assistant.tui.results import ResultsScreen

    fake = TableLLM(SCRIPTED)
    app = AssistantApp(hashed_copy(fake))
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("ctrl+t")  # no answer yet: a notice, no screen
        await pilot.pause()
        assert not isinstance(app.screen, ResultsScreen)
        await ask(app, pilot, QUESTION)
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert isinstance(app.screen, ResultsScreen)
        screen = app.screen
        await wait_until(pilot, lambda: screen.table is not None)
        grid = screen.query_one("#results-table", DataTable)
        assert grid.row_count == len(screen.table.rows) > 0
        first, _ = screen.rows[0]
        assert first.value_text in str(screen.query_one("#results-sentence").render())
        answered = {s.paper_id for s in app.chat.last_answer.sources}
        assert {row.paper_id for row, _ in screen.rows} <= answered
        await pilot.press("enter")
        await paper_shown(pilot)
        assert isinstance(app.screen, PaperScreen) and app.screen.paper.id == first.paper_id


async def test_papers_browser_keys_move_and_open(hashed_copy):
    app = AssistantApp(hashed_copy(ScriptedLLM("x")))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+l")
        await pilot.pause()
        await pilot.press(*"depth")
        await pilot.pause()
        options = app.screen.query_one("#paper-list")
        assert 1 < options.option_count < 76
        await pilot.press("down", "down", "up")
        assert options.highlighted == 1
        second = options.get_option_at_index(1).id
        await pilot.press("enter")
        await paper_shown(pilot)
        assert isinstance(app.screen, PaperScreen) and app.screen.paper.id == second


async def test_papers_browser_filters_and_scopes_questions(hashed_copy):
    fake = ScriptedLLM("It is about speech [1].")
    pipeline = hashed_copy(fake)
    app = AssistantApp(pipeline)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert isinstance(app.screen, PapersScreen)
        await pilot.press(*"hubert")  # typed as a user would: the filter box has the focus
        await pilot.pause()
        assert app.screen.query_one("#paper-filter").value == "hubert"
        assert app.screen.query_one("#paper-list").option_count == 1
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PaperScreen)
        await pilot.press("a")
        await pilot.pause()
        assert app.chat.scope is not None and "HuBERT" in app.chat.scope.title
        await ask(app, pilot, "What does it compress?")
        assert [s.title for s in app.chat.last_answer.sources] == [app.chat.scope.title]


async def test_conversation_is_saved_and_reopened(hashed_copy):
    pipeline = hashed_copy(ScriptedLLM("FastDepth is fast [1]."))
    app = AssistantApp(pipeline)
    async with app.run_test(size=(120, 40)) as pilot:
        await ask(app, pilot, QUESTION)
        await pilot.press("ctrl+s")
        await pilot.pause()
        exports = list((pipeline.settings.data_dir / "exports").glob("answer-*.md"))
        assert exports and "### Sources" in exports[0].read_text()
    app = AssistantApp(pipeline)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+o")
        await pilot.pause()
        app.screen.query_one("#conversation-list").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is app.chat
        assert app.chat.history and app.chat.history[0].question == QUESTION


async def test_new_chat_while_answering_keeps_the_old_answer_in_its_own_chat(hashed_copy):
    """Ctrl+N while an answer streams: the answer stops, is saved in the conversation it
    was asked in, and never appears in the new one."""
    fake = ScriptedLLM(" ".join(f"word{i}" for i in range(400)), delay=0.05)
    app = AssistantApp(hashed_copy(fake))
    async with app.run_test(size=(120, 40)) as pilot:
        first = app.chat.conversation
        await submit(app, pilot, QUESTION)
        await wait_until(pilot, lambda: len(fake.streamed) >= 3, 10)  # mid-answer
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: bool(first.turns) and not app.chat.answering, 10)
        await pilot.pause(0.5)
        assert app.chat.conversation is not first
        assert app.chat.conversation.turns == [] and app.chat.history == []
        assert not app.chat.query(".answer") and app.chat.last_answer is None
        assert first.turns[0].question == QUESTION
        assert first.turns[0].answer.startswith("word0")
        assert len(first.turns[0].answer.split()) < 400
        saved = {c.id: c for c in app.conversations.list()}
        assert saved[first.id].turns[0].question == QUESTION


class FailsOnce(ScriptedLLM):
    """Fails on its first answer (a llama.cpp error), then answers as scripted."""

    failed = False

    def generate(self, *args, **kwargs):
        if not self.failed:
            self.failed = True
            raise RuntimeError("llama_decode returned -3")
        return super().generate(*args, **kwargs)


async def test_a_failing_answer_is_shown_in_the_chat_and_the_app_keeps_running(hashed_copy):
    pipeline = hashed_copy(FailsOnce("FastDepth is fast [1]."))
    app = AssistantApp(pipeline)
    async with app.run_test(size=(120, 40)) as pilot:
        await submit(app, pilot, QUESTION)
        await wait_until(pilot, lambda: not app.chat.answering
                         and "Error" in app.chat.query(".answer").last().source, 10)
        source = app.chat.query(".answer").last().source
        assert "unexpected RuntimeError: llama\\_decode returned \\-3" in source
        assert app.is_running
        await ask(app, pilot, QUESTION)  # the same app and model: this one answers
        assert app.chat.last_answer.citations


async def test_titles_with_markup_are_shown_as_written(hashed_copy):
    from conftest import DATA

    pipeline = hashed_copy(ScriptedLLM("It studies markup in text [1]."))
    report = pipeline.ingest([DATA / "bad" / "jsonl_markup_titles.jsonl"])
    assert len(report.added) == 2
    title = "[bold]Results[/bold] of [red] and [/] Tricks"
    app = AssistantApp(pipeline)
    async with app.run_test(size=(120, 40)) as pilot:
        await ask(app, pilot, "What do Results of Tricks say about markup in text?")
        assert any(title in label for label in source_labels(app))
        await pilot.press("ctrl+l")
        await pilot.pause()
        app.screen.query_one("#paper-filter").value = "Tricks"
        await pilot.pause()
        options = app.screen.query_one("#paper-list")
        assert options.option_count == 1 and title in shown(options, 0)
        options.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PaperScreen)
        assert str(app.screen.query_one("#paper-title").render()) == title


async def test_links_in_answers_are_never_opened_by_a_click(hashed_copy, monkeypatch):
    from textual.widgets import Markdown

    pipeline = hashed_copy(ScriptedLLM("FastDepth is fast [1]. "
                                       "See [the demo](https://evil.example)."))
    app = AssistantApp(pipeline)
    opened: list[str] = []
    monkeypatch.setattr(app, "open_url", lambda url, **kw: opened.append(url))
    async with app.run_test(size=(120, 40)) as pilot:
        await ask(app, pilot, QUESTION)
        widget = app.chat.query(".answer").last()
        widget.post_message(Markdown.LinkClicked(widget, "https://evil.example"))
        await pilot.pause(0.2)
        assert opened == []
        assert app.clipboard == "https://evil.example"
        widget.post_message(Markdown.LinkClicked(widget, "cite:1"))
        await paper_shown(pilot)
        assert isinstance(app.screen, PaperScreen)


async def paper_shown(pilot, tries: int = 50) -> None:
    """Wait until the paper screen a click pushed is mounted: leaving the app while its
    header is still being composed raised NoMatches('HeaderTitle') in Textual's title
    watcher once, on a loaded machine (CI on a fresh clone)."""
    for _ in range(tries):
        await pilot.pause(0.1)
        screen = pilot.app.screen
        if isinstance(screen, PaperScreen) and screen.query("#paper-title") \
                and screen.query("HeaderTitle"):
            break
    await pilot.pause()


# --- snapshots of the main screens ---------------------------------------------------------


def steady(app) -> None:
    """No blinking cursors, so a screenshot does not depend on when it is taken."""
    for screen in app.screen_stack:
        for widget in screen.query(Input):
            widget.cursor_blink = False


@pytest.fixture
def scripted_app(hashed_copy):
    pipeline = hashed_copy(ScriptedLLM(SCRIPTED))
    return AssistantApp(pipeline)


def test_snapshot_chat_with_answer(scripted_app, snap_compare):
    async def run_before(pilot):
        steady(scripted_app)
        await ask(scripted_app, pilot, QUESTION)
        scripted_app.chat.tokens_per_s = 0.0
        scripted_app.chat.refresh_status()
        await pilot.pause()

    assert snap_compare(scripted_app, terminal_size=(110, 32), run_before=run_before)


def test_snapshot_paper_view(scripted_app, snap_compare):
    async def run_before(pilot):
        steady(scripted_app)
        await ask(scripted_app, pilot, QUESTION)
        await pilot.press("tab", "enter")
        await pilot.pause()

    assert snap_compare(scripted_app, terminal_size=(110, 32), run_before=run_before)


def test_snapshot_papers_browser(scripted_app, snap_compare):
    async def run_before(pilot):
        await pilot.press("ctrl+l")
        await pilot.pause()
        steady(scripted_app)

    assert snap_compare(scripted_app, terminal_size=(110, 32), run_before=run_before)


def test_snapshot_empty_collection(fast_pipeline, snap_compare):
    app = AssistantApp(fast_pipeline)

    async def run_before(pilot):
        steady(app)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 24), run_before=run_before)
