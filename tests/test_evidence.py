"""What of a paper the model reads: the sentences chosen for a question within a budget."""

from __future__ import annotations

from assistant.answer.evidence import QUANTITY_RE, best_sentences
from assistant.index.chunking import approx_tokens

ABSTRACT = (
    "Depth sensing is a critical function for robotic tasks such as localization and "
    "mapping. State-of-the-art depth estimation algorithms are too slow for real-time "
    "inference on an embedded platform. In this paper, we address the problem of fast "
    "depth estimation on embedded systems. Our network, FastDepth, runs at 178 fps on an "
    "NVIDIA Jetson TX2 GPU and at 27 fps on its CPU, with power under 10 W. FastDepth "
    "achieves close to state-of-the-art accuracy on the NYU Depth v2 dataset.")
TITLE = "FastDepth: Fast Monocular Depth Estimation on Embedded Systems"


def test_a_question_asking_how_fast_gets_the_sentence_with_the_measurements():
    """The results sentence shares no word with "how fast" ("fps", "Jetson"); its
    figures must outweigh a sentence whose only "number" is part of a name ("v2")."""
    chosen = best_sentences(ABSTRACT, "Which papers speed up depth estimation on embedded "
                            "hardware, and how fast are they?", 60, approx_tokens, TITLE)
    assert "178 fps" in chosen
    assert "NYU Depth v2" not in chosen


def test_digits_inside_names_and_notation_are_not_figures():
    assert QUANTITY_RE.findall("NYU Depth v2, YOLOv3 and ResNet-50 reach 76.1% at 1,000 "
                               "images") == ["76.1", "1,000"]


def test_only_the_best_paper_gets_the_extra_for_several_figures():
    """Another paper's results sentence in the asked units is what the small model mixes
    up ("up to 8x faster" from a neighbour's "1.5x … 2.6x faster"): it gets the plain
    figure bonus, so the sentences that share the question's words come first."""
    question = "Which papers speed up depth estimation on embedded hardware, and how fast?"
    neighbour = best_sentences(ABSTRACT, question, 60, approx_tokens, TITLE, best_paper=False)
    assert "178 fps" not in neighbour


def test_figures_in_other_units_do_not_make_a_results_sentence():
    from assistant.answer.evidence import asked_units, figure_score
    from assistant.settings import Settings

    tuning = Settings.defaults()
    size = asked_units("How many parameters does the largest model have?")
    datasets = "We evaluate it on 14 downstream datasets and 3 datasets for fine-tuning."
    sizes = "The models range from 14 million to 1.4 billion parameters."
    assert figure_score(datasets, True, size, tuning) == tuning.evidence_number_bonus
    assert figure_score(sizes, True, size, tuning) > tuning.evidence_number_bonus


def test_a_number_inside_a_name_is_no_figure_of_a_results_sentence():
    from assistant.answer.evidence import asked_units, figure_score
    from assistant.settings import Settings

    tuning = Settings.defaults()
    speed = asked_units("How fast is it?")
    assert figure_score("ResNet-50 and YOLOv3 run at 30 fps.", True, speed, tuning) == \
        tuning.evidence_number_bonus  # one figure: 30 fps
    assert figure_score("It runs at 30 fps and 12 fps.", True, speed, tuning) > \
        tuning.evidence_number_bonus


def test_a_dimension_is_no_figure():
    assert QUANTITY_RE.findall("a 3D-aware attention over 2D maps and 3d points, 31 "
                               "frames at 3.5x") == ["31", "3.5"]


def test_a_follow_up_gets_the_best_new_sentence_even_past_its_budget_and_nothing_unrelated():
    """A results sentence is often the whole answer to a follow-up: it comes in full; a
    sentence that shares only the question's scaffolding ("which", "did") does not."""
    from assistant.answer.evidence import follow_up_excerpt, split_sentences
    from assistant.settings import Settings

    sentences = split_sentences(ABSTRACT)
    question = "Which speed did it reach on the CPU?"
    excerpt = follow_up_excerpt(sentences, question, 5, approx_tokens, Settings.defaults())
    assert excerpt.startswith("Our network, FastDepth, runs at 178 fps")
    assert "Depth sensing" not in excerpt
    unrelated = follow_up_excerpt(sentences[:1], "Which benchmarks did they use?", 60,
                                  approx_tokens, Settings.defaults())
    assert unrelated == ""
