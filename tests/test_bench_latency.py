"""`assistant bench latency`: its scoring (medians, one-shot figures, ratios to "before",
quality columns) on rows written by hand, and its runner over the hashed sample with a
scripted model (each configuration's own settings, follow-ups old and new)."""

from __future__ import annotations

import pytest
from fakes import ScriptedLLM

from assistant.bench.latency import Config, Runner, configs, quality, summarize_rows
from assistant.cli.bench_timing import _parse_try
from assistant.cli.common import UserError
from assistant.errors import AssistantError
from assistant.settings import load_settings


def _answer(first_token: float, read: int, cited: list[str], out_of_scope: bool = False,
            raw: dict | None = None) -> dict:
    return {"retrieval_s": 0.1, "first_token_s": first_token, "generation_s": 2.0,
            "check_s": 0.2, "total_s": first_token + 2.2, "prompt_tokens": read + 300,
            "read_tokens": read, "decode_tokens": 30, "cited": cited, "sources": cited,
            "supported": len(cited), "claims": 1, "abstained": not cited,
            "out_of_scope": out_of_scope, "raw": raw or {}}


def _rows() -> list[dict]:
    return [
        {"kind": "open", "gold": ["a"], "follow_up_gold": ["a"], "model_load_s": 4.0,
         "before": {"first": _answer(14.0, 560, ["a"]),
                    "follow_up": _answer(15.0, 600, ["a"])},
         "current": {"first": _answer(6.0, 250, ["a"]), "follow_up": _answer(1.0, 30, ["a"])}},
        {"kind": "open", "gold": ["b"], "follow_up_gold": [], "model_load_s": 4.0,
         "before": {"first": _answer(10.0, 400, ["b"])},
         "current": {"first": _answer(4.0, 150, ["c"])}},
        {"kind": "out_of_scope", "gold": [], "follow_up_gold": [], "model_load_s": 4.0,
         "before": {"first": _answer(0.0, 0, [], out_of_scope=True)},
         "current": {"first": _answer(3.0, 100, [])}},
    ]


def test_ratios_follow_ups_and_quality_are_computed_per_configuration():
    chosen = [Config("before", {}, True), Config("current")]
    result = summarize_rows(_rows(), chosen)
    before, current = result["before"], result["current"]
    assert before["first"]["answers"] == 2  # the out-of-scope one has no prompt: left out
    assert before["first"]["first_token_s"] == 12.0  # median of 14 and 10
    assert before["first"]["one_shot_first_token_s"] == 16.0  # + the model's load
    assert current["first"]["first_token_s"] == 4.0  # median of 6, 4 and 3
    assert current["ratios_to_before"]["one_shot_first_token_s"] == pytest.approx(8 / 16)
    assert current["follow_up_first_token_vs_first"] == pytest.approx(1.0 / 4.0)
    assert before["quality"]["cites_gold"] == 1.0 and current["quality"]["cites_gold"] == 0.5
    assert before["quality"]["out_of_scope_declined"] == 1.0
    assert current["quality"]["out_of_scope_declined"] == 1.0  # abstained: declined too


def test_verdict_accuracy_uses_the_calibration():
    rows = [{"kind": "yes_no", "gold": ["p"], "label": "no",
             "x": {"first": _answer(5.0, 200, ["p"], raw={"yes": 0.5, "no": 0.4,
                                                           "maybe": 0.1})}}]
    assert quality(rows, "x")["verdict_accuracy"] == 0.0
    shifted = {"bias": {"yes": -0.3, "no": 0.0, "maybe": 0.0}}
    assert quality(rows, "x", calibration=shifted)["verdict_accuracy"] == 1.0


def test_tried_settings_are_read_and_checked_before_any_work():
    assert _parse_try("context_budget=250,evidence_min_share=40") == {
        "context_budget": 250, "evidence_min_share": 40}
    with pytest.raises(UserError):
        _parse_try("context_budget")
    with pytest.raises(AssistantError):
        _parse_try("context_budget=10")  # below the setting's minimum
    names = [c.name for c in configs([{"context_budget": 250}])]
    assert names == ["before", "current", "try:context_budget=250"]
    same = load_settings(context_budget=500, yes_no_budget=300, evidence_min_share=60)
    assert [c.name for c in configs([], same)] == ["before"]  # "current" would repeat it
    assert [c.name for c in configs([], same.replace(context_budget=250))] == [
        "before", "current"]
    assert _parse_try("claim_entailment=false,claim_entail_threshold=0.8") == {
        "claim_entailment": False, "claim_entail_threshold": 0.8}
    with pytest.raises(AssistantError):
        _parse_try("claim_entailment=perhaps")  # not a boolean: one line, not a traceback
    assert [c.name for c in configs([{"claim_entailment": False}], same, before=False)] == [
        "current", "try:claim_entailment=False"]


def test_runner_gives_each_configuration_its_settings_and_follow_up_layout(hashed_copy):
    fake = ScriptedLLM("FastDepth runs at 178 fps on an NVIDIA Jetson TX2 GPU [1].")
    base = hashed_copy(fake)
    chosen = configs([{"context_budget": 120, "evidence_min_share": 20}])
    runner = Runner(base.settings, base, chosen)
    rows = {c.name: runner.ask(c, "Which papers speed up depth estimation on embedded "
                                  "hardware?", "How fast is it on the CPU?") for c in chosen}
    first_prompts = [fake.calls[i] for i in (0, 2, 4)]
    lengths = [sum(len(m.content) for m in p) for p in first_prompts]
    assert lengths[2] < lengths[1] <= lengths[0]  # smaller evidence budgets, smaller prompts
    old_follow_up, new_follow_up = fake.calls[1], fake.calls[3]
    assert old_follow_up[:2] != first_prompts[0]  # before: laid afresh
    assert new_follow_up[:2] == first_prompts[1]  # now: the first prompt continued
    assert all("follow_up" in row for row in rows.values())


def test_tokens_read_add_up_over_every_read_of_one_answer():
    from assistant.bench.latency import Reading
    from assistant.pipeline import Status

    reading = Reading()
    for done in (64, 128, 150):  # the verdict reads the prompt…
        reading(Status("reading", done=done, total=150))
    reading(Status("writing", done=3))
    reading(Status("reading", done=4, total=4))  # …the explanation only its start
    assert reading.tokens == 154


def test_one_shot_rows_summarise_per_setting_with_ratios_and_settings_reach_the_process(
        fast_settings):
    from assistant.bench.common import process_env
    from assistant.bench.oneshot import summarize

    def run(first, wall, oos=False, cited=("p1",), error=""):
        return {"first_token_from_launch_s": first, "wall_s": wall, "first_token_s": first - 3,
                "model_load_s": 2.0, "check_s": wall / 10, "total_s": wall - 3,
                "out_of_scope": oos, "cited": list(cited), "error": error}

    rows = [{"gold": ["p1"], "current": run(12, 20), "try:x": run(9, 18)},
            {"gold": ["p2"], "current": run(14, 22), "try:x": run(10, 19, cited=("p2",))},
            {"gold": [], "current": run(4, 4, oos=True), "try:x": run(5, 5, oos=True)},
            {"gold": ["p1"], "current": run(0, 1, error="boom"), "try:x": run(11, 20)}]
    results = summarize(rows, ["current", "try:x"])["results"]
    assert results["current"]["answered"] == 2 and results["current"]["failed"] == 1
    assert results["current"]["first_token_from_launch_s"] == 13
    assert results["try:x"]["first_token_from_launch_s"] == 10
    assert results["try:x"]["ratios"]["first_token_from_launch_s"] == 10 / 13
    assert results["try:x"]["out_of_scope_wall_s"] == 5
    assert results["current"]["cites_gold"] == 1 / 3 and results["try:x"]["cites_gold"] == 1
    env = process_env(fast_settings, {"llm_preload": False, "context_budget": 250})
    assert env["ASSISTANT_LLM_PRELOAD"] == "false" and env["ASSISTANT_CONTEXT_BUDGET"] == "250"
    assert load_settings(llm_preload=env["ASSISTANT_LLM_PRELOAD"]).llm_preload is False
