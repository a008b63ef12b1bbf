"""`assistant mcp`: a real MCP server process driven by the official SDK's stdio client.

The fast tests start the server over the hashed sample index with a scripted model
(tests/mcp_fake_server.py), the slow one starts the real command with the real embedder
and the small Gemma model. What is tested is the MCP front end: which tools exist, what
they return, that a bad call is an error result and the server keeps serving."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import anyio
import pytest
from conftest import DATA, HASHED_TUNING, TEST_LLM
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.shared.exceptions import MCPError

FAKE_SERVER = Path(__file__).parent / "mcp_fake_server.py"
ROOT = Path(__file__).parent.parent
QUESTION = "Which papers speed up depth estimation on embedded hardware, and how fast are they?"
READ_TOOLS = {"search_papers", "ask", "show_paper", "list_papers", "summarize_paper",
              "compare_results"}


def _env(settings, data_dir: Path, tmp_path: Path) -> dict[str, str]:
    env = {key: os.environ[key] for key in ("HOME", "PATH", "LANG") if key in os.environ}
    env.update(PYTHONPATH=str(ROOT), XDG_CONFIG_HOME=str(tmp_path / "config"),
               ASSISTANT_DATA_DIR=str(data_dir))
    for key in ("models_dir", "model", "threads", *HASHED_TUNING):
        env[f"ASSISTANT_{key.upper()}"] = str(getattr(settings, key))
    return env


@pytest.fixture
def fake_server(fast_base_settings, hashed_sample_index, tmp_path):
    """``fake_server(answer, *flags)``: the parameters that start an MCP server over a
    private copy of the hashed sample with a scripted model giving ``answer``."""
    data_dir = tmp_path / "data"
    shutil.copytree(hashed_sample_index, data_dir)

    def params(answer: str = "A scripted answer.", *flags: str) -> StdioServerParameters:
        return StdioServerParameters(command=sys.executable,
                                     args=[str(FAKE_SERVER), answer, *flags],
                                     env=_env(fast_base_settings, data_dir, tmp_path))
    return params


def _json(result) -> dict:
    assert not result.is_error, result.content
    return json.loads(result.content[0].text)


def _error(result) -> str:
    assert result.is_error
    return result.content[0].text


def test_tools_search_show_list_and_resources(fake_server):
    async def session():
        async with Client(fake_server()) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            assert set(tools) == READ_TOOLS  # read-only: no ingest without the flag
            assert all(t.annotations.read_only_hint for t in tools.values())
            assert {"query", "k", "since", "until", "source", "title"} <= set(
                tools["search_papers"].input_schema["properties"])

            found = _json(await client.call_tool("search_papers", {
                "query": "fast monocular depth estimation on embedded systems", "k": 3}))
            assert len(found["papers"]) == 3 and found["papers_indexed"] == 76
            assert found["papers"][0]["title"].startswith("FastDepth")
            fastdepth = found["papers"][0]["id"]

            paper = _json(await client.call_tool("show_paper", {"paper_id": fastdepth}))
            assert paper["title"].startswith("FastDepth") and "178 fps" in paper["abstract"]

            listed = _json(await client.call_tool("list_papers", {
                "where": ["title~depth"], "limit": 2}))
            assert listed["total"] >= 3 and listed["shown"] == 2
            assert all("depth" in p["title"].lower() and "abstract" not in p
                       for p in listed["papers"])

            first = _json(await client.call_tool("summarize_paper", {
                "paper_id": fastdepth, "style": "tldr"}))
            again = _json(await client.call_tool("summarize_paper", {
                "paper_id": fastdepth, "style": "tldr"}))
            assert first["id"] == fastdepth and first["style"] == "tldr"
            assert not first["cached"] and again["cached"]  # the summaries' own cache

            table = _json(await client.call_tool("compare_results", {
                "topic": "fast monocular depth estimation on embedded systems", "k": 2}))
            rows = [r for g in table["groups"] for r in g["rows"]]
            assert len(table["papers"]) == 2 and rows
            assert all(r["value_text"] in r["sentence"] for r in rows)
            bad = await client.call_tool("compare_results", {"topic": " "})
            assert bad.is_error and "the topic is empty" in bad.content[0].text

            resources = (await client.list_resources()).resources
            assert len(resources) == 76
            uri = next(str(r.uri) for r in resources if r.name == fastdepth)
            text = (await client.read_resource(uri)).contents[0].text
            assert text.startswith("# FastDepth") and "178 fps" in text
    anyio.run(session)


def test_bad_calls_are_error_results_and_the_server_keeps_serving(fake_server):
    async def session():
        async with Client(fake_server()) as client:
            assert "no paper with id 'nope'" in _error(
                await client.call_tool("show_paper", {"paper_id": "nope"}))
            assert "query" in _error(await client.call_tool("search_papers", {"k": 3}))
            assert _error(await client.call_tool("search_papers", {"query": "x", "k": 0}))
            assert "where" in _error(await client.call_tool(
                "list_papers", {"where": ["year>>2020"]})).lower()
            assert "style" in _error(await client.call_tool(
                "summarize_paper", {"paper_id": "nope", "style": "poem"}))
            assert "empty" in _error(await client.call_tool("ask", {"question": "  "}))
            assert _error(await client.call_tool("ingest", {"paths": [str(DATA)]}))
            with pytest.raises(MCPError, match="no paper with id"):
                await client.read_resource("paper://nope")
            found = _json(await client.call_tool("search_papers", {"query": "depth"}))
            assert found["papers"]  # still serving after every failure
    anyio.run(session)


def test_ask_returns_the_checked_answer_with_progress(fake_server):
    """The answer a client gets is ``ask --json``'s: claims checked against the paper,
    citations, sources; progress names the papers being read before the answer."""
    answer = "FastDepth runs at 178 fps on an NVIDIA Jetson TX2 GPU [1]. It also won a " \
             "chess tournament against grandmasters [1]."
    messages: list[str] = []

    async def on_progress(progress, total, message):
        messages.append(message)

    async def session():
        async with Client(fake_server(answer)) as client:
            result = await client.call_tool("ask", {"question": QUESTION},
                                            progress_callback=on_progress)
            return _json(result)
    data = anyio.run(session)
    assert {"answer", "claims", "citations", "sources", "abstained"} <= set(data)
    assert [c["title"][:9] for c in data["citations"]] == ["FastDepth"]
    assert [c["supported"] for c in data["claims"]] == [True, False]
    assert not data["abstained"] and "178 fps" in data["answer"]
    reading = next(i for i, m in enumerate(messages) if "FastDepth" in m)
    checking = next(i for i, m in enumerate(messages) if "checking" in m)
    assert reading < checking == len(messages) - 1
    assert len(messages) < 20  # a notification per stage, not one per token


def test_ingest_tool_only_with_allow_ingest(fake_server):
    async def session():
        async with Client(fake_server("A scripted answer.", "--allow-ingest")) as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            assert tools == READ_TOOLS | {"ingest"}
            report = _json(await client.call_tool("ingest", {
                "paths": [str(DATA / "zotero.bib")]}))
            assert report["added"] > 0 and report["papers_total"] == 76 + report["added"]
            bad = _error(await client.call_tool("ingest", {
                "paths": [str(DATA / "bad" / "json_truncated.json")]}))
            assert "nothing ingested" in bad and "json_truncated.json" in bad
            assert "\n" not in bad  # one line
            assert "/nonexistent/file.bib" in _error(await client.call_tool("ingest", {
                "paths": ["/nonexistent/file.bib"]}))
            listed = _json(await client.call_tool("list_papers", {"limit": 1}))
            assert listed["total"] == report["papers_total"]  # the index is intact
    anyio.run(session)


@pytest.mark.slow
def test_real_mcp_command_answers_with_the_small_model(base_settings, sample_index,
                                                        tmp_path):
    """`assistant mcp` as a client's config starts it: the real embedder and the small
    Gemma model; the answer comes back as a tool result (Gemma 270M is too weak to be
    judged on content: the structure and the model are what is checked)."""
    data_dir = tmp_path / "data"
    shutil.copytree(sample_index, data_dir)
    env = _env(base_settings, data_dir, tmp_path)
    env.pop("ASSISTANT_MIN_RELEVANCE")
    command = shutil.which("assistant", path=str(Path(sys.executable).parent))
    params = StdioServerParameters(command=command, args=["mcp", "--model", TEST_LLM],
                                   env=env)

    async def session():
        async with Client(params) as client:
            assert {t.name for t in (await client.list_tools()).tools} == READ_TOOLS
            data = _json(await client.call_tool("ask", {"question": QUESTION}))
            assert _error(await client.call_tool("show_paper", {"paper_id": "nope"}))
            again = _json(await client.call_tool("search_papers", {"query": "FastDepth"}))
            return data, again
    data, again = anyio.run(session)
    assert data["model"].startswith("gemma-3-270m") and data["sources"]
    assert any(s["title"].startswith("FastDepth") for s in data["sources"])
    assert data["answer"].strip() and not data["error"]
    assert again["papers"][0]["title"].startswith("FastDepth")
