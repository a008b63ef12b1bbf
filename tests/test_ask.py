"""Answering: prompt assembly, flow and citation checks (scripted model, hash embedder, the
real store, retrieval and claim checker: fast), and end to end with the real small GGUF
model (slow)."""

from __future__ import annotations

import re

import pytest
from fakes import ScriptedLLM

from assistant.answer.attribution import UNSUPPORTED
from assistant.answer.messages import retrieval_query
from assistant.answer.result import (
    LISTED,
    NONE_SUCH,
    NOT_SUPPORTED,
    OUT_OF_SCOPE,
    STAND_IN,
    Turn,
)
from assistant.answer.verdict import asks_existence
from assistant.pipeline import Pipeline

QUESTION = "Which papers speed up depth estimation on embedded hardware, and how fast are they?"


def test_prompt_numbers_sources_within_budget_and_fabricated_citation_is_dropped(hashed_copy):
    fake = ScriptedLLM("FastDepth runs at 178 fps on a Jetson TX2 [1]. It is the best [9].")
    pipeline = hashed_copy(fake)
    answer = pipeline.ask(QUESTION)
    messages = fake.calls[0]
    assert messages[0].role == "system" and "[1]" in messages[0].content
    user = messages[-1].content
    assert user.rstrip().endswith(QUESTION)
    for source in answer.sources:  # each source quoted as data, with its number
        assert f'<source id="{source.n}" title="{source.title}' in user
    assert answer.sources[0].title.startswith("FastDepth")
    evidence = sum(fake.count_tokens(s.text) for s in answer.sources)
    assert evidence <= pipeline.settings.context_budget + 20
    assert answer.invalid_citations == [9]
    assert "[9]" not in answer.text
    assert [c.n for c in answer.citations] == [1]
    data = answer.to_dict()
    assert data["citations"] == [{"n": 1, "id": answer.sources[0].paper_id,
                                  "title": answer.sources[0].title}]
    assert {"retrieval", "first_token", "total"} <= data["timings"].keys()


def test_out_of_scope_does_not_ask_the_model(hashed_copy):
    fake = ScriptedLLM("should not be called")
    pipeline = hashed_copy(fake)
    answer = pipeline.ask("What is the capital of France?")
    assert answer.out_of_scope and answer.text == OUT_OF_SCOPE
    assert answer.citations == [] and fake.calls == []


def test_follow_up_uses_history_in_query_and_prompt(hashed_copy):
    fake = ScriptedLLM("It runs at 178 fps [1].")
    pipeline = hashed_copy(fake)
    history = [Turn("Tell me about FastDepth on embedded systems", "FastDepth is fast [1].")]
    answer = pipeline.ask("How fast is it?", history=history)
    assert answer.sources[0].title.startswith("FastDepth")
    roles = [m.role for m in fake.calls[0]]
    assert roles == ["system", "user", "assistant", "user"]


def test_follow_up_keeps_the_papers_just_cited(hashed_copy):
    fake = ScriptedLLM("It is fast [1].")
    pipeline = hashed_copy(fake)
    fast = pipeline.search("FastDepth embedded systems", k=1)[0]
    history = [Turn("Tell me about the paper you like most", "This one [1].",
                    [fast.paper_id])]
    query = retrieval_query("How fast is it?", history, pipeline.settings)
    assert pipeline.search(query, k=1)[0].paper_id != fast.paper_id  # not found by text
    answer = pipeline.ask("How fast is it?", history=history)
    assert answer.sources[0].paper_id == fast.paper_id


def test_stop_keeps_partial_answer(hashed_copy):
    fake = ScriptedLLM("one two three four five six")
    pipeline = hashed_copy(fake)
    seen = []
    answer = pipeline.ask(QUESTION, on_token=seen.append,
                             should_stop=lambda: len(seen) >= 2)
    assert answer.stopped and answer.text == "one two"


def test_empty_collection_says_how_to_ingest(fast_pipeline):
    answer = fast_pipeline.ask("anything?")
    assert answer.out_of_scope and "assistant ingest" in answer.text


@pytest.mark.slow
def test_real_small_model_answers_with_valid_citations(sample_pipeline):
    """End to end: real Chroma, real embedder, real Gemma 3 270M GGUF."""
    streamed: list[str] = []
    answer = sample_pipeline.ask(QUESTION, on_token=streamed.append)
    assert not answer.out_of_scope
    assert answer.sources and answer.sources[0].title.startswith("FastDepth")
    assert streamed and "".join(streamed).strip()
    assert answer.text.strip()
    data = answer.to_dict()
    assert {"claims", "verdict", "abstained", "rejected_citations"} <= data.keys()
    for claim in data["claims"]:
        assert set(claim) >= {"text", "citations", "supported", "support", "evidence"}
        assert claim["supported"] == bool(claim["citations"])
        assert [e["n"] for e in claim["evidence"]] == claim["citations"]
    supported = {n for c in data["claims"] if c["supported"] for n in c["citations"]}
    # every citation shown belongs to a claim the check found supported
    assert {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)} <= supported
    assert [c["n"] for c in data["citations"]] == sorted(supported, key=[
        n for c in data["claims"] for n in c["citations"]].index)
    if answer.abstained:
        assert answer.citations == [] and "Closest papers" in answer.text
    assert answer.timings["first_token"] > 0
    assert answer.tokens["completion"] > 0


@pytest.mark.slow
def test_second_question_reuses_the_cached_prompt_prefix(sample_pipeline):
    sample_pipeline.ask(QUESTION)
    answer = sample_pipeline.ask("Which papers study link prediction in graphs?")
    assert answer.tokens["cached_prefix"] > 20


@pytest.mark.slow
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


# --- claims and attribution (scripted model, real checker) ------------------------------


def test_uncited_claim_gets_its_source_and_wrong_one_is_replaced(hashed_copy):
    pipeline = hashed_copy(ScriptedLLM(
        "FastDepth runs at 178 fps on an NVIDIA Jetson TX2 GPU. "
        "FastDepth reaches 27 fps using only the TX2 CPU [3]."))
    answer = pipeline.ask(QUESTION)
    fastdepth = next(s for s in answer.sources if s.title.startswith("FastDepth"))
    assert [c.citations for c in answer.claims] == [[fastdepth.n], [fastdepth.n]]
    assert answer.text.count(f"[{fastdepth.n}]") == 2
    assert fastdepth.n != 3  # so the model's [3] names another paper: it is replaced
    assert 3 in answer.rejected_citations and "[3]" not in answer.text
    assert [c.paper_id for c in answer.citations] == [fastdepth.paper_id]
    assert "178 fps" in answer.evidence_for(fastdepth.n)[0]


def test_invented_claim_is_marked_and_counted(hashed_copy):
    pipeline = hashed_copy(ScriptedLLM(
        "FastDepth runs at 178 fps on an NVIDIA Jetson TX2 GPU [1]. "
        "YOLOv3 runs at 900 fps on the same board [1]."))
    answer = pipeline.ask(QUESTION)
    assert [c.supported for c in answer.claims] == [True, False]
    assert answer.unsupported == 1 and not answer.abstained
    assert answer.text.endswith(f"same board {UNSUPPORTED}.")


def test_answer_with_no_supported_claim_abstains(hashed_copy):
    pipeline = hashed_copy(ScriptedLLM(
        "DepthNet-X reaches 500 fps on a Raspberry Pi 5 [1]. It won the KITTI 2030 "
        "challenge [2]."))
    answer = pipeline.ask(QUESTION)
    assert answer.abstained and answer.citations == []
    assert answer.text.startswith(NOT_SUPPORTED)
    assert answer.sources and all(s.title in answer.text  # the closest papers
                                  for s in answer.sources)
    assert not any(s.paper_id in answer.text for s in answer.sources)  # no internal ids
    assert "draft" not in answer.text.lower()
    assert not any(c.supported for c in answer.claims)


def test_yes_no_question_gets_a_verdict_the_explanation_follows(hashed_copy):
    fake = ScriptedLLM("FastDepth runs at 27 fps using only the TX2 CPU [1].",
                       label_probs={"yes": 0.2, "no": 0.7, "maybe": 0.1})
    pipeline = hashed_copy(fake)
    answer = pipeline.ask("Does FastDepth run in real time on an embedded CPU?")
    assert answer.verdict is not None and answer.verdict.label == "no"
    assert fake.prefixes == ["Answer: no\nBecause:"]
    assert fake.label_calls and "yes/no" in fake.label_calls[0][0].content
    assert answer.text.startswith("Verdict: no (probability ")
    assert answer.to_dict()["verdict"]["label"] == "no"


def test_a_verdict_whose_explanation_fails_the_check_is_explained_by_the_papers(hashed_copy):
    """The model says the abstracts do not cover it: the verdict keeps its footing in the
    paper's own closest sentence, cited, instead of an abstention."""
    pipeline = hashed_copy(ScriptedLLM("The abstracts do not provide information about "
                                     "the frame rate on the CPU [1].",
                                     label_probs={"yes": 0.7, "no": 0.2, "maybe": 0.1}))
    answer = pipeline.ask("Does FastDepth run in real time on the CPU of a Jetson TX2?")
    assert answer.extractive and not answer.abstained
    fastdepth = next(s for s in answer.sources if s.title.startswith("FastDepth"))
    assert [c.paper_id for c in answer.citations] == [fastdepth.paper_id]
    body = answer.text.split("\n\n", 1)[1]
    sentence = body.replace(f" [{fastdepth.n}]", "")
    abstract = pipeline.get_paper(fastdepth.paper_id).abstract
    # the paper's sentence, its authors' "Our" shown as theirs (the shown text's rule)
    assert sentence in abstract or sentence.replace("The authors'", "Our", 1) in abstract
    assert all(c.supported for c in answer.claims)
    assert answer.to_dict()["extractive"] is True
    assert STAND_IN in answer.notes  # the user is told the sentence stands in


@pytest.mark.parametrize(("probs", "stand_in"), [
    ({"yes": 0.1, "no": 0.8, "maybe": 0.1}, False),
    ({"yes": 0.8, "no": 0.1, "maybe": 0.1}, True)])
def test_a_no_to_a_question_about_what_the_collection_holds_gets_no_stand_in(
        hashed_copy, probs, stand_in):
    """"Are there papers on …?" answered no: an unrelated paper's closest sentence was
    shown under "Verdict: no" as if it explained it. The same question answered yes
    keeps the stand-in (the paper that is about it)."""
    pipeline = hashed_copy(ScriptedLLM("The abstracts do not mention depth estimation on "
                                       "a Raspberry Pi [1].", label_probs=probs))
    answer = pipeline.ask("Are there papers on fast monocular depth estimation on a "
                          "Jetson TX2 or a Raspberry Pi?")
    assert answer.sources and answer.verdict is not None
    assert answer.extractive is stand_in and answer.abstained is not stand_in
    assert not asks_existence("Is there a model size beyond which accuracy stops improving?")
    if not stand_in:  # the verdict said as the answer, with the papers that were read
        assert answer.text.startswith("Verdict: no (probability ")
        assert NONE_SUCH in answer.text and NOT_SUPPORTED not in answer.text


def test_an_open_answer_whose_wording_the_rules_reject_is_explained_by_the_papers(
        hashed_copy):
    """The model's claim holds the paper's facts but ranks where the paper does not
    ("the fastest"): no reading is needed to reject it, and the paper's own closest
    sentence stands in rather than an abstention."""
    pipeline = hashed_copy(ScriptedLLM("FastDepth is the fastest network, running at 178 fps "
                                     "on an NVIDIA Jetson TX2 GPU [1]."))
    answer = pipeline.ask("How fast is FastDepth on a Jetson TX2?")
    assert answer.extractive and not answer.abstained
    assert "fastest" not in answer.text
    assert [c.paper_id for c in answer.citations] \
        == [next(s.paper_id for s in answer.sources if s.title.startswith("FastDepth"))]


def test_an_open_answer_that_denies_what_a_paper_states_is_explained_by_the_papers(
        hashed_copy):
    """The model's whole answer denies what a paper says ("… do not mention FastDepth
    running at 178 fps …" where it does): the denial is dropped, and the paper's own
    closest sentence answers rather than an abstention."""
    pipeline = hashed_copy(ScriptedLLM("The sources do not mention FastDepth running at 178 "
                                       "fps on an NVIDIA Jetson TX2 GPU."))
    answer = pipeline.ask("How fast is FastDepth on a Jetson TX2?")
    assert answer.extractive and not answer.abstained
    assert "do not mention" not in answer.text
    assert [c.paper_id for c in answer.citations] \
        == [next(s.paper_id for s in answer.sources if s.title.startswith("FastDepth"))]


def test_a_number_the_paper_gives_for_something_else_is_a_near_miss(hashed_copy):
    """The paper gives 10, but in watts, not frames per second: the claim is no support,
    yet it is about that paper, whose own sentence then answers."""
    pipeline = hashed_copy(ScriptedLLM("FastDepth runs at 10 fps on an NVIDIA Jetson TX2 "
                                     "GPU [1]."))
    answer = pipeline.ask("How fast is FastDepth on a Jetson TX2?")
    assert answer.extractive and not answer.abstained
    assert "10 fps" not in answer.text


def test_an_answer_whose_names_or_numbers_fail_still_abstains(hashed_copy):
    """A figure the paper does not give at all: the claim is not about what the paper
    says, the papers found do not answer, and no sentence of theirs stands in."""
    pipeline = hashed_copy(ScriptedLLM("FastDepth runs at 150 fps on an NVIDIA Jetson TX2 "
                                     "GPU [1]."))
    answer = pipeline.ask("How fast is FastDepth on a Jetson TX2?")
    assert answer.claims and not answer.claims[0].near_miss
    assert answer.abstained and not answer.extractive
    assert STAND_IN not in answer.notes


def test_papers_listed_by_citation_alone_are_said_to_be_the_papers_found(hashed_copy):
    """"List the papers about …" answered "[1] [2]" and no words: it was "I could not
    find an answer …"; it is the papers the model named, said to be found by search."""
    pipeline = hashed_copy(ScriptedLLM("[1] [2]"))
    answer = pipeline.ask("List the papers about fast monocular depth estimation.")
    assert answer.abstained and not answer.claims
    assert answer.text.startswith(LISTED) and NOT_SUPPORTED not in answer.text
    titles = [line[2:] for line in answer.text.splitlines()[1:]]
    assert titles == [s.title for s in answer.sources if s.n in (1, 2)]
    # words about them that are not borne out: no sentence of one paper stands in for the
    # list ("There has been a growing interest in …" [4]); the closest papers are named
    worded = hashed_copy(ScriptedLLM("The fastest networks, running at 178 fps on an NVIDIA "
                                     "Jetson TX2 GPU, are [1] and [2]."))
    answer = worded.ask("List the papers about fast monocular depth estimation.")
    assert answer.text.startswith(NOT_SUPPORTED) and not answer.extractive
    # an open question answered by citations alone still abstains as before
    other = hashed_copy(ScriptedLLM("[1] [2]")).ask("How fast is FastDepth on a Jetson TX2?")
    assert other.text.startswith(NOT_SUPPORTED)


def test_without_a_verdict_an_unsupported_answer_still_abstains(hashed_copy):
    pipeline = hashed_copy(ScriptedLLM("The abstracts do not provide information about "
                                     "this [1]."))
    answer = pipeline.ask(QUESTION)
    assert answer.abstained and not answer.extractive


def test_a_question_too_long_for_the_context_is_a_one_line_error(hashed_copy):

    from assistant.llm.budget import ContextError

    fake = ScriptedLLM("should not be called")
    pipeline = hashed_copy(fake, n_ctx=512)
    question = "Which papers study depth estimation " + "on embedded hardware " * 400 + "?"
    with pytest.raises(ContextError, match="the question is too long") as info:
        pipeline.ask(question)
    assert "\n" not in str(info.value)
    assert fake.calls == []
