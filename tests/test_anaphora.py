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
                     "temporal dimension. It is evaluated on link prediction. Dynamic graphs are "
                     "common in social networks.")]
# "GCN", held by one abstract only, is a thing EvolveGCN adapts, not its name
ADAPTS = ("Its model adapts the graph convolutional network (GCN) model along the temporal "
          "dimension [2].")


def test_a_sentence_about_the_paper_before_confirmed_for_another_is_unsupported():
    text = f"NAT represents each node with a dictionary of its neighbours [1]. {ADAPTS}"
    result = Checker(HashEmbedder().embed).check(text, PAPERS)
    first, second = result.claims
    assert first.supported and first.citations == [1]
    assert not second.supported and second.citations == []
    assert "Neighborhood-aware Scalable Temporal" in second.reason
    assert "temporal dimension [unsupported]" in result.text


NAT = "NAT represents each node with a dictionary of its neighbours [1]."


@pytest.mark.parametrize(("before", "claim", "cited"), [
    # the sentence before is about the paper it is confirmed for
    ("EvolveGCN is evaluated on link prediction [2].", ADAPTS, [2]),
    # it names two papers: which one "it" is cannot be told
    ("Unlike EvolveGCN, NAT represents each node with a dictionary of its neighbours [1].",
     ADAPTS, [2]),
    # "It is worth noting …", "These …": no paper is their subject
    (NAT, "It is worth noting that dynamic graphs are common in social networks [2].", [2]),
    (NAT, "These dynamic graphs are common in social networks [2].", [2]),
    # it names the paper it is about, by the name its authors give it
    ("EvolveGCN adapts the graph convolutional network (GCN) model along the temporal "
     "dimension [2].", "This contrasts with NAT, which represents each node with a "
     "dictionary of its neighbours [1].", [1]),
])
def test_a_sentence_about_its_own_paper_or_no_paper_keeps_its_citation(before, claim, cited):
    result = Checker(HashEmbedder().embed).check(f"{before} {claim}", PAPERS)
    assert result.claims[-1].supported and result.claims[-1].citations == cited


def test_a_new_paragraph_or_a_named_subject_does_not_point_back():
    checker = Checker(HashEmbedder().embed)
    nat = NAT
    apart = checker.check(f"{nat}\n\n{ADAPTS}", PAPERS)
    assert apart.claims[-1].citations == [2]
    named = checker.check(f"{nat} EvolveGCN adapts the graph convolutional network (GCN) "
                          "model along the temporal dimension [2].", PAPERS)
    assert named.claims[-1].citations == [2]
    # "It adapts …" is shown with the confirmed paper's name for "it": it stands
    renamed = checker.check(f"{nat} It adapts the graph convolutional network (GCN) model "
                            "along the temporal dimension [2].", PAPERS)
    assert renamed.claims[-1].citations == [2]
    assert "EvolveGCN adapts the graph convolutional network" in renamed.text
