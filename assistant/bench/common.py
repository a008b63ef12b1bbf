"""What every benchmark shares: resumable JSONL logs keyed by the settings that shape
their rows, results files with the machine they were measured on, and a measured
subprocess (wall time, stdout, peak RSS)."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import resource
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from assistant.errors import AssistantError
from assistant.pipeline import ContextError, model_label, template_version
from assistant.settings import PACKAGE_DIR, REPO_DIR, Settings

Progress = Callable[[int, int], None]
# the settings groups that shape a logged row: a change to any of them starts a new log
ROW_SETTINGS = ("retrieval", "evidence", "attribution", "generation")


# thresholds of the model's claim reading that one ``--entail`` run reports (it records
# P(yes) for every candidate, so each threshold's figures come from the same readings)
SWEEP = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)


def supported_at(score: float | None, threshold: float) -> bool:
    """Whether a claim the check scored (None: the rules rejected it) is supported at
    ``threshold`` of the model's reading."""
    return score is not None and score >= threshold


class BenchError(AssistantError, RuntimeError):
    """The benchmark data is missing or malformed."""


def settings_tag(settings: Settings) -> str:
    """A short digest of the settings that shape a bench row (part of its log's name)."""
    values = json.dumps(settings.values(*ROW_SETTINGS), sort_keys=True, default=str)
    return hashlib.sha256(values.encode()).hexdigest()[:10]


@functools.cache
def code_version() -> str:
    """A short digest of the program's own code and prompts: a log written by other code
    is not resumed (a rule changed with the same settings gives other rows)."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parents[1]
    prompts = [p for folder in {REPO_DIR / "prompts", PACKAGE_DIR / "prompts"}
               for p in folder.glob("*.j2")]
    for path in sorted([*package.rglob("*.py"), *prompts]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:8]


def log_path(settings: Settings, kind: str, split: str, model: str | None,
             templates: tuple[str, ...] = ("yesno_system", "answer_user")) -> Path:
    """Where a resumable bench log lives: one file per kind, split, model, prompt version,
    code version and row-shaping settings, so a changed setting or rule never resumes or
    mixes old rows (a run paused and resumed with the same code continues)."""
    version = template_version(*templates)
    name = (f"{kind}-{split}-{model_label(model or settings.model)}-{version}"
            f"-{code_version()}-{settings_tag(settings)}.jsonl")
    path = settings.data_dir / "bench" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def resume_log(log: Path) -> dict[str, dict]:
    """Rows already written to a JSONL log (a half-written last line is ignored)."""
    done: dict[str, dict] = {}
    if log.exists():
        for line in log.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            done[row["id"]] = row
    return done


def run_rows(ids: list[str], log: Path, make_row: Callable[[str], dict],
              progress: Progress | None) -> list[dict]:
    """One logged row per question, resuming from the log. A question whose prompt
    cannot fit the model's context is logged as skipped, not allowed to stop the run;
    skipped rows are left out of what is returned (and so of the scores)."""
    done = resume_log(log)
    with log.open("a", encoding="utf-8") as handle:
        for count, pmid in enumerate(ids, start=1):
            if pmid not in done:
                try:
                    row = {"id": pmid, **make_row(pmid)}
                except ContextError as exc:
                    row = {"id": pmid, "skipped": str(exc)}
                handle.write(json.dumps(row) + "\n")
                handle.flush()
                done[pmid] = row
            if progress:
                progress(count, len(ids))
    return [done[pmid] for pmid in ids if "skipped" not in done[pmid]]


def machine_info(settings: Settings, model: str | None = None) -> dict:
    commit = subprocess.run(["git", "-C", str(REPO_DIR), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    return {"machine": platform.machine(), "cpus": os.cpu_count(),
            "python": platform.python_version(), "threads": settings.threads,
            "model": model or settings.model, "embedder": settings.embedder,
            "commit": commit or "unknown",
            "date": time.strftime("%Y-%m-%d %H:%M:%S"),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def save(kind: str, results: dict, settings: Settings, model: str | None = None) -> Path:
    out = REPO_DIR / "bench-results" if (REPO_DIR / ".git").exists() else \
        settings.data_dir / "bench-results"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{kind}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps({"kind": kind, **machine_info(settings, model),
                                "results": results}, indent=2))
    return path


_RSS_WRAPPER = ("import resource,subprocess,sys;"
                "p=subprocess.run(sys.argv[1:],capture_output=True,text=True);"
                "sys.stdout.write(p.stdout);"
                "print();print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def process_env(settings: Settings, changes: dict | None = None) -> dict:
    """The environment of an `assistant` process a bench starts: this data directory and
    thread count, and ``changes`` as ``ASSISTANT_*`` settings (booleans as true/false)."""
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(settings.data_dir),
           "ASSISTANT_THREADS": str(settings.threads)}
    env.update({f"ASSISTANT_{key.upper()}": str(value).lower() if isinstance(value, bool)
                else str(value) for key, value in (changes or {}).items()})
    return env


def run_measured(command: list[str], env: dict) -> tuple[float, str, float]:
    """Run a command (as the only child of a small wrapper, so its peak RSS can be read):
    wall seconds, the command's stdout, and its peak RSS in MB."""
    import sys

    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _RSS_WRAPPER, *command], env=env,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    stdout, _, last = proc.stdout.rstrip().rpartition("\n")
    return seconds, stdout, int(last) / 1024 if last.strip().isdigit() else 0.0
