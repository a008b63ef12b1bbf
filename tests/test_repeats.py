"""An answer that says the same thing twice shows it once (a small model repeats its own
sentences): the repeat is dropped from the shown text and not checked as a second claim."""

from __future__ import annotations

from fakes import HashEmbedder

from assistant.answer.attribution import Checker, SourceText

SOURCE = [SourceText(1, "FastDepth: Fast Monocular Depth Estimation on Embedded Systems",
                     "FastDepth runs at 178 fps on an NVIDIA Jetson TX2 GPU. It uses a "
                     "lightweight MobileNet encoder.")]


def test_a_sentence_said_twice_is_shown_once():
    text = ("FastDepth runs at 178 fps on a Jetson TX2 [1]. It uses a MobileNet encoder [1]. "
            "FastDepth runs at 178 fps on a Jetson TX2 [1].")
    result = Checker(HashEmbedder().embed).check(text, SOURCE)
    assert result.text.count("178 fps") == 1 and "MobileNet" in result.text
    assert len(result.claims) == 2


def test_sentences_that_only_look_alike_are_both_kept():
    text = "FastDepth runs at 178 fps on a Jetson TX2 [1]. FastDepth runs at 27 fps on its CPU [1]."
    result = Checker(HashEmbedder().embed).check(text, SOURCE)
    assert "178 fps" in result.text and "27 fps" in result.text and len(result.claims) == 2
