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
    "In mice, drug X halved the growth of the tumours within weeks.",
    "However, on small graphs, the ensemble beats every single model by a wide margin.",
    "In this paper, the model keeps the accuracy of the full network.",
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
    "The model keeps the accuracy of the full network.",  # "In this paper," sets nothing
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
    ("Drug X halved the growth of the tumours within weeks.", "a setting before the run"),
    ("The ensemble beats every single model by a wide margin.", "a setting after a comma"),
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


OWN_VOICE = [
    "To address these issues, we propose a new pipeline that employs a smaller "
    "architecture, requiring fewer annotations.",
    "Removing the memory from our method reduces accuracy by 10% on the KITTI benchmark.",
    "DPT, like our method, fails to estimate depth on transparent surfaces at night.",
    "Can we train one network for all hardware platforms at once?",
    "When we drop the temporal cues of the video, our model loses most of its accuracy.",
    "Deep learning has achieved great success in many computer vision tasks.",
    "Surprisingly, in 2 of 10 runs we find that the model converges to a flat minimum.",
    "Our method outperforms contemporary semi-supervised work in terms of mIoU, using less "
    "labeled data.",
    "In MAMo, we augment the model with memory which aids the depth prediction.",
    "Unlike prior work, we propose a single-step diffusion model for depth estimation.",
    "Previous methods propose a single-step diffusion model for depth estimation tasks.",
    "We propose DepthMaster, a single-step diffusion model, but only for indoor scenes.",
    "We have trained the network on eight public datasets of street scenes.",
]


@pytest.mark.parametrize("claim", [
    "The paper proposes a new pipeline that employs a smaller architecture, requiring fewer "
    "annotations.",
    "This method outperforms contemporary semi-supervised work in terms of mIoU.",
    "The authors augment the model with memory which aids the depth prediction.",
    "MAMo augments the model with memory which aids the depth prediction.",
    "The authors have trained the network on eight public datasets of street scenes.",
    "The study has trained the network on eight public datasets of street scenes.",
])
def test_the_authors_voice_with_the_paper_as_subject_is_a_copy(claim):
    """The small model writes "The paper proposes …" for "we propose …": the paper's
    statement with its subject named, no reading needed."""
    assert quoted_sentence(claim, OWN_VOICE, "MAMo")


@pytest.mark.parametrize(("claim", "why"), [
    ("The authors propose a single-step diffusion model for depth estimation.",
     "framed: unlike prior work"),
    ("The paper proposes a single-step diffusion model for depth estimation tasks.",
     "previous methods are not the authors"),
    ("PrimeDepth proposes a new pipeline that employs a smaller architecture, requiring "
     "fewer annotations.", "another method's name as the subject"),
    ("The paper proposes DepthMaster, a single-step diffusion model.", "limit cut off"),
    ("They do not augment the model with memory which aids the depth prediction.",
     "a negation added"),
    ("The paper proposed a new pipeline that employs a smaller architecture, requiring "
     "fewer annotations.", "the verb changed beyond agreement"),
    ("They augment the model with memory which aids the depth prediction.",
     "a pronoun may be earlier work in the answer"),
    ("The method reduces accuracy by 10% on the KITTI benchmark.",
     "'our method' inside a phrase is not the subject"),
    ("This method fails to estimate depth on transparent surfaces at night.",
     "'our method' in a comparison is not the subject"),
    ("The authors train one network for all hardware platforms at once.", "a question"),
    ("The model loses most of its accuracy.", "a condition before the subject"),
    ("The paper has achieved great success in many computer vision tasks.",
     "the field's words in a title are no name of the paper"),
    ("The authors find that the model converges to a flat minimum.",
     "a setting with a number before the run"),
])
def test_a_subject_that_is_not_the_authors_or_a_changed_run_is_no_copy(claim, why):
    assert quoted_sentence(claim, OWN_VOICE, "MAMo") == "", why
    assert quoted_sentence(claim, OWN_VOICE, "Deep Learning") == "", why


def test_a_claim_in_the_papers_voice_keeps_its_citation_without_a_reading():
    paper = [SourceText(1, "MAMo: Leveraging Memory and Attention for Video Depth",
                        "In MAMo, we augment the model with memory which aids the depth "
                        "prediction. It runs on videos of any length.")]
    checker = Checker(HashEmbedder().embed)
    checker.judge = judge = RecordingJudge()
    result = checker.check("MAMo augments the model with memory which aids the depth "
                           "prediction [1].", paper)
    assert result.claims[0].supported and judge.claims == []
    assert result.claims[0].evidence[0]["quoted"] is True


@pytest.mark.parametrize(("claim", "copied"), [
    # a quotation wrapped in words that only report it is the claim
    ('This can be seen from the first source, which states that "The treatment lowered '
     'mortality in patients younger than 40 years."', SENTENCES[2]),
    ('The abstract says: "the treatment lowered mortality in patients younger than 40 '
     'years"', SENTENCES[2]),
    # an unclosed quotation runs to the end
    ('The abstract states that "The treatment lowered mortality in patients younger than '
     '40 years.', SENTENCES[2]),
    # words of the claim's own around it: no quotation of the paper
    ('The paper does not say that "the treatment lowered mortality in patients younger '
     'than 40 years"', ""),
    ('Only older patients benefit, as "the treatment lowered mortality in patients '
     'younger than 40 years"', ""),
    # the quotation must still be a copy, under the same rules
    ('The first source states that "the treatment lowered mortality in all patients."', ""),
])
def test_a_quotation_in_reporting_words_is_a_copy(claim, copied):
    assert quoted_sentence(claim, SENTENCES) == copied


@pytest.mark.parametrize(("claim", "wrong"), [
    # one word changed inside quotation marks: not the paper's words
    ('The abstract states that "the treatment lowered mortality in all patients younger '
     'than 40 years."', True),
    ('The abstract states that "the treatment lowered mortality in patients younger than '
     '40 years."', False),
    # an ellipsis leaves words out; a quotation may run over two sentences; the title counts
    ('It says "Previous methods reduce the error rate … on every benchmark we tried."',
     False),
    # the pieces an ellipsis leaves must come in the paper's order
    ('It says "on every benchmark we tried … Previous methods reduce the error rate."',
     True),
    ('It says "on small datasets. The detector runs in real time on a laptop"', False),
    ('The title, "FastDepth: Fast Monocular Depth Estimation on Embedded Systems", says it.',
     False),
    # a term in quotation marks is no quotation to hold; a closing mark opens none
    ('Its "pixel-wise depth" matters.', False),
    ('" The model is the best of all the models anyone has ever tried.', False),
])
def test_quoted_words_must_be_the_papers(claim, wrong):
    from assistant.answer.quoting import misquoted

    paper = ["FastDepth: Fast Monocular Depth Estimation on Embedded Systems", *SENTENCES]
    assert misquoted(claim, paper) is wrong
