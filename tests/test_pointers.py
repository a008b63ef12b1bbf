"""Sentences that point at papers by their numbers ("The papers that use X are [1] and
[2].") are checked for what they say of each paper and shown with the papers' names."""

from __future__ import annotations

import pytest
from fakes import ScriptedLLM

from assistant.answer.claims import split_claims
from assistant.answer.evidence import paper_name
from assistant.answer.pointers import (
    named_subjects,
    one_paper_subject,
    pointed_claim,
    pointed_text,
    titled_pointed_topic,
)


@pytest.mark.parametrize(("sentence", "checked"), [
    ("The papers that use diffusion models are [1] and [2].",
     "This is one of the papers that use diffusion models."),
    ("The paper that uses Unreal Engine is [1].", "This is the paper that uses Unreal Engine."),
    ("Papers that study depth include [1], [2] and [3].",
     "This is one of the papers that study depth."),
    ("NYU Depth v2 models include [1].", "This is one of the NYU Depth v2 models."),
])
def test_a_pointing_sentence_is_checked_for_what_it_says_of_each_paper(sentence, checked):
    (span,) = split_claims(sentence)
    assert span.kind == "claim" and span.plain == checked


@pytest.mark.parametrize("sentence", [
    "The method is fast [1].",            # a statement with its citation, not a pointer
    "It is [1].",                         # points at nothing
    "MAMo [1] uses memory and attention.",
    "The best results are reported in [2] for [1].",
])
def test_other_sentences_are_not_pointers(sentence):
    assert pointed_claim(sentence) == ""


def test_the_pointed_papers_are_named_in_place_of_their_numbers():
    names = {1: "DepthMaster", 2: "PrimeDepth", 3: "“Random Search as a Baseline”"}
    body = "The papers that use diffusion models are."
    assert pointed_text(body, [1, 2], names) == \
        "The papers that use diffusion models are DepthMaster [1] and PrimeDepth [2]."
    assert pointed_text(body, [1, 2, 3], names).endswith(
        "DepthMaster [1], PrimeDepth [2] and “Random Search as a Baseline” [3].")


def test_an_answer_that_points_at_papers_names_them(hashed_copy):
    """It was checked as "The papers that use diffusion models … are." (no statement)
    and the answer abstained."""
    answer = hashed_copy(ScriptedLLM(
        "The papers that use diffusion models for depth estimation are [1] and [2]."
    )).ask("Which papers use diffusion models for monocular depth estimation?")
    assert not answer.abstained
    first = answer.sources[0]
    assert first.title.startswith("PrimeDepth")
    assert answer.text.startswith(
        "The papers that use diffusion models for depth estimation are PrimeDepth [1]")
    assert answer.claims[0].text == \
        "This is one of the papers that use diffusion models for depth estimation."


def test_a_pointer_at_the_wrong_paper_names_the_paper_the_check_found(hashed_copy):
    answer = hashed_copy(ScriptedLLM(
        "The paper that uses Unreal Engine for data ablation is [1]."
    )).ask("Which paper uses Unreal Engine for data ablation?")
    by_n = {s.n: s.title for s in answer.sources}
    assert not by_n[1].startswith("AI Playground")
    (claim,) = answer.claims
    assert claim.citations != [1] and by_n[claim.citations[0]].startswith("AI Playground")
    assert answer.text == ("The paper that uses Unreal Engine for data ablation is AI "
                           f"Playground [{claim.citations[0]}].")


@pytest.mark.parametrize(("body", "shown"), [
    ("The papers estimate depth from video.",
     "FutureDepth [1] and MAMo [2] estimate depth from video."),
    ("Both papers use memory.", "FutureDepth [1] and MAMo [2] both use memory."),
    ("These two studies also propose X.", "FutureDepth [1] and MAMo [2] also propose X."),
    ("The papers on depth use X.", ""),         # says which papers: not a bare subject
    ("The papers that use X are good.", ""),
])
def test_the_papers_as_a_subject_become_their_names(body, shown):
    assert named_subjects(body, [1, 2], {1: "FutureDepth", 2: "MAMo"}) == shown


@pytest.mark.parametrize(("body", "shown"), [
    # one of the two cited papers kept: its name, the verb made to agree
    ("The papers estimate depth from video.", "FutureDepth [1] estimates depth from video."),
    ("Both papers use memory.", "FutureDepth [1] uses memory."),
    ("These two studies also propose X.", "FutureDepth [1] also proposes X."),
    ("The papers have a memory.", "FutureDepth [1] has a memory."),
    ("The papers focus on video.", "FutureDepth [1] focuses on video."),
    ("The papers apply X.", "FutureDepth [1] applies X."),
    ("The papers proposed X.", "FutureDepth [1] proposed X."),
    ("The papers can run at 30 fps.", "FutureDepth [1] can run at 30 fps."),
    ("The papers found that depth matters.", "FutureDepth [1] found that depth matters."),
    ("The papers on depth use X.", ""),
    # "Both methods …" with one paper confirmed may be that paper's two methods (or two
    # arms of one trial): not put on its name
    ("Both approaches represent leaps forward.", ""),
    ("These two methods use memory.", ""),
    ("The methods outperform earlier compression methods.", ""),
    # no verb to make agree for sure, or what the papers do together: left as it is
    ("Both papers primarily focus on depth.", ""),
    ("The papers don't use labels.", ""),
    ("The papers use different backbones.", ""),
    ("The papers complement each other.", ""),
])
def test_one_paper_kept_of_the_papers_becomes_the_subject(body, shown):
    assert named_subjects(body, [1], {1: "FutureDepth"}) == shown


def test_the_approaches_of_two_confirmed_papers_are_named():
    """"Both approaches …" confirmed for two papers names them; read against one paper it
    stays as written (one paper's two methods are as likely)."""
    names = {1: "SPIdepth", 2: "TiO-Depth"}
    assert named_subjects("Both approaches improve depth.", [1, 2], names) \
        == "SPIdepth [1] and TiO-Depth [2] both improve depth."
    assert named_subjects("These two methods improve depth.", [1, 2], names) \
        == "SPIdepth [1] and TiO-Depth [2] improve depth."
    assert one_paper_subject("Both methods reduced pain.") == ""


def test_an_answer_about_the_papers_names_them(hashed_copy):
    """"The papers estimate depth from video [1][2]." named its papers only by number."""
    answer = hashed_copy(ScriptedLLM(
        "The papers learn monocular depth estimation [1][2]."
    )).ask("Which papers estimate depth from video?")
    (claim,) = answer.claims
    assert len(claim.citations) == 2, claim
    names = [paper_name(s.title) for n in claim.citations for s in answer.sources if s.n == n]
    assert answer.text == (f"{names[0]} [{claim.citations[0]}] and {names[1]} "
                           f"[{claim.citations[1]}] learn monocular depth estimation.")


def test_a_pointer_on_a_keyword_is_the_papers_that_hold_it():
    """"The papers about speech are [1]." shares one word with any sentence of the paper:
    it scored under the support threshold and the answer abstained."""
    from fakes import HashEmbedder

    from assistant.answer.attribution import Checker, SourceText

    speech = SourceText(1, "LightHuBERT: Lightweight and Configurable Speech Representation "
                           "Learning", "Self-supervised learning has advanced many tasks. "
                           "We compress HuBERT into a once-for-all Transformer of "
                           "configurable size. LightHuBERT keeps 11 tasks of SUPERB.")
    depth = SourceText(2, "FastDepth: Fast Monocular Depth Estimation", "We estimate depth "
                          "on embedded systems. FastDepth runs at 178 fps on a Jetson TX2.")
    (span,) = split_claims("The papers about speech are [1].")
    checker = Checker(HashEmbedder().embed)
    assert checker.decide(span.plain, span.model_citations, [speech, depth],
                          bool(span.pointer)).citations == [1]
    (wrong,) = split_claims("The papers about speech are [2].")
    assert not checker.decide(wrong.plain, wrong.model_citations, [depth],
                              bool(wrong.pointer)).supported
    # a claim of the model's own that happens to read "This is …" gets no such floor
    assert not checker.decide("This is one of the papers about speech.", [1],
                              [speech, depth]).supported


def test_a_paper_whose_title_names_the_pointed_topic_is_one_of_those_papers():
    """"The papers … that do self-supervised depth estimation are [1] and [2]." lost
    SPIdepth: the reader gave P(yes) 0.67 to its membership against two of its sentences,
    though its title says "Self-supervised Monocular Depth Estimation"."""
    from fakes import HashEmbedder

    from assistant.answer.attribution import Checker, SourceText
    from assistant.answer.entailment import NOT_STATED, Entailment

    papers = [SourceText(1, "SPIdepth: Strengthened Pose Information for Self-supervised "
                            "Monocular Depth Estimation", "We strengthen the pose network."),
              SourceText(2, "PoseNet: Pose Estimation From Images", "A network for poses.")]
    checker = Checker(HashEmbedder().embed)
    # a reader that, like the small model here, does not see the membership
    checker.judge = lambda claim, title, sentences: Entailment(NOT_STATED, {}, sentences)
    result = checker.check("The papers in the collection that do self-supervised depth "
                           "estimation are [1].", papers)
    assert result.claims[0].citations == [1]
    assert result.claims[0].evidence[0]["sentence"].startswith("SPIdepth")
    assert result.text.startswith("The papers in the collection that do self-supervised "
                                  "depth estimation are SPIdepth [1]")
    # its words out of order or far apart in the title ("Pose … Estimation"), or a topic
    # that excludes, name no topic
    title = papers[0].title
    assert titled_pointed_topic("This is one of the papers that study monocular depth "
                                "estimation.", title)
    assert not titled_pointed_topic("This is one of the papers about pose estimation.", title)
    assert not titled_pointed_topic("This is one of the papers that do depth estimation "
                                    "without self-supervision.", title)
    assert not titled_pointed_topic("SPIdepth does self-supervised depth estimation.", title)
    # a narrowing word before the topic, a title that excludes, a request to compare
    assert not titled_pointed_topic("This is one of the papers that do supervised depth "
                                    "estimation.", title)
    assert not titled_pointed_topic("This is one of the papers that do depth estimation with "
                                    "LiDAR.", "Monocular Depth Estimation without LiDAR")
    assert not titled_pointed_topic("This is one of the papers that use attention.",
                                    "Attention-Free Transformer")
    assert not titled_pointed_topic("This is one of the papers that compare self-supervised "
                                    "depth estimation methods.", title)
