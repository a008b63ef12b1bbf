"""Where a running `assistant serve` is found: its record in the data directory
(``server.json``: URL, model, pid), the one route it adds to llama-cpp-python's server
(which the client calls and the server defines), and starting one in the background or
stopping it (``serve --detach`` / ``--stop``, the ``keep_warm`` setting)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from assistant.errors import AssistantError
from assistant.fileio import write_atomic

RECORD = "server.json"
LABEL_ROUTE = "/assistant/label_probs"  # relative to the OpenAI base URL (…/v1)
LABEL_PROBS_PATH = "/v1" + LABEL_ROUTE  # the same route on the server's app


def record_path(data_dir: Path) -> Path:
    return data_dir / RECORD


def write_record(data_dir: Path, record: dict) -> None:
    write_atomic(record_path(data_dir), json.dumps(record))


def remove_record(data_dir: Path, pid: int) -> None:
    """Remove the record if it is this process's (another server may have replaced it)."""
    path = record_path(data_dir)
    try:
        if json.loads(path.read_text()).get("pid") == pid:
            path.unlink()
    except (OSError, ValueError):
        pass


def running_server(data_dir: Path) -> dict | None:
    """The record of an `assistant serve` whose process is alive, else None (a record left
    by a killed server is removed)."""
    path = record_path(data_dir)
    try:
        record = json.loads(path.read_text())
        os.kill(int(record["pid"]), 0)
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError, ProcessLookupError):
        path.unlink(missing_ok=True)
        return None
    except PermissionError:  # alive, but another user's process
        pass
    return record


LOG = "server.log"


class ServerStartError(AssistantError):
    """A background server could not be started; the message quotes its log."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def start_detached(data_dir: Path, port: int, *, host: str = "127.0.0.1",
                   model: str | None = None, threads: int | None = None,
                   logprobs: bool = False, idle_s: float | None = None,
                   wait_s: float = 600.0) -> dict:
    """Start `assistant serve` as a process of its own session (it outlives this one and
    a Ctrl+C here), its output in ``server.log`` beside the record; return its record
    once it serves, or raise with the log's last line if it dies or never gets there."""
    command = [sys.executable, "-m", "assistant", "serve", "--data-dir", str(data_dir),
               "--port", str(port), "--host", host]
    command += ["--model", model] if model else []
    command += ["--threads", str(threads)] if threads else []
    command += ["--logprobs"] if logprobs else []
    command += ["--idle", f"{idle_s:g}"] if idle_s else []
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / LOG
    with log.open("w", encoding="utf-8") as handle:
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=handle,
                                stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        record = running_server(data_dir)
        if record and record.get("pid") == proc.pid:
            return record
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    else:
        proc.kill()
    lines = [line for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
    reason = lines[-1] if lines else f"exit status {proc.returncode}"
    raise ServerStartError(f"the background server did not start ({reason}); "
                           f"see {log}")


def stop(data_dir: Path, wait_s: float = 30.0) -> dict | None:
    """Stop the `assistant serve` of this data directory (None: none runs): Ctrl+C's
    signal first, so it shuts down cleanly and removes its record, then a kill."""
    record = running_server(data_dir)
    if record is None:
        return None
    pid = int(record["pid"])
    for sig, wait in ((signal.SIGINT, wait_s), (signal.SIGKILL, 5.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.05)
        if not _alive(pid):
            break
    remove_record(data_dir, pid)
    return record


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a child of ours that exited is a zombie until reaped
        done, _status = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True
