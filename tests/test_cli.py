"""The `assistant` command as a user runs it: JSON contracts, one-line errors and exit codes
for bad input. Where a real model is the point, in real processes with the real models
(slow); elsewhere in this process (``assistant.cli.app.run``, the same error handler the
entry point uses) over real stores, with the hash embedder and a scripted model (fast)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DATA, TEST_LLM, command
from fakes import ScriptedLLM

from assistant.cli.app import run as cli_run

QUESTION = "Which papers speed up depth estimation on embedded hardware, and how fast are they?"


def run(*args: str, data_dir: Path, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir), "ASSISTANT_THREADS": "2",
           "ASSISTANT_CONFIG": str(data_dir / "no-config.toml")}
    result = subprocess.run([sys.executable, "-m", "assistant", *args], env=env,
                            capture_output=True, text=True, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}: {result.stderr}")
    return result


@pytest.fixture
def data_dir(sample_index, tmp_path) -> Path:
    """A copy of the sample indexed with the real embedder, for real processes."""
    target = tmp_path / "data"
    shutil.copytree(sample_index, target)
    return target




def test_papers_json(fast_dir, capsys):
    code, out, _ = command(capsys, "papers", "--json")
    rows = json.loads(out)
    assert code == 0 and len(rows) == 76
    assert {"id", "title", "source", "chunks"} <= rows[0].keys()


@pytest.mark.slow
def test_search_json(data_dir):
    rows = json.loads(run("search", "--json", "graph neural networks for link prediction",
                          data_dir=data_dir).stdout)
    assert rows and {"id", "title", "score"} <= rows[0].keys()
    assert any("Link Prediction" in r["title"] for r in rows[:3])
    assert rows[0]["score"] >= rows[-1]["score"]


@pytest.mark.slow
def test_ask_json_with_real_model(data_dir):
    data = json.loads(run("ask", "--json", "--model", TEST_LLM, QUESTION,
                          data_dir=data_dir).stdout)
    assert {"answer", "citations", "sources", "model", "timings"} <= data.keys()
    assert data["model"].startswith("gemma-3-270m")
    assert data["sources"][0]["title"].startswith("FastDepth")
    assert {"n", "id", "title", "score"} <= data["sources"][0].keys()
    assert {"retrieval", "first_token", "check", "total"} <= data["timings"].keys()
    supported = {n for c in data["claims"] if c["supported"] for n in c["citations"]}
    assert {c["n"] for c in data["citations"]} == supported
    assert {int(n) for n in re.findall(r"\[(\d+)\]", data["answer"])} <= supported
    assert data["abstained"] == (not supported)


@pytest.mark.slow
def test_ask_yes_no_in_the_terminal_shows_verdict_and_claim_count(data_dir):
    result = run("ask", "--model", TEST_LLM, "Does FastDepth run in real time on an "
                 "embedded GPU?", data_dir=data_dir)
    if result.stdout.startswith("I could not find an answer"):
        assert "Closest papers:" in result.stdout and "claims:" not in result.stderr
    else:
        assert re.match(r"Verdict: (yes|no|maybe) \(probability [01]\.\d\d\)", result.stdout)
        assert "claims: " in result.stderr and "check " in result.stderr


def test_ask_yes_no_in_the_terminal_shows_verdict_claims_and_sources(fast_dir, fake_models,
                                                                      capsys):
    """The terminal layout of a verdict answer, decided every time (the real model may
    abstain instead: the slow test above accepts either)."""
    fake_models(ScriptedLLM("FastDepth runs at 178 fps on an NVIDIA Jetson TX2 GPU [1].",
                            label_probs={"yes": 0.8, "no": 0.1, "maybe": 0.1}))
    code, out, err = command(capsys, "ask", "Does FastDepth run in real time on an embedded "
                             "GPU?")
    assert code == 0, err
    assert re.match(r"Verdict: yes \(probability [01]\.\d\d\)", out)
    assert "claims: 1 supported by the cited papers" in err
    assert re.search(r"Sources:\n  \[1\] FastDepth: .*\(p-\w+\)", out)


def test_ask_with_no_supported_claim_in_the_terminal_names_the_closest_papers(
        fast_dir, fake_models, capsys):
    """The other terminal layout the real-model test accepts: an answer whose claims no
    paper backs is replaced by the closest papers, with no claim count."""
    fake_models(ScriptedLLM("DepthNet-X reaches 500 fps on a Raspberry Pi 5 [1]."))
    code, out, err = command(capsys, "ask", QUESTION)
    assert code == 0, err
    assert out.startswith("I could not find an answer") and "Closest papers:" in out
    assert "FastDepth" in out.split("Closest papers:", 1)[1]
    assert "claims:" not in err and "[1]" not in out


def test_ask_out_of_scope_json(fast_dir, fake_models, capsys):
    fake = ScriptedLLM("should not be called")
    fake_models(fake)
    code, out, _ = command(capsys, "ask", "--json", "What is the capital of France?")
    data = json.loads(out)
    assert code == 0 and data["citations"] == [] and "does not cover" in data["answer"]
    assert fake.calls == []


def test_ingest_remove_roundtrip(tmp_path, fake_models, capsys, monkeypatch):
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("ASSISTANT_CONFIG", str(tmp_path / "no-config.toml"))
    first = json.loads(command(capsys, "ingest", "--json", str(DATA / "zotero.bib"))[1])
    assert len(first["added"]) == 2
    again = json.loads(command(capsys, "ingest", "--json", str(DATA / "zotero.bib"))[1])
    assert again["added"] == [] and len(again["unchanged"]) == 2
    assert command(capsys, "remove", first["added"][0])[0] == 0
    assert len(json.loads(command(capsys, "papers", "--json")[1])) == 1


@pytest.mark.parametrize("args", [
    ("ingest", "{missing}"),
    ("ingest", "{bad}"),
    ("remove", "no-such-paper"),
    ("ask", "--model", "no-such-model", "depth estimation on embedded systems"),
    ("ask", "--model", "{missing}.gguf", "depth estimation on embedded systems"),
])
def test_bad_input_is_one_line_error_and_index_intact(fast_dir, tmp_path, args, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    args = [a.format(missing=tmp_path / "nope", bad=bad) for a in args]
    before = command(capsys, "papers", "--json")[1]
    assert len(json.loads(before)) == 76
    code, out, err = command(capsys, *args)
    assert code == 1  # a data/user error, not usage (2) and not a crash
    assert "Traceback" not in err and "Traceback" not in out
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:")
    assert "unexpected" not in lines[0]  # foreseen, so said in words, not as an exception
    assert command(capsys, "papers", "--json")[1] == before


def test_missing_model_names_the_install_command(fast_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("ASSISTANT_MODEL")  # the default model, in an empty models folder
    env_models = tmp_path / "empty-models"
    env_models.mkdir()
    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(env_models))
    code, _, err = command(capsys, "ask", "depth estimation on a Jetson")
    assert code == 1
    assert "assistant models install" in err


@pytest.mark.slow
def test_models_listing(data_dir):
    rows = json.loads(run("models", "--json", data_dir=data_dir).stdout)
    names = {r["name"]: r for r in rows}
    assert names[TEST_LLM]["installed"] is True
    assert names["qwen2.5-coder-1.5b-instruct-q4_k_m"]["default"] is True
    assert all(len(r["sha256"] or "") == 64 and r["size"] for r in rows)


@pytest.mark.slow
def test_corrupt_model_names_the_reinstall_command(data_dir, tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    from assistant.llm.catalog import load_catalog
    from assistant.settings import load_settings

    real = load_settings().models_dir
    for entry in load_catalog().values():
        if entry.role == "embedder":
            (models / entry.file).symlink_to(real / entry.file)
    entry = load_catalog()[TEST_LLM]
    (models / entry.file).write_bytes(b"GGUF" + b"\0" * (entry.size - 4))  # right size, bad data
    result = subprocess.run(
        [sys.executable, "-m", "assistant", "ask", "--model", TEST_LLM,
         "depth estimation on a Jetson"],
        env={**os.environ, "ASSISTANT_DATA_DIR": str(data_dir),
             "ASSISTANT_MODELS_DIR": str(models)},
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"assistant models install {TEST_LLM} --force" in result.stderr


def test_bad_settings_and_usage_errors_are_one_line(fast_dir, tmp_path, capsys, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text('top_k = "many"\n')
    monkeypatch.setenv("ASSISTANT_CONFIG", str(config))
    for args in (["search", "depth"], ["no-such-command"]):
        code, _, err = command(capsys, *args)
        assert code != 0
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error:"), err
    code, _, err = command(capsys, "papers")
    assert code == 1 and "top_k" in err


MARKUP_TITLE = "[bold]Results[/bold] of [red] and [/] Tricks"


def test_titles_and_arguments_with_markup_print_as_written(fast_dir, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "300")  # the papers table must not wrap the title
    assert cli_run(["ingest", str(DATA / "bad" / "jsonl_markup_titles.jsonl")]) == 0
    capsys.readouterr()
    assert cli_run(["papers"]) == 0
    assert MARKUP_TITLE in capsys.readouterr().out
    assert cli_run(["search", "Results of Tricks markup"]) == 0
    assert MARKUP_TITLE in capsys.readouterr().out
    paper_id = next(r["id"] for r in json.loads(command(capsys, "papers", "--json")[1])
                    if r["title"] == MARKUP_TITLE)
    assert cli_run(["show", paper_id]) == 0
    shown = capsys.readouterr().out
    assert shown.startswith(MARKUP_TITLE) and "[link=http://x]markup[/link]" in shown
    assert cli_run(["remove", "[bold]no-such[/]"]) == 1
    captured = capsys.readouterr()
    assert captured.err.strip() == ("error: no paper with id '[bold]no-such[/]' is indexed "
                                    "(see: assistant papers)")
    assert cli_run(["remove", paper_id]) == 0
    assert f"removed {paper_id}: {MARKUP_TITLE}" in capsys.readouterr().out


def test_an_unexpected_error_is_one_line_and_debug_shows_the_traceback(fast_dir, capsys,
                                                                        monkeypatch):
    from assistant.pipeline import Pipeline

    def broken(self):
        raise RuntimeError("registry exploded")

    monkeypatch.setattr(Pipeline, "papers", broken)
    assert cli_run(["papers"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == ("error: unexpected RuntimeError: registry exploded (run with "
                           "--debug for details)")
    assert cli_run(["papers", "--debug"]) == 1
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "def broken" not in err
    assert 'raise RuntimeError("registry exploded")' in err
    assert err.strip().splitlines()[-1] == "error: unexpected RuntimeError: registry exploded"


def test_exit_codes_usage_2_data_1(fast_dir, capsys):
    capsys.readouterr()
    assert cli_run(["search", "--top-k", "many", "x", "--data-dir", str(fast_dir)]) == 2
    assert cli_run(["no-such-command"]) == 2
    assert cli_run(["ingest", "--where", "year>>2", "x.bib", "--data-dir", str(fast_dir)]) == 2
    assert cli_run(["show", "no-such-paper", "--data-dir", str(fast_dir)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 4
    assert "bad --where 'year>>2'" in err
