"""Follow-ups continue the conversation's own prompt, so the model reads only the new
question (and sources it was not given before): scripted model for the layout and the
numbering, the real small model for the tokens actually read."""

from __future__ import annotations

import re

import pytest
from fakes import ScriptedLLM

from assistant.answer.evidence import split_sentences
from assistant.answer.messages import refers_back
from assistant.answer.result import Turn
from assistant.llm.base import Message

QUESTION = "Which papers speed up depth estimation on embedded hardware, and how fast are they?"
FOLLOW_UP = "How fast does it run on the CPU?"
FASTDEPTH = "FastDepth runs at 178 fps on an NVIDIA Jetson TX2 GPU [1]."


def _source_ids(text: str) -> list[int]:
    return [int(n) for n in re.findall(r'<source id="(\d+)"', text)]


def test_a_follow_up_continues_the_last_prompt_and_reply(hashed_copy):
    fake = ScriptedLLM(FASTDEPTH)
    pipeline = hashed_copy(fake)
    first = pipeline.ask(QUESTION)
    second = pipeline.ask(FOLLOW_UP, history=[first.turn()])
    before, after = fake.calls
    assert after[:len(before)] == before  # the same messages, so the same tokens
    assert after[len(before)] == Message("assistant", first.draft)
    assert after[-1].role == "user" and after[-1].content.endswith(FOLLOW_UP)
    fastdepth = next(s for s in first.sources if s.title.startswith("FastDepth"))
    assert fastdepth.n == 1 and second.sources[0].paper_id == fastdepth.paper_id
    assert second.sources[0].n == 1  # the number it was given in the first turn
    # only what the first excerpt lacked is added under its number, nothing twice
    given = fastdepth.text
    added = re.findall(r'<source id="1"[^>]*>\n(.*?)\n</source>', after[-1].content, re.S)
    assert all(sentence not in given for text in added for sentence in split_sentences(text))
    assert [c.paper_id for c in second.citations] == [fastdepth.paper_id]
    assert second.claims[0].supported


def test_new_papers_are_appended_with_the_next_numbers(hashed_copy):
    fake = ScriptedLLM(FASTDEPTH)
    pipeline = hashed_copy(fake)
    first = pipeline.ask(QUESTION)
    given = {s.paper_id: s.n for s in first.sources}
    second = pipeline.ask("Which papers learn graph node embeddings faster than DeepWalk?",
                          history=[first.turn()])
    new = [s for s in second.sources if s.paper_id not in given]
    assert new, "the follow-up found papers the first turn did not give"
    assert [s.n for s in new] == list(range(len(given) + 1, len(given) + 1 + len(new)))
    assert _source_ids(fake.calls[1][-1].content) == [s.n for s in new]
    for s in second.sources:  # a paper given before keeps its number
        assert given.get(s.paper_id, s.n) == s.n
    # the model may still cite a paper of the first turn: FastDepth's [1] is checked
    assert [c.title[:9] for c in second.citations] == ["FastDepth"]
    assert second.turn().sources == second.given  # the next follow-up knows them all


def test_a_follow_up_that_would_not_fit_is_laid_afresh(hashed_copy):
    fake = ScriptedLLM(FASTDEPTH)
    first = hashed_copy(fake).ask(QUESTION)
    tokens = fake.prompt_tokens(fake.calls[0])
    # room for a prompt as long as the first, not for it plus the reply and the question
    pipeline = hashed_copy(fake, n_ctx=tokens + 8 + 384, max_tokens=384)
    pipeline.ask(FOLLOW_UP, history=[first.turn()])
    fresh = fake.calls[-1]
    assert fresh[1] != fake.calls[0][1]  # not the first prompt continued
    assert fresh[-1].content.endswith(FOLLOW_UP)
    assert 1 in _source_ids(fresh[-1].content)  # the sources given again, from 1


def test_a_turn_without_its_prompt_is_laid_afresh(hashed_copy):
    fake = ScriptedLLM(FASTDEPTH)
    pipeline = hashed_copy(fake)
    first = pipeline.ask(QUESTION)
    pipeline.ask(FOLLOW_UP, history=[Turn(first.question, first.text,
                                          [c.paper_id for c in first.citations])])
    assert fake.calls[-1][:2] != fake.calls[0]
    assert 1 in _source_ids(fake.calls[-1][-1].content)


def test_a_follow_up_of_the_other_kind_continues_the_prompt_and_asks_for_its_format(
        hashed_copy):
    """A yes/no question after an open one (and the reverse) has other instructions; it
    continues the conversation's prompt all the same (laying it afresh reads it all
    again), with the reply format of its kind asked in its own message."""
    fake = ScriptedLLM(FASTDEPTH)
    pipeline = hashed_copy(fake)
    first = pipeline.ask(QUESTION)
    yes_no = pipeline.ask("Does it run in real time on an embedded CPU?",
                          history=[first.turn()])
    assert yes_no.verdict is not None
    assert fake.calls[-1][:2] == fake.calls[0]  # the first prompt, continued
    assert "Answer: <yes, no or maybe>" in fake.calls[-1][-1].content
    pipeline.ask("What is its power consumption?", history=[yes_no.turn()])
    assert fake.calls[-1][:2] == fake.calls[0]  # open again: the prompt's own kind
    assert "yes/no" not in fake.calls[-1][-1].content
    opened = pipeline.ask("Does FastDepth run in real time on an embedded CPU?")
    pipeline.ask("What is its power consumption?", history=[opened.turn()])
    assert fake.calls[-1][0] == fake.calls[-2][0] != fake.calls[0][0]  # yes/no prompt
    assert "not a yes/no question" in fake.calls[-1][-1].content


@pytest.mark.parametrize(("question", "back"), [
    ("How fast is it on the CPU?", True),
    ("Which benchmarks did they evaluate on?", True),
    ("What gains does the method report on MovieLens?", True),
    ("Is there a paper that improves on it?", False),
    ("Are there other papers that do this with diffusion?", False),
    ("Which papers learn graph node embeddings faster than DeepWalk?", False),
])
def test_a_follow_up_refers_back_when_it_points_at_the_papers_and_asks_for_no_others(
        question, back):
    assert refers_back(question) is back


def test_a_follow_up_that_refers_back_brings_in_no_new_paper(hashed_copy):
    """"Which benchmarks did they use?" finds papers about benchmarks by itself; it is
    about the papers just discussed: no new paper is read, and what is added of those
    already read comes under their numbers without their titles again."""
    fake = ScriptedLLM(FASTDEPTH)
    pipeline = hashed_copy(fake)
    first = pipeline.ask(QUESTION)
    question = "Which benchmarks and datasets did they use, and how accurate is it?"
    alone = pipeline.ask(question)
    assert {s.paper_id for s in alone.sources} - {s.paper_id for s in first.sources}
    second = pipeline.ask(question, history=[first.turn()])
    assert {s.paper_id for s in second.sources} <= {s.paper_id for s in first.sources}
    assert 'title="' not in fake.calls[-1][-1].content


@pytest.mark.slow
def test_the_model_reads_only_the_new_question(sample_pipeline):
    """With the real small model in this process: the follow-up's prompt starts with
    everything the model evaluated for the first answer, so only the new tokens are
    read (llama.cpp keeps the longest common prefix)."""
    first = sample_pipeline.ask(QUESTION)
    second = sample_pipeline.ask(FOLLOW_UP, history=[first.turn()])
    read = second.tokens["prompt"] - second.tokens["cached_prefix"]
    assert second.tokens["cached_prefix"] >= first.tokens["prompt"]  # all of it reused
    # what is read: the question, and what the first excerpt of the paper the answer
    # cited first lacked (if anything); never the other papers again
    given = {s.paper_id for s in first.sources}
    resent = [s for s in second.sources if s.paper_id in given]
    assert all(f'<source id="{s.n}"' not in second.prompt[-1].content for s in resent
               if s.paper_id not in first.turn().paper_ids[:1])
    cold = sample_pipeline.ask("How fast does FastDepth run on the CPU?")  # on its own
    assert cold.tokens, (cold.text, cold.out_of_scope, cold.abstained, cold.error)
    assert cold.tokens["prompt"] - cold.tokens["cached_prefix"] > 1.5 * read



def test_a_follow_up_to_an_answer_that_cited_nothing_keeps_the_papers_read(hashed_copy):
    """"How fast is it?" finds nothing by itself; the last answer cited no paper (no
    claim held): the follow-up is still about the papers the model read, not out of
    scope."""
    fake = ScriptedLLM("DepthNet-X reaches 500 fps on a Raspberry Pi 5 [1].")
    pipeline = hashed_copy(fake)
    first = pipeline.ask(QUESTION)
    assert first.abstained and first.turn().paper_ids == []
    second = pipeline.ask("How fast is it?", history=[first.turn()])
    assert not second.out_of_scope
    assert {s.paper_id for s in second.sources} <= {s.paper_id for s in first.sources}
    assert fake.calls[1][:2] == fake.calls[0]  # the first prompt, continued
