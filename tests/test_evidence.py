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
