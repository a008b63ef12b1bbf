"""Yes/no verdicts: question detection, calibrated decisions, fitting on labelled rows."""

from __future__ import annotations

from assistant.answer.verdict import decide, is_yes_no
from assistant.bench.calibration import cross_validate, fit, macro_f1


def test_yes_no_questions_are_recognised():
    assert is_yes_no("Does FastDepth run in real time on a CPU?")
    assert is_yes_no("In children with asthma, is montelukast better than placebo?")
    assert is_yes_no("Can GNNs predict links in temporal networks?")
    assert not is_yes_no("Which papers speed up depth estimation?")
    assert not is_yes_no("How fast is FastDepth?")
    assert not is_yes_no("Depth estimation on embedded hardware")


def test_uncalibrated_verdict_says_maybe_when_unsure():
    sure = decide({"yes": 0.8, "no": 0.1, "maybe": 0.05})
    assert sure.label == "yes" and not sure.calibrated
    assert abs(sum(sure.probs.values()) - 1) < 1e-9
    unsure = decide({"yes": 0.4, "no": 0.35, "maybe": 0.05})
    assert unsure.label == "maybe"


def test_calibration_shifts_the_decision():
    raw = {"yes": 0.6, "no": 0.3, "maybe": 0.1}
    assert decide(raw, {"bias": {"no": 0.0}}).label == "yes"
    shifted = decide(raw, {"bias": {"no": 1.0}})
    assert shifted.label == "no" and shifted.calibrated
    assert shifted.probability == shifted.probs["no"] > 0.5


def test_fit_learns_a_bias_against_an_over_confident_yes():
    # the model prefers "yes" even where the truth is "no", but less strongly
    rows = [({"yes": 0.9, "no": 0.08, "maybe": 0.02}, "yes")] * 30 + \
           [({"yes": 0.6, "no": 0.35, "maybe": 0.05}, "no")] * 20 + \
           [({"yes": 0.5, "no": 0.2, "maybe": 0.3}, "maybe")] * 10
    calibration = fit(rows)
    predicted = [decide(raw, calibration).label for raw, _ in rows]
    assert predicted == [gold for _, gold in rows]
    assert macro_f1([g for _, g in rows], predicted) == 1.0
    held_out = cross_validate(rows, folds=5)
    assert held_out["accuracy"] == 1.0 and held_out["questions"] == 60
