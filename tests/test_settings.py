"""Settings: precedence (defaults < file < environment < flags) and one-line errors that
name the key for unknown keys and bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.settings import SettingsError, load_settings


@pytest.fixture
def config(tmp_path, monkeypatch) -> Path:
    for name in ("ASSISTANT_TOP_K", "ASSISTANT_MODEL", "ASSISTANT_TEMPERATURE",
                 "ASSISTANT_CONFIG", "ASSISTANT_RRF_K"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "config.toml"


def test_file_then_environment_then_flags(config, monkeypatch):
    config.write_text("top_k = 3\ntemperature = 0.5\nrrf_k = 30\n")
    assert load_settings(config).top_k == 3 and load_settings(config).rrf_k == 30
    monkeypatch.setenv("ASSISTANT_TOP_K", "5")
    monkeypatch.setenv("ASSISTANT_TEMPERATURE", "")  # empty means unset
    settings = load_settings(config)
    assert (settings.top_k, settings.temperature) == (5, 0.5)
    assert load_settings(config, top_k=7).top_k == 7


@pytest.mark.parametrize(("text", "env", "flags", "expected"), [
    ("topk = 3\n", {}, {}, "unknown setting 'topk' in {config}"),
    ("top_k = -1\n", {}, {}, "bad setting top_k=-1: Input should be greater than or equal to 1"),
    ("", {"ASSISTANT_TOP_K": "many"}, {}, "bad setting top_k='many'"),
    ("", {}, {"temperature": 5.0}, "bad setting temperature=5.0"),
    ("", {}, {"model": "/no/such/model.gguf"},
     "bad setting model='/no/such/model.gguf': the file /no/such/model.gguf does not exist"),
    ("top_k = [1\n", {}, {}, "is not valid TOML"),
])
def test_bad_settings_are_one_line_errors_naming_the_key(config, monkeypatch, text, env,
                                                        flags, expected):
    config.write_text(text)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as info:
        load_settings(config, **flags)
    message = str(info.value)
    assert expected.format(config=config) in message and "\n" not in message


def test_replace_validates(config):
    settings = load_settings(config)
    assert settings.replace(top_k=9).top_k == 9
    with pytest.raises(SettingsError, match="bad setting n_ctx=10"):
        settings.replace(n_ctx=10)


def test_every_setting_belongs_to_one_group_with_a_known_name():
    from assistant.settings import GROUPS, Settings

    grouped = [key for group in GROUPS for key in Settings.group(group)]
    assert sorted(grouped) == sorted(Settings.model_fields)  # each once, none left out
    assert {"top_k", "rrf_k", "candidates", "relevance_floor"} <= set(Settings.group("retrieval"))
    assert {"evidence_rank_decay", "evidence_min_share"} <= set(Settings.group("evidence"))


def test_tuning_numbers_come_from_the_settings(config):
    """Code that runs without a pipeline (the chat's highlighting, a bare Checker) takes
    the built-in values, and a pipeline's checker takes the run's."""
    from assistant.answer.attribution import Checker
    from assistant.settings import Settings

    assert Checker(lambda texts: None).threshold == Settings.defaults().claim_threshold == 0.40
    tuned = load_settings(config, claim_threshold=0.55, claim_dense_weight=0.7)
    checker = Checker(lambda texts: None, tuning=tuned)
    assert (checker.threshold, checker.dense_weight) == (0.55, 0.7)


def test_bench_logs_and_summary_keys_change_with_the_settings_that_shape_them(config):
    from assistant.bench.common import code_version, log_path
    from assistant.pipeline import Pipeline

    settings = load_settings(config, data_dir=config.parent / "data")
    base = log_path(settings, "answers", "dev", None)
    assert log_path(settings, "answers", "dev", None) == base
    assert code_version() in base.name  # other code never resumes this log
    for change in ({"top_k": 5}, {"claim_threshold": 0.5}, {"yes_no_budget": 200},
                   {"temperature": 0.3}):
        assert log_path(settings.replace(**change), "answers", "dev", None) != base
    assert log_path(settings.replace(summary_max_tokens=100), "answers", "dev", None) == base

    def key(**change):
        pipeline = Pipeline(settings.replace(llm_url="http://127.0.0.1:9/v1", **change))
        return pipeline.summary_key("structured", "some-served-model")

    assert key() == key()
    for change in ({"summary_max_tokens": 100}, {"n_ctx": 2048}, {"top_p": 0.8},
                   {"repeat_penalty": 1.2}, {"claim_threshold": 0.5}):
        assert key(**change) != key(), change
