"""Fitting text into a token budget (a word-count tokenizer stands in for the model's)."""

from __future__ import annotations

import pytest

from assistant.llm.budget import TRUNCATION_MARK, ContextError, check_fits, fit_text


def words(text: str) -> int:
    return len(text.split())


def test_text_that_fits_is_untouched():
    assert fit_text("a b c", 3, words) == ("a b c", False)


def test_text_is_cut_at_a_word_boundary_to_the_largest_fitting_prefix():
    text = " ".join(f"w{i}" for i in range(1000))
    cut, was_cut = fit_text(text, 101, words)
    assert was_cut and cut.endswith(TRUNCATION_MARK)
    assert words(cut) == 101 and cut.startswith("w0 w1") and "w99 …" in cut


def test_no_room_gives_empty_text():
    assert fit_text("a b", 0, words) == ("", True)


def test_check_fits_names_the_sizes():
    check_fits(100, 50, 150)
    with pytest.raises(ContextError, match="101 tokens.*50 for the reply.*150"):
        check_fits(101, 50, 150)
