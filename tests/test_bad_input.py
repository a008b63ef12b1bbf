"""The bad-input corpus (tests/data/bad/, described in expected.json): every file is
ingested through the CLI into an index that already holds papers. Per file: the exit code,
one line per problem naming the file and the record, no traceback, exactly the papers
(ids, titles, authors, categories) that should land, and everything indexed before still
there."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import DATA
from fakes import HashEmbedder

from assistant.cli.app import run
from assistant.pipeline import Pipeline

BAD = DATA / "bad"
EXPECTED = json.loads((BAD / "expected.json").read_text(encoding="utf-8"))
KEYS = ("id", "title", "authors", "categories")


@pytest.fixture(scope="module")
def base_index(fast_base_settings, tmp_path_factory) -> Path:
    """An index holding two arXiv papers before any bad file arrives (the hash embedder:
    what lands, and what is said about what does not, is the point here)."""
    data_dir = tmp_path_factory.mktemp("bad-base") / "data"
    pipeline = Pipeline(fast_base_settings.replace(data_dir=data_dir), embedder=HashEmbedder())
    assert len(pipeline.ingest([DATA / "arxiv.jsonl"]).added) == 2
    pipeline.close()
    return data_dir


def cli(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = run(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def indexed(capsys, data_dir: Path) -> dict[str, dict]:
    code, out, _ = cli(capsys, "papers", "--json", "--data-dir", str(data_dir))
    assert code == 0
    return {row["id"]: {k: row[k] for k in KEYS} for row in json.loads(out)}


def test_the_corpus_covers_every_class_of_bad_input():
    files = {p.name for p in BAD.iterdir()} - {"expected.json"}
    assert files == set(EXPECTED) and len(files) >= 30


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file(name, base_index, tmp_path, capsys, monkeypatch, fake_models):
    monkeypatch.setenv("ASSISTANT_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("ASSISTANT_THREADS", "2")
    expected = EXPECTED[name]
    data_dir = tmp_path / "data"
    shutil.copytree(base_index, data_dir)
    before = indexed(capsys, data_dir)

    code, out, err = cli(capsys, "ingest", str(BAD / name), "--data-dir", str(data_dir))

    assert code == expected["exit"], err
    assert "Traceback" not in err and "Traceback" not in out
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == len(expected["messages"]), err
    for line, message in zip(lines, expected["messages"], strict=True):
        assert line.startswith(("error: ", "warning: ")) and name in line
        assert message in line
    after = indexed(capsys, data_dir)
    landed = {pid: row for pid, row in after.items() if pid not in before}
    assert landed == {p["id"]: p for p in expected["papers"]}
    assert {pid: after[pid] for pid in before} == before  # nothing indexed before is lost
