"""Claims about papers the question is not about are set apart ("Other retrieved papers"):
the decision on given vectors and the rendering (fast), and with the real MiniLM
embedder on papers of the bundled sample (slow)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.answer.checked import Claim, SourceText
from assistant.answer.claims import split_claims
from assistant.answer.relevance import set_apart
from assistant.answer.rendering import ASIDE, render
from assistant.settings import PACKAGE_DIR


def _unit(angle: float) -> np.ndarray:
    return np.array([np.cos(angle), np.sin(angle)])


def claim(citations: list[int], supported: bool = True) -> Claim:
    return Claim(text="", citations=citations, supported=supported, support=0.5, evidence=[])


SOURCES = [SourceText(1, "Paper one", "One says a."), SourceText(2, "Paper two", "Two says b.")]


def vectors_at(angles: dict[str, float]):
    return lambda texts: np.vstack([_unit(angles[t]) for t in texts])


def test_a_claim_is_set_apart_only_when_its_paper_and_itself_are_far_from_the_question():
    # the question at angle 0; paper one's sentences close, paper two's far
    angles = {"q": 0.0, "Paper one": 0.2, "One says a.": 0.1, "Paper two": 1.0,
              "Two says b.": 0.9, "about one": 0.1, "about two": 1.0, "two, on topic": 0.15}
    vectors = vectors_at(angles)
    first, second = claim([1]), claim([2])
    apart = set_apart("q", [("about one", first), ("about two", second)], SOURCES, vectors,
                      0.05, 0.2)
    assert apart == [second] and first.relevant and not second.relevant
    # a claim of the far paper that is itself about the question stays
    near = claim([2])
    assert set_apart("q", [("about one", claim([1])), ("two, on topic", near)], SOURCES,
                     vectors, 0.05, 0.2) == [] and near.relevant
    # ... unless another claim of that paper is far: the paragraph about it moves whole
    # (Q14 showed "Other retrieved papers: It highlights three key benefits …", its
    # sentence naming "it" left in the body)
    far = claim([2])
    apart = set_apart("q", [("about one", claim([1])), ("two, on topic", near),
                            ("about two", far)], SOURCES, vectors, 0.05, 0.2)
    assert apart == [near, far] and not near.relevant
    # a paper cited together with the best one ("Both papers [1][2] …") is part of the
    # answer: its own claims stay
    both, own = claim([1, 2]), claim([2])
    assert set_apart("q", [("about one", claim([1])), ("about one", both),
                           ("about two", own)], SOURCES, vectors, 0.05, 0.2) == []
    assert own.relevant
    # nor those of a paper the question names
    named = [SourceText(1, "Paper one", "One says a."),
             SourceText(2, "TwoNet: Paper two", "Two says b.")]
    angles.update({"TwoNet: Paper two": 1.0, "q TwoNet": 0.0})
    mine = claim([2])
    assert set_apart("q TwoNet", [("about one", claim([1])), ("about two", mine)], named,
                     vectors_at(angles), 0.05, 0.2) == [] and mine.relevant
    # ... by a phrase of its title too ("the opposing signals paper")
    phrased = [SourceText(1, "Paper one", "One says a."),
               SourceText(2, "Outliers with Opposing Signals", "Two says b.")]
    angles.update({"Outliers with Opposing Signals": 1.0, "Explain the opposing signals "
                   "paper and one.": 0.0})
    theirs = claim([2])
    assert set_apart("Explain the opposing signals paper and one.",
                     [("about one", claim([1])), ("about two", theirs)], phrased,
                     vectors_at(angles), 0.05, 0.2) == [] and theirs.relevant
    # no question, one claim, or unsupported claims: nothing is set apart
    assert set_apart("", [("about one", claim([1])), ("about two", claim([2]))], SOURCES,
                     vectors, 0.05, 0.2) == []
    assert set_apart("q", [("about one", claim([1])), ("about two", claim([2], False))],
                     SOURCES, vectors, 0.05, 0.2) == []


def test_claims_set_apart_close_the_answer_under_their_own_heading():
    text = "OFA trains one network [1]. TRP prunes ranks [2]. OFA reaches 80% [1]."
    spans = split_claims(text)
    claims = [claim([1]), claim([2]), claim([1])]
    claims[1].relevant = False
    shown = render(text, list(zip(spans, claims, strict=True)))
    assert shown == (f"OFA trains one network [1]. OFA reaches 80% [1].\n\n"
                     f"{ASIDE} TRP prunes ranks [2].")


def _sample_paper(n: int, title_start: str) -> SourceText:
    lines = [line.strip() for line in (PACKAGE_DIR / "data" / "papers-page.txt")
             .read_text(encoding="utf-8").splitlines() if line.strip()][5:]
    at = next(i for i in range(0, len(lines), 2) if lines[i].startswith(title_start))
    return SourceText(n, lines[at], lines[at + 1])


@pytest.mark.slow
def test_padding_about_another_retrieved_paper_is_set_apart(base_settings):
    """A real answer's padding (bench/claims answer 13): asked about once-for-all
    networks, the model also described Trained Rank Pruning; with two papers that both
    fit a "which papers" question, both stay."""
    from assistant.answer.attribution import Checker
    from assistant.index.embedding import Embedder
    from assistant.llm.catalog import resolve_model

    embedder = Embedder(resolve_model(base_settings.embedder, base_settings.models_dir), 2)
    checker = Checker(embedder.embed)
    try:
        ofa, trp = _sample_paper(1, "Once-for-All"), _sample_paper(2, "Trained Rank Pruning")
        answer = checker.check(
            "The once-for-all (OFA) network supports diverse architectural settings by "
            "decoupling training and search [1]. Trained Rank Pruning outperforms previous "
            "compression methods using low rank approximation on CIFAR-10 and ImageNet [2].",
            [ofa, trp],
            "Which paper trains a single network once and then extracts specialized "
            "sub-networks for different hardware without retraining?")
        assert [c.relevant for c in answer.claims] == [True, False], answer.claims
        assert all(c.supported for c in answer.claims)
        assert answer.text.endswith("[2].") and f"\n\n{ASIDE} Trained Rank" in answer.text
        deeper, evaluating = (_sample_paper(1, "Towards Deeper Graph Neural Networks"),
                              _sample_paper(2, "Evaluating Deep Graph Neural Networks"))
        both = checker.check(
            "Towards Deeper Graph Neural Networks finds that the entanglement of "
            "representation transformation and propagation in current graph convolution "
            "operations is the key factor that degrades deep GNNs [1]. Evaluating Deep "
            "Graph Neural Networks answers what actually leads to the compromised "
            "performance of deep GNNs [2].",
            [deeper, evaluating],
            "Which papers investigate why graph neural networks perform worse when made "
            "deeper, and what do they propose?")
        assert all(c.relevant for c in both.claims) and ASIDE not in both.text
    finally:
        embedder.close()
