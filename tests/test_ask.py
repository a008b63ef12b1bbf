"""Answering: prompt assembly and citation checks (scripted model), and end to end with the
real small GGUF model."""

from __future__ import annotations

from fakes import ScriptedLLM, install

from assistant.pipeline import OUT_OF_SCOPE, Pipeline, Turn

QUESTION = "Which papers speed up depth estimation on embedded hardware, and how fast are they?"


def test_prompt_numbers_sources_within_budget_and_fabricated_citation_is_dropped(sample_copy):
    fake = ScriptedLLM("FastDepth runs at 178 fps on a Jetson TX2 [1]. It is the best [9].")
    install(sample_copy, fake)
    answer = sample_copy.ask(QUESTION)
    messages = fake.calls[0]
    assert messages[0].role == "system" and "[1]" in messages[0].content
    user = messages[-1].content
    assert user.rstrip().endswith(QUESTION)
    for source in answer.sources:
        assert f"[{source.n}] {source.title}" in user
    assert answer.sources[0].title.startswith("FastDepth")
    evidence = sum(fake.count_tokens(s.text) for s in answer.sources)
    assert evidence <= sample_copy.settings.context_budget + 20
    assert answer.invalid_citations == [9]
    assert "[9]" not in answer.text
    assert [c.n for c in answer.citations] == [1]
    data = answer.to_dict()
    assert data["citations"] == [{"n": 1, "id": answer.sources[0].paper_id,
                                  "title": answer.sources[0].title}]
    assert {"retrieval", "first_token", "total"} <= data["timings"].keys()


def test_out_of_scope_does_not_ask_the_model(sample_copy):
    fake = ScriptedLLM("should not be called")
    install(sample_copy, fake)
    answer = sample_copy.ask("What is the capital of France?")
    assert answer.out_of_scope and answer.text == OUT_OF_SCOPE
    assert answer.citations == [] and fake.calls == []


def test_follow_up_uses_history_in_query_and_prompt(sample_copy):
    fake = ScriptedLLM("It runs at 178 fps [1].")
    install(sample_copy, fake)
    history = [Turn("Tell me about FastDepth on embedded systems", "FastDepth is fast [1].")]
    answer = sample_copy.ask("How fast is it?", history=history)
    assert answer.sources[0].title.startswith("FastDepth")
    roles = [m.role for m in fake.calls[0]]
    assert roles == ["system", "user", "assistant", "user"]


def test_follow_up_keeps_the_papers_just_cited(sample_copy):
    fake = ScriptedLLM("It is fast [1].")
    install(sample_copy, fake)
    fast = sample_copy.search("FastDepth embedded systems", k=1)[0]
    history = [Turn("Tell me about the paper you like most", "This one [1].",
                    [fast.paper_id])]
    query = sample_copy.retrieval_query("How fast is it?", history)
    assert sample_copy.search(query, k=1)[0].paper_id != fast.paper_id  # not found by text
    answer = sample_copy.ask("How fast is it?", history=history)
    assert answer.sources[0].paper_id == fast.paper_id


def test_stop_keeps_partial_answer(sample_copy):
    fake = ScriptedLLM("one two three four five six")
    install(sample_copy, fake)
    seen = []
    answer = sample_copy.ask(QUESTION, on_token=seen.append,
                             should_stop=lambda: len(seen) >= 2)
    assert answer.stopped and answer.text == "one two"


def test_empty_collection_says_how_to_ingest(pipeline):
    answer = pipeline.ask("anything?")
    assert answer.out_of_scope and "assistant ingest" in answer.text


def test_real_small_model_answers_with_valid_citations(sample_pipeline):
    """End to end: real Chroma, real embedder, real Gemma 3 270M GGUF."""
    streamed: list[str] = []
    answer = sample_pipeline.ask(QUESTION, on_token=streamed.append)
    assert not answer.out_of_scope
    assert answer.sources and answer.sources[0].title.startswith("FastDepth")
    assert streamed and "".join(streamed).strip()
    assert answer.text.strip()
    given = {s.n for s in answer.sources}
    assert {c.n for c in answer.citations} <= given
    import re

    assert {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)} <= given
    assert answer.timings["first_token"] > 0
    assert answer.tokens["completion"] > 0


def test_second_question_reuses_the_cached_prompt_prefix(sample_pipeline):
    sample_pipeline.ask(QUESTION)
    answer = sample_pipeline.ask("Which papers study link prediction in graphs?")
    assert answer.tokens["cached_prefix"] > 20


def test_prefix_state_is_saved_for_the_next_process(sample_pipeline, base_settings):
    sample_pipeline.llm()
    cache = sample_pipeline.settings.cache_dir
    assert list(cache.glob("prefix-*.state"))
    fresh = Pipeline(sample_pipeline.settings)
    try:
        llm = fresh.llm()
        assert llm.prefix_source == "disk"
        assert llm.llm.n_tokens > 20
    finally:
        fresh.close()
