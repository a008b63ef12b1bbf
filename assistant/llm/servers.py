"""Where a running `assistant serve` is found: its record in the data directory
(``server.json``: URL, model, pid), and the one route it adds to llama-cpp-python's
server, which the client calls and the server defines."""

from __future__ import annotations

import json
import os
from pathlib import Path

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
