"""What a claim's wording adds beyond its facts (rank, weight, an answered question, a
means put into a copied stretch, background given as a finding): decided by rule from the
claim and the sentences it rests on."""

from __future__ import annotations

import pytest

from assistant.answer.attribution import Checker, SourceText
from assistant.answer.wording import (
    answers_a_question,
    copies_a_condition,
    inserted_turns,
    states_aim,
    unheld_means,
    unstated_wording,
)

TINY = ("Experimental results on ImageNet show that our models perform much better than "
        "smaller versions of the baseline. For instance, our Tiny-E reaches 59.9% top-1 "
        "accuracy with only 24M FLOPs, 1.9% higher than the previous best model.")


@pytest.mark.parametrize(("claim", "evidence", "kinds"), [
    # a rank the sentences do not give ("for instance" is not "the smallest")
    ("The smallest model, Tiny-E, reaches 59.9% top-1 accuracy.", TINY, ["rank"]),
    # the claim's "previous best" is the sentence's own
    ("Tiny-E is 1.9% better than the previous best model.", TINY, []),
    # a rank of the same kind in other words
    ("The detector has the best accuracy on the benchmark.",
     "The detector reaches the highest accuracy on the benchmark.", []),
    ("The model is the fastest of those compared.",
     "The model runs at 90 fps, faster than the others.", ["rank"]),
    # a weight the paper does not put
    ("This knowledge is crucial for nurses.",
     "The survey aims to raise awareness of the condition among nurses.", ["weight"]),
    # another word of weight is the paper's weight
    ("Depth plays a critical role in face recognition.",
     "Depth is extremely important for recognising faces.", []),
    ("Neither rank nor weight here.", "Something else entirely.", []),
    # terms, not weights
    ("Vital signs were recorded in patients with essential hypertension.",
     "Vital signs were recorded in 40 patients with essential hypertension.", []),
    ("The critical temperature of the material is 90 K.",
     "The material has a critical temperature of 90 K.", []),
    ("Early diagnosis is essential for survival.",
     "Early diagnosis was associated with survival.", ["weight"]),
    # a use or benefit the sentences do not speak of
    ("This approach is particularly useful for generating realistic talking videos.",
     "The results demonstrate that our framework can generate realistic talking videos.",
     ["benefit"]),
    ("This approach is particularly useful for generating realistic talking videos.",
     "The framework can be applied to generate realistic talking videos.", []),
    # a strength given to an effect the sentences only name
    ("The depth of deep networks has a significant impact on their ability to generalize.",
     "This work aims to capture the effect and benefits of depth via generalization bounds.",
     ["effect"]),
    ("The depth of deep networks has a significant impact on their ability to generalize.",
     "Depth strongly affects generalization in our bounds.", []),
    # denied, the effect has no strength to hold
    ("Age had no significant effect on the outcome.", "Outcomes did not differ by age.", []),
    ("Age had no statistically significant effect on the outcome.",
     "Outcomes did not differ by age.", []),
    ("Smoking did not have a significant impact on survival.", "Survival did not differ.",
     []),
    # a use in other words ("can be used for")
    ("The method is useful for depth estimation.",
     "The method can be used for depth estimation on embedded systems.", []),
    # a benefit denied is no benefit credited ("was not advantageous" from "no difference")
    ("Aspiration after ethanol injection was not advantageous for treatment.",
     "Success rates did not differ between the groups with and without aspiration.", []),
    ("Aspiration after ethanol injection was advantageous for treatment.",
     "Success rates did not differ between the groups with and without aspiration.",
     ["benefit"]),
    # a reason the sentences give none of ("because" made up), and one they give in
    # other words ("therefore", "attributed to")
    ("TC is a better metric than degree because it gives a more nuanced view of structure.",
     "TC has a higher correlation with link prediction performance than degree.", ["cause"]),
    ("The drop in accuracy is due to over-smoothing.",
     "We attribute the drop in accuracy to over-smoothing of node representations.", []),
    ("Deep GNNs perform worse because of over-smoothing.",
     "Over-smoothing grows with depth; therefore deep GNNs perform worse.", []),
    # "due to" naming what is counted gives no reason; "is due to" does
    ("Mortality due to sepsis was 12%.", "Sepsis-related mortality was 12%.", []),
    ("The drop in accuracy is due to depth.", "Deeper networks lose accuracy.", ["cause"]),
    # a benefit denied just before it, not "not only", nor a "no" earlier in the clause
    ("It is not only useful for A but also for B.", "It works for A and B.", ["benefit"]),
    ("No adverse events occurred and the drug was useful.", "No adverse events occurred.",
     ["benefit"]),
])
def test_rank_and_weight_need_a_word_of_their_kind(claim, evidence, kinds):
    assert unstated_wording(claim, evidence) == kinds


ASKS = ("In a preliminary study, we explored whether clinical outcome is improved in "
        "patients who are on treatment with statins when stroke occurs.")


def test_a_question_the_paper_asks_is_not_its_answer():
    assert answers_a_question("The study found that clinical outcome was improved in "
                              "patients on treatment with statins when stroke occurs.", ASKS)
    assert answers_a_question("Clinical outcome is improved in patients who are on "
                              "treatment with statins when stroke occurs.", ASKS)
    # a claim that says it was asked, or adds the paper's answer from elsewhere
    assert not answers_a_question("The study explored whether clinical outcome is "
                                  "improved with statins.", ASKS)
    assert not answers_a_question("Clinical outcome was improved with statins, with an "
                                  "odds ratio of 1.42.", ASKS)
    # a sentence that asks nothing
    assert not answers_a_question("Clinical outcome was improved in patients on statins.",
                                  "Clinical outcome was improved in patients on statins "
                                  "when stroke occurs.")


def test_aims_are_told_from_background():
    assert states_aim("To assess the morbidity and mortality of the disease.")
    assert states_aim("The objective of this study was to compare two treatments.")
    assert states_aim("This study aimed to determine the prevalence of hypertension.")
    assert not states_aim("Despite antibiotics, the mortality rate remains high.")


LONG = ("We present PatchFusion, a framework with three components: (1) a fusion network "
        "that fuses a coarse prediction with finer tiles via feature guidance, (2) a "
        "Global-to-Local (G2L) module that adds vital context to the fusion network, "
        "discarding the need for patch selection heuristics, and (3) a consistency-aware "
        "training approach.")


@pytest.mark.parametrize(("claim", "kinds"), [
    ("The Global-to-Local (G2L) module adds vital context to the fusion network by "
     "discarding the need for patch selection heuristics.", ["cause"]),
    ("The Global-to-Local (G2L) module adds vital context to the fusion network, "
     "discarding the need for patch selection heuristics.", []),
    ("The Global-to-Local (G2L) module does not add vital context to the fusion network, "
     "discarding the need for patch selection heuristics.", ["negation"]),
    ("Only the Global-to-Local (G2L) module adds vital context to the fusion network.",
     ["restriction"]),
    # the sentence's "via" elsewhere does not make the claim's "by" the paper's
    # and words of the claim's own that are not a copy are left to the other checks
    ("PatchFusion improves depth maps by using tiles and global context together.", []),
])
def test_turns_put_into_a_copied_stretch(claim, kinds):
    assert inserted_turns(claim, [LONG]) == kinds


def test_a_turn_in_place_of_one_of_its_kind_is_the_papers():
    assert inserted_turns("The method works without manual tuning of the anchors here.",
                          ["The method works with no manual tuning of the anchors here."]) == []


GUIDE = ["We demonstrate that architectures considered ill-suited for a task can be trained "
         "using inductive biases from another architecture.",
         "The target matches its internal representations, layer-by-layer, to a guide."]


@pytest.mark.parametrize(("claim", "unheld"), [
    # a means in words the sentences lack: the claim's own account of how
    ("Alignment adds inductive bias to untrainable networks by introducing a shared "
     "embedding across different modules.", True),
    # the sentences' own means, in their words (stems: "matching" … "matches")
    ("Alignment trains untrainable networks by matching internal representations "
     "layer-by-layer to a guide.", False),
    # too short a means to judge ("by using it")
    ("The target is trained by using a guide.", False),
    ("Alignment trains networks with inductive biases from another architecture.", False),
])
def test_a_means_the_sentences_do_not_give_is_the_claims_own(claim, unheld):
    assert unheld_means(claim, GUIDE) is unheld


PHASE = ("(ii) The compression phase begins when the training errors become small and the "
         "SGD epochs change from a fast drift into a stochastic relaxation.")


@pytest.mark.parametrize(("claim", "condition"), [
    # the condition stated as what the paper shows
    ("The paper demonstrates that the training errors become small and the SGD epochs "
     "change from a fast drift into a stochastic relaxation.", True),
    # the claim keeps it a condition
    ("The compression phase begins when the training errors become small and the SGD "
     "epochs change.", False),
    # a stretch with no condition before it
    ("The compression phase begins and the SGD epochs change from a fast drift.", False),
])
def test_a_condition_the_paper_sets_is_not_its_finding(claim, condition):
    assert copies_a_condition(claim, [PHASE]) is condition


GANGRENE = SourceText(1, "", (
    "Fournier's gangrene is known to have an impact in the morbidity and despite antibiotics "
    "and aggressive debridement, the mortality rate remains high. To assess the morbidity "
    "and mortality in the treatment of Fournier's gangrene in our experience. The medical "
    "records of 14 patients were reviewed retrospectively. Of the 14 patients, 5 died and "
    "9 survived."))


@pytest.fixture(scope="module")
def checker(base_settings):
    from assistant.index.embedding import Embedder
    from assistant.llm.catalog import resolve_model

    embedder = Embedder(resolve_model(base_settings.embedder, base_settings.models_dir), 2)
    yield Checker(embedder.embed)
    embedder.close()


@pytest.mark.slow
def test_background_reported_as_the_studys_finding_is_no_support(checker):
    found = checker.decide("The study found that despite antibiotics and aggressive "
                           "debridement, the mortality rate remains high.", [1], [GANGRENE])
    assert not found.supported and "earlier work" in found.reason
    # the abstract does say it: reported as what the abstract states, it stands
    stated = checker.decide("Despite antibiotics and aggressive debridement, the mortality "
                            "rate of Fournier's gangrene remains high.", [1], [GANGRENE])
    assert stated.supported and stated.citations == [1]


CONNECTIVITY = SourceText(2, "Landscaping Linear Mode Connectivity", (
    "The presence of linear paths in parameter space between two networks has drawn "
    "interest. There has been significant research on designing algorithms that connect "
    "networks by adjusting for permutation symmetries. In this work, we take a "
    "landscape perspective and propose a model of the loss landscape. We find that the "
    "barrier depends on the depth of the network."))


@pytest.mark.slow
def test_the_field_before_the_authors_speak_is_not_their_finding(checker):
    found = checker.decide("It finds that there has been significant research on designing "
                           "algorithms that connect networks by adjusting for permutation "
                           "symmetries.", [2], [CONNECTIVITY])
    assert not found.supported
    # a subject that says which paper ("The paper on …") frames it as a finding too
    named = checker.decide("The paper on linear mode connectivity shows that there has been "
                           "significant research on designing algorithms that connect "
                           "networks by adjusting for permutation symmetries.", [2],
                           [CONNECTIVITY])
    assert not named.supported
    # what the authors do find, framed the same way, is theirs
    own = checker.decide("It finds that the barrier depends on the depth of the network.",
                         [2], [CONNECTIVITY])
    assert own.supported and own.citations == [2]


@pytest.mark.parametrize(("claim", "finding"), [
    ("The paper on graphlets and random walks shows that walks are cheap.", True),
    ("The study found that mortality remains high.", True),
    # the model's "The abstracts found that" reports what they say (see found_in_method)
    ("The abstracts found that mortality remains high.", False),
    ("The paper on graphs describes walks, and shows that they are cheap.", False),
    ("Random walks show that graphs are cheap.", False),
])
def test_a_claim_framed_as_what_the_study_found(claim, finding):
    from assistant.answer.wording import FINDING_RE

    assert bool(FINDING_RE.search(claim)) == finding


@pytest.mark.parametrize(("text", "framed", "stated", "reason"), [
    # "It finds that different pruning methods alter …" rested on "This work aims to shed
    # light on how different pruning methods alter …": the aim, not a finding
    ("Pruned networks are brittle. This work aims to shed light on how different pruning "
     "methods alter the network's internal feature representation. We introduce a visual "
     "geometric analysis of feature representations.",
     "It finds that different pruning methods alter the network's internal feature "
     "representation.",
     "The work aims to shed light on how different pruning methods alter the network's "
     "internal feature representation.", "aim"),
    # "The authors show that networks are untrainable when …" rested on "Networks are
    # considered untrainable when …": what the word means, not a finding
    ("We demonstrate that architectures considered ill-suited for a task can be trained. "
     "Networks are considered untrainable when they overfit, underfit, or converge to poor "
     "results. We introduce guidance between a guide and a target network.",
     "The authors show that networks are untrainable when they overfit, underfit, or "
     "converge to poor results.",
     "Networks are considered untrainable when they overfit, underfit, or converge to poor "
     "results.", "definition"),
    # "The abstracts found that A and B were correlated" rested on "A rank correlation was
    # performed between A and B": what was done, not what was found
    ("Obesity and CPAP pressure were measured in 40 patients. Spearman's rank correlation "
     "was performed between measurements of obesity and autoCPAP pressure. Neck size "
     "predicted the pressure needed.",
     "The abstracts found that measurements of obesity and autoCPAP pressure were "
     "correlated.",
     "Spearman's rank correlation was performed between measurements of obesity and "
     "autoCPAP pressure.", "was done"),
])
def test_an_aim_or_a_definition_reported_as_a_finding_is_no_support(text, framed, stated,
                                                                     reason):
    from fakes import HashEmbedder

    paper = SourceText(1, "A paper", text)
    checker = Checker(HashEmbedder().embed)
    found = checker.decide(framed, [1], [paper])
    assert not found.supported and reason in found.reason
    # said as the paper says it, it is the paper's
    assert checker.decide(stated, [1], [paper]).supported


@pytest.mark.parametrize(("sentence", "method"), [
    ("Spearman's rank correlation was performed between obesity and pressure.", True),
    ("OSA severity was recorded.", True),
    # results, however worded
    ("Excellent functional outcomes were obtained in all patients.", False),
    ("Mortality remained high although antibiotics were used.", False),
    ("Pressure was measured and was higher in obese patients.", False),
])
def test_a_sentence_that_only_says_what_was_done(sentence, method):
    from assistant.answer.wording import states_method

    assert states_method(sentence) == method


def test_a_copy_of_the_background_given_as_a_finding_is_no_quotation():
    """A claim that copies the abstract's opening about the field word for word would pass
    as the paper's own words; framed as what the study found, it is no support."""
    from fakes import HashEmbedder

    checker = Checker(HashEmbedder().embed)
    opening = ("Fournier's gangrene is known to have an impact in the morbidity and despite "
               "antibiotics and aggressive debridement, the mortality rate remains high.")
    found = checker.decide(f"The study found that {opening[0].lower()}{opening[1:]}", [1],
                           [GANGRENE])
    assert not found.supported and "earlier work" in found.reason
    # the copy as the abstract says it is the paper's sentence
    copied = checker.decide(opening, [1], [GANGRENE])
    assert copied.supported and copied.evidence[0].get("quoted")


EXTUBATION = ["We sought to determine the feasibility of an early extubation strategy for all "
              "children undergoing congenital heart surgery.",
              "Early extubation was associated with lower mortality (1% vs 9%, P<.001) and a "
              "lower rate of reintubation (4% vs 23%, P<.001) compared with delayed extubation."]


@pytest.mark.parametrize(("claim", "unheld"), [
    # a conclusion of the model's own
    ("Early extubation was associated with lower mortality (1% vs 9%), indicating that "
     "early extubation is indeed the goal for children after cardiac surgery.", True),
    ("Early extubation was associated with lower mortality, which suggests that hospitals "
     "should adopt it for every infant.", True),
    # one in the paper's words
    ("Early extubation was associated with lower mortality, showing that an early "
     "extubation strategy is feasible for children undergoing congenital heart surgery.",
     False),
    ("Early extubation was associated with lower mortality and reintubation.", False),
    # a decimal does not end the conclusion; a participle with no comma draws none
    ("Early extubation lowered mortality, suggesting a 2.5-fold gain in quality of life "
     "for every child.", True),
    ("Children showing early extubation had lower mortality and reintubation.", False),
])
def test_a_conclusion_the_paper_does_not_draw(claim, unheld):
    from assistant.answer.wording import unheld_inference

    assert unheld_inference(claim, EXTUBATION) is unheld
