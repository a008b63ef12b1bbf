"""The `assistant` command as a user runs it: real processes, real stores, JSON contracts,
and one-line errors with non-zero exits for bad input."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DATA, TEST_LLM

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
    target = tmp_path / "data"
    shutil.copytree(sample_index, target)
    return target


def test_papers_json(data_dir):
    rows = json.loads(run("papers", "--json", data_dir=data_dir).stdout)
    assert len(rows) == 76
    assert {"id", "title", "source", "chunks"} <= rows[0].keys()


def test_search_json(data_dir):
    rows = json.loads(run("search", "--json", "graph neural networks for link prediction",
                          data_dir=data_dir).stdout)
    assert rows and {"id", "title", "score"} <= rows[0].keys()
    assert any("Link Prediction" in r["title"] for r in rows[:3])
    assert rows[0]["score"] >= rows[-1]["score"]


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


def test_ask_yes_no_in_the_terminal_shows_verdict_and_claim_count(data_dir):
    result = run("ask", "--model", TEST_LLM, "Does FastDepth run in real time on an "
                 "embedded GPU?", data_dir=data_dir)
    if result.stdout.startswith("I could not find an answer"):
        assert "Closest papers:" in result.stdout and "claims:" not in result.stderr
    else:
        assert re.match(r"Verdict: (yes|no|maybe) \(probability [01]\.\d\d\)", result.stdout)
        assert "claims: " in result.stderr and "check " in result.stderr


def test_ask_out_of_scope_json(data_dir):
    data = json.loads(run("ask", "--json", "--model", TEST_LLM, "What is the capital of France?",
                          data_dir=data_dir).stdout)
    assert data["citations"] == [] and "does not cover" in data["answer"]


def test_ingest_remove_roundtrip(tmp_path):
    data_dir = tmp_path / "d"
    first = json.loads(run("ingest", "--json", str(DATA / "zotero.bib"),
                           data_dir=data_dir).stdout)
    assert len(first["added"]) == 2
    again = json.loads(run("ingest", "--json", str(DATA / "zotero.bib"),
                           data_dir=data_dir).stdout)
    assert again["added"] == [] and len(again["unchanged"]) == 2
    run("remove", first["added"][0], data_dir=data_dir)
    assert len(json.loads(run("papers", "--json", data_dir=data_dir).stdout)) == 1


@pytest.mark.parametrize("args", [
    ("ingest", "{missing}"),
    ("ingest", "{bad}"),
    ("remove", "no-such-paper"),
    ("ask", "--model", "no-such-model", "depth estimation on embedded systems"),
    ("ask", "--model", "{missing}.gguf", "depth estimation on embedded systems"),
])
def test_bad_input_is_one_line_error_and_index_intact(data_dir, tmp_path, args):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    args = [a.format(missing=tmp_path / "nope", bad=bad) for a in args]
    before = run("papers", "--json", data_dir=data_dir).stdout
    result = run(*args, data_dir=data_dir, check=False)
    assert result.returncode == 1  # a data/user error, not usage (2) and not a crash
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:")
    assert "unexpected" not in lines[0]  # foreseen, so said in words, not as an exception
    assert run("papers", "--json", data_dir=data_dir).stdout == before


def test_missing_model_names_the_install_command(data_dir, tmp_path):
    env_models = tmp_path / "empty-models"
    env_models.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "assistant", "ask", "depth estimation on a Jetson"],
        env={**os.environ, "ASSISTANT_DATA_DIR": str(data_dir),
             "ASSISTANT_MODELS_DIR": str(env_models)},
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "assistant models install" in result.stderr


def test_models_listing(data_dir):
    rows = json.loads(run("models", "--json", data_dir=data_dir).stdout)
    names = {r["name"]: r for r in rows}
    assert names[TEST_LLM]["installed"] is True
    assert names["qwen2.5-coder-1.5b-instruct-q4_k_m"]["default"] is True
    assert all(len(r["sha256"] or "") == 64 and r["size"] for r in rows)


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


def test_bad_settings_and_usage_errors_are_one_line(data_dir, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('top_k = "many"\n')
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir), "ASSISTANT_CONFIG": str(config)}
    for args in (["search", "depth"], ["no-such-command"]):
        result = subprocess.run([sys.executable, "-m", "assistant", *args], env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode != 0
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    assert "top_k" in subprocess.run(
        [sys.executable, "-m", "assistant", "papers"], env=env, capture_output=True,
        text=True, timeout=120).stderr


MARKUP_TITLE = "[bold]Results[/bold] of [red] and [/] Tricks"


def test_titles_and_arguments_with_markup_print_as_written(data_dir, capsys, monkeypatch):
    from assistant.cli.app import run as cli_run

    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data_dir))
    monkeypatch.setenv("ASSISTANT_CONFIG", str(data_dir / "no-config.toml"))
    monkeypatch.setenv("COLUMNS", "300")  # the papers table must not wrap the title
    assert cli_run(["ingest", str(DATA / "bad" / "jsonl_markup_titles.jsonl")]) == 0
    capsys.readouterr()
    assert cli_run(["papers"]) == 0
    assert MARKUP_TITLE in capsys.readouterr().out
    assert cli_run(["search", "Results of Tricks markup"]) == 0
    assert MARKUP_TITLE in capsys.readouterr().out
    paper_id = next(r["id"] for r in json.loads(run("papers", "--json", data_dir=data_dir).stdout)
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


def test_an_unexpected_error_is_one_line_and_debug_shows_the_traceback(data_dir, capsys,
                                                                        monkeypatch):
    from assistant.cli.app import run as cli_run
    from assistant.pipeline import Pipeline

    def broken(self):
        raise RuntimeError("registry exploded")

    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data_dir))
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


def test_exit_codes_usage_2_data_1(data_dir, capsys):
    from assistant.cli.app import run as cli_run

    assert cli_run(["search", "--top-k", "many", "x", "--data-dir", str(data_dir)]) == 2
    assert cli_run(["no-such-command"]) == 2
    assert cli_run(["ingest", "--where", "year>>2", "x.bib", "--data-dir", str(data_dir)]) == 2
    assert cli_run(["show", "no-such-paper", "--data-dir", str(data_dir)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 4
    assert "bad --where 'year>>2'" in err
