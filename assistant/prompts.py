"""Prompt templates (Jinja2 files in ``prompts/``), shipped inside the wheel as
``assistant/prompts`` and read from the repo's ``prompts/`` in a source checkout."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from .settings import PACKAGE_DIR, REPO_DIR


def prompts_dir() -> Path:
    for candidate in (REPO_DIR / "prompts", PACKAGE_DIR / "prompts"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("prompt templates not found (prompts/)")


@lru_cache(maxsize=1)
def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    return Environment(loader=FileSystemLoader(str(prompts_dir())), undefined=StrictUndefined,
                       keep_trailing_newline=False, trim_blocks=True, lstrip_blocks=True)


def render(name: str, **values: object) -> str:
    """Render ``prompts/<name>.j2``; surrounding whitespace is stripped."""
    return _environment().get_template(f"{name}.j2").render(**values).strip()


def template_version(*names: str) -> str:
    """A hash of the templates' text: caches keyed on it go stale when a prompt changes."""
    digest = hashlib.sha256()
    for name in names:
        digest.update((prompts_dir() / f"{name}.j2").read_bytes())
    return digest.hexdigest()[:12]
