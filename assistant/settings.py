"""One settings object for the whole program (pydantic-settings).

Precedence, lowest to highest: built-in defaults < config file (TOML) < environment
variables (``ASSISTANT_<FIELD>``) < command-line flags. Every tunable lives here so that
the CLI, the TUI and the batch jobs agree on what "the data directory" or "top-k" means.
Values are validated when loaded: an unknown key in the config file, a negative top-k or
a model path that does not exist is a one-line :class:`SettingsError` naming the key.
"""

from __future__ import annotations

import os
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, TomlConfigSettingsSource

from .errors import AssistantError

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
_CONFIG_FILE: ContextVar[Path | None] = ContextVar("config_file", default=None)


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "paper-assistant"


def _default_models_dir() -> Path:
    """The repo's ``models/`` in a source checkout, else a folder in the user's data home."""
    if (REPO_DIR / "models" / "catalog.json").exists():
        return REPO_DIR / "models"
    return _default_data_dir().parent / "paper-assistant-models"


def _default_threads() -> int:
    return max(1, min(os.cpu_count() or 2, 8))


def default_config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "paper-assistant" / "config.toml"


class SettingsError(AssistantError, ValueError):
    """A config file, environment variable or flag holds a value the program cannot use."""


class Settings(BaseSettings):
    """Everything a run can tune. Paths are resolved at load time."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="forbid", frozen=True,
                                      env_ignore_empty=True, validate_default=True)

    # where things live
    data_dir: Path = Field(default_factory=_default_data_dir)
    models_dir: Path = Field(default_factory=_default_models_dir)
    chroma_url: str = Field("", description="a Chroma server instead of the embedded store")
    llm_url: str = Field("", description="an OpenAI-compatible server (base URL, …/v1) "
                                         "instead of loading the chat model in-process")
    llm_api_key: str = Field("", description="sent as a Bearer token to llm_url")
    llm_timeout: float = Field(120.0, gt=0, description="seconds to wait for the server")
    use_server: bool = Field(True, description="use a running `assistant serve` for the "
                                                "same data directory automatically")
    # models
    model: str = "qwen2.5-coder-1.5b-instruct-q4_k_m"
    embedder: str = "all-minilm-l6-v2-f16"
    n_ctx: int = Field(4096, ge=512, le=131072)
    llm_mmap: bool = Field(False, description="map the chat model's file instead of reading "
                                              "it (faster load, ~0.6 GB more resident)")
    threads: int = Field(default_factory=_default_threads, ge=1, le=256)
    seed: int = 42
    # retrieval
    top_k: int = Field(4, ge=1, le=50)
    candidates: int = Field(40, ge=1, le=1000)
    rrf_k: int = Field(60, ge=1, description="reciprocal rank fusion constant")
    min_relevance: float = Field(0.30, ge=0.0, le=1.0)
    relevance_margin: float = Field(0.18, ge=0.0, le=1.0)
    chunk_tokens: int = Field(256, ge=32, le=256)
    ingest_batch: int = Field(64, ge=1, le=5000, description="papers embedded and committed "
                                                              "together by ingest")
    # answering
    context_budget: int = Field(500, ge=50)
    yes_no_budget: int = Field(300, ge=50)
    claim_threshold: float = Field(0.40, ge=0.0, le=1.0)
    max_tokens: int = Field(384, ge=16)
    temperature: float = Field(0.1, ge=0.0, le=2.0)
    top_p: float = Field(0.9, gt=0.0, le=1.0)
    repeat_penalty: float = Field(1.1, ge=1.0, le=2.0)
    history_turns: int = Field(2, ge=0, le=20, description="earlier turns a follow-up sees")
    history_words: int = Field(60, ge=0, description="each remembered answer is clipped")
    # summaries and digests
    summary_max_tokens: int = Field(220, ge=16)
    tldr_max_tokens: int = Field(80, ge=8)
    digest_top_k: int = Field(6, ge=1, le=50)
    digest_budget: int = Field(700, ge=50)

    @field_validator("data_dir", "models_dir")
    @classmethod
    def _resolve(cls, value: Path) -> Path:
        return Path(value).expanduser().resolve()

    @field_validator("chroma_url", "llm_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// URL of a server")
        return value.rstrip("/")

    @field_validator("model", "embedder")
    @classmethod
    def _model_file_exists(cls, value: str) -> str:
        """A catalog name is checked when the model is loaded (with the install command);
        a path to a file must exist now."""
        if value.endswith(".gguf") and not Path(value).expanduser().exists():
            raise ValueError(f"the file {value} does not exist")
        return value

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    def replace(self, **changes: Any) -> Settings:
        """A copy with some values changed (validated: no environment or file is read)."""
        try:
            return type(self).model_validate({**self.model_dump(), **changes})
        except ValidationError as exc:
            raise SettingsError(_describe(exc)) from exc

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings,
                                   dotenv_settings, file_secret_settings):
        sources = [init_settings, env_settings]
        config = _CONFIG_FILE.get()
        if config is not None and config.exists():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config))
        return tuple(sources)


def _describe(exc: ValidationError, config: Path | None = None) -> str:
    """The first problem as one line naming the key (and the config file if it is one)."""
    problem = exc.errors()[0]
    key = ".".join(str(part) for part in problem["loc"]) or "?"
    if problem["type"] == "extra_forbidden":
        where = f" in {config}" if config else ""
        known = ", ".join(Settings.model_fields)
        return f"unknown setting '{key}'{where} (known: {known})"
    message = problem["msg"].removeprefix("Value error, ")
    return f"bad setting {key}={problem.get('input')!r}: {message}"


def load_settings(config_path: Path | None = None, **flags: Any) -> Settings:
    """Merge defaults, config file, ``ASSISTANT_*`` environment variables and flags."""
    path = Path(config_path or os.environ.get("ASSISTANT_CONFIG") or default_config_path())
    if path.exists():
        try:
            tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"config file {path} is not valid TOML: {exc}") from exc
    token = _CONFIG_FILE.set(path)
    try:
        return Settings(**{k: v for k, v in flags.items() if v is not None})
    except ValidationError as exc:
        raise SettingsError(_describe(exc, path)) from exc
    finally:
        _CONFIG_FILE.reset(token)
