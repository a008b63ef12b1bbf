"""A sentence that points back at the paper the sentence before it names ("It …",
"This is achieved through its …") is about that paper: confirmed only for another paper,
it is not supported as written (the answer would tell the user that one paper does what
another does)."""

from __future__ import annotations

import pytest
from fakes import HashEmbedder

from assistant.answer.attribution import Checker, SourceText

PAPERS = [SourceText(1, "Neighborhood-aware Scalable Temporal Network Representation Learning",
                     "This work proposes Neighborhood-Aware Temporal network model (NAT). NAT "
                     "represents each node with a dictionary of its neighbours."),
          SourceText(2, "EvolveGCN: Evolving Graph Convolutional Networks for Dynamic Graphs",
                     "EvolveGCN adapts the graph convolutional network (GCN) model along the "
                     "temporal dimension. It is evaluated on link prediction.")]
# "GCN", held by one abstract only, is a thing EvolveGCN adapts, not its name
ADAPTS = ("It adapts the graph convolutional network (GCN) model along the temporal "
          "dimension [2].")


def test_a_sentence_about_the_paper_before_confirmed_for_another_is_unsupported():
    text = f"NAT represents each node with a dictionary of its neighbours [1]. {ADAPTS}"
    result = Checker(HashEmbedder().embed).check(text, PAPERS)
    first, second = result.claims
    assert first.supported and first.citations == [1]
    assert not second.supported and second.citations == []
    assert "Neighborhood-aware Scalable Temporal" in second.reason
    assert "temporal dimension [unsupported]" in result.text


@pytest.mark.parametrize("before", [
    # the sentence before is about the paper it is confirmed for
    "EvolveGCN is evaluated on link prediction [2].",
    # it names two papers: which one "it" is cannot be told
    "Unlike EvolveGCN, NAT represents each node with a dictionary of its neighbours [1].",
])
def test_a_sentence_pointing_back_at_its_own_paper_or_at_two_keeps_its_citation(before):
    result = Checker(HashEmbedder().embed).check(f"{before} {ADAPTS}", PAPERS)
    assert result.claims[-1].supported and result.claims[-1].citations == [2]


def test_a_new_paragraph_or_a_named_subject_does_not_point_back():
    checker = Checker(HashEmbedder().embed)
    nat = "NAT represents each node with a dictionary of its neighbours [1]."
    apart = checker.check(f"{nat}\n\n{ADAPTS}", PAPERS)
    assert apart.claims[-1].citations == [2]
    named = checker.check(f"{nat} EvolveGCN adapts the graph convolutional network (GCN) "
                          "model along the temporal dimension [2].", PAPERS)
    assert named.claims[-1].citations == [2]
