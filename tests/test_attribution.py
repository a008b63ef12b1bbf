"""The claim splitter and the attribution checker on hand-made cases, with the real
MiniLM embedder (the checker's similarity comes from it; nothing here is mocked)."""

from __future__ import annotations

import pytest

from assistant.answer.attribution import (
    UNSUPPORTED,
    Checker,
    SourceText,
    invented_numbers,
    missing_names,
    names_in,
)
from assistant.answer.claims import split_claims
from assistant.answer.closest import closest_finding, findings_of
from assistant.answer.entities import bounds_as_values

FASTDEPTH = SourceText(1, "FastDepth: Fast Monocular Depth Estimation on Embedded Systems", (
    "Depth sensing is a critical function for robotic tasks such as localization, mapping and "
    "obstacle detection. We propose an efficient and lightweight encoder-decoder network "
    "architecture and apply network pruning to further reduce computational complexity and "
    "latency. Our proposed network, FastDepth, runs at 178 fps on an NVIDIA Jetson TX2 GPU and "
    "at 27 fps when using only the TX2 CPU, with active power consumption under 10 W. "
    "FastDepth achieves close to state-of-the-art accuracy on the NYU Depth v2 dataset."))
NCN = SourceText(2, "Neural Common Neighbor with Completion for Link Prediction", (
    "Vanilla Message Passing Neural Network (MPNN) usually fails in link prediction tasks, as "
    "it only uses representations of two individual target nodes. To upgrade performance "
    "while maintaining scalability, we propose Neural Common Neighbor (NCN), which uses "
    "learnable pairwise representations. We propose two intervention methods: common "
    "neighbor completion and target link removal. NCNC achieves state-of-the-art "
    "performance in link prediction tasks."))
DETECTOR = SourceText(3, "LiteDet: a lightweight object detector for drones", (
    "We present LiteDet, a lightweight single-stage object detector designed for drones. "
    "LiteDet reaches 41.2 mAP on the VisDrone benchmark while running at 60 fps on a "
    "Jetson Nano. Its backbone uses depthwise separable convolutions."))
SOURCES = [FASTDEPTH, NCN, DETECTOR]


@pytest.fixture(scope="module")
def checker(base_settings):
    from assistant.index.embedding import Embedder
    from assistant.llm.catalog import resolve_model

    embedder = Embedder(resolve_model(base_settings.embedder, base_settings.models_dir), 2)
    yield Checker(embedder.embed)
    embedder.close()


# --- splitting -------------------------------------------------------------------------------


def test_split_keeps_positions_citations_and_folds_meta_sentences():
    text = ("FastDepth runs at 178 fps on a Jetson TX2 [1]. This is stated in [3].\n"
            "- **NCN** uses learnable pairwise features [2], while LiteDet, e.g. the small "
            "model, reaches 41.2 mAP [3]. The sources do not mention power use.")
    spans = split_claims(text)
    assert [s.kind for s in spans] == ["claim", "meta", "claim", "claim", "note"]
    assert spans[0].model_citations == [1, 3]          # the meta sentence's [3] folded in
    assert spans[2].plain == "NCN uses learnable pairwise features"
    assert spans[3].plain.startswith("while LiteDet, e.g. the small model")
    assert spans[3].model_citations == [3]
    for span in spans:
        assert text[span.start:span.end].strip()       # spans point into the text


def test_a_passage_quoted_by_a_meta_sentence_is_meta_to_its_closing_quote():
    """The model justified a claim with 'This claim is supported by the text from source
    [1], which states: "It can … . … In particular, OFA achieves …"': the quotation's
    second sentence was shown as a claim of its own, with a dangling quote mark. A claim
    that quotes across a sentence end stays a claim."""
    text = ('OFA reaches 80.0% in the mobile setting [1]. This claim is supported by the '
            'text from source [1], which states: "It can obtain many sub-networks. … In '
            'particular, OFA achieves 80.0% top-1." Another paper reaches 59.9% [2]. '
            'TiO-Depth "could handle the two tasks. It also improves accuracy" [3].')
    spans = split_claims(text)
    assert [s.kind for s in spans] == ["claim", "meta", "meta", "claim", "claim", "claim"]
    assert spans[0].model_citations == [1]
    # a quotation the model never closes ends with its paragraph; a quote a claim opens
    # and a meta sentence closes leaves what follows alone
    unclosed = ('OFA reaches 80.0% [1]. This claim is supported by source [1], which '
                'states: "It can obtain many sub-networks. OFA reaches 80% [1].\n\n'
                'FastDepth draws 10 W on a TX2 [2]. MiDaS runs at 3 fps [3].')
    assert [s.kind for s in split_claims(unclosed)] == ["claim", "meta", "meta", "claim",
                                                        "claim"]
    closed_by_meta = ('FastDepth "runs at 178 fps on a TX2. This is stated in source [1]." '
                      'FastDepth draws 10 W on the TX2 [2]. MiDaS runs at 3 fps [3].')
    assert [s.kind for s in split_claims(closed_by_meta)] == ["claim", "meta", "claim",
                                                              "claim"]


def test_markup_is_stripped_but_comparison_signs_are_kept():
    """A ">" before a number is part of the claim ("aged >70 years" is another group
    than "aged 70 years"); only a quote's ">" at the start of a line is markup."""
    text = ("> Mortality was higher in patients aged >70 years than in those aged <70 "
            "years [1].\n## An **AST/ALT ratio >1** was more common in `ASH` [2].")
    assert [s.plain for s in split_claims(text)] == [
        "Mortality was higher in patients aged >70 years than in those aged <70 years.",
        "An AST/ALT ratio >1 was more common in ASH."]


@pytest.mark.parametrize(("text", "plains", "citations"), [
    ("The papers [1] and [3] speed up depth estimation on embedded hardware.",
     ["The papers speed up depth estimation on embedded hardware."], [[1, 3]]),
    ("Source [1] demonstrates that FastDepth runs at 178 fps on a Jetson TX2.",
     ["One source demonstrates that FastDepth runs at 178 fps on a Jetson TX2."], [[1]]),
    ("[2] shows that NCN uses learnable pairwise representations.",
     ["One paper shows that NCN uses learnable pairwise representations."], [[2]]),
    ("In [1] and [3], the authors make networks fast enough for embedded boards.",
     ["In the papers, the authors make networks fast enough for embedded boards."],
     [[1, 3]]),
    ("Previous work [2] improved link prediction, while the study [3] reports 41.2 mAP.",
     ["Previous work improved link prediction, while the study reports 41.2 mAP."],
     [[2, 3]]),
    ("The first paper, [1], addresses fast depth estimation on embedded systems.",
     ["The first paper addresses fast depth estimation on embedded systems."], [[1]]),
    ("The second study, [2] and [3], prunes the network in four stages.",
     ["The second study prunes the network in four stages."], [[2, 3]]),
    ("FastDepth runs at 178 fps [1] and [2], while LiteDet reaches 41.2 mAP on drones [3].",
     ["FastDepth runs at 178 fps", "while LiteDet reaches 41.2 mAP on drones."],
     [[1, 2], [3]]),
    # a citation after the full stop followed by a lowercase verb opens the next sentence
    ("The sources compare deep GNNs. [1] states that depth hurts accuracy.",
     ["The sources compare deep GNNs.", "One paper states that depth hurts accuracy."],
     [[], [1]]),
    ("FastDepth runs at 178 fps on a Jetson TX2. [1] The encoder is a MobileNet.",
     ["FastDepth runs at 178 fps on a Jetson TX2.", "The encoder is a MobileNet."],
     [[1], []]),
    # the subject of a clause after an opening word or a connective goes with that clause
    ("However, [1] focuses on speed at test time, whereas [2] proposes a one-step model.",
     ["However, one paper focuses on speed at test time,",
      "whereas one paper proposes a one-step model."], [[1], [2]]),
    ("[1] studies why depth hurts accuracy, while [2][3] present DGMLP for deep designs.",
     ["One paper studies why depth hurts accuracy,",
      "while the papers present DGMLP for deep designs."], [[1], [2, 3]]),
    # a citation after the subject, the verb right after it: one claim, not a title alone
    ("Model Rubik's Cube: Twisting Width for TinyNets [1] proposes a formula for tiny nets.",
     ["Model Rubik's Cube: Twisting Width for TinyNets proposes a formula for tiny nets."],
     [[1]]),
    ("The sources also note that [3] highlight the limits of existing evaluations.",
     ["The sources also note that one paper highlight the limits of existing evaluations."],
     [[3]]),
])
def test_a_citation_used_as_a_noun_leaves_a_sentence_that_reads(text, plains, citations):
    """"Source [1] shows …" must not become "Source shows …" once the marker moves to the
    end, nor be cut into a fragment after its citation."""
    spans = [s for s in split_claims(text) if s.kind == "claim"]
    assert [s.plain for s in spans] == plains
    assert [s.model_citations for s in spans] == citations


def test_a_degenerate_run_of_citations_is_split_without_backtracking_blow_up():
    """A small model can write dozens of markers in a row; an ambiguous pattern over them
    once took minutes (2^n ways to split the spaces). The regex engine holds the GIL, so
    the split runs in a child process that must finish long before linear time runs out."""
    import subprocess
    import sys

    markers = " ".join(f"[{i}]" for i in range(1, 40))
    text = f"Depth networks {markers} x [40] and then four more words run fast."
    code = f"from assistant.answer.claims import split_claims; print(len(split_claims({text!r})))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and int(done.stdout) >= 1


def test_numbers_and_names():
    assert invented_numbers("runs at 1,000 fps and 27 fps", "1000 fps; 27 fps") == []
    assert invented_numbers("reaches 57.9 mAP", "reaches 41.2 mAP") == ["57.9"]
    assert names_in("YOLOv3 beats FastDepth on the GPU with ResNet-50 and NYU Depth v2") == \
        ["NYU Depth v2", "YOLOv3", "FastDepth", "ResNet-50", "NYU"]
    assert missing_names("FastDepth on a Jetson-TX2", FASTDEPTH.text) == []
    assert missing_names("YOLOv3 reaches 41.2 mAP", DETECTOR.text) == ["YOLOv3"]


def test_names_of_several_words_and_short_acronyms():
    """The issue's misses: "NYU Depth v2" and "Trained Rank Pruning" are names, and so is
    "TRP", which a paper may spell out instead."""
    assert "Trained Rank Pruning" in names_in("Trained Rank Pruning alternates training "
                                              "and low-rank approximation.")
    assert "TRP" in names_in("TRP keeps the accuracy of the full-rank network.")
    assert missing_names("DepthMaster is close to the state of the art on NYU Depth v2",
                         "DepthMaster adapts diffusion features for depth estimation.") == [
        "NYU Depth v2", "NYU"]
    assert missing_names("TRP prunes ResNet-56", "We propose Trained Rank Pruning (TRP) for "
                         "ResNet-56.") == []
    assert missing_names("TRP prunes it", "we propose trained rank pruning") == []
    assert missing_names("RCT results", "a randomized controlled trial") == []
    assert missing_names("TRP prunes it", "we propose a rank pruning method") == ["TRP"]
    # an acronym word of a longer name, spelled out in a row with the other words
    assert missing_names("In the paper, Sheaf NNs give every node a vector space",
                         "we propose Sheaf Neural Networks for recommendation") == []
    assert missing_names("In the paper, Sheaf NNs give every node a vector space",
                         "neural networks built on a sheaf") == ["Sheaf NNs"]
    assert missing_names("We saw Sheaf GNNs work", "Sheaf Neural Networks work") == [
        "Sheaf GNNs", "GNN"]
    # a p-value that lost its "<" is no name; a GPU or a model variant is
    found = names_in("AUC was 0.967 (P0.05) on a P100 with EfficientNet-B0")
    assert "P0.05" not in found and {"P100", "EfficientNet-B0"} <= set(found)
    # a capitalised first word of a sentence does not make a name of what follows
    assert names_in("The Jetson board is small.") == []
    assert names_in("In Table 3 we compare.") == []


def test_words_that_turn_a_finding_around():
    from assistant.answer.entities import unstated_markers

    evidence = "FastDepth runs at 27 fps when using only the TX2 CPU."
    assert unstated_markers("FastDepth does not run on the TX2 CPU.", evidence) == [
        "negation"]
    assert unstated_markers("FastDepth runs only on the CPU.", evidence) == []
    assert unstated_markers("It is fast because it is pruned.", evidence) == ["cause"]
    assert unstated_markers("It fails without pruning.", "It cannot run unpruned.") == []
    # a negation the paper words as a verb is one ("avoiding" for "without")
    assert unstated_markers("It learns without any paired images.",
                            "SVDFormer learns, avoiding any paired images.") == []
    assert unstated_markers("It learns without any paired images.",
                            "SVDFormer learns from paired images.") == ["negation"]


# --- deciding --------------------------------------------------------------------------------


@pytest.mark.slow
def test_uncited_true_claim_gets_its_source(checker):
    result = checker.check("FastDepth runs at 178 fps on the Jetson TX2 GPU.", SOURCES)
    [claim] = result.claims
    assert claim.supported and claim.citations == [1]
    assert "178 fps" in claim.evidence[0]["sentence"]
    assert result.text == "FastDepth runs at 178 fps on the Jetson TX2 GPU [1]."
    assert result.citations == [1]


@pytest.mark.slow
def test_wrong_citation_moves_to_the_supporting_source(checker):
    result = checker.check("NCN uses learnable pairwise representations for link "
                           "prediction [3].", SOURCES)
    [claim] = result.claims
    assert claim.model_citations == [3] and claim.citations == [2]
    assert result.rejected == [3]
    assert result.text.endswith("link prediction [2].")


@pytest.mark.slow
def test_invented_number_is_unsupported_and_loses_its_citation(checker):
    result = checker.check("FastDepth runs at 500 fps on the Jetson TX2 GPU [1].", SOURCES)
    [claim] = result.claims
    assert not claim.supported and claim.citations == []
    assert "500" in claim.reason
    assert "[1]" not in result.text and UNSUPPORTED in result.text


@pytest.mark.slow
def test_figure_given_to_a_paper_not_in_the_sources_is_unsupported(checker):
    # the figure is LiteDet's; the claim hands it to a well-known detector
    result = checker.check("YOLOv3 reaches 41.2 mAP on the VisDrone benchmark [3].", SOURCES)
    [claim] = result.claims
    assert not claim.supported and "YOLOv3" in claim.reason
    assert result.citations == []


@pytest.mark.slow
def test_claim_no_source_makes_is_unsupported(checker):
    result = checker.check("Transformers replaced recurrent networks for machine "
                           "translation [2].", SOURCES)
    assert not result.claims[0].supported and result.citations == []


@pytest.mark.slow
def test_mixed_answer_keeps_good_citations_and_marks_the_rest(checker):
    text = ("FastDepth runs at 27 fps on the TX2 CPU [1]. NCNC achieves state-of-the-art "
            "link prediction [2]. It also wins the ImageNet challenge [2].")
    result = checker.check(text, SOURCES)
    assert [c.supported for c in result.claims] == [True, True, False]
    assert result.citations == [1, 2]
    assert result.text.endswith(f"ImageNet challenge {UNSUPPORTED}.")


@pytest.mark.slow
def test_a_source_named_as_the_subject_is_rendered_as_words(checker):
    text = ("The papers [1] and [3] run detectors and depth networks on embedded boards. "
            "Source [1] demonstrates that FastDepth runs at 178 fps on an NVIDIA Jetson TX2 "
            "GPU.")
    result = checker.check(text, SOURCES)
    assert result.text.startswith("The papers run detectors")
    assert result.text.endswith("One source demonstrates that FastDepth runs at 178 fps on "
                                "an NVIDIA Jetson TX2 GPU [1].")


@pytest.mark.slow
def test_threshold_decides(checker):
    strict = Checker(checker.embed, threshold=0.99)
    assert not strict.check("FastDepth runs at 178 fps on the TX2 GPU [1].",
                            SOURCES).claims[0].supported


# --- held to the sentences a claim rests on ----------------------------------------------


@pytest.mark.slow
def test_a_number_the_paper_gives_for_something_else_is_no_support(checker):
    """27 is FastDepth's CPU figure; 10 its power: neither is its GPU speed."""
    right = checker.decide("FastDepth runs at 178 fps on the Jetson TX2 GPU.", [1], SOURCES)
    wrong = checker.decide("FastDepth runs at 10 fps on the Jetson TX2 GPU.", [1], SOURCES)
    assert right.supported and not wrong.supported
    assert "for something else" in wrong.reason


TWO_EXPERIMENTS = SourceText(1, "", (
    "Visual masking was studied in two experiments with 24 adults. In experiment 1, the "
    "target duration was increased from 50 to 150 msec over sessions. In experiment 2, "
    "the target duration was increased from 50 to 300 msec over sessions. Masking "
    "declined with longer durations in both experiments."))


@pytest.mark.slow
def test_a_copied_sentence_with_another_sentences_number_is_no_support(checker):
    """300 msec is experiment 2's: put in experiment 1's sentence in the place of its 150,
    the copy is no longer what the paper says, though 300 stands in the next sentence
    (and read as a copy of experiment 2's sentence, its "1" stands where that says 2)."""
    right = checker.decide("In experiment 1, the target duration was increased from 50 to "
                           "150 msec over sessions.", [1], [TWO_EXPERIMENTS, NCN])
    swapped = checker.decide("In experiment 1, the target duration was increased from 50 "
                             "to 300 msec over sessions.", [1], [TWO_EXPERIMENTS, NCN])
    assert right.supported and not swapped.supported
    assert "for something else" in swapped.reason  # 300 for experiment 1, or 1 for 2's


def test_a_swapped_number_is_one_in_the_place_of_another():
    from assistant.answer.entities import swapped_numbers

    sentence = "In experiment 1, the duration was increased from 50 to 150 msec."
    assert swapped_numbers("In experiment 1, the duration was increased from 50 to 300 "
                           "msec.", sentence) == ["300"]
    # the sentence's numbers kept and another added (two sentences joined): no swap
    assert swapped_numbers("In experiment 1 (24 adults), the duration was increased from "
                           "50 to 150 msec.", sentence) == []


SMITH = SourceText(4, "Beyond 512 Tokens: Siamese Multi-depth Transformer-based Hierarchical "
                   "Encoder for Long-Form Document Matching", (
    "Existing work has largely focused on matching short texts, as in ad-hoc retrieval. "
    "Self-attention models like Transformers and BERT are limited to short text due to the "
    "quadratic complexity of self-attention with respect to input text length. In this "
    "paper, we address the issue by proposing the Siamese Multi-depth Transformer-based "
    "Hierarchical (SMITH) Encoder for long-form document matching. We pre-train the model "
    "with a masked sentence block language modeling task. Comparing to BERT based "
    "baselines, our model is able to increase maximum input text length from 512 to 2048. "
    "Forty-four percent of the documents are longer than 512 tokens."))


@pytest.mark.slow
def test_the_papers_own_name_binds_to_a_sentence_in_the_authors_voice(checker):
    """SMITH is what the authors named their model: "our model … 2048" is said of SMITH
    (the sentence that names it is about something else)."""
    own = checker.decide("SMITH can increase the maximum input text length to 2048.", [4],
                         [SMITH, NCN])
    assert own.supported and own.citations == [4]


@pytest.mark.slow
def test_a_figure_the_paper_spells_out_is_the_papers(checker):
    claim = checker.decide("44% of the documents are longer than 512 tokens.", [4],
                           [SMITH, NCN])
    assert claim.supported, claim.reason
    wrong = checker.decide("45% of the documents are longer than 512 tokens.", [4],
                           [SMITH, NCN])
    assert not wrong.supported and "45" in wrong.reason


def test_spelt_out_numbers_in_digits():
    from assistant.answer.numerals import with_digits

    text = "Forty-four percent of parents and Sixteen patients; twenty one died. None did."
    assert with_digits(text).splitlines()[-1] == "44 percent; 16 patients; 21 died"
    assert with_digits("No numbers here.") == "No numbers here."


@pytest.mark.slow
def test_a_sentence_with_another_papers_name_is_not_that_papers_finding(checker):
    """LiteDet's sentence with NCN's name, citing NCN: NCN's abstract names NCN, but the
    finding is LiteDet's (it matches LiteDet far better), so nobody supports it."""
    swapped = "We present NCN, a lightweight single-stage object detector designed for drones."
    claim = checker.decide(swapped, [2], SOURCES)
    assert not claim.supported and claim.citations == []


@pytest.mark.slow
def test_an_inserted_not_or_only_is_no_support(checker):
    assert checker.decide("FastDepth runs at 178 fps on an NVIDIA Jetson TX2 GPU.", [1],
                          SOURCES).supported
    negated = checker.decide("Our proposed network, FastDepth, does not run at 178 fps on "
                             "an NVIDIA Jetson TX2 GPU and at 27 fps when using only the TX2 "
                             "CPU, with active power consumption under 10 W.", [1], SOURCES)
    assert not negated.supported and "negation" in negated.reason
    only = checker.decide("LiteDet reaches 41.2 mAP on the VisDrone benchmark only while "
                          "running at 60 fps on a Jetson Nano.", [3], SOURCES)
    assert not only.supported and "restriction" in only.reason


HER2 = SourceText(1, "", (
    "Urothelial carcinoma is common and its markers are debated. To evaluate the impact of "
    "HER2 immunoreactivity on clinical outcome in urothelial carcinoma patients, we studied "
    "114 specimens. HER2 immunoreactivity was significantly associated with progression-free "
    "survival (p = 0.02) in advanced urothelial carcinoma patients. Nodal status was a strong "
    "prognostic indicator."))


def test_the_findings_of_a_paper_leave_out_its_background_opening_and_its_aim():
    kept = findings_of(HER2).text
    assert kept.startswith("HER2 immunoreactivity was significantly associated")
    assert "To evaluate" not in kept and "debated" not in kept
    # an opening in the authors' voice is theirs, and a paper of aims alone stays whole
    own = SourceText(2, "", "We propose LiteDet. It runs at 60 fps. It is small.")
    assert findings_of(own).text == own.text
    aims = SourceText(3, "", "To assess drones.")
    assert findings_of(aims) == aims
    # results first: a design sentence and earlier work's finding are no results of it
    design = SourceText(4, "", (
        "Statins are widely used. This was a retrospective study of 300 patients. A previous "
        "study showed that statins reduce mortality. Mortality was lower with statins (12% "
        "vs. 20%, p = 0.01)."))
    assert findings_of(design, results=True).text == (
        "Mortality was lower with statins (12% vs. 20%, p = 0.01).")
    assert findings_of(own, results=True) is None


@pytest.mark.slow
def test_a_verdict_is_explained_by_a_finding_not_by_the_aim_that_restates_the_question(
        checker):
    question = "Does HER2 immunoreactivity have an impact on clinical outcome?"
    result = closest_finding(checker, question, [HER2], 0.2)
    assert result is not None and result.supported
    assert result.text.startswith("HER2 immunoreactivity was significantly associated")


@pytest.mark.slow
def test_the_explaining_finding_comes_from_the_paper_that_matches_the_question_best(checker):
    """Leaving the aim out must not hand the explanation to another paper whose finding
    happens to echo the question (a breast cancer study under a urothelial question)."""
    her2 = SourceText(1, "", (
        "Urothelial carcinoma is common and its markers are debated. To evaluate the impact "
        "of HER2 immunoreactivity on clinical outcome in urothelial carcinoma patients, we "
        "studied 114 specimens. Staining was scored by two pathologists. Nodal status was a "
        "strong prognostic indicator."))
    other = SourceText(2, "", (
        "Breast cancer is common. HER2 immunoreactivity predicted clinical outcome in breast "
        "cancer patients. We studied 50 women."))
    question = ("Does HER2 immunoreactivity have an impact on clinical outcome in urothelial "
                "carcinoma?")
    result = closest_finding(checker, question, [her2, other], 0.2)
    assert result is not None and result.citations == [1]
    assert not result.text.startswith("To evaluate")


@pytest.mark.slow
def test_the_explaining_finding_comes_from_the_paper_the_question_names(checker):
    """"the graph-level tasks paper" names paper 2; paper 1's sentence echoes the
    question's "underperform" better, and was quoted instead, opening on its "However,"."""
    deep = SourceText(1, "Evaluating Deep Graph Neural Networks", (
        "Graph neural networks are applied widely. However, we found that GNNs "
        "underperform, and we find that they do because of the shallow architecture issue. "
        "We study deep GNNs on eight datasets."))
    level = SourceText(2, "Revisiting Graph Neural Networks on Graph-level Tasks", (
        "Graphs model complex interactions. GNNs have shown promise on graph-level tasks, but "
        "their evaluations are limited to narrow datasets. Furthermore, we found that twelve "
        "models underperform under a unified evaluation framework."))
    question = ("Do the authors of the graph-level tasks paper find GNNs underperform, and "
                "what do they find?")
    result = closest_finding(checker, question, [deep, level], 0.2)
    assert result is not None and result.citations == [2]
    assert not result.text.startswith("Furthermore")
    # the authors said to be the paper's (the question named it only by its topic)
    assert result.text.startswith("The authors of “Revisiting Graph Neural Networks on "
                                  "Graph-level Tasks” found that twelve models underperform")


@pytest.mark.slow
def test_a_paper_asked_about_by_name_is_explained_by_its_own_work_not_its_field(checker):
    """The question names the paper; its field's sentences echo the question ("GNNs …
    underperform") but say what others found: the stand-in is what the authors did."""
    paper = SourceText(1, "Revisiting Graph Neural Networks on Graph-level Tasks", (
        "Graphs are essential data structures. Graph-level tasks are critical for molecular "
        "property prediction. GNNs have shown promise, but they underperform when their "
        "evaluations are limited to narrow datasets. To address these limitations, we "
        "propose a unified evaluation framework for graph-level GNNs."))
    other = SourceText(2, "Evaluating Deep Graph Neural Networks",
                       "Deep GNNs are evaluated on eight datasets.")
    question = ("Do the authors of the graph-level tasks paper find GNNs underperform, and "
                "what do they propose?")
    result = closest_finding(checker, question, [paper, other], 0.2)
    assert result is not None and result.citations == [1]
    assert "unified evaluation framework" in result.text and "promise" not in result.text


@pytest.mark.slow
def test_a_question_naming_two_papers_is_explained_by_a_sentence_of_each(checker):
    """"How do MAMo and FutureDepth differ …?" got one MAMo sentence, "This allows the
    depth network to …", which says neither what "this" is nor anything of FutureDepth."""
    mamo = SourceText(1, "MAMo: Leveraging Memory and Attention for Video Depth Estimation", (
        "Video depth estimation is hard. MAMo augments a depth network with a memory of "
        "past frames. This allows the depth network to cross-reference features from past "
        "frames when predicting depth."))
    future = SourceText(2, "FutureDepth: Learning to Predict the Future Improves Depth", (
        "Video depth estimation is hard. FutureDepth learns to predict the features of "
        "future frames from past frames during training. It improves accuracy on KITTI."))
    question = "How do MAMo and FutureDepth differ in how they use past frames?"
    result = closest_finding(checker, question, [mamo, future], 0.2)
    assert result is not None and result.citations == [1, 2]
    assert "MAMo augments a depth network" in result.text  # what "This" points back at
    assert "FutureDepth learns to predict" in result.text


@pytest.mark.slow
def test_with_no_result_the_explaining_sentence_is_the_authors_own_not_the_fields(checker):
    """No sentence reads as a result: the authors' own ("we introduce AMUD …") explains
    how the paper does something, not what it says of the field before it."""
    paper = SourceText(1, "Breaking the Entanglement of Homophily and Heterophily", (
        "Graph neural networks are popular for semi-supervised node classification. Most "
        "GNNs follow the homophily assumption. As a supplement, heterophily reflects "
        "dissimilarity of connected nodes, which matters when GNNs classify nodes. To "
        "address this, we introduce AMUD, which models directed edges to guide learning."))
    question = "How does the homophily and heterophily paper classify nodes?"
    result = closest_finding(checker, question, [paper], 0.2)
    assert result is not None and result.citations == [1]
    assert "AMUD" in result.text and "supplement" not in result.text


@pytest.mark.slow
def test_a_question_asking_for_a_figure_gets_the_papers_figure_beside_its_closest_finding(
        checker):
    """The setup-sized question "Which paper trains one network …, and what ImageNet
    accuracy does it reach in the mobile setting?" got only the paper's method sentence
    when the model's own answer was rejected: the figure asked for was left out."""
    ofa = SourceText(1, "Once-for-All: Train One Network and Specialize it", (
        "Efficient deployment across many devices is costly. In this work, we propose to "
        "train a once-for-all network that supports diverse hardware by decoupling training "
        "and search, which reduces the cost. We can quickly get a specialized sub-network "
        "by selecting from the once-for-all network without additional training. In "
        "particular, OFA achieves a new SOTA 80.0% ImageNet top-1 accuracy under the mobile "
        "setting. Code is released."))
    question = ("Which paper trains a single network once and extracts specialized "
                "sub-networks without retraining, and what ImageNet accuracy does it reach?")
    result = closest_finding(checker, question, [ofa], 0.2)
    assert result is not None and result.citations == [1]
    assert "80.0%" in result.text and "once-for-all network" in result.text
    assert result.text.index("once-for-all network") < result.text.index("80.0%")
    plain = closest_finding(checker, question.split(", and what")[0] + "?", [ofa], 0.2)
    assert plain is not None and "80.0%" not in plain.text


def test_abstract_sentences_do_not_end_at_an_abbreviation():
    """"(59% vs. 19%, P<0.0001)" cut at "vs." showed a half sentence as evidence and held
    a claim's numbers to fragments."""
    from assistant.answer.evidence import split_sentences

    text = ("High-grade fibrosis (59% vs. 19%, P<0.0001) was more common in ASH. We follow "
            "e.g. BERT and Smith et al. (2019), see Fig. 2 for details. It ran 2 h. Then 3 "
            "runs followed.")
    assert split_sentences(text) == [
        "High-grade fibrosis (59% vs. 19%, P<0.0001) was more common in ASH.",
        "We follow e.g. BERT and Smith et al. (2019), see Fig. 2 for details.",
        "It ran 2 h.", "Then 3 runs followed."]


def test_an_answer_sentence_may_start_with_a_name_written_small():
    """"… differ in their approach. iDisc uses internal discretized representations …"
    was one claim with the sentence before it (naming PatchFusion too), and the true
    iDisc sentence was shown "[unsupported]"."""
    text = ("iDisc and PatchFusion differ in their approach. iDisc uses internal "
            "discretized representations. mAP rises by 2 [1]. The network. [2] states that "
            "it works.")
    assert [s.plain for s in split_claims(text)] == [
        "iDisc and PatchFusion differ in their approach.",
        "iDisc uses internal discretized representations.", "mAP rises by 2.",
        "The network.", "One paper states that it works."]


def test_a_contrast_with_another_source_is_two_claims():
    """"One source states that PrimeDepth addresses zero-shot depth estimation, while one
    source proposes DepthMaster, …" was one claim about two papers, and abstained."""
    text = ("One source states that PrimeDepth addresses zero-shot monocular depth "
            "estimation, while one source proposes DepthMaster, a single-step diffusion "
            "model. A runs fast, while the model is small. Source [1] states that PrimeDepth "
            "is fast, while source [2] proposes DepthMaster, a diffusion model.")
    assert [s.plain for s in split_claims(text)] == [
        "One source states that PrimeDepth addresses zero-shot monocular depth estimation",
        "while one source proposes DepthMaster, a single-step diffusion model.",
        "A runs fast, while the model is small.",
        "One source states that PrimeDepth is fast",
        "while one source proposes DepthMaster, a diffusion model."]


def test_a_sentence_may_start_with_a_name_written_small():
    """iDisc's abstract ends "... on the official KITTI benchmark. iDisc can also achieve
    ...": kept as one sentence, the answer's word-for-word copy of the first part was not
    recognised as a copy (the run did not end the sentence) and was read at length."""
    from assistant.answer.evidence import split_sentences

    text = ("Our method outperforms all published methods on KITTI. iDisc can also estimate "
            "normals. fB-glu was normal in 59%. Levels rose, e.g. mRNA and cIMT did. It gains "
            "3 mAP resp. mAP drops by 2, see Eq. nDCG and Sec. iDisc for details.")
    assert split_sentences(text) == [
        "Our method outperforms all published methods on KITTI.",
        "iDisc can also estimate normals.", "fB-glu was normal in 59%.",
        "Levels rose, e.g. mRNA and cIMT did.",
        "It gains 3 mAP resp. mAP drops by 2, see Eq. nDCG and Sec. iDisc for details."]


@pytest.mark.parametrize(("claim", "evidence", "flagged"), [
    ("It reaches 80.0% top-1 with only 600M MACs.", "It reaches 80.0% (<600M MACs).", ["600"]),
    ("It draws 10 W on the CPU.", "It runs with power of less than 10 W.", ["10"]),
    ("It draws under 10 W.", "It runs with power of at most 10 W.", []),  # kept as a limit
    ("It needs up to 600M MACs.", "It reaches 80.0% (<600M MACs).", []),  # in other words
    ("It fits a 600M MAC budget.", "It reaches 80.0% (<600M MACs).", []),
    ("It reaches 80% with 20% label noise.", "80% accuracy under 20% label noise.", []),
    ("It reaches 83.6% top-1.", "It achieves up to 83.6% on Top-1.", []),  # how far it got
    ("It reaches 96% accuracy.", "It reaches over 96% accuracy.", []),
    ("It needs 600M MACs.", "Budgets: <600M MACs; ours uses 600M MACs.", []),  # also a value
])
def test_a_limit_the_paper_sets_is_not_its_figure(claim, evidence, flagged):
    assert bounds_as_values(claim, evidence) == flagged


@pytest.mark.parametrize(("claim", "evidence", "wrong"), [
    # "What speed-up does MobileMamba report?": its 83.6% is a top-1 accuracy
    ("MobileMamba reports a speed-up of up to 83.6% on Top-1.",
     "MobileMamba achieves up to 83.6% on Top-1, which is x21 faster than LocalVim.",
     ["83.6"]),
    ("It gives a speed-up of 2.5x over the baseline.",
     "Our method achieves a 2.5x speed-up over the baseline with 80% accuracy.", []),
    ("It gives a speed-up of 30%.", "Inference is 30% faster at the same accuracy.", []),
    ("MobileMamba reaches 83.6% Top-1 accuracy.",
     "MobileMamba achieves up to 83.6% on Top-1, which is x21 faster than LocalVim.", []),
])
def test_a_speed_up_the_paper_gives_as_an_accuracy_is_misbound(claim, evidence, wrong):
    from assistant.answer.entities import misbound_numbers

    assert misbound_numbers(claim, evidence) == wrong


@pytest.mark.parametrize(("claim", "evidence", "wrong"), [
    # "What datasets are used …?": the paper's three are settings, not datasets
    ("The paper uses three datasets: unlabeled one-class, unlabeled multi-class, and "
     "labeled multi-class.", "Our method is evaluated under three AD settings including "
     "unlabeled one-class, unlabeled multi-class, and labeled multi-class.", ["3"]),
    ("It is tested on 14 datasets.", "Experiments on 14 public benchmarks show gains.", []),
    ("It was run at two hospitals with 120 patients.",
     "The trial ran in two centres and enrolled 120 participants.", []),
    ("It was compared with 5 models.", "It beats 5 strong baselines on 3 datasets.", []),
    ("It was evaluated on 3 datasets.", "We report results in 3 settings.", ["3"]),
    ("It sent 3 patient reminders.", "The clinic sent 3 patient reminders.", []),
    # "How many parameters does LightHuBERT save?": its 10^9 counts architectures
    ("LightHuBERT saves over 10^9 parameters compared with HuBERT.",
     "LightHuBERT enables over 10^9 architectures concerning the embedding dimension.", ["9"]),
])
def test_a_count_of_another_kind_of_thing_is_misbound(claim, evidence, wrong):
    from assistant.answer.entities import misbound_numbers

    assert misbound_numbers(claim, evidence) == wrong


@pytest.mark.parametrize(("claim", "evidence", "wrong"), [
    # the paper's 1.3% is a contamination rate, not a success rate
    ("Contamination was found in 16 of 1212 samples, which resulted in a success rate of "
     "1.3%.", "Among these patients the microbial contamination rate on sample basis was "
     "1.3 % (16/1212).", ["1.3"]),
    ("The contamination rate was 1.3%.",
     "Among these patients the microbial contamination rate on sample basis was 1.3 %.", []),
    # the claim's rate is named in the sentence (another wording of the same rate)
    ("The success rate of contamination control was 1.3%.",
     "The contamination rate on sample basis was 1.3 %, a success of the protocol.", []),
    # an unnamed rate ("the rate", "a comparable rate") is not held, nor another name of it
    ("The overall rate was 1.3%.", "The contamination rate was 1.3 %.", []),
    ("Both arms had a comparable rate of 5%.", "The complication rate was 5% in both arms.",
     []),
    ("The 30-day death rate was 5%.", "The 30-day mortality rate was 5% in the cohort.", []),
])
def test_a_percentage_given_as_another_rate_is_misbound(claim, evidence, wrong):
    from assistant.answer.entities import misbound_numbers

    assert misbound_numbers(claim, evidence) == wrong


@pytest.mark.parametrize(("claim", "paper", "wrong"), [
    # the paper's 40% is a memory saving, though "accuracy" stands in its sentence
    ("AugLocal reports accuracy gains of around 40% on four image classification datasets.",
     "AugLocal achieves comparable accuracy to BP-trained networks while reducing GPU "
     "memory usage by around 40%.", ["40"]),
    ("AugLocal cuts GPU memory by 40%.",
     "AugLocal achieves comparable accuracy to BP-trained networks while reducing GPU "
     "memory usage by around 40%.", []),
    # one of several places the paper gives the figure is enough
    ("The sensitivity was 92.9%.", "QTcD was 92.9 ms on average. QTcD predicted LVH with a "
     "sensitivity of 92.9%.", []),
    # a decimal too; another kind of measure named beside it is another figure
    ("The model reaches an AUC of 0.82.", "The AUC was 0.82 in the test set.", []),
    ("The model reaches a recall of 0.82.", "Its AUC was 0.82 in the test set.", ["0.82"]),
    ("The top-1 accuracy is 23.5%.", "The top-1 error is 23.5% on ImageNet.", ["23.5"]),
    # no kind of measure named on one side: other words for it, left to the reading
    ("It reaches 0.82.", "Its AUC was 0.82 in the test set.", []),
    ("The AUC was 0.82.", "The area under the curve was 0.82.", []),
    ("The success rate was 92.7%.", "Stone-free status was achieved in 92.7% of patients.",
     []),
    ("Mortality was 12%.", "Sepsis-related mortality was 12% overall.", []),
    # whole numbers without a unit, and figures the paper spells out, are other rules'
    ("The study enrolled 120 patients with diabetes.", "Of 120 screened, all were included.",
     []),
    ("Forty-four percent of parents underestimated size.", "44% of children were fine.", []),
])
def test_a_figure_is_held_to_what_the_paper_measures_with_it(claim, paper, wrong):
    from assistant.answer.evidence import split_sentences
    from assistant.answer.measures import measured_otherwise

    assert measured_otherwise(claim, split_sentences(paper)) == wrong


LOCAL_LEARNING = SourceText(1, "Scaling Supervised Local Learning with Augmented Auxiliary "
                            "Networks", (
    "Deep neural networks are typically trained with global error signals that "
    "backpropagate end to end, which is memory intensive. We propose AugLocal, a supervised "
    "local learning method that builds each hidden layer's auxiliary network from a "
    "uniform sample of its subsequent layers. Extensive experiments on four image "
    "classification datasets show that AugLocal achieves comparable accuracy to "
    "BP-trained networks while reducing GPU memory usage by around 40%."))


@pytest.mark.slow
def test_a_figure_for_another_measure_of_the_same_sentence_is_no_support(checker):
    """The paper's 40% is a memory saving; "accuracy" stands in the same sentence, so
    co-occurrence alone would bind it to an accuracy gain."""
    right = checker.decide("AugLocal reduces GPU memory usage by around 40% compared with "
                           "backpropagation.", [1], [LOCAL_LEARNING, NCN])
    wrong = checker.decide("AugLocal reports accuracy gains of around 40% on four image "
                           "classification datasets compared with BP-trained networks.", [1],
                           [LOCAL_LEARNING, NCN])
    assert right.supported and not wrong.supported
    assert "40 for something else" in wrong.reason


LITHOTRIPSY = SourceText(1, "", (
    "To study the efficiency and safety of holmium:YAG laser lithotripsy for ureteral "
    "stones. A series of 188 patients with 208 ureteral stones were treated with semirigid "
    "ureteroscopy and holmium:YAG laser lithotripsy from January 2003 to December 2005. Of "
    "the stones, 116 were lower ureteral, 37 middle ureteral, and 55 upper ureteral. The "
    "success rate was 92.7% at the time of ureteroscopy and 96.7% at 3 months. The "
    "failures were secondary to retropulsion of the stones (3.3%)."))


@pytest.mark.slow
def test_a_claim_rests_on_the_sentence_that_gives_all_its_numbers(checker):
    """The claim's words match the aim and the methods sentences best, its three numbers
    stand together in the results sentence: that is the sentence it rests on (not a
    number "for something else"). One number swapped for another of the abstract is
    still no support."""
    right = checker.decide("Holmium:YAG laser lithotripsy was effective for ureteral stones, "
                           "with a success rate of 92.7% at the time of ureteroscopy and "
                           "96.7% at 3 months.", [1], [LITHOTRIPSY, NCN])
    swapped = checker.decide("Holmium:YAG laser lithotripsy was effective for ureteral "
                             "stones, with a success rate of 92.7% at the time of "
                             "ureteroscopy and 96.7% at 37 months.", [1], [LITHOTRIPSY, NCN])
    assert right.supported, right.reason
    assert not swapped.supported and "for something else" in swapped.reason


TEXT_TO_3D = SourceText(1, "Controllable Text-to-3D Generation via Surface-Aligned Gaussian "
                        "Splatting", (
    "To address this task, 1) we introduce Multi-view ControlNet (MVControl), a novel "
    "architecture that conditions pre-trained multi-view diffusion models for 3D "
    "generation. And, 2) we propose an efficient multi-stage 3D generation pipeline that "
    "leverages the benefits of recent large reconstruction models and score distillation "
    "algorithm. We adopt 3D Gaussians as our representation."))


@pytest.mark.slow
def test_a_number_in_a_word_does_not_place_a_claim(checker):
    """"3D" is no figure: the copy's "1)" for the sentence's "2)" is still a number put
    in the place of another, though another sentence has both "1" and "3D"."""
    swapped = checker.decide("And, 1) we propose an efficient multi-stage 3D generation "
                             "pipeline that leverages the benefits of recent large "
                             "reconstruction models and score distillation algorithm.", [1],
                             [TEXT_TO_3D, NCN])
    assert not swapped.supported


BODY_SIZE = SourceText(1, "", (
    "To compare children's, parents' and physicians' perceptions of children's body size. "
    "We administered a structured questionnaire of body size perception using a "
    "descriptive Likert scale keyed to body image figures to children ages 12 to 18 years. "
    "The same scale was given to parents of children ages 5 to 18 years. The sample "
    "consisted of 91 children and their parents."))


@pytest.mark.slow
def test_a_copy_keeps_its_own_sentences_numbers(checker):
    """The copy of the children's sentence with the parents' 5 in it: another sentence
    gives both 5 and 18, but the words are the first sentence's, so its numbers must be."""
    right = checker.decide("We administered a structured questionnaire of body size "
                           "perception using a descriptive Likert scale keyed to body image "
                           "figures to children ages 12 to 18 years.", [1], [BODY_SIZE, NCN])
    swapped = checker.decide("We administered a structured questionnaire of body size "
                             "perception using a descriptive Likert scale keyed to body image "
                             "figures to children ages 5 to 18 years.", [1], [BODY_SIZE, NCN])
    assert right.supported and not swapped.supported


@pytest.mark.parametrize(("sentence", "alone"), [
    ("Second, we observe that random sparse networks converge no faster.",
     "We observe that random sparse networks converge no faster."),
    ("(ii) The compression phase begins when the errors become small.",
     "The compression phase begins when the errors become small."),
    ("Furthermore, we found that twelve models underperform.",
     "We found that twelve models underperform."),
    ("Secondary outcomes did not differ.", "Secondary outcomes did not differ."),
    # an ordinal or a mark that is part of what the sentence says stays
    ("First, second and third molars were extracted.",
     "First, second and third molars were extracted."),
    ("(x) and (y) are related.", "(x) and (y) are related."),
])
def test_a_stand_in_sentence_drops_what_tied_it_to_the_one_before(sentence, alone):
    """The paper's sentence shown on its own opens the answer: a "Second," or a "(ii)"
    there follows nothing."""
    from assistant.answer.closest import _standing_alone

    assert _standing_alone(sentence) == alone


def test_a_number_inside_a_word_does_not_keep_a_claim_from_its_figures_sentence():
    """"The 3D detector reached 45.2% AP and 60.1% recall.": its figures are 45.2 and
    60.1 (the "3" of "3D" is none), which the results sentence gives together; the
    best-matching of the sentences that do is the one taken."""
    from assistant.answer.binding import _with_figures

    units = ["Title", "We propose a 3D detector.", "It runs on a GPU.",
             "Our detector reaches 45.2% AP and 60.1% recall on nuScenes.",
             "Against the baseline, 45.2% AP and 60.1% recall are reported in a table."]
    claim = "The 3D detector reached 45.2% AP and 60.1% recall."
    assert _with_figures(claim, units, [1, 2, 4, 3], [1, 2]) == [1, 4]
    assert _with_figures(claim, units, [1, 2, 3, 4], [1, 2]) == [1, 3]
