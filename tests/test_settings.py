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
