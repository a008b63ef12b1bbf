"""The house plan is checked, not just written down: ``lint-imports`` (import-linter) with
the contracts in pyproject.toml passes on the tree, and fails when a front end reaches
past the pipeline or a stage imports one above it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(root: Path) -> subprocess.CompletedProcess:
    """lint-imports over the package in ``root`` with the project's contracts."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([str(LINT), "--no-cache", str(REPO / "pyproject.toml")], cwd=root,
                          env=env, capture_output=True, text=True, timeout=120)


def _copy_with(tmp_path: Path, module: str, line: str) -> Path:
    """A copy of the package with ``line`` added to one module."""
    shutil.copytree(REPO / "assistant", tmp_path / "assistant",
                    ignore=shutil.ignore_patterns("__pycache__"))
    path = tmp_path / "assistant" / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    return tmp_path


def test_the_tree_keeps_its_contracts():
    result = _lint(REPO)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("module, line, broken", [
    ("cli/common.py", "from assistant.index.store import Store  # noqa", "facade"),
    ("tui/app.py", "import assistant.index.store  # noqa", "facade"),
    ("index/store.py", "from assistant.pipeline import Pipeline  # noqa", "layers"),
    ("llm/choice.py", "from assistant.serve.server import serve  # noqa", "layers"),
])
def test_a_forbidden_import_breaks_a_contract(tmp_path, module, line, broken):
    result = _lint(_copy_with(tmp_path, module, line))
    assert result.returncode != 0
    names = {"facade": "front ends use the pipeline, not the stages under it BROKEN",
             "layers": "→ errors BROKEN"}
    assert names[broken] in result.stdout, result.stdout[-3000:]


MAX_MODULE_LINES, MAX_FUNCTION_LINES = 400, 60


def test_modules_and_functions_stay_small():
    """A module past ~400 lines or a function past 60 mixes jobs: split it."""
    import ast

    too_long = []
    for path in sorted((REPO / "assistant").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(REPO)
        if text.count("\n") > MAX_MODULE_LINES:
            too_long.append(f"{name}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{name}:{node.lineno} {node.name}(): {length} lines")
    assert not too_long, "\n".join(too_long)
