"""Results tables: the rule-based number pass, the grammar, verification of the model's
rows, grouping/best/conflicts, the cache and `assistant compare` / `summarize --results`
(a scripted model over the hashed sample: fast), and extraction with the real small
model under the grammar (slow)."""

from __future__ import annotations

import json

import pytest
from conftest import TEST_LLM, command
from fakes import HashEmbedder, TableLLM

from assistant.answer.tables.candidates import find_candidates
from assistant.answer.tables.extract import (
    TABLE_HEAD,
    extract_results,
    row_grammar,
    task_grammar,
)
from assistant.answer.tables.pairs import bounds, denominators, no_finding, shares
from assistant.answer.tables.table import build_table, direction, table_csv, table_markdown
from assistant.answer.tables.verify import (
    PaperResults,
    ResultRow,
    metric_named,
    named_in,
    parse_table,
    verify,
    written_metric,
)
from assistant.pipeline import Pipeline
from assistant.sources import Paper

ABSTRACT = (
    "We present FastSeg, evaluated on CIFAR-10 and with GPT-3 features in 2021. "
    "FastSeg reaches 71.2% mIoU on Cityscapes at 45 fps on a Jetson TX2, 2.1x faster "
    "than BiSeNet, which reaches 70.4% mIoU. The model has 14 million parameters (24M "
    "FLOPs). Mortality was lower (OR 0.52, 95% CI 0.31-0.88; p = 0.013) and 12.5 ± 3.1 "
    "days shorter. Forty percent of the 120 pilots agreed (Table 3).")


def texts(abstract: str) -> list[str]:
    return [c.text for c in find_candidates(abstract)]


# --- the rule-based pass -------------------------------------------------------------------


def test_candidates_are_the_quantities_and_spans_of_the_abstract():
    found = find_candidates(ABSTRACT)
    assert [c.text for c in found] == [
        "71.2%", "45", "2.1x", "70.4%", "14 million", "24M", "0.52", "0.013", "12.5",
        "Forty percent", "120"]
    for c in found:  # every value is the abstract's own text, in its sentence
        assert ABSTRACT[c.start:c.end] == c.text
        assert c.sentence[c.offset:c.offset + len(c.text)] == c.text
    values = {c.text: c.value for c in found}
    assert values["14 million"] == 14e6 and values["24M"] == 24e6
    assert values["Forty percent"] == 40 and values["0.013"] == 0.013
    units = {c.text: c.unit for c in found}
    assert units["45"] == "fps" and units["2.1x"] == "x" and units["71.2%"] == "%"
    assert [c.n for c in found] == list(range(1, len(found) + 1))


@pytest.mark.parametrize("text, kept", [
    ("It ran on CIFAR-10, ResNet-50 and YOLOv3 in 3D.", []),       # names
    ("Published in 2019 (Smith et al., 2020) [12].", []),         # years, citations
    ("OR 2.1 (95% CI 1.5-3.2).", ["2.1"]),                          # CI bounds
    ("Mean 107.4 ± 30.0 mmHg.", ["107.4"]),                         # spread
    ("Speed-up of 4.1-76.7x over DeepWalk.", ["4.1", "76.7x"]),   # a range
    ("It is maximum x21 faster.", ["x21"]),
    ("Matched 1:2 to controls; see Figure 2.", []),                 # ratio, label
    ("AUC, 0.967/0.947, P>0.05.", ["0.967", "0.947", "0.05"]),
    ("Code: https://github.com/a1/b2_c3.", []),
    ("Hits@20 rose on MovieLens 100K.", []),                        # metric, dataset names
    ("Tested on 14 downstream datasets with 5 GPUs.", []),          # set-up counts
    ("It is two orders of magnitude faster.", ["two orders of magnitude"]),
    ("P = 2.1 x 10(-5) and 10^-3 overall.", ["2.1 x 10(-5)"]),       # one value; a power
    ("Rates of 50%-70% at 30m.", ["50%", "70%", "30m"]),            # a range, not -70%
    ("Digits 𝟗𝟓% and 2019.", []),                                    # ASCII digits only
    ("The 2- and 5-year survival was 78 and 68%; 30 day mortality, 4%.",
     ["78", "68%", "4%"]),                                           # time points
    ("Stay was 19 days. Sixteen patients failed. Two hundred men enrolled; two women died.",
     ["19", "Sixteen"]),                                             # who had an outcome
])

def test_candidates_leave_out_numbers_that_are_no_quantities(text, kept):
    assert texts(text) == kept


def test_values_units_and_signs():
    found = {c.text: c for c in find_candidates(
        "P = 2.1 x 10(-5). Rates of 50%-70% at 30m with 7B and 24M. It fell by -3.5 points.")}
    assert found["2.1 x 10(-5)"].value == pytest.approx(2.1e-5)
    assert found["70%"].value == 70 and found["30m"].value == 30  # metres, not millions
    assert found["7B"].value == 7e9 and found["24M"].value == 24e6
    assert found["-3.5"].value == -3.5


def test_relative_figures_are_marked_and_lists_inherit_it():
    found = find_candidates("It shows improvements over SQLdepth of 21.7% in AbsRel, 36.8% "
                            "in SqRel. It is 1.5x faster and reaches 80.0% top-1. Accuracy "
                            "improved to 85% over 10 epochs.")
    assert [(c.text, c.relative) for c in found] == [
        ("21.7%", True), ("36.8%", True), ("1.5x", True), ("80.0%", False),
        ("85%", False), ("10", False)]


# --- the grammar and reading the reply -----------------------------------------------------


def test_row_and_task_grammars_are_read_by_llama_cpp():
    from assistant.llm.local import parse_grammar

    for grammar in (row_grammar(), task_grammar()):
        parse_grammar(grammar)  # llama.cpp rejects a malformed grammar
        assert "#" not in grammar  # ids and values are given, never written by the model
    with pytest.raises(ValueError):
        parse_grammar('root ::= "unclosed')


def test_table_reply_reads_back():
    reply = TABLE_HEAD + ("| #1 | 71.2% | result | own | mIoU | Cityscapes |  |\n"
                          "| #2 | 45 | size | | | | |\n| #4 | 70.4% | result | BiSeNet | mIoU | "
                          "Cityscapes | |\nTask: segmentation\n")
    parsed = parse_table(reply)
    assert parsed["task"].strip() == "segmentation"
    assert [(r["n"], r["kind"]) for r in parsed["results"]] == [
        (1, "result"), (2, "size"), (4, "result")]
    assert parsed["results"][2]["by"] == "BiSeNet"
    rows, dropped, _task, _method = verify(parsed, find_candidates(ABSTRACT), paper())
    assert [r.value_text for r in rows] == ["71.2%", "70.4%"]
    assert dropped == {"not a result (size)": 1}


def paper(abstract: str = ABSTRACT, title: str = "FastSeg: Fast Segmentation") -> Paper:
    return Paper(id="p1", title=title, abstract=abstract)


def test_verify_drops_invented_metrics_and_clears_invented_names():
    candidates = find_candidates(ABSTRACT)
    reply = {"task": "segmentation", "results": [
        {"n": 1, "by": "own", "metric": "mIoU", "dataset": "Cityscapes", "condition": ""},
        {"n": 2, "by": "FastSeg", "metric": "fps", "dataset": "KITTI",
         "condition": "Jetson TX2"},
        {"n": 4, "by": "BiSeNet", "metric": "mIoU", "dataset": "Cityscapes",
         "condition": "on a V100"},
        {"n": 5, "by": "own", "metric": "BLEU score", "dataset": "", "condition": ""},
        {"n": 8, "by": "own", "metric": "BLEU score", "dataset": "", "condition": ""},
        {"n": 9, "by": "own", "metric": "BLEU score", "dataset": "", "condition": ""},
        {"n": 1, "by": "own", "metric": "mIoU", "dataset": "", "condition": ""},
        {"n": 99, "by": "own", "metric": "mIoU", "dataset": "", "condition": ""},
    ]}
    rows, dropped, task, method = verify(reply, candidates, paper())
    assert method == "FastSeg" and task == "segmentation"
    assert [(r.value_text, r.own, r.method, r.dataset, r.condition) for r in rows] == [
        ("71.2%", True, "FastSeg", "Cityscapes", ""),
        ("45", True, "FastSeg", "", "Jetson TX2"),      # KITTI: not in the abstract
        ("70.4%", False, "BiSeNet", "Cityscapes", ""),  # "on a V100": not either
        ("14 million", True, "FastSeg", "", ""),
        ("0.013", True, "FastSeg", "", ""),
    ]
    # an invented metric gives way to the one the sentence writes ("14 million
    # parameters", "p = 0.013"); with none written ("12.5 ± 3.1 days") the row goes
    assert [r.metric for r in rows[-2:]] == ["parameters", "p-value"]
    assert dropped == {"dataset not in the abstract": 1, "condition not in the abstract": 1,
                       "metric not in the abstract": 1, "repeated number": 2}


def test_a_number_of_another_kind_is_no_result_when_it_is_a_spread_or_a_condition():
    abstract = "Survival was 46.0 years (44.9-48.1) with OR 2.1; 69 cases were included."
    reply = {"task": "", "results": [
        {"n": 2, "kind": "size"}, {"n": 3, "kind": "size"},   # the interval's bounds
        {"n": 4, "kind": "setting"},                          # OR 2.1: written as a result
        {"n": 5, "kind": "size"}]}                            # who was included
    rows, dropped, _, _ = verify(reply, find_candidates(abstract), paper(abstract, "T"))
    assert [(r.value_text, r.metric) for r in rows] == [("2.1", "odds ratio")]
    assert dropped == {"not a result (size)": 3}


def test_a_count_and_its_share_with_no_result_kind_are_shown_with_no_metric():
    abstract = ("Of 282 patients, 51 patients (18.0%) had recurrence; 69 cases (24%) were "
                "included and 7 (2%) were lost.")
    reply = {"task": "", "results": [
        {"n": 1, "kind": "size"}, {"n": 2, "kind": "count"},
        {"n": 3, "kind": "characteristic"},
        {"n": 4, "kind": "size"}, {"n": 5, "kind": "characteristic"},   # who was included
        {"n": 6, "kind": "count"}, {"n": 7, "kind": "result", "metric": "loss"}]}
    rows, dropped, _, _ = verify(reply, find_candidates(abstract), paper(abstract, "T"))
    # 7 (2%): its share is a result (its metric cleared), the count goes with it
    assert [(r.value_text, r.metric) for r in rows] == [("51", ""), ("18.0%", ""), ("7", ""),
                                                        ("2%", "")]
    assert dropped["a count and its share, neither called a result (shown, no metric)"] == 1


def test_the_sides_of_a_tested_comparison_are_findings_whatever_their_kind():
    abstract = ("They required more exenterations (68% vs 44%; p = 0.020) and were aged "
                "61 vs 59 years.")
    reply = {"task": "", "results": [{"n": 1, "kind": "characteristic"},
                                     {"n": 2, "kind": "characteristic"},
                                     {"n": 3, "kind": "result", "metric": "p"},
                                     {"n": 4, "kind": "characteristic"},
                                     {"n": 5, "kind": "characteristic"}]}
    rows, dropped, _, _ = verify(reply, find_candidates(abstract), paper(abstract, "T"))
    assert [r.value_text for r in rows] == ["68%", "44%", "0.020"]  # no test, no finding
    assert dropped["a side of a tested comparison (shown, no metric)"] == 2


def test_the_number_a_model_puts_in_front_of_its_metric_is_no_word_of_it():
    abstract = "Twelve of 41 patients required hormonal replacement; 0.5 mg was given."
    reply = {"task": "", "results": [
        {"n": 1, "by": "", "metric": "12 patients required hormonal replacement"},
        {"n": 3, "by": "", "metric": "12 patients required hormonal replacement"}]}
    rows, dropped, _, _ = verify(reply, find_candidates(abstract), paper(abstract, "T"))
    assert [(r.value_text, r.metric) for r in rows] == [
        ("Twelve", "patients required hormonal replacement")]  # "12" is the value
    assert dropped == {"metric not in the abstract": 1}  # another number is a word


@pytest.mark.parametrize("text, under, paired", [
    ("Twenty-four patients (21%) had at least 1 complication.", {}, {1: 2}),
    ("It was used in 43 of the 66 patients (65%) before.", {2: 1}, {1: 3}),
    ("They reviewed it (n = 372, 53.5%), discussed it (n = 159, 22.9%).", {}, {1: 2, 3: 4}),
    ("Mortality was 21% (24/114) and 3 out of 12 died.", {3: 2, 5: 4}, {2: 1}),
    ("In 12 patients, 30% of lesions grew. Values were 12, 30% and 5.", {}, {}),
    ("It reached 45 fps (12%) and 71.2% of 80 images.", {}, {}),  # no counts
    ("It changed in 36 of 46 patients (78 percent) and in 7 cases out of 8.",
     {2: 1, 5: 4}, {1: 3}),
])
def test_denominators_and_counts_with_their_shares(text, under, paired):
    found = find_candidates(text)
    assert denominators(found) == under
    both_ways = {**paired, **{share: count for count, share in paired.items()}}
    assert shares(found) == both_ways


def test_a_pair_is_kept_together_and_a_denominator_is_no_result():
    abstract = ("Of 114 patients, twenty-four (21%) had a complication (OR = 9.2). "
                "It was confirmed in 32 of 43 cases.")
    found = {c.text: c.n for c in find_candidates(abstract)}
    reply = {"task": "", "results": [
        {"n": found["114"], "kind": "size"},
        {"n": found["twenty-four"], "kind": "size"},
        {"n": found["21%"], "kind": "result", "by": "own", "metric": "complication",
         "dataset": "patients", "condition": ""},
        {"n": found["9.2"], "kind": "result", "by": "own", "metric": "association"},
        {"n": found["32"], "kind": "result", "by": "own", "metric": "confirmed"},
        {"n": found["43"], "kind": "result", "by": "own", "metric": "cases"}]}
    rows, dropped, _task, _method = verify(reply, find_candidates(abstract), paper(abstract))
    shown = {r.value_text: r for r in rows}
    # the count takes its share's row; the OR its written name; the denominator goes
    assert set(shown) == {"twenty-four", "21%", "9.2", "32"}
    assert shown["twenty-four"].metric == "complication"
    assert shown["9.2"].metric == "odds ratio"
    assert dropped == {"not a result (size)": 1, "a denominator (the N of X of N)": 1}


@pytest.mark.parametrize("text, spread, conditions", [
    ("Stay was 19 days (range 2-57 days); OR 1.7 [95% confidence interval (CI): 0.5-5.5].",
     ["2", "57", "0.5", "5.5"], {}),
    ("Rates of 50%-70% rose (p < 0.05) in 32 patients.", [], {}),  # a range of results
    ("Agreement ranged from 0.86 to 0.92.", [], {}),                # the range is the finding
    ("In 32 patients at least 1 polyp was found; 12 did more than 150 scans.", [],
     {"1": "a threshold (at least, more than …)", "150": "a threshold (at least, more than …)"}),
    ("A p-value<0.05 was considered statistically significant.", [],
     {"0.05": "a significance level"}),
    ("69 cases were included; 23 cases died. The median follow-up was 57 months; "
     "survival was 40 months.", [],
     {"69": "a count of who was studied", "57": "a follow-up time"}),
    ("It peaked at 60 min of reperfusion and fell within 24 months; recovery took 3 days, "
     "was 2 days faster and one relapse came after 42 months.", [],
     {"60": "a time point (at 24 months, within 2 years …)",
      "24": "a time point (at 24 months, within 2 years …)"}),
    # each member of a list of times; "over" that says when, not by how much
    ("Costs fell at 12, 24 and 36 month follow-up. Pain eased at 3 and 5 years; gains held "
     "over 36 months, and stay was cut by over 2 days.", [],
     {"12": "a follow-up time", "24": "a follow-up time",
      "3": "a time point (at 24 months, within 2 years …)",
      "5": "a time point (at 24 months, within 2 years …)",
      "36": "a time point (at 24 months, within 2 years …)"}),
    # a tolerance, the N of a count in words, the codes of a variable
    ("Accuracy (within 10 % of measured) was 78 % in five of the 18 patients; BMR = 52.6 x "
     "weight + 828 x sex (women = 0, men = 1).", [],
     {"10": "a tolerance (within 10% …)", "18": "a denominator (the N of X of N)",
      "0": "a code of a variable (women = 0, men = 1)",
      "1": "a code of a variable (women = 0, men = 1)"}),
    # an interval bracketed after the figure it surrounds (also across a break the
    # splitter put after "S.D."), not a bracket of two findings or one the figure is outside
    ("Survival was 46.0 years (44.9-48.1); the difference was 16.5 mm(2) (-4.6 to 38.5). "
     "It rose 15.5 microm per S.D. (2-29). Scores were 40 (45-50) and 12 (30 to 31).",
     ["44.9", "48.1", "-4.6", "38.5", "2", "29"], {}),
    # a standard deviation after its figure, cut or not; a formula's 1; a name's variant
    ("Values of 1 - c-index were 0.221 (st.dev. 0.019) in BRCA1/2 carriers and 0.215 "
     "(SD 0.018) in 1 of them.", ["0.019"],
     {"1": "a constant of a formula (1 - c-index)", "2": "part of a name (BRCA1/2)"}),
    # the bins of a variable; a window of the design; a bound that defines a group; who
    # they were; who took part (but a bracketed range of findings stays)
    ("Those treated (5-250 min; 251-500 min and 751-1000 min) returned (reference "
     "group: >1000 min). They had an early (4 to 6 wk) visit. RHR was elevated (>90 bpm) "
     "in 19%; 205 (55.4%) were boys; 3494 patients participated (13% were black). "
     "Accuracy (85-90%) held.", ["5", "250", "251", "500", "751", "1000", "4", "6"],
     {"1000": "a threshold that defines a group (elevated (>90 bpm) …)",
      "90": "a threshold that defines a group (elevated (>90 bpm) …)",
      "205": "a characteristic of who was studied (were women …)",
      "55.4%": "a characteristic of who was studied (were women …)",
      "3494": "a count of who was studied",
      "13%": "a characteristic of who was studied (were women …)"}),
    # no bracket, no spread; "dev" is a split of a dataset; an en dash in a formula
    ("Data are mean ± s.d. 32 patients improved. On the dev: 88.5 F1 with 1 – c-index.",
     [], {"1": "a constant of a formula (1 - c-index)"}),
])
def test_bounds_thresholds_and_significance_levels_are_no_findings(text, spread, conditions):
    found = find_candidates(text)
    assert sorted(c.text for c in found if c.n in bounds(found)) == sorted(spread)
    assert {c.text: no_finding(c) for c in found if no_finding(c)} == conditions


def test_a_share_keeps_its_row_when_the_model_names_its_metric_in_other_words():
    abstract = "Extubation was achieved in 71% of the cases within 24 h (median 3.5 h)."
    found = {c.text: c.n for c in find_candidates(abstract)}
    reply = {"task": "", "results": [
        {"n": found["71%"], "kind": "result", "by": "own", "metric": "success rate"},
        {"n": found["3.5"], "kind": "result", "by": "own", "metric": "recovery speed"}]}
    rows, dropped, _task, _method = verify(reply, find_candidates(abstract), paper(abstract))
    assert [(r.value_text, r.metric) for r in rows] == [("71%", "")]
    assert dropped == {"metric not in the abstract (cleared)": 1,
                       "metric not in the abstract": 1}


@pytest.mark.parametrize("sentence, value, metric", [
    ("Risk rose (OR = 9.2, 95% CI 1.5-54.7).", "9.2", "odds ratio"),
    ("It gives a 2.3x reduction in model parameters and 641x fewer multiply-add operations "
     "whilst keeping accuracy.", "2.3x", "reduction in model parameters"),
    ("It gives a 2.3x reduction in model parameters and 641x fewer multiply-add operations "
     "whilst keeping accuracy.", "641x", "fewer multiply-add operations"),
    ("FastRP is over 4,000 times faster than DeepWalk.", "4,000", "faster"),
    ("It needs 20 times more labelled data.", "20", "more labelled data"),
    ("Models range from 14 million to 1.4 billion parameters.", "1.4 billion", "parameters"),
    ("It wins (<600M MACs) on ImageNet.", "600M", ""),  # a budget, not a size
    ("We repeated it 10 times on 14 million images.", "14 million", ""),
    ("It was repeated 10 times.", "10", ""),             # "times", but no change
    # a p-value, each member of its list; not the 1 of an allergen's name
    ("Levels differed (P = 0.002 and 0.001, respectively).", "0.002", "p-value"),
    ("Levels differed (P = 0.002 and 0.001, respectively).", "0.001", "p-value"),
    ("It reached a p-value of 0.03 in men.", "0.03", "p-value"),
    ("Extract at 300 microg/g of Der p 1 was used.", "1", ""),
    ("It was significant, P = 0.01, and 42 patients responded.", "42", ""),
])
def test_the_metric_a_sentence_writes_for_its_number(sentence, value, metric):
    candidate = next(c for c in find_candidates(sentence) if c.text == value)
    assert written_metric(candidate) == metric


def test_names_may_inflect_the_abstracts_words_never_add_their_own():
    reference = "Scores were correlated with speed and associated with receiving a vaccine."
    assert named_in("correlation", reference) and named_in("vaccine association", reference)
    assert not named_in("prevalence", reference) and not named_in("vaccine uptake", reference)
    assert named_in("vaccine uptake", reference, share=0.5)


@pytest.mark.parametrize("metric, value, named", [
    ("p-value", "0.005", True), ("P value", "0.003", True),   # written "P=0.005", "p of"
    ("p-value", "9.1%", False),                                # not written after a "P ="
    ("odds ratio", "2.1", True), ("hazard ratio", "2.1", False),  # OR is written, HR not
    ("prevalence", "9.1%", False), ("mortality", "9.1%", True),
])
def test_metric_names_may_spell_out_the_abstracts_abbreviations(metric, value, named):
    abstract = ("Risk factors were PVD (P=0.005) and bruit (p of 0.003). Mortality rose "
                "(OR 2.1, 95% CI 1.1-3.0) in 9.1% of cases.")
    candidate = next(c for c in find_candidates(abstract) if c.text == value)
    assert metric_named(metric, abstract, candidate) is named


def test_extraction_prompts_with_marked_numbers_under_the_grammar(fast_settings):
    llm = TableLLM()
    result = extract_results(llm, paper(), fast_settings)
    prompt = llm.calls[0][-1].content
    assert "71.2% [#1] mIoU" in prompt and "45 [#2] fps" in prompt
    found = find_candidates(ABSTRACT)
    # a row per number, in order, its id and value given; then the task
    assert [p.rsplit("\n", 1)[-1] for p in llm.prefixes] == [
        f"| #{c.n} | {c.text} |" for c in found] + ["Task:"]
    assert llm.prefixes[0] == TABLE_HEAD + "| #1 | 71.2% |"
    assert llm.prefixes[1].startswith(llm.prefixes[0]) and "| mIoU |" in llm.prefixes[1]
    assert llm.grammars == [row_grammar()] * len(found) + [task_grammar()]
    assert {r.value_text for r in result.rows} >= {"71.2%", "70.4%"}
    assert "reply cut at the token limit" not in result.dropped
    for row in result.rows:
        assert row.value_text in row.sentence


def test_a_value_is_given_as_one_clean_cell(fast_settings):
    llm = TableLLM()
    odd = "It reached 45 °C\n× 2 | 3% in tests."
    extract_results(llm, paper(odd), fast_settings)
    givens = [p.rsplit("\n", 1)[-1] for p in llm.prefixes[:-1]]
    assert givens and all(g.count("|") == 3 and g.startswith("| #") for g in givens)


def test_a_table_past_the_token_limit_keeps_its_rows_and_says_it_was_cut(fast_settings):
    llm = TableLLM(metric_words=60)  # rows of ~64 tokens where 32 a number are planned
    many = " ".join(f"Model {chr(65 + i)} reaches {50 + i}.5% accuracy." for i in range(24))
    result = extract_results(llm, paper(many), fast_settings)
    assert result.candidates == 24
    assert "reply cut at the token limit" in result.dropped
    assert 0 < len(result.rows) < 24 and "Task:" not in llm.prefixes


def test_no_numbers_no_model_call(fast_settings):
    llm = TableLLM()
    result = extract_results(llm, paper("We study depth. It works well."), fast_settings)
    assert result.rows == [] and result.candidates == 0 and llm.calls == []


# --- the table -------------------------------------------------------------------------------


def row(pid: str, metric: str, value: float, dataset: str = "COCO", own: bool = True,
        method: str = "", sentence: str = "It reaches {v}.", relative: bool = False,
        condition: str = "") -> ResultRow:
    text = f"{value:g}"
    return ResultRow(paper_id=pid, title=f"Paper {pid}", task="", method=method or pid,
                     own=own, metric=metric, dataset=dataset, condition=condition,
                     value=value, value_text=text, unit="%", qualifier="",
                     sentence=sentence.format(v=text), start=0, relative=relative)


def results(pid: str, *rows: ResultRow) -> PaperResults:
    return PaperResults(pid, f"Paper {pid}", rows=list(rows))


def test_direction_of_metrics():
    assert direction("box AP") == "higher" and direction("test error rate") == "lower"
    assert direction("latency") == "lower" and direction("pilots who agreed") == ""


def test_groups_sort_and_mark_the_best_by_direction():
    table = build_table("detection", [
        results("a", row("a", "box AP", 57.7), row("a", "error", 4.0)),
        results("b", row("b", "Box AP", 59.4), row("b", "error", 3.0)),
        results("c", row("c", "speed-up", 2.0, relative=True),
                row("c", "pilots", 40.0)),
    ])
    by_metric = {g.metric.lower(): g for g in table.groups}
    ap = by_metric["box ap"]
    assert [r.value for r in ap.rows] == [59.4, 57.7] and ap.best.paper_id == "b"
    error = by_metric["error"]
    assert [r.value for r in error.rows] == [3.0, 4.0] and error.best.paper_id == "b"
    assert by_metric["pilots"].best is None  # direction unknown: no best
    assert by_metric["speed-up"].relative and "change vs. others" in by_metric["speed-up"].label
    tie = build_table("t", [results("a", row("a", "AP", 50.0)), results("b", row("b", "AP", 50.0)),
                            results("c", row("c", "AP", 40.0))])
    assert tie.groups[0].best is None  # two papers share the top: no one is marked best


def test_conflicts_both_best_and_different_values():
    table = build_table("t", [
        results("a", row("a", "AP", 57.0, sentence="We set a new state-of-the-art {v}."),
                row("a", "AP", 50.0, own=False, method="Swin-L")),
        results("b", row("b", "AP", 58.0, sentence="Ours outperforms all others with {v}."),
                row("b", "AP", 51.0, own=False, method="Swin-L")),
    ])
    kinds = sorted(c.kind for c in table.conflicts)
    assert kinds == ["both claim the best", "different values"]
    differing = next(c for c in table.conflicts if c.kind == "different values")
    assert {r.value for r in differing.rows} == {50.0, 51.0}


def test_shares_without_a_named_metric_group_apart_with_no_best_and_no_conflict():
    table = build_table("t", [
        results("a", row("a", "", 71.0, sentence="We set a new state-of-the-art {v}.",
                         method="Swin-L")),
        results("b", row("b", "", 63.0, sentence="Ours is the best with {v}.",
                         method="Swin-L")),
    ])
    (group,) = table.groups
    assert group.label == "unnamed metric (%) on COCO"
    assert group.best is None and table.conflicts == []


def test_filters_and_files():
    table = build_table("t", [results("a", row("a", "AP", 57.0, dataset="COCO"),
                                      row("a", "AP", 40.0, dataset="VOC"))],
                        dataset="coco")
    assert [r.value for r in table.rows] == [57.0] and table.filtered_out == 1
    csv_text = table_csv(table)
    assert csv_text.splitlines()[0].startswith("dataset,metric,value")
    assert "57" in csv_text and "40" not in csv_text
    assert "| ★ |" not in table_markdown(table)  # one row: nothing to be best against


# --- the CLI over the hashed sample ---------------------------------------------------------


def test_compare_cli_table_json_cache_and_files(fast_dir, fake_models, capsys, tmp_path):
    llm = TableLLM()
    fake_models(llm)
    code, out, err = command(capsys, "compare", "depth estimation on Jetson", "-k", "3",
                             "--json")
    assert code == 0, err
    table = json.loads(out)
    rows = [r for g in table["groups"] for r in g["rows"]]
    assert rows and all(r["value_text"] in r["sentence"] for r in rows)
    assert "read now" in err
    calls = len(llm.calls)
    target = tmp_path / "t.csv"
    code, out, err = command(capsys, "compare", "depth estimation on Jetson", "-k", "3",
                             "--out", str(target))
    assert code == 0 and len(llm.calls) == calls  # every paper from the cache
    assert "0 read now" in err and target.read_text().startswith("dataset,metric")


@pytest.mark.parametrize("width", [80, 160])
def test_the_terminal_table_cuts_no_value_and_shows_ids_only_when_wide(
        fast_dir, fake_models, capsys, monkeypatch, width):
    import io

    from rich.console import Console

    import assistant.cli.compare as compare_cli

    fake_models(TableLLM())
    screen = io.StringIO()
    monkeypatch.setattr(compare_cli, "out", Console(file=screen, width=width, markup=False,
                                                     highlight=False))
    code, _, err = command(capsys, "compare", "depth estimation on Jetson", "-k", "3")
    code_json, out, _ = command(capsys, "compare", "depth estimation on Jetson", "-k", "3",
                                "--json")
    assert code == 0 and code_json == 0, err
    rows = [r for g in json.loads(out)["groups"] for r in g["rows"]]
    shown = screen.getvalue()
    lines = [line.split("│") for line in shown.splitlines() if line.startswith("│")]
    values = " ".join(" ".join(cells[5].split()) for cells in lines)  # the value column
    assert rows and all(r["value_text"] in values for r in rows)   # whole, never cut
    assert "…" not in shown
    papers = "".join(cells[3].strip() for cells in lines)
    assert (rows[0]["paper_id"] in papers) == (width >= compare_cli.WIDE)


def test_the_cache_keeps_the_reply_and_checks_it_again_at_every_read(hashed_copy):
    """What is cached is the model's table as written; the rows shown are derived from
    it at each read, so rows stored by older rules never reach the user and a change of
    the rules needs no model work."""
    from assistant.summaries.results import ResultsCache

    llm = TableLLM()
    pipeline = hashed_copy(llm)
    found = pipeline.topic_papers("depth estimation on Jetson", 3)
    cache = ResultsCache(pipeline)
    made = next(r for r in (cache.get(p) for p in found) if r.rows)
    paper = next(p for p in found if p.id == made.paper_id)
    assert made.reply.startswith(TABLE_HEAD) and made.shown
    path = cache.path(paper)
    stored = json.loads(path.read_text())
    stored["rows"], stored["dropped"] = [], {"stale": 1}  # as older rules left it
    path.write_text(json.dumps(stored))
    calls = len(llm.calls)
    again = ResultsCache(pipeline).get(paper)
    assert len(llm.calls) == calls and again.cached
    assert [r.value_text for r in again.rows] == [r.value_text for r in made.rows]
    assert again.dropped == made.dropped
    stored["reply"] = stored["reply"].replace("| result |", "| size |")
    path.write_text(json.dumps(stored))
    relabelled = ResultsCache(pipeline).get(paper)
    # only a change against another ("an order of magnitude faster") is a result
    # whatever kind the model gives it
    assert relabelled.dropped.get("not a result (size)")
    assert [r.value_text for r in relabelled.rows] == [
        r.value_text for r in made.rows if r.relative]


def test_compare_cli_bad_input_is_one_line(fast_dir, fake_models, capsys):
    fake_models(TableLLM())
    for args, message in (
            (["compare", " "], "the topic is empty"),
            (["compare", "x", "--out", "t.xlsx"], "unsupported output"),
            (["compare", "depth estimation", "--where", "title~zzzz-nothing"],
             "no paper in the collection")):
        code, out, err = command(capsys, *args)
        assert code == 1 and message in err and len(err.strip().splitlines()) == 1, err


def test_compare_with_papers_without_numbers_exits_1(fast_dir, fake_models, capsys):
    fake_models(TableLLM())
    code, out, err = command(capsys, "compare", "trained rank pruning", "-k", "1",
                             "--where", "title~Trained Rank Pruning")
    assert code == 1 and "no reported results in the 1 papers" in err


def test_summarize_results_fills_the_cache_resumably(fast_dir, fake_models, capsys, tmp_path):
    llm = TableLLM()
    fake_models(llm)
    target = tmp_path / "all.md"
    code, out, err = command(capsys, "summarize", "--results", "--limit", "5",
                             "--out", str(target))
    assert code == 0, err
    assert "results of 5 papers cached" in out and target.read_text().startswith("# Reported")
    calls = len(llm.calls)
    code, out, err = command(capsys, "summarize", "--results", "--limit", "6")
    assert code == 0 and len(llm.calls) - calls <= 1  # only the sixth paper is new


class CountingEmbedder(HashEmbedder):
    """The hash embedder, counting the queries it embeds."""

    def __init__(self) -> None:
        super().__init__()
        self.queries = 0

    def embed_one(self, text: str):
        self.queries += 1
        return super().embed_one(text)


def test_a_topic_asked_again_comes_from_the_records_alone(hashed_copy):
    """compare's papers for a topic are remembered per index state: a second process
    asking the same reads the records only (no vectors opened, no query embedded); any
    change to the papers, or an interrupted write, sends it the whole way again."""
    topic = "monocular depth estimation on embedded systems"
    first = hashed_copy()
    found = first.topic_papers(topic, 3)
    assert found
    settings = first.settings
    first.close()

    def fresh() -> tuple[Pipeline, CountingEmbedder]:
        embedder = CountingEmbedder()
        return Pipeline(settings, chat=TableLLM(), embedder=embedder), embedder

    again, embedder = fresh()
    assert [p.id for p in again.topic_papers(topic, 3)] == [p.id for p in found]
    assert embedder.queries == 0 and again.index.store._collection is None
    again.topic_papers(topic, 2)  # another question: searched
    assert embedder.queries == 1
    again.remove(found[0].id)
    after, embedder = fresh()
    papers = after.topic_papers(topic, 3)
    assert embedder.queries == 1 and found[0].id not in [p.id for p in papers]
    after.close()
    marker = settings.data_dir / "index" / "writing"
    marker.write_text("0")  # a write was cut short: the records are not to be trusted
    cut, embedder = fresh()
    assert cut.index.recall("anything") is None
    cut.topic_papers(topic, 3)
    assert embedder.queries == 1
    cut.close()
    again.close()


# --- the real model ---------------------------------------------------------------------------


@pytest.mark.slow
def test_real_model_extraction_parses_and_quotes(base_settings):
    """The real (test) model under the grammar: its reply reads back as rows, every
    number gets a row unless the token limit cut the reply, and every value shown is the
    abstract's own text. (Gemma's 262k-token vocabulary makes each constrained token
    slow here, hence one short abstract and a small limit.)"""
    from assistant.llm.local import LocalLLM

    llm = LocalLLM(base_settings.models_dir / f"{TEST_LLM}.gguf", base_settings.n_ctx, 2)
    abstract = "Our detector reaches 52.1 AP on COCO at 30 fps, while YOLOv3 reaches 33.0 AP."
    try:
        result = extract_results(llm, paper(abstract), base_settings.replace(
            results_max_tokens=96))
    finally:
        llm.close()
    assert result.candidates == 3
    kept = len(result.rows) + sum(n for why, n in result.dropped.items()
                                  if why.startswith(("not a result", "metric")))
    assert "reply cut at the token limit" in result.dropped or kept == 3
    for r in result.rows:
        assert abstract[r.start:r.start + len(r.value_text)] == r.value_text
