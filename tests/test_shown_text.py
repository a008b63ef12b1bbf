"""The shown text reads as an answer: a sentence said twice is shown once (a small model
repeats itself), and sentences about where something is written ("This can be found in
the source.") are dropped, never shown as unsupported claims."""

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


def test_sentences_about_where_something_is_written_are_not_shown_as_claims():
    from assistant.answer.claims import split_claims

    text = ("FastDepth runs at 178 fps on a Jetson TX2 [1]. This can be found in the last "
            "sentence of the source. It is mentioned in the abstract [1].")
    kinds = [(s.kind, s.plain) for s in split_claims(text)]
    assert [k for k, _ in kinds] == ["claim", "meta", "meta"]
    result = Checker(HashEmbedder().embed).check(text, SOURCE)
    assert "found in" not in result.text and "[unsupported]" not in result.text
    assert result.text.strip().startswith("FastDepth runs at 178 fps")
    # "[1] is an example of how this can be achieved" points at a paper and says nothing
    pointer = "The method described in [1] is an example of how this can be achieved."
    assert [s.kind for s in split_claims(pointer)] == ["meta"]


def test_a_citation_used_as_a_noun_becomes_the_papers_name_when_the_check_confirms_it():
    checker = Checker(HashEmbedder().embed)
    text = "[1] runs at 178 fps on a Jetson TX2. It uses a MobileNet encoder [1]."
    result = checker.check(text, SOURCE)
    assert result.text.startswith("FastDepth runs at 178 fps on a Jetson TX2 [1].")
    other = [SourceText(2, "A Study Of Other Things", "Graphs are studied for links.")]
    moved = checker.check("[2] runs at 178 fps on a Jetson TX2.", SOURCE + other)
    # the model cited paper 2; the check moved the claim to paper 1: no name is put in
    assert moved.text.startswith("One paper runs at 178 fps") and moved.citations == [1]
    # a sentence that is only a generic subject and what the check confirmed for the
    # paper it moved to is that paper's: "The source reports …" names it
    generic = checker.check("The paper runs at 178 fps on a Jetson TX2 [2].", SOURCE + other)
    assert generic.citations == [1]
    assert generic.text.startswith("FastDepth runs at 178 fps on a Jetson TX2 [1]")


def test_the_authors_we_of_a_copied_sentence_becomes_the_authors():
    paper = [SourceText(1, "DepthMaster: Taming Diffusion Models for Monocular Depth Estimation",
                        "Diffusion models are slow. In this work, we propose DepthMaster, a "
                        "single-step diffusion model, and we show that our design lets us "
                        "keep the detail of generative features.")]
    checker = Checker(HashEmbedder().embed)
    copied = ("In this work, we propose DepthMaster, a single-step diffusion model, and we "
              "show that our design lets us keep the detail of generative features [1].")
    shown = checker.check(copied, paper).text
    assert shown.startswith("In this work, the authors propose DepthMaster")
    assert "they show that their design lets them keep" in shown and " we " not in shown
    unconfirmed = checker.check("We propose a decoder of 12 layers [1].", paper)
    assert not unconfirmed.claims[0].supported
    assert unconfirmed.text.startswith("We propose")  # not the paper's: left as written


def test_a_closing_quote_written_after_a_space_stays_with_its_sentence():
    """The model wrote 'TiO-Depth "could … accuracy. "': the citation went before the
    full stop and the loose quote mark was left behind it ('accuracy [1]. "')."""
    text = ('FastDepth "runs at 178 fps on an NVIDIA Jetson TX2 GPU. " It uses a '
            '"lightweight MobileNet encoder." [1]')
    result = Checker(HashEmbedder().embed).check(text, SOURCE)
    assert result.text.startswith('FastDepth "runs at 178 fps on an NVIDIA Jetson TX2 GPU" [1].')
    assert '. "' not in result.text and result.text.count('"') == 4


def test_a_citation_goes_after_the_quotation_and_a_quoted_we_stays_the_papers():
    """'The abstract states that "… training error value [1]."' put the mark inside what
    the paper wrote, and 'we develop RelBench' inside quotation marks was shown as 'the
    authors develop RelBench': a quotation keeps the paper's words."""
    paper = [SourceText(1, "RelBench: A Benchmark for Deep Learning on Relational Databases",
                        "Relational data is everywhere. To facilitate research in this area, "
                        "we develop RelBench, a set of benchmark datasets. Is the schema "
                        "enough?")]
    checker = Checker(HashEmbedder().embed)
    shown = checker.check('The abstract states that "to facilitate research in this area, we '
                          'develop RelBench, a set of benchmark datasets." [1]', paper).text
    assert shown == ('The abstract states that "to facilitate research in this area, we '
                     'develop RelBench, a set of benchmark datasets" [1].')
    spans = checker.check('The paper writes: "Relational data is everywhere. To facilitate '
                          'research in this area, we develop RelBench, a set of benchmark '
                          'datasets."', paper).text
    assert "we develop RelBench, a set of benchmark datasets\" [1]." in spans
    assert "the authors" not in spans
    asked = checker.check('The paper asks "Is the schema enough?" [1]', paper).text
    assert asked.endswith(' asks "Is the schema enough?" [1].')
    # a quotation the model closed with no full stop still ends its sentence
    unstopped = checker.check('The abstract states that "to facilitate research in this area, '
                              'we develop RelBench, a set of benchmark datasets"', paper).text
    assert unstopped.endswith('a set of benchmark datasets" [1].')


def test_clauses_split_at_their_subject_read_as_one_sentence():
    """'However, [1] focuses on …, whereas [2] proposes …': each clause gets its own
    citation, the space before "whereas" stays, and when the second clause is dropped as
    a repeat the first ends the sentence (it had ended in a dangling comma)."""
    papers = [SourceText(1, "FastDepth: Fast Monocular Depth Estimation on Embedded Systems",
                         "FastDepth runs at 178 fps on an NVIDIA Jetson TX2 GPU."),
              SourceText(2, "MobileNet: Efficient Networks",
                         "MobileNet uses depthwise separable convolutions for speed.")]
    checker = Checker(HashEmbedder().embed)
    both = checker.check("However, [1] runs at 178 fps on an NVIDIA Jetson TX2 GPU, whereas "
                         "[2] uses depthwise separable convolutions for speed.", papers).text
    assert "GPU [1], whereas " in both and both.endswith("for speed [2].")
    unmarked = checker.check("FastDepth runs at 178 fps on an NVIDIA Jetson TX2 GPU [1] while "
                             "MobileNet uses depthwise separable convolutions [2].", papers).text
    assert "GPU [1] while MobileNet" in unmarked  # the space stays (was "[1]while")
    from dataclasses import replace

    from assistant.answer.claims import split_claims
    from assistant.answer.rendering import render

    text = ("However, [1] runs at 178 fps on an NVIDIA Jetson TX2 GPU, whereas [2] uses "
            "depthwise separable convolutions for speed.")
    first, second = split_claims(text)
    decided = checker.check(text, papers).claims
    shown = render(text, [(first, decided[0]), (replace(second, kind="meta"), None)])
    assert shown == "However, one paper runs at 178 fps on an NVIDIA Jetson TX2 GPU [1]."


def test_a_paper_with_no_short_name_is_named_by_its_title_the_first_time():
    """'The paper uses knowledge distillation [1].' named its paper only by [1]: a title
    that announces no short name is quoted the first time the answer speaks so of it."""
    paper = [SourceText(1, "Network Pruning via Transformable Architecture Search",
                        "The pruned network is learned by knowledge distillation. It is "
                        "evaluated on CIFAR-10 and ImageNet.")]
    checker = Checker(HashEmbedder().embed)
    shown = checker.check("The paper learns the pruned network by knowledge distillation "
                          "[1]. The paper is evaluated on CIFAR-10 and ImageNet [1].", paper).text
    assert shown.startswith("The paper “Network Pruning via Transformable Architecture "
                            "Search” learns the pruned network")
    assert "\u201d" not in shown.split(". ", 1)[1]  # named once
    # a phrase that says which paper already is left as written
    about = checker.check("The paper on pruning learns the pruned network by knowledge "
                          "distillation [1].", paper).text
    assert about.startswith("The paper on pruning learns")
    # a paper with a short name is named by it (FastDepth), not by its title
    named = checker.check("The paper runs at 178 fps on an NVIDIA Jetson TX2 GPU [1].",
                          SOURCE).text
    assert named.startswith("FastDepth runs at 178 fps")


def test_a_name_that_says_something_is_the_papers():
    """'The paper states that it runs …' → 'The FastDepth paper states …': FastDepth is a
    method, and a method does not state; a method that runs stays the subject."""
    checker = Checker(HashEmbedder().embed)
    said = checker.check("The paper states that it runs at 178 fps on an NVIDIA Jetson TX2 "
                         "GPU [1].", SOURCE).text
    assert said.startswith("The FastDepth paper states that it runs at 178 fps")
    inside = checker.check("In short, one paper reports that it runs at 178 fps on an NVIDIA "
                           "Jetson TX2 GPU [1].", SOURCE).text
    assert inside.startswith("In short, the FastDepth paper reports that it runs")


def test_a_comparison_the_question_implies_needs_a_paper_that_makes_it():
    """"Which is faster, FastDepth or PrimeDepth?" — "FastDepth runs faster on a Jetson
    TX2 GPU [1]" says "faster than PrimeDepth", which FastDepth's abstract never says."""
    prime = SourceText(2, "PrimeDepth: Efficient Monocular Depth Estimation",
                       "PrimeDepth is two orders of magnitude faster than Marigold.")
    checker = Checker(HashEmbedder().embed)
    question = "Which runs faster on a Jetson, FastDepth or PrimeDepth?"
    text = "FastDepth runs faster on an NVIDIA Jetson TX2 GPU [1]."
    compared = checker.check(text, [*SOURCE, prime], question).claims[0]
    assert not compared.supported and "PrimeDepth" in compared.reason
    # the same sentence under a question about FastDepth alone is its own
    alone = checker.check(text, [*SOURCE, prime], "How fast is FastDepth on a Jetson?")
    assert alone.claims[0].supported
    # a figure, not a comparison, stands
    figure = checker.check("FastDepth runs at 178 fps on an NVIDIA Jetson TX2 GPU [1].",
                           [*SOURCE, prime], question)
    assert figure.claims[0].supported


def test_a_comparative_the_paper_makes_itself_is_no_implied_comparison():
    """"Compare MAMo and FutureDepth." — "MAMo … to predict more accurate depth" is MAMo's
    own sentence (against single-image networks), read as stated (P(yes) 0.96); it was
    shown as unsupported: "the paper does not compare itself with FutureDepth"."""
    mamo = SourceText(1, "MAMo: Leveraging Memory and Attention for Monocular Video Depth "
                         "Estimation", "We propose MAMo, a memory and attention framework. "
                         "MAMo augments a single-image depth network into a video depth "
                         "model, taking advantage of temporal information to predict more "
                         "accurate depth.")
    future = SourceText(2, "FutureDepth: Learning to Predict the Future Improves Video Depth "
                           "Estimation", "FutureDepth learns to predict the future at "
                           "training. It is more efficient than existing SOTA models.")
    checker = Checker(HashEmbedder().embed)
    text = ("MAMo turns a single-image depth network into a video depth model that uses "
            "temporal information to predict more accurate depth [1].")
    own = checker.check(text, [mamo, future], "Compare MAMo and FutureDepth.").claims[0]
    assert own.supported, own.reason
    # asked which is more accurate, the same sentence would answer for FutureDepth too
    asked = checker.check(text, [mamo, future],
                          "Which predicts more accurate depth, MAMo or FutureDepth?")
    assert not asked.claims[0].supported


def test_a_contrast_between_two_named_papers_is_checked_half_by_half():
    """"NDC-Scene extends …, while OPEN uses …" (no citation): each half is about one
    paper, and neither paper names the other; read whole, it had no source at all."""
    papers = [SourceText(1, "NDC-Scene: Boost Monocular 3D Semantic Scene Completion",
                         "NDC-Scene extends the 2D feature map to a normalized device "
                         "coordinates space."),
              SourceText(2, "OPEN: Object-wise Position Embedding for 3D Object Detection",
                         "OPEN uses object-wise position embedding for multi-view 3D object "
                         "detection.")]
    text = ("NDC-Scene extends the 2D feature map to a normalized device coordinates space, "
            "while OPEN uses object-wise position embedding for multi-view 3D object "
            "detection.")
    result = Checker(HashEmbedder().embed).check(text, papers)
    assert [c.citations for c in result.claims] == [[1], [2]]
    assert result.text == ("NDC-Scene extends the 2D feature map to a normalized device "
                           "coordinates space [1], while OPEN uses object-wise position "
                           "embedding for multi-view 3D object detection [2].")


def test_citations_that_label_the_sentence_they_open_go_with_it():
    """"[1] This paper … . [2][3] These papers …": the model labels each sentence with a
    leading citation; "[2][3]" was read as the first sentence's, after its full stop."""
    from assistant.answer.claims import split_claims

    text = ("[1] FastDepth runs at 178 fps on an NVIDIA Jetson TX2 GPU. [2] PrimeDepth is two "
            "orders of magnitude faster than Marigold.")
    assert [s.model_citations for s in split_claims(text)] == [[1], [2]]
    prime = SourceText(2, "PrimeDepth: Efficient Monocular Depth Estimation",
                       "PrimeDepth is two orders of magnitude faster than Marigold.")
    shown = Checker(HashEmbedder().embed).check(text, [*SOURCE, prime]).text
    assert shown == ("FastDepth runs at 178 fps on an NVIDIA Jetson TX2 GPU [1]. PrimeDepth is "
                     "two orders of magnitude faster than Marigold [2].")
    # an answer that cites after its sentences keeps doing so
    after = "FastDepth runs at 178 fps on a Jetson. [1] PrimeDepth is fast. [2]"
    assert [s.model_citations for s in split_claims(after)] == [[1], [2]]


def test_a_closing_pointer_to_the_source_gives_way_to_the_citation():
    """"The largest STU-Net model has 1.4 billion parameters, as stated in [1]." was
    checked as "…, as stated in." and shown naming its paper only by "[1]"."""
    text = ("FastDepth runs at 178 fps on an NVIDIA Jetson TX2 GPU, as stated in [1]. "
            "It uses a lightweight MobileNet encoder, according to [1].")
    result = Checker(HashEmbedder().embed).check(text, SOURCE)
    assert result.text == ("FastDepth runs at 178 fps on an NVIDIA Jetson TX2 GPU [1]. "
                           "It uses a lightweight MobileNet encoder [1].")
    assert [c.text for c in result.claims] == [
        "FastDepth runs at 178 fps on an NVIDIA Jetson TX2 GPU.",
        "It uses a lightweight MobileNet encoder."]


def test_a_citation_governed_by_a_preposition_becomes_the_paper():
    """"The OFA network is proposed in [1] to support …" was checked and shown as "… is
    proposed in to support …"."""
    text = ("A network for embedded systems is proposed in [1] to run at 178 fps on an "
            "NVIDIA Jetson TX2 GPU.")
    result = Checker(HashEmbedder().embed).check(text, SOURCE)
    assert [c.text for c in result.claims] == [
        "A network for embedded systems is proposed in one paper to run at 178 fps on an "
        "NVIDIA Jetson TX2 GPU."]
    assert result.text == ("A network for embedded systems is proposed in the FastDepth "
                           "paper to run at 178 fps on an NVIDIA Jetson TX2 GPU [1].")
    # the paper's name in the sentence already ("The once-for-all network is proposed in
    # [1] …" was shown "… proposed in one paper …")
    named = ("The FastDepth network is proposed in [1] to run at 178 fps on an NVIDIA "
             "Jetson TX2 GPU.")
    assert Checker(HashEmbedder().embed).check(named, SOURCE).text == (
        "The FastDepth network is proposed in the FastDepth paper to run at 178 fps on an "
        "NVIDIA Jetson TX2 GPU [1].")


def test_a_question_mark_inside_a_quoted_title_does_not_end_the_sentence():
    """'The paper "Why do Learning Rates Transfer? Reconciling …" studies learning rates
    [1].' was cut at the title's "?" and shown with "[unsupported]" inside the title."""
    from assistant.answer.claims import split_claims

    for title in ('"Why do Learning Rates Transfer? Reconciling Optimization"',
                  "“Why do Learning Rates Transfer? Reconciling Optimization”"):
        text = f"The paper {title} studies learning rates [1]."
        (span,) = split_claims(text)
        assert span.plain == f"The paper {title} studies learning rates."
    # outside a quotation a question mark still ends its sentence
    assert len(split_claims("Do learning rates transfer? They do at scale [1].")) == 2


def test_a_line_leading_into_the_claims_names_their_one_paper():
    """"Which paper discusses …?" got "The paper discusses the information bottleneck, and
    its two phases are as follows:" and a list citing [1]: the lead named no paper."""
    paper = [SourceText(1, "Network Pruning via Transformable Architecture Search",
                        "The pruned network is learned by knowledge distillation. It is "
                        "evaluated on CIFAR-10 and ImageNet.")]
    checker = Checker(HashEmbedder().embed)
    text = ("The paper discusses pruning, and its two steps are as follows:\n"
            "1. The pruned network is learned by knowledge distillation [1].\n"
            "2. It is evaluated on CIFAR-10 and ImageNet [1].")
    shown = checker.check(text, paper).text
    assert shown.startswith("The paper “Network Pruning via Transformable Architecture "
                            "Search” discusses pruning, and its two steps are as follows:")
    # a line that leads into nothing the check kept, or into two papers, stays as written
    two = [*paper, SourceText(2, "FastDepth: Fast Monocular Depth Estimation",
                              "FastDepth runs at 178 fps on a Jetson TX2 GPU.")]
    both = checker.check("The paper discusses two things:\n1. The pruned network is learned "
                         "by knowledge distillation [1].\n2. FastDepth runs at 178 fps on a "
                         "Jetson TX2 GPU [2].", two).text
    assert both.startswith("The paper discusses two things:")
    # nor one whose claims the check could not all confirm (it may be about that paper)
    unsure = checker.check("The paper discusses pruning as follows:\n1. The pruned network "
                           "is learned by knowledge distillation [1].\n2. It reaches 99.9% "
                           "on Mars [1].", paper).text
    assert unsure.startswith("The paper discusses pruning as follows:")


def test_the_authors_are_said_to_be_a_papers_the_first_time():
    """"The authors conduct … [1]." under a question about several papers said which
    paper only by [1]: the first such sentence names it, later ones need not."""
    paper = [SourceText(1, "Evaluating Deep Graph Neural Networks",
                        "We conduct a systematic experimental evaluation of deep graph "
                        "neural networks on eight datasets. We find that the shallow "
                        "architecture issue explains their compromised performance.")]
    checker = Checker(HashEmbedder().embed)
    shown = checker.check("The authors conduct a systematic experimental evaluation of deep "
                          "graph neural networks on eight datasets [1]. The authors find "
                          "that the shallow architecture issue explains their compromised "
                          "performance [1].", paper).text
    assert shown.startswith("The authors of “Evaluating Deep Graph Neural Networks” conduct")
    assert shown.count("Evaluating Deep Graph Neural Networks") == 1
    # an answer that has named the paper already keeps "The authors"
    named = checker.check("Evaluating Deep Graph Neural Networks is about depth [1]. The "
                          "authors find that the shallow architecture issue explains their "
                          "compromised performance [1].", paper).text
    assert "The authors find that" in named
    # and one whose short name says which paper (FastDepth) uses it
    fast = checker.check("The authors run FastDepth at 178 fps on an NVIDIA Jetson TX2 GPU "
                         "[1].", SOURCE).text
    assert fast.startswith("The authors run FastDepth")
