"""No blank wait: an answer says where it is at every step (papers found, the prompt read
in %, tokens written, claims checked), the papers come before the first token, and a stop
during the prompt's reading ends it within one chunk."""

from __future__ import annotations

import pytest
from fakes import ScriptedLLM

from assistant.pipeline import Status

QUESTION = "Which papers speed up depth estimation on embedded hardware, and how fast are they?"


def test_status_lines_read_as_plain_words():
    titles = ["FastDepth: Fast Monocular Depth Estimation", "DepthMaster", "A", "B", "C"]
    assert Status("searching").describe([]) == "searching the papers…"
    assert Status("found").describe(titles[:1]).startswith("found 1 paper: FastDepth")
    line = Status("reading", done=64, total=256).describe(titles)
    assert line.startswith("reading 5 papers 25% (64/256 prompt tokens): FastDepth")
    assert line.endswith("; …") and "C" not in line.split(": ", 1)[1].split("; ")
    assert Status("writing", done=12).describe(titles) == "writing… 12 tokens"
    assert "checking" in Status("checking").describe(titles)


def test_an_answer_reports_its_steps_in_order_and_the_papers_before_any_token(hashed_copy):
    events: list[str] = []
    pipeline = hashed_copy(ScriptedLLM("FastDepth runs at 178 fps on a Jetson TX2 [1]."))

    def on_status(status: Status) -> None:
        events.append(status.stage)
        if status.stage == "sources":
            assert status.sources and status.sources[0].title.startswith("FastDepth")

    answer = pipeline.ask(QUESTION, on_status=on_status,
                          on_token=lambda piece: events.append("token"))
    assert answer.citations
    stages = [e for i, e in enumerate(events) if i == 0 or e != events[i - 1]]
    assert stages[:3] == ["searching", "found", "sources"]
    assert stages.index("sources") < stages.index("reading") < stages.index("token")
    assert "writing" in stages and stages[-1] == "checking"
    reading = [e for e in events if e == "reading"]
    assert len(reading) >= 2  # read in chunks, each reported


def test_a_stop_while_the_prompt_is_read_ends_the_answer_within_one_chunk(hashed_copy):
    pipeline = hashed_copy(ScriptedLLM("This is never written [1]."))
    chunks: list[Status] = []

    def on_status(status: Status) -> None:
        if status.stage == "reading":
            chunks.append(status)

    answer = pipeline.ask(QUESTION, on_status=on_status, should_stop=lambda: bool(chunks))
    assert answer.stopped and len(chunks) == 1 and "never written" not in answer.text


@pytest.mark.slow
def test_the_real_model_reads_a_long_prompt_in_chunks_and_stops_within_one(base_settings):
    """llama.cpp in this process: progress after every chunk of ``prefill_chunk`` tokens,
    the answer the same as one read whole, and a stop honoured before the next chunk."""
    from assistant.llm.base import Message
    from assistant.llm.catalog import resolve_model
    from assistant.llm.local import LocalLLM

    llm = LocalLLM(resolve_model(base_settings.model, base_settings.models_dir), 2048, 2,
                   prefill_chunk=32)
    try:
        messages = [Message("user", "Say the word 'blue'. " + "Context sentence. " * 40)]
        seen: list[tuple[int, int]] = []
        whole = llm.generate(messages, 8, 0.0, top_p=0.9, repeat_penalty=1.1,
                             on_prefill=lambda done, total: seen.append((done, total)))
        total = seen[-1][1]
        assert total > 100 and seen[-1][0] == total and len(seen) == -(-total // 32)
        assert [d for d, _t in seen] == sorted(d for d, _t in seen)
        llm.llm.reset()
        stopped_after: list[int] = []
        halted = llm.generate(messages, 8, 0.0, top_p=0.9, repeat_penalty=1.1,
                              on_prefill=lambda done, total: stopped_after.append(done),
                              should_stop=lambda: len(stopped_after) >= 2)
        assert halted.stats.stopped and halted.text == "" and stopped_after == [32, 64]
        llm.llm.reset()
        llm.prefill_chunk = 4096  # the whole prompt in one read
        again = llm.generate(messages, 8, 0.0, top_p=0.9, repeat_penalty=1.1)
        assert again.text == whole.text  # chunked reading changes nothing in the answer
    finally:
        llm.close()


async def test_the_chat_shows_the_papers_and_the_progress_while_the_answer_is_written(
        hashed_copy):
    """Right after Enter the sources panel lists the papers being read (with their
    evidence) and a progress line says what the answer is doing; both are there before
    the answer is finished, and the progress line is gone after it."""
    from chat_pilot import submit, wait_for_answer, wait_until

    from assistant.tui.app import AssistantApp

    app = AssistantApp(hashed_copy(ScriptedLLM(" ".join(f"word{i}" for i in range(60))
                                               + " [1].", delay=0.05)))
    async with app.run_test(size=(120, 40)) as pilot:
        await submit(app, pilot, QUESTION)
        panel = app.chat.panel
        await wait_until(pilot, lambda: panel.option_count > 0, timeout_s=30)
        assert app.chat.answering  # the papers are shown while the answer is written
        first = str(panel.get_option_at_index(0).prompt)
        assert first.startswith("[1] FastDepth")
        assert len(first.splitlines()) == 2  # the title, then its evidence
        await wait_until(pilot, lambda: "writing" in _progress(app), timeout_s=30)
        await wait_for_answer(app, pilot, 0)
        assert not app.chat.query(".progress")
        # the panel now lists the answer's sources (here none is cited: word salad)
        assert {type(a).__name__ for _s, a in panel.entries.values()} == {"Answer"}
        assert "FastDepth" in str(panel.get_option_at_index(0).prompt)


def _progress(app) -> str:
    notes = app.chat.query(".progress")
    return str(notes.last().render()) if notes else ""
