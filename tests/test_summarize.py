"""Batch summaries and topic digests: caching, invalidation, resume, number checks (the
scripted model over the sample indexed with the hash embedder: fast), and end to end with
the real small model (slow)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import TEST_LLM
from fakes import ScriptedLLM

from assistant.answer import prompts
from assistant.answer.attribution import invented_numbers
from assistant.answer.summary import parse_summary
from assistant.cli.app import run
from assistant.pipeline import Pipeline
from assistant.summaries.batch import (
    Summarizer,
    SummaryError,
    WhereError,
    parse_where,
    write_output,
)

SCRIPTED = ("TL;DR: FastDepth runs at 178 fps on a Jetson TX2.\nProblem: slow depth nets.\n"
            "Method: a light encoder-decoder with pruning.\nResults: 178 fps on the GPU, "
            "27 fps on the CPU.")


def test_invented_numbers_are_found():
    abstract = "Our network runs at 178 fps and at 27 fps on the CPU, under 10 W (1,000 runs)."
    assert invented_numbers("It runs at 178 fps with 1000 runs.", abstract) == []
    assert invented_numbers("It runs at 200 fps, 27 fps on CPU.", abstract) == ["200"]
    # a figure the abstract spells out is the abstract's, one it does not is invented
    spelt = "Forty-four percent of parents underestimated it; twelve declined."
    assert invented_numbers("44% of parents underestimated it, 12 declined", spelt) == []
    assert invented_numbers("45% of parents underestimated it", spelt) == ["45"]


def test_parse_summary_reads_labelled_lines():
    fields = parse_summary("**TL;DR:** short.\nProblem: p\ncontinued\nMethod: m\nResults: r")
    assert fields == {"tldr": "short.", "problem": "p continued", "method": "m",
                      "results": "r"}
    assert parse_summary("just one line")["tldr"] == "just one line"


def test_where_filters():
    keep = parse_where(["title~depth"])
    from assistant.sources import Paper

    assert keep(Paper("a", "Fast Depth", "x"))
    assert not keep(Paper("b", "Graphs", "x"))
    with pytest.raises(WhereError):
        parse_where(["colour=blue"])
    cs = parse_where(["category~cs.", "author~hinton", "year>=2015"])
    assert cs(Paper("c", "T", "x", categories=["stat.ML", "cs.LG"], authors=["G. Hinton"],
                    year=2016))
    assert not cs(Paper("d", "T", "x", categories=["hep-ph"], authors=["G. Hinton"], year=2016))
    assert parse_where(["category=cs.LG"])(Paper("e", "T", "x", categories=["cs.LG"]))
    assert not parse_where(["category=cs.L"])(Paper("e", "T", "x", categories=["cs.LG"]))


def test_summary_with_invented_number_is_flagged(hashed_copy):
    fake = ScriptedLLM("TL;DR: It reaches 99.9% accuracy on 12 datasets.")
    pipeline = hashed_copy(fake)
    paper = next(sp.paper for sp in pipeline.papers() if sp.paper.title.startswith("FastDepth"))
    summary = Summarizer(pipeline).summarize(paper)
    assert summary.flagged and summary.invented_numbers == ["99.9", "12"]
    fake2 = ScriptedLLM(SCRIPTED)
    pipeline = hashed_copy(fake2)
    other = next(sp.paper for sp in pipeline.papers() if sp.paper.title.startswith("FastDepth"))
    ok = Summarizer(pipeline, style="tldr").summarize(other)
    assert not ok.flagged and ok.code == "" and ok.results.startswith("178 fps")


def test_cache_reuse_and_template_change_invalidates(hashed_copy, tmp_path, monkeypatch):
    fake = ScriptedLLM(SCRIPTED)
    pipeline = hashed_copy(fake)
    papers = [sp.paper for sp in pipeline.papers()][:3]
    first = Summarizer(pipeline)
    [first.summarize(p) for p in papers]
    assert first.generated == 3
    again = Summarizer(pipeline)
    assert all(again.summarize(p).cached for p in papers) and again.generated == 0
    assert len(fake.calls) == 3

    edited = tmp_path / "prompts"
    shutil.copytree(prompts.prompts_dir(), edited)
    (edited / "summary_system.j2").write_text(
        (edited / "summary_system.j2").read_text() + "\nBe brief.\n")
    monkeypatch.setattr(prompts, "prompts_dir", lambda: edited)
    prompts._environment.cache_clear()
    try:
        changed = Summarizer(pipeline)
        [changed.summarize(p) for p in papers]
        assert changed.generated == 3
        assert "Be brief." in fake.calls[-1][0].content
    finally:
        monkeypatch.undo()
        prompts._environment.cache_clear()


def test_outputs_in_three_formats(hashed_copy, tmp_path):
    pipeline = hashed_copy(ScriptedLLM(SCRIPTED))
    summarizer = Summarizer(pipeline)
    summaries = [summarizer.summarize(sp.paper) for sp in pipeline.papers()[:2]]
    write_output(summaries, tmp_path / "s.jsonl")
    rows = [json.loads(line) for line in (tmp_path / "s.jsonl").read_text().splitlines()]
    assert {"id", "title", "tldr", "problem", "method", "results", "model", "seconds",
            "flagged"} <= rows[0].keys()
    write_output(summaries, tmp_path / "s.md")
    md = (tmp_path / "s.md").read_text()
    assert md.startswith("# Paper summaries") and "## papers-page.txt" in md
    write_output(summaries, tmp_path / "s.csv")
    assert (tmp_path / "s.csv").read_text().startswith("id,title,source,tldr")
    with pytest.raises(SummaryError):
        write_output(summaries, tmp_path / "s.pdf")


def _default_sigint() -> None:
    """A shell that starts the tests in the background (``cmd &`` without job control)
    makes them ignore SIGINT, and the child inherits that: give Ctrl+C back its meaning."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _cli(data_dir: Path, *args: str, **kwargs):
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir), "ASSISTANT_THREADS": "2"}
    return subprocess.Popen([sys.executable, "-m", "assistant", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_default_sigint, **kwargs)


def _run(capsys, *args: str) -> tuple[int, str, str]:
    """The `assistant` command in this process (the fakes stand in for the models)."""
    capsys.readouterr()
    code = run(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_whole_sample_collection_then_second_run_is_cached(hashed_sample_index, tmp_path,
                                                          fake_models, capsys):
    """Every paper of the sample gets one record; the re-run does no model work (the
    scripted model over all 76 papers; the real model's batch is the slow test below)."""
    data_dir = tmp_path / "data"
    shutil.copytree(hashed_sample_index, data_dir)
    fake = ScriptedLLM(SCRIPTED)
    fake_models(fake)
    out = tmp_path / "all.jsonl"
    args = ("summarize", "--style", "tldr", "--out", str(out), "--data-dir", str(data_dir))
    code, stdout, stderr = _run(capsys, *args)
    assert code == 0, stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 76 and len({r["id"] for r in rows}) == 76
    assert all(r["model"] == "scripted" and r["tldr"] for r in rows)
    assert "76 generated, 0 from cache" in stdout and len(fake.calls) == 76
    code, stdout, _ = _run(capsys, *args)
    assert code == 0 and "0 generated, 76 from cache" in stdout
    assert len(fake.calls) == 76  # the model was not asked again
    assert [json.loads(line) for line in out.read_text().splitlines()] == [
        {**r, "cached": True} for r in rows]


class InterruptedAt(ScriptedLLM):
    """Ctrl+C while the ``at``-th paper is being summarised (KeyboardInterrupt where the
    model generates, at an exact point: no signal timing involved)."""

    def __init__(self, answer: str, at: int) -> None:
        super().__init__(answer)
        self.at = at
        self.started = 0

    def generate(self, *args, **kwargs):
        self.started += 1
        if self.started == self.at:
            raise KeyboardInterrupt
        return super().generate(*args, **kwargs)


def test_interrupt_then_rerun_completes_without_duplicates(hashed_sample_index, tmp_path,
                                                           fake_models, capsys):
    data_dir = tmp_path / "data"
    shutil.copytree(hashed_sample_index, data_dir)
    out = tmp_path / "part.jsonl"
    args = ("summarize", "--where", "title~depth", "--out", str(out), "--data-dir",
            str(data_dir))
    fake_models(InterruptedAt(SCRIPTED, at=3))
    code, _, stderr = _run(capsys, *args)
    assert code == 130, stderr
    assert "interrupted after 2 of" in stderr
    assert "run the same command again to resume" in stderr
    partial = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(partial) == 2
    fake = ScriptedLLM(SCRIPTED)
    fake_models(fake)
    code, stdout, stderr = _run(capsys, *args)
    assert code == 0, stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)) > len(partial)
    assert {r["id"] for r in partial} <= set(ids)
    assert all("depth" in r["title"].lower() for r in rows)
    # what the interrupted run finished is served from the cache, the rest is made now
    assert f"({len(rows) - 2} generated, 2 from cache" in stdout
    assert len(fake.calls) == len(rows) - 2


@pytest.mark.slow
def test_real_model_batch_of_a_subset_then_second_run_is_cached(sample_index, tmp_path):
    """The real model through the real command: every selected paper gets one record,
    the re-run does no model work."""
    data_dir = tmp_path / "data"
    shutil.copytree(sample_index, data_dir)
    out = tmp_path / "some.jsonl"
    args = ("summarize", "--style", "tldr", "--model", TEST_LLM, "--where", "title~depth",
            "--limit", "4", "--out", str(out))
    proc = _cli(data_dir, *args)
    stdout, stderr = proc.communicate(timeout=900)
    assert proc.returncode == 0, stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 4 and len({r["id"] for r in rows}) == 4
    assert all(r["model"].startswith("gemma-3-270m") and r["tldr"] for r in rows)
    assert all("depth" in r["title"].lower() for r in rows)
    assert "4 generated" in stdout
    proc = _cli(data_dir, *args)
    stdout, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0 and "0 generated, 4 from cache" in stdout


@pytest.mark.slow
def test_ctrl_c_stops_a_real_batch_and_a_rerun_completes_it(sample_index, tmp_path):
    """A real SIGINT to a real process generating with the real model: exit 130, the
    finished summaries kept, and the re-run makes only the rest."""
    data_dir = tmp_path / "data"
    shutil.copytree(sample_index, data_dir)
    out = tmp_path / "part.jsonl"
    args = ("summarize", "--style", "tldr", "--where", "title~depth", "--limit", "5",
            "--model", TEST_LLM, "--out", str(out))
    proc = _cli(data_dir, *args)
    cache = data_dir / "cache" / "summaries"
    deadline = time.time() + 600
    while time.time() < deadline and len(list(cache.glob("*.json"))) < 2:
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    try:
        _, stderr = proc.communicate(timeout=120)
    finally:
        proc.kill()  # never leave a summarizer running past a failed test
    assert proc.returncode == 130, stderr
    assert "run the same command again to resume" in stderr
    partial = out.read_text().splitlines()
    proc = _cli(data_dir, *args)
    stdout, stderr = proc.communicate(timeout=900)
    assert proc.returncode == 0, stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)) == 5 > len(partial) >= 2
    assert all("depth" in r["title"].lower() for r in rows)
    counts = re.search(r"\((\d+) generated, (\d+) from cache", stdout)
    generated, cached = int(counts.group(1)), int(counts.group(2))
    # what the interrupted run finished is served from the cache, the rest is made now
    assert cached >= len(partial) and generated + cached == len(rows) and generated >= 1


@pytest.mark.slow
def test_digest_with_real_model_cites_only_retrieved_papers(sample_pipeline):
    answer = sample_pipeline.digest("monocular depth estimation", k=5)
    assert not answer.out_of_scope and answer.sources
    given = {s.n for s in answer.sources}
    assert {c.n for c in answer.citations} <= given
    assert all(s.paper_id in {h.paper_id for h in answer.sources} for s in answer.citations)
    assert all("depth" in s.title.lower() for s in answer.sources[:3])


def test_digest_claims_are_checked_like_answers(hashed_copy):
    pipeline = hashed_copy(ScriptedLLM(
        "FastDepth runs at 178 fps on an NVIDIA Jetson TX2 GPU [9]. "
        "Depth from a single image reaches 99 fps on a phone [1]."))
    answer = pipeline.digest("fast depth estimation on embedded systems", k=4)
    assert answer.invalid_citations == [9] and "[9]" not in answer.text
    fastdepth = next(s for s in answer.sources if s.title.startswith("FastDepth"))
    assert [c.supported for c in answer.claims] == [True, False]
    assert answer.claims[0].citations == [fastdepth.n]        # attached by the check
    assert [c.paper_id for c in answer.citations] == [fastdepth.paper_id]
    assert "99 fps on a phone [unsupported]" in answer.text


def _long_paper(words: int = 6000):
    from assistant.sources import Paper

    text = " ".join(f"The encoder reaches {i % 90} percent recall on benchmark {i % 7}."
                    for i in range(words // 9))
    return Paper(id="long-1", title="A Whole Paper Pasted As An Abstract", abstract=text,
                 source="long.jsonl")


@pytest.mark.slow
def test_an_abstract_longer_than_the_context_is_truncated_with_a_note(sample_copy):
    """Real small model with a 1024-token context: the 8k-token abstract is cut to fit,
    the summary is made, and it says it was cut (before, llama.cpp raised ValueError)."""

    from assistant.answer.summary import summary_messages

    pipeline = Pipeline(sample_copy.settings.replace(n_ctx=1024))
    try:
        summary = Summarizer(pipeline, "tldr").summarize(_long_paper())
        assert summary.tldr and "truncated" in summary.note
        llm = pipeline.llm()
        assert llm.n_ctx == 1024
        messages, note = summary_messages(llm, "tldr_system", "t", _long_paper().abstract, 80,
                                          1024)
        assert llm.prompt_tokens(messages) + 80 <= 1024 and note
    finally:
        pipeline.close()


class FailsOnOnePaper(ScriptedLLM):
    def generate(self, messages, *args, **kwargs):
        if "HuBERT" in messages[-1].content:
            raise RuntimeError("llama_decode returned -1")
        return super().generate(messages, *args, **kwargs)


def test_one_failing_paper_is_reported_and_the_batch_goes_on(hashed_copy):
    pipeline = hashed_copy(FailsOnOnePaper(SCRIPTED))
    papers = [sp.paper for sp in pipeline.papers()][:76]
    batch = Summarizer(pipeline, "tldr").summarize_all(papers)
    failed_titles = [p.title for p, _ in batch.failed]
    assert len(failed_titles) == 1 and "HuBERT" in failed_titles[0]
    assert "llama_decode returned -1" in batch.failed[0][1]
    assert len(batch.summaries) == 75 and not batch.interrupted
