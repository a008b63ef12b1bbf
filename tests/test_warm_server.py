"""A warm model when the user wants one: `assistant serve --detach` returns once the
server serves and later commands use it; `--stop` stops it; `--idle` makes it stop by
itself; the ``keep_warm`` setting starts one on first use. Real processes, the small real
model; every failure is one line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import TEST_LLM, free_port

from assistant.cli.serve import parse_duration
from assistant.errors import UsageError
from assistant.llm.servers import record_path, running_server

QUESTION = "How fast is FastDepth on a Jetson?"


def test_durations_read_as_a_user_writes_them():
    assert [parse_duration(t) for t in ("90", "90s", "10m", "1h", "1.5m")] == \
        [90, 90, 600, 3600, 90]
    for bad in ("", "soon", "10 minutes", "-5m", "0"):
        with pytest.raises(UsageError, match="--idle takes a duration"):
            parse_duration(bad)


def _cli(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir), "ASSISTANT_THREADS": "2",
                   "ASSISTANT_MODEL": TEST_LLM, "ASSISTANT_CONFIG": str(data_dir / "none.toml"),
                   **env}
    return subprocess.run([sys.executable, "-m", "assistant", *args], env=environment,
                          capture_output=True, text=True, timeout=600)


def _gone(pid: int, wait_s: float) -> bool:
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


@pytest.mark.slow
def test_detach_then_ask_uses_it_then_stop(base_settings, sample_index, tmp_path):
    data_dir = tmp_path / "data"
    shutil.copytree(sample_index, data_dir)
    port = free_port()
    started = _cli(data_dir, "serve", "--detach", "--port", str(port))
    assert started.returncode == 0, started.stderr
    record = running_server(data_dir)
    assert record and f"pid {record['pid']}" in started.stdout
    assert "assistant serve --stop" in started.stdout
    try:
        again = _cli(data_dir, "serve", "--detach", "--port", str(free_port()))
        assert again.returncode == 1 and len(again.stderr.strip().splitlines()) == 1
        assert "already runs" in again.stderr
        asked = _cli(data_dir, "ask", "--json", QUESTION)
        assert asked.returncode == 0, asked.stderr
        assert json.loads(asked.stdout)["model"] == f"{TEST_LLM} @ {record['url']}"
    finally:
        stopped = _cli(data_dir, "serve", "--stop")
    assert stopped.returncode == 0 and f"pid {record['pid']}" in stopped.stdout
    assert _gone(record["pid"], 10) and not record_path(data_dir).exists()
    nothing = _cli(data_dir, "serve", "--stop")
    assert nothing.returncode == 0 and "no server runs" in nothing.stdout


@pytest.mark.slow
def test_an_idle_server_stops_by_itself_and_keep_warm_starts_one(base_settings,
                                                                  sample_index, tmp_path):
    data_dir = tmp_path / "data"
    shutil.copytree(sample_index, data_dir)
    asked = _cli(data_dir, "ask", "--json", QUESTION, ASSISTANT_KEEP_WARM="true",
                 ASSISTANT_KEEP_WARM_IDLE="3")
    assert asked.returncode == 0, asked.stderr
    record = running_server(data_dir)
    assert record and record["idle_s"] == 3
    assert json.loads(asked.stdout)["model"] == f"{TEST_LLM} @ {record['url']}"
    # no request for 3 s: it stops by itself and takes its record with it
    assert _gone(record["pid"], 60) and not record_path(data_dir).exists()
    plain = _cli(data_dir, "ask", "--json", QUESTION)  # keep_warm off: in this process
    assert plain.returncode == 0 and json.loads(plain.stdout)["model"] == TEST_LLM
    assert running_server(data_dir) is None


@pytest.mark.slow
def test_a_detached_server_that_cannot_start_is_one_line(tmp_path):
    """A model that is not installed: the check before starting says so, nothing runs."""
    result = _cli(tmp_path / "data", "serve", "--detach",
                  ASSISTANT_MODELS_DIR=str(tmp_path / "no-models"))
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1
    assert "assistant models install" in result.stderr
    assert running_server(tmp_path / "data") is None
