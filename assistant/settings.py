"""One settings object for the whole program.

Precedence, lowest to highest: built-in defaults < config file (TOML) < environment
variables (``ASSISTANT_<FIELD>``) < command-line flags. Every tunable lives here so that
the CLI, the TUI and the batch jobs agree on what "the data directory" or "top-k" means.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .errors import AssistantError

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "paper-assistant"


def _default_models_dir() -> Path:
    """The repo's ``models/`` in a source checkout, else a folder in the user's data home."""
    if (REPO_DIR / "models" / "catalog.json").exists():
        return REPO_DIR / "models"
    return _default_data_dir().parent / "paper-assistant-models"


def default_config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "paper-assistant" / "config.toml"


@dataclass(frozen=True)
class Settings:
    """Everything a run can tune. Paths are resolved at load time."""

    data_dir: Path = field(default_factory=_default_data_dir)
    models_dir: Path = field(default_factory=_default_models_dir)
    model: str = "qwen2.5-coder-1.5b-instruct-q4_k_m"
    embedder: str = "all-minilm-l6-v2-f16"
    top_k: int = 4
    candidates: int = 40
    context_budget: int = 500
    yes_no_budget: int = 300
    claim_threshold: float = 0.40
    n_ctx: int = 4096
    threads: int = max(1, min(os.cpu_count() or 2, 8))
    max_tokens: int = 384
    summary_max_tokens: int = 220
    tldr_max_tokens: int = 80
    temperature: float = 0.1
    min_relevance: float = 0.30
    relevance_margin: float = 0.18
    chunk_tokens: int = 256
    seed: int = 42

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"


_FIELD_TYPES = {f.name: f.type for f in fields(Settings)}


def _coerce(name: str, value: Any) -> Any:
    kind = _FIELD_TYPES[name]
    if kind == "Path":
        return Path(str(value)).expanduser().resolve()
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    return str(value)


class SettingsError(AssistantError, ValueError):
    """A config file or environment variable holds a value the program cannot use."""


def load_settings(config_path: Path | None = None, **flags: Any) -> Settings:
    """Merge defaults, config file, ``ASSISTANT_*`` environment variables and flags."""
    values: dict[str, Any] = {}
    path = config_path or Path(os.environ.get("ASSISTANT_CONFIG", default_config_path()))
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"config file {path} is not valid TOML: {exc}") from exc
        values.update({k: v for k, v in data.items() if k in _FIELD_TYPES})
    for name in _FIELD_TYPES:
        env = os.environ.get(f"ASSISTANT_{name.upper()}")
        if env not in (None, ""):
            values[name] = env
    values.update({k: v for k, v in flags.items() if v is not None})
    coerced = {}
    for name, value in values.items():
        try:
            coerced[name] = _coerce(name, value)
        except (TypeError, ValueError) as exc:
            raise SettingsError(f"bad setting {name}={value!r}: expected "
                                f"{_FIELD_TYPES[name]}") from exc
    settings = replace(Settings(), **coerced)
    return replace(settings, data_dir=Path(settings.data_dir).expanduser().resolve(),
                   models_dir=Path(settings.models_dir).expanduser().resolve())
