"""The index under faults: two writers at once, a kill -9 in the middle of a write, a
corrupt records database, and a reader open while another process ingests. Real processes, the
real embedder, a real Chroma store on disk."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.index.locking import WriteLock
from assistant.pipeline import Pipeline

# every test starts `assistant` processes that load the real embedder
pytestmark = pytest.mark.slow

TOPICS = ["graph pruning", "protein folding", "speech coding", "depth sensing", "code search",
          "traffic forecasting", "crop yield", "seismic imaging", "tumour grading", "music tagging"]


def write_papers(path: Path, prefix: str, count: int, version: str = "v1") -> list[str]:
    """Synthetic papers with arXiv-style ids (global, so the ids are predictable)."""
    ids = []
    with path.open("w", encoding="utf-8") as handle:
        for i in range(count):
            topic = TOPICS[i % len(TOPICS)]
            pid = f"{prefix}.{i:05d}"
            ids.append(pid)
            abstract = (f"We study {topic} with method {prefix}-{i} ({version}). Our model "
                        f"improves accuracy by {i % 17 + 2} points on {i % 5 + 3} benchmarks "
                        f"while using {i % 9 + 1}x fewer parameters than earlier {topic} work.")
            handle.write(json.dumps({"id": pid, "title": f"{topic.title()} study {prefix} {i}",
                                     "abstract": abstract}) + "\n")
    return ids


def cli(data_dir: Path, *args: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir), "ASSISTANT_THREADS": "1",
           "ASSISTANT_CONFIG": str(data_dir.parent / "none.toml"),
           "ASSISTANT_INGEST_BATCH": "8"}  # many commits, so a kill lands between two
    return subprocess.Popen([sys.executable, "-m", "assistant", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    proc = cli(data_dir, *args)
    out, err = proc.communicate(timeout=600)
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def indexed(data_dir: Path) -> dict[str, dict]:
    result = run(data_dir, "papers", "--json")
    assert result.returncode == 0, result.stderr
    return {row["id"]: row for row in json.loads(result.stdout)}


def chroma_matches_records(data_dir: Path) -> None:
    pipeline = Pipeline(pipeline_settings(data_dir))
    try:
        store = pipeline.index.store
        chroma_ids = set(store.collection.get(include=[])["ids"])
        assert chroma_ids == store.records.chunk_ids()
        for stored in store.papers():
            assert set(stored.chunk_ids) <= chroma_ids
    finally:
        pipeline.close()


_BASE = {}


def pipeline_settings(data_dir: Path):
    return _BASE["settings"].replace(data_dir=data_dir)


@pytest.fixture(autouse=True)
def _base(base_settings):
    _BASE["settings"] = base_settings


def test_two_ingests_at_once_lose_nothing(tmp_path):
    data_dir = tmp_path / "data"
    first = write_papers(tmp_path / "a.jsonl", "2401", 40)
    second = write_papers(tmp_path / "b.jsonl", "2402", 40)
    procs = [cli(data_dir, "ingest", str(tmp_path / "a.jsonl")),
             cli(data_dir, "ingest", str(tmp_path / "b.jsonl"))]
    results = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert any("waiting for it to finish" in err for _out, err in results)
    assert set(indexed(data_dir)) == set(first) | set(second)
    chroma_matches_records(data_dir)


def test_no_wait_fails_clearly_while_another_process_writes(tmp_path):
    data_dir = tmp_path / "data"
    write_papers(tmp_path / "a.jsonl", "2401", 3)
    lock = WriteLock(data_dir / "index" / "write.lock")
    lock.acquire()
    try:
        result = run(data_dir, "ingest", "--no-wait", str(tmp_path / "a.jsonl"))
    finally:
        lock.release()
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"process {os.getpid()} is writing to the index" in lines[0]
    assert run(data_dir, "ingest", "--no-wait", str(tmp_path / "a.jsonl")).returncode == 0


def _kill_during_write(data_dir: Path, path: Path, at_commit: int) -> None:
    """Ingest ``path`` in a child process that kill -9s itself at an exact point: when its
    ``at_commit``-th batch of 8 papers has its vectors in Chroma and its records are about
    to be committed (no sleeps: the point does not depend on the machine's speed)."""
    child = subprocess.run([sys.executable, "-c", _CHILD, "assistant.index.records", "Records",
                            "replace_papers", str(at_commit), str(path), str(data_dir)],
                           capture_output=True, text=True, timeout=600)
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert (data_dir / "index" / "writing").exists(), "the kill left no write marker"


def test_kill_9_mid_ingest_then_the_next_command_repairs_and_a_rerun_completes(tmp_path):
    data_dir = tmp_path / "data"
    before = write_papers(tmp_path / "before.jsonl", "2301", 10)
    assert run(data_dir, "ingest", str(tmp_path / "before.jsonl")).returncode == 0
    many = write_papers(tmp_path / "many.jsonl", "2302", 150)
    _kill_during_write(data_dir, tmp_path / "many.jsonl", at_commit=3)
    now = indexed(data_dir)  # the next command repairs what the kill left
    assert set(before) <= set(now)
    # two batches committed, and the third's vectors were whole in Chroma: the repair
    # re-derives those papers' records from them; the rest did not land
    assert set(now) - set(before) == set(many[:24])
    chroma_matches_records(data_dir)
    rerun = run(data_dir, "ingest", str(tmp_path / "many.jsonl"))
    assert rerun.returncode == 0
    landed = len(set(now) - set(before))
    assert f"added {len(many) - landed}, updated 0, unchanged {landed} papers" in rerun.stdout
    assert set(indexed(data_dir)) == set(before) | set(many)


def test_kill_9_while_updating_papers_keeps_one_whole_version_of_each(tmp_path):
    """The case that used to break every later search: same chunk count, other ids."""
    data_dir = tmp_path / "data"
    ids = write_papers(tmp_path / "papers.jsonl", "2303", 120, "v1")
    assert run(data_dir, "ingest", str(tmp_path / "papers.jsonl")).returncode == 0
    write_papers(tmp_path / "papers.jsonl", "2303", 120, "v2")
    _kill_during_write(data_dir, tmp_path / "papers.jsonl", at_commit=5)
    result = run(data_dir, "search", "protein folding method", "--json")
    assert result.returncode == 0, result.stderr
    pipeline = Pipeline(pipeline_settings(data_dir))
    try:
        papers = {sp.paper.id: sp.paper for sp in pipeline.papers()}
        assert set(papers) == set(ids)
        versions = {"(v1)" if "(v1)" in p.abstract else "(v2)" for p in papers.values()}
        assert versions == {"(v1)", "(v2)"}  # killed half-way: each paper whole, old or new
    finally:
        pipeline.close()
    chroma_matches_records(data_dir)
    assert run(data_dir, "ingest", str(tmp_path / "papers.jsonl")).returncode == 0
    pipeline = Pipeline(pipeline_settings(data_dir))
    try:
        assert all("(v2)" in sp.paper.abstract for sp in pipeline.papers())
    finally:
        pipeline.close()


def test_a_corrupt_records_database_names_the_repair_and_reindex_repairs_it(tmp_path):
    data_dir = tmp_path / "data"
    ids = write_papers(tmp_path / "p.jsonl", "2304", 12)
    assert run(data_dir, "ingest", str(tmp_path / "p.jsonl")).returncode == 0
    db = data_dir / "index" / "records.sqlite3"
    for suffix in ("-wal", "-shm"):
        (data_dir / "index" / f"records.sqlite3{suffix}").unlink(missing_ok=True)
    db.write_bytes(b"this is not a database" * 200)
    broken = run(data_dir, "papers")
    assert broken.returncode == 1 and "Traceback" not in broken.stderr
    lines = broken.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {db} is unreadable")
    assert lines[0].endswith("rebuild it from the vectors with: assistant reindex")
    fixed = run(data_dir, "reindex")
    assert fixed.returncode == 0 and "12 papers" in fixed.stdout
    assert set(indexed(data_dir)) == set(ids)


_PAUSING_CHILD = """
import os, sys, time
from pathlib import Path
from assistant.index.records import Records
from assistant.pipeline import Pipeline
from assistant.settings import load_settings
folder = Path(sys.argv[2])
real = Records.replace_papers
calls = []
def paused(self, *args, **kwargs):
    calls.append(1)
    if len(calls) == 2:  # batch two's vectors are in Chroma, its records not yet written
        (folder / "paused").touch()
        while not (folder / "resume").exists():
            time.sleep(0.01)
    return real(self, *args, **kwargs)
Records.replace_papers = paused
settings = load_settings(config_path=folder / "none.toml", data_dir=sys.argv[3], threads=1,
                         ingest_batch=8)
Pipeline(settings).ingest([Path(sys.argv[1])])
"""


def test_a_reader_keeps_working_during_an_ingest_and_then_sees_the_new_papers(tmp_path):
    """The writer is held at an exact point in the middle of its write (one batch
    committed, the next one's vectors written and its records not) while a reader in
    this process searches; then it finishes and the reader sees every new paper."""
    data_dir = tmp_path / "data"
    write_papers(tmp_path / "old.jsonl", "2305", 20)
    assert run(data_dir, "ingest", str(tmp_path / "old.jsonl")).returncode == 0
    reader = Pipeline(pipeline_settings(data_dir))
    try:
        assert reader.search("crop yield study")
        new = write_papers(tmp_path / "new.jsonl", "2306", 60)
        proc = subprocess.Popen([sys.executable, "-c", _PAUSING_CHILD,
                                 str(tmp_path / "new.jsonl"), str(tmp_path), str(data_dir)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.time() + 300
            while not (tmp_path / "paused").exists():
                assert proc.poll() is None and time.time() < deadline, proc.communicate()
                time.sleep(0.02)
            assert (data_dir / "index" / "writing").exists()  # mid-write, for certain
            assert reader.search("seismic imaging method")
            assert 20 <= reader.paper_count() <= 28  # the old papers, and batch one
        finally:
            (tmp_path / "resume").touch()
            _out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        hits = reader.search(f"Seismic Imaging study 2306 {new[7][-1]}", k=40)
        assert any(h.paper_id.startswith("2306.") for h in hits)
        assert reader.paper_count() == 80
    finally:
        reader.close()


# A kill -9 at exact points of a write: the ingest runs in a child process in which one
# step of the real code is wrapped to SIGKILL the process at that moment.
_KILL_AT = {
    # parsed, nothing written yet: the first embedding call
    "after_parse": ("assistant.index.embedding", "Embedder", "embed", 1),
    # the second batch's vectors are in Chroma, its records not yet committed
    "between_vectors_and_records": ("assistant.index.records", "Records", "replace_papers", 2),
}
_CHILD = """
import importlib, os, signal, sys
from pathlib import Path
from assistant.pipeline import Pipeline
from assistant.settings import load_settings
module, cls, method, nth = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
owner = getattr(importlib.import_module(module), cls)
real = getattr(owner, method)
calls = []
def wrapped(self, *args, **kwargs):
    calls.append(1)
    if len(calls) == nth:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(self, *args, **kwargs)
setattr(owner, method, wrapped)
settings = load_settings(config_path=Path(sys.argv[6]) / "none.toml", data_dir=sys.argv[6],
                         threads=1, ingest_batch=8)
Pipeline(settings).ingest([Path(sys.argv[5])])
"""


@pytest.mark.parametrize("point", sorted(_KILL_AT))
def test_kill_9_at_an_exact_point_of_a_write_loses_nothing(tmp_path, point):
    data_dir = tmp_path / "data"
    before = write_papers(tmp_path / "before.jsonl", "2307", 6)
    assert run(data_dir, "ingest", str(tmp_path / "before.jsonl")).returncode == 0
    new = write_papers(tmp_path / "new.jsonl", "2308", 30)
    child = subprocess.run([sys.executable, "-c", _CHILD, *map(str, _KILL_AT[point]),
                            str(tmp_path / "new.jsonl"), str(data_dir)],
                           capture_output=True, text=True, timeout=600)
    assert child.returncode == -signal.SIGKILL, child.stderr
    now = indexed(data_dir)  # the next command repairs whatever the kill left
    assert set(before) <= set(now)
    if point == "after_parse":
        assert set(now) == set(before)
    else:  # batch one was committed; batch two's vectors were whole in Chroma, so the
        # repair (records re-derived from the vectors' metadata) brings those papers too
        assert set(now) - set(before) == set(new[:16])
    chroma_matches_records(data_dir)
    for command in (("search", "--json", "protein folding method"),):
        assert run(data_dir, *command).returncode == 0
    rerun = run(data_dir, "ingest", str(tmp_path / "new.jsonl"))
    assert rerun.returncode == 0
    assert set(indexed(data_dir)) == set(before) | set(new)
