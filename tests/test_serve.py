"""One warm model for every front door: `assistant serve` (llama-cpp-python's own
OpenAI-compatible server, started here as a real process on a free 127.0.0.1 port with the
small test model) and the client side — ask, a chat turn, summaries through it (slow), and
each failure mode as one line naming the URL (those that need no server model are fast:
the command runs in this process with the hash embedder, the real remote client)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from chat_pilot import ask as pilot_ask
from conftest import TEST_LLM, free_port

from assistant.cli.app import run as cli_run
from assistant.llm.remote import RemoteLLM, ServerError
from assistant.llm.servers import record_path, running_server
from assistant.pipeline import Pipeline
from assistant.tui.app import AssistantApp

QUESTION = "How fast is FastDepth on embedded hardware?"
YES_NO = "Does FastDepth run in real time on an embedded GPU?"


def _env(data_dir: Path) -> dict[str, str]:
    return {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir), "ASSISTANT_THREADS": "2",
            "ASSISTANT_MODEL": TEST_LLM, "ASSISTANT_CONFIG": str(data_dir / "none.toml")}


def cli(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant", *args],
                          env={**_env(data_dir), **env}, capture_output=True, text=True,
                          timeout=600)


def start_server(data_dir: Path, *flags: str) -> tuple[subprocess.Popen, dict]:
    """`assistant serve` as a user starts it; ready when its record appears."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--port",
                             str(port), *flags], env=_env(data_dir),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for _ in range(1200):
        record = running_server(data_dir)
        if record:
            return proc, record
        if proc.poll() is not None:
            raise AssertionError(f"serve exited {proc.returncode}: {proc.stderr.read()}")
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("serve did not become ready in 120 s")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def plain_server(base_settings):
    """Start llama-cpp-python's server (`python -m llama_cpp.server`) with the test model
    and extra flags; returns its base URL. Stopped at the end of the module."""
    from assistant.llm.catalog import resolve_model

    started: list[subprocess.Popen] = []

    def start(*flags: str) -> str:
        port = free_port()
        path = resolve_model(TEST_LLM, base_settings.models_dir, "llm")
        proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model",
                                 str(path), "--model_alias", TEST_LLM, "--host", "127.0.0.1",
                                 "--port", str(port), "--n_ctx", "4096", "--n_threads", "2",
                                 *flags], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        started.append(proc)
        url = f"http://127.0.0.1:{port}/v1"
        for _ in range(1200):
            try:
                urllib.request.urlopen(f"{url}/models", timeout=1)
                return url
            except urllib.error.HTTPError:  # it answers (e.g. 401 without the key): up
                return url
            except OSError:
                if proc.poll() is not None:
                    raise AssertionError(f"llama_cpp.server exited {proc.returncode}") from None
                time.sleep(0.1)
        raise AssertionError("llama_cpp.server did not start in 120 s")

    yield start
    for proc in started:
        stop_server(proc)


@pytest.fixture(scope="module")
def served(base_settings, sample_index, tmp_path_factory):
    """A copy of the sample index with `assistant serve` running for it."""
    data_dir = tmp_path_factory.mktemp("served") / "data"
    shutil.copytree(sample_index, data_dir)
    proc, record = start_server(data_dir)
    yield base_settings.replace(data_dir=data_dir), record
    stop_server(proc)
    assert not record_path(data_dir).exists()  # a stopped server leaves no record


@pytest.mark.slow
def test_ask_json_uses_the_running_server_with_the_same_prompt(served, sample_pipeline):
    settings, record = served
    result = cli(settings.data_dir, "ask", "--json", QUESTION)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["model"] == f"{TEST_LLM} @ {record['url']}"
    assert data["sources"][0]["title"].startswith("FastDepth")
    assert data["tokens"]["completion"] > 0 and data["error"] == ""
    # the same prompt text as an in-process run (formatted here, evaluated there)
    local = sample_pipeline.ask(QUESTION)
    assert local.model == TEST_LLM
    assert data["tokens"]["prompt"] == local.tokens["prompt"]
    supported = {n for c in data["claims"] if c["supported"] for n in c["citations"]}
    assert {c["n"] for c in data["citations"]} == supported


@pytest.mark.slow
def test_the_mcp_server_answers_through_the_running_server(served, tmp_path):
    """`assistant mcp` is a front end like `ask`: with `assistant serve` running for the
    data directory, its answers come from that server, not from a model loaded here."""
    import anyio
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters
    from test_mcp import _env, _json

    settings, record = served
    env = _env(settings, settings.data_dir, tmp_path)
    env.pop("ASSISTANT_MIN_RELEVANCE")
    command = shutil.which("assistant", path=str(Path(sys.executable).parent))
    params = StdioServerParameters(command=command, args=["mcp"], env=env)

    async def session():
        async with Client(params) as client:
            return _json(await client.call_tool("ask", {"question": QUESTION}))
    data = anyio.run(session)
    assert data["model"] == f"{TEST_LLM} @ {record['url']}"
    assert data["sources"][0]["title"].startswith("FastDepth") and not data["error"]


@pytest.mark.slow
def test_yes_no_verdict_is_the_in_process_computation_run_on_the_server(served,
                                                                         sample_pipeline):
    settings, _record = served
    pipeline = Pipeline(settings)
    try:
        sources = pipeline.sources_for(YES_NO)
        remote = pipeline.verdict(YES_NO, sources)
        assert isinstance(pipeline.llm(), RemoteLLM) and pipeline.llm().label_route is True
    finally:
        pipeline.close()
    local = sample_pipeline.verdict(YES_NO, sources)
    assert remote.label == local.label
    # the same computation, but each context reuses what its earlier prompts left evaluated
    # (an answer, the claim check's readings), and a prompt read on a reused prefix gives
    # slightly different floats than one read whole (0.02 measured with this model; two
    # different histories up to 0.06)
    for label in ("yes", "no", "maybe"):
        assert abs(remote.raw[label] - local.raw[label]) < 0.08, (remote.raw, local.raw)


@pytest.mark.slow
def test_a_plain_llama_cpp_server_gives_verdicts_through_logprobs(plain_server,
                                                                   sample_pipeline):
    """llama-cpp-python's server as anyone starts it (logits_all on by default): no label
    route, so the verdict comes from OpenAI logprobs of one token."""
    url = plain_server()
    pipeline = Pipeline(sample_pipeline.settings.replace(llm_url=url))
    try:
        sources = pipeline.sources_for(YES_NO)
        remote = pipeline.verdict(YES_NO, sources)
        llm = pipeline.llm()
        assert llm.label_route is False and llm.logprobs is True
    finally:
        pipeline.close()
    local = sample_pipeline.verdict(YES_NO, sources)
    assert remote.label == local.label
    for label in ("yes", "no"):
        assert abs(remote.raw[label] - local.raw[label]) < 0.1, (remote.raw, local.raw)


@pytest.mark.slow
def test_a_server_without_token_probabilities_answers_without_a_verdict(plain_server,
                                                                       sample_index):
    url = plain_server("--logits_all", "False")
    result = cli(sample_index, "ask", "--json", YES_NO, ASSISTANT_LLM_URL=url)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["verdict"] is None and data["model"] == f"{TEST_LLM} @ {url}"
    assert any("no yes/no verdict" in n and url in n for n in data["notes"])
    text = cli(sample_index, "ask", YES_NO, ASSISTANT_LLM_URL=url)
    assert text.returncode == 0 and "no yes/no verdict" in text.stderr


@pytest.mark.slow
def test_unconfigured_model_name_is_one_line(served):
    settings, record = served
    result = cli(settings.data_dir, "ask", "--model", "qwen2.5-coder-1.5b-instruct-q4_k_m",
                 QUESTION, ASSISTANT_LLM_URL=record["url"])
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and record["url"] in lines[0] and TEST_LLM in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.slow
async def test_a_chat_turn_streams_through_the_server(served):
    settings, record = served
    pipeline = Pipeline(settings)
    app = AssistantApp(pipeline)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot_ask(app, pilot, QUESTION)
            answer = app.chat.last_answer
            assert answer is not None and answer.model.endswith(record["url"])
            assert answer.tokens["completion"] > 0
            assert f"server {record['url']}" in str(app.chat.query_one("#status").render())
    finally:
        pipeline.close()


@pytest.mark.slow
def test_summaries_of_two_papers_through_the_server(served, tmp_path):
    settings, record = served
    out = tmp_path / "two.jsonl"
    result = cli(settings.data_dir, "summarize", "--limit", "2", "-o", str(out))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 2
    assert all(r["model"].endswith(record["url"]) and r["tldr"] for r in rows)


@pytest.fixture
def ask_here(hashed_sample_index, tmp_path, fake_models, monkeypatch, capsys):
    """``assistant ask QUESTION`` in this process over a copy of the hashed sample, with
    the given environment; no chat model is given, so the settings decide where it runs
    (the remote client, for ``ASSISTANT_LLM_URL``). Returns the exit status and stderr."""
    data_dir = tmp_path / "data"
    shutil.copytree(hashed_sample_index, data_dir)
    monkeypatch.setenv("ASSISTANT_CONFIG", str(tmp_path / "none.toml"))

    def ask(**env: str) -> tuple[int, str]:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        capsys.readouterr()
        code = cli_run(["ask", QUESTION, "--data-dir", str(data_dir)])
        return code, capsys.readouterr().err

    return ask


def test_unreachable_url_is_one_line_naming_it(ask_here):
    url = f"http://127.0.0.1:{free_port()}/v1"
    code, stderr = ask_here(ASSISTANT_LLM_URL=url)
    assert code == 1
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and url in lines[0] and "assistant serve" in lines[0]


def test_a_server_that_never_answers_times_out_with_one_line(ask_here):
    """A listener that accepts and then says nothing (a hung server)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held: list[socket.socket] = []
    accepting = threading.Thread(target=lambda: held.append(listener.accept()[0]),
                                 daemon=True)
    accepting.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    try:
        start = time.perf_counter()
        code, stderr = ask_here(ASSISTANT_LLM_URL=url, ASSISTANT_LLM_TIMEOUT="0.5")
        assert time.perf_counter() - start < 10  # the timeout, not the default 120 s
    finally:
        listener.close()
        for conn in held:
            conn.close()
    assert code == 1
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and url in lines[0] and "ASSISTANT_LLM_TIMEOUT" in lines[0]
    assert "within 0.5 s" in lines[0]


@pytest.mark.slow
def test_a_server_killed_mid_answer_keeps_the_partial_answer(base_settings, sample_index,
                                                               tmp_path):
    """The server dies while an answer streams: what was written is kept, marked stopped,
    with one line naming the URL (exit 1 from the CLI); the next command loads the model
    in-process."""
    data_dir = tmp_path / "data"
    shutil.copytree(sample_index, data_dir)
    proc, record = start_server(data_dir)
    try:
        pipeline = Pipeline(base_settings.replace(data_dir=data_dir))
        pieces: list[str] = []

        def kill_after_three(piece: str) -> None:
            pieces.append(piece)
            if len(pieces) == 3:
                proc.kill()

        try:
            answer = pipeline.ask(QUESTION, on_token=kill_after_three)
        finally:
            pipeline.close()
        assert answer.stopped and not answer.abstained
        assert record["url"] in answer.error and "stopped" in answer.error
        assert answer.draft.startswith("".join(pieces[:3]))
    finally:
        stop_server(proc)
    after = cli(data_dir, "ask", "--json", QUESTION)
    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout)["model"] == TEST_LLM  # in-process again
    assert not record_path(data_dir).exists()


def test_a_connection_refused_mid_setup_names_the_fix(tmp_path):
    with pytest.raises(ServerError, match="cannot reach the model server"):
        RemoteLLM(f"http://127.0.0.1:{free_port()}/v1", TEST_LLM, n_ctx=2048)


@pytest.mark.slow
def test_an_api_key_is_sent_and_a_refused_one_is_one_line(plain_server, sample_index):
    url = plain_server("--api_key", "s3cret")
    refused = cli(sample_index, "ask", QUESTION, ASSISTANT_LLM_URL=url)
    assert refused.returncode == 1
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and url in lines[0] and "ASSISTANT_LLM_API_KEY" in lines[0]
    llm = RemoteLLM(url, TEST_LLM, n_ctx=4096, api_key="s3cret")
    try:
        assert llm.served == [TEST_LLM]
    finally:
        llm.close()
