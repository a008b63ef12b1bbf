"""The index on a Chroma server (`chroma run`), started by a fixture on 127.0.0.1: two
users with their own data directories share its papers; an unreachable server is one
line naming the URL and the fix."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import DATA, free_port
from fakes import HashEmbedder, ScriptedLLM

from assistant.cli.app import run
from assistant.pipeline import Pipeline


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    # The venv's bin/ is not on PATH when tests run as `.venv/bin/python -m pytest`.
    beside = Path(sys.executable).parent / "chroma"
    chroma = str(beside) if beside.exists() else shutil.which("chroma")
    if chroma is None:
        pytest.fail("the chroma CLI is missing (it comes with chromadb)")
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    proc = subprocess.Popen([chroma, "run", "--path", str(path), "--port", str(port),
                             "--host", "127.0.0.1"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("the Chroma server did not start")
    yield url
    proc.terminate()
    proc.wait(timeout=30)


@pytest.mark.slow  # starts a Chroma server process: seconds before the first request
def test_two_users_share_the_papers_on_one_server(chroma_server, fast_base_settings, tmp_path):
    def user(name: str, chat: ScriptedLLM | None = None) -> Pipeline:
        return Pipeline(fast_base_settings.replace(data_dir=tmp_path / name,
                                                   chroma_url=chroma_server),
                        chat=chat, embedder=HashEmbedder())

    alice = user("alice")
    bob = user("bob", ScriptedLLM("FastDepth runs at 178 fps on a Jetson TX2 GPU [1]."))
    try:
        assert not (tmp_path / "alice" / "chroma").exists()
        report = alice.ingest([DATA / "arxiv.jsonl"])
        assert len(report.added) == 2
        assert not (tmp_path / "alice" / "chroma").exists()  # the vectors are on the server
        assert bob.search("monocular depth on embedded systems")[0].paper_id == "1903.03273"
        alice.ingest([DATA / "zotero.bib"])
        assert bob.search("attention transformer translation")[0].paper_id == "1706.03762"
        assert bob.paper_count() == 4
        answer = bob.ask("How fast is FastDepth on a Jetson TX2?")
        assert answer.citations and answer.citations[0].paper_id == "1903.03273"
        assert alice.remove("1706.03762") is not None
        assert bob.paper_count() == 3
        assert all(h.paper_id != "1706.03762" for h in bob.search("attention transformer"))
    finally:
        alice.close()
        bob.close()


def test_an_unreachable_server_is_one_line_naming_it(tmp_path, capsys, monkeypatch):
    url = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("ASSISTANT_CHROMA_URL", url)
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ASSISTANT_CONFIG", str(tmp_path / "none.toml"))
    assert run(["search", "depth"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: cannot reach the Chroma server at {url}")
    assert "chroma run --path DIR --port N" in err[0]
