"""The offline promise, proven: with every network connection refused, ingest, ask,
summarize and a chat turn all work, and nothing even tries to connect. Where the system
allows it, one end-to-end run also happens inside a network namespace with no interfaces
(``unshare -rn``), in a separate process."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys

import pytest
from chat_pilot import ask
from conftest import DATA, TEST_LLM

from assistant.pipeline import Pipeline
from assistant.summaries.batch import Summarizer
from assistant.tui.app import AssistantApp

QUESTION = "How fast is FastDepth on a Jetson TX2?"


@pytest.fixture
def no_network(monkeypatch):
    """Refuse every connection that is not a local (Unix) socket; record the attempts."""
    attempts: list[object] = []
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex

    def refuse(original):
        def guarded(self, address):
            if self.family == socket.AF_UNIX:
                return original(self, address)
            attempts.append(address)
            raise OSError(f"network disabled by the test (tried {address})")
        return guarded

    def no_dns(*args, **kwargs):
        attempts.append(args[:2])
        raise socket.gaierror("DNS disabled by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse(connect))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse(connect_ex))
    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: no_dns(*a))
    return attempts


def test_the_fixture_really_blocks(no_network):
    with pytest.raises(OSError):
        socket.create_connection(("pypi.org", 443), timeout=2)
    with pytest.raises(OSError):
        socket.socket(socket.AF_INET, socket.SOCK_STREAM).connect(("127.0.0.1", 9))
    assert len(no_network) == 2


@pytest.mark.slow
async def test_ingest_ask_summarize_and_chat_without_a_network(base_settings, tmp_path,
                                                                no_network):
    pipeline = Pipeline(base_settings.replace(data_dir=tmp_path / "data", model=TEST_LLM))
    try:
        report = pipeline.ingest([DATA / "arxiv.jsonl", DATA / "zotero.bib"])
        assert len(report.added) == 4 and not report.errors
        answer = pipeline.ask(QUESTION)
        assert answer.text.strip() and answer.sources[0].title.startswith("FastDepth")
        summary = Summarizer(pipeline, "tldr").summarize(pipeline.papers()[0].paper)
        assert summary.tldr
        app = AssistantApp(pipeline)
        async with app.run_test(size=(120, 40)) as pilot:
            await ask(app, pilot, QUESTION)
            assert app.chat.last_answer is not None and app.chat.last_answer.text
    finally:
        pipeline.close()
    assert no_network == []  # nothing even tried to reach the network


def _unshare_works() -> bool:
    return shutil.which("unshare") is not None and subprocess.run(
        ["unshare", "-rn", "true"], capture_output=True).returncode == 0


@pytest.mark.skipif(not _unshare_works(), reason="unshare -rn is not allowed here")
@pytest.mark.slow
def test_end_to_end_in_a_namespace_with_no_network(sample_index, tmp_path):
    data_dir = tmp_path / "data"
    shutil.copytree(sample_index, data_dir)
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir), "ASSISTANT_THREADS": "2",
           "ASSISTANT_MODEL": TEST_LLM, "ASSISTANT_CONFIG": str(tmp_path / "none.toml")}

    def offline(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["unshare", "-rn", sys.executable, "-m", "assistant", *args],
                              env=env, capture_output=True, text=True, timeout=600)

    probe = subprocess.run(["unshare", "-rn", sys.executable, "-c",
                            "import socket; socket.create_connection(('pypi.org', 443), 3)"],
                           capture_output=True, text=True)
    assert probe.returncode != 0  # the namespace really has no network
    ingest = offline("ingest", str(DATA / "arxiv.jsonl"), "--json")
    assert ingest.returncode == 0, ingest.stderr
    assert json.loads(ingest.stdout)["papers_total"] == 78
    ask = offline("ask", QUESTION, "--json")
    assert ask.returncode == 0, ask.stderr
    answer = json.loads(ask.stdout)
    assert answer["answer"].strip() and answer["sources"]
