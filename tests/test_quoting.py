"""Claims that copy the paper word for word pass without the model's reading; copies that
change what the paper says (a cut qualifier, a framing word before the run, an added word)
do not count as copies (fast: rules, hash embedder, a judge that records its calls)."""

from __future__ import annotations

import pytest
from fakes import HashEmbedder

from assistant.answer.attribution import Checker, SourceText
from assistant.answer.entailment import NOT_STATED, Entailment
from assistant.answer.quoting import quoted_sentence

SENTENCES = [
    "Our proposed network, FastDepth, runs at 178 fps on an NVIDIA Jetson TX2 GPU.",
    "Previous methods reduce the error rate by half on every benchmark we tried.",
    "The treatment lowered mortality in patients younger than 40 years.",
    "We do not find that larger models generalise better on small graphs.",
    "Several studies have shown that statins reduce mortality after ischaemic stroke.",
    "Pruning keeps the accuracy of the full network, but only on small datasets.",
    "The detector runs in real time on a laptop, which makes it practical for drones.",
    "However, dense 3D facial geometry (e.g. pixel-wise depth) is extremely important "
    "for this task.",
]


@pytest.mark.parametrize("claim", [
    "FastDepth runs at 178 fps on an NVIDIA Jetson TX2 GPU.",
    "However, FastDepth runs at 178 fps on an NVIDIA Jetson TX2 GPU.",
    "The study found that the treatment lowered mortality in patients younger than 40 years.",
    "The abstracts found that the treatment lowered mortality in patients younger than 40 "
    "years.",
    "These studies have shown that the treatment lowered mortality in patients younger "
    "than 40 years.",
    "In this paper, dense 3D facial geometry (e.g. pixel-wise depth) is extremely important "
    "for this task.",
    "our proposed network fastdepth runs at 178 FPS on an nvidia jetson tx2 gpu",
    "The detector runs in real time on a laptop.",  # the clause after it adds, not limits
])
def test_a_run_of_the_papers_words_to_a_clause_end_is_a_copy(claim):
    assert quoted_sentence(claim, SENTENCES)


@pytest.mark.parametrize(("claim", "why"), [
    ("FastDepth runs at 178 fps on an NVIDIA Jetson TX2.", "cut before the sentence ends"),
    ("The treatment lowered mortality in patients.", "qualifier cut off"),
    ("Methods reduce the error rate by half on every benchmark we tried.",
     "framed as earlier work"),
    ("Larger models generalise better on small graphs.", "negated before the run"),
    ("Statins reduce mortality after ischaemic stroke.", "others' finding, reported"),
    ("Pruning keeps the accuracy of the full network.", "the limiting clause cut off"),
    ("FastDepth only runs at 178 fps on an NVIDIA Jetson TX2 GPU.", "a word added"),
    ("FastDepth runs at 187 fps on an NVIDIA Jetson TX2 GPU.", "another number"),
    ("Unlike FastDepth, it runs at 178 fps on an NVIDIA Jetson TX2 GPU.", "not a run"),
    ("Runs on a Jetson TX2 GPU.", "too short to be a statement"),
])
def test_what_changes_the_papers_statement_is_no_copy(claim, why):
    assert quoted_sentence(claim, SENTENCES) == "", why


class RecordingJudge:
    def __init__(self) -> None:
        self.claims: list[str] = []

    def __call__(self, claim, title, sentences):
        self.claims.append(claim)
        return Entailment(NOT_STATED, {"yes": 0.1, "no": 0.9, "contradicted": 0.0}, sentences)


PAPERS = [
    SourceText(1, "FastDepth: Fast Monocular Depth Estimation on Embedded Systems",
               " ".join(SENTENCES[:1]) + " We also prune the network to reduce its latency."),
    SourceText(2, "A Survey of Depth Networks",
               "Depth networks are often slow on embedded hardware. We survey forty of them."),
]


def test_a_copied_claim_keeps_its_citation_without_a_reading():
    checker = Checker(HashEmbedder().embed)
    checker.judge = judge = RecordingJudge()
    result = checker.check("FastDepth runs at 178 fps on an NVIDIA Jetson TX2 GPU [1].", PAPERS)
    claim = result.claims[0]
    assert claim.supported and claim.citations == [1] and judge.claims == []
    assert claim.evidence == [{"n": 1, "sentence": SENTENCES[0], "quoted": True}]
    assert claim.readings == {}


def test_a_copy_cited_to_the_wrong_paper_moves_to_the_paper_it_copies():
    checker = Checker(HashEmbedder().embed)
    checker.judge = RecordingJudge()
    result = checker.check("FastDepth runs at 178 fps on an NVIDIA Jetson TX2 GPU [2].", PAPERS)
    assert result.claims[0].citations == [1] and result.rejected == [2]


def test_a_changed_copy_is_still_read():
    checker = Checker(HashEmbedder().embed)
    checker.judge = judge = RecordingJudge()
    claim = "FastDepth reliably runs at 178 fps on an NVIDIA Jetson TX2 GPU."
    result = checker.check(f"{claim} [1]", PAPERS)
    assert not result.claims[0].supported and judge.claims == [claim]


def test_the_reading_gets_the_claim_without_the_frame_that_reports_it():
    """"The abstracts found that X" asks the reader whether the paper says what the
    abstracts found; the paper is to be read for X alone. The claim shown keeps its
    words."""
    checker = Checker(HashEmbedder().embed)
    checker.judge = judge = RecordingJudge()
    result = checker.check("The abstracts found that FastDepth reliably runs at 178 fps on "
                           "an NVIDIA Jetson TX2 GPU [1].", PAPERS)
    assert judge.claims == ["FastDepth reliably runs at 178 fps on an NVIDIA Jetson TX2 GPU."]
    assert result.claims[0].text.startswith("The abstracts found that FastDepth")
