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
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator
from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings, SettingsConfigDict, TomlConfigSettingsSource

from assistant.errors import AssistantError

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


GROUPS = ("paths", "models", "index", "retrieval", "evidence", "attribution", "generation",
          "summaries")


def _in(group: str, default: Any = PydanticUndefined, **options: Any) -> Any:
    """A setting of one group (see :meth:`Settings.group`)."""
    assert group in GROUPS, group
    return Field(default, json_schema_extra={"group": group}, **options)


class SettingsError(AssistantError, ValueError):
    """A config file, environment variable or flag holds a value the program cannot use."""


class Settings(BaseSettings):
    """Everything a run can tune. Paths are resolved at load time."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="forbid", frozen=True,
                                      env_ignore_empty=True, validate_default=True)

    # where things live
    data_dir: Path = _in("paths", default_factory=_default_data_dir,
                         description="the index, caches, saved chats and bench logs")
    models_dir: Path = _in("paths", default_factory=_default_models_dir,
                           description="where model files are installed")
    chroma_url: str = _in("paths", "", description="a Chroma server instead of the "
                                                   "embedded store")
    # models and where they run
    llm_url: str = _in("models", "", description="an OpenAI-compatible server (base URL, "
                                                 "…/v1) instead of loading the chat model "
                                                 "in-process")
    llm_api_key: str = _in("models", "", description="sent as a Bearer token to llm_url")
    llm_timeout: float = _in("models", 120.0, gt=0,
                             description="seconds to wait for the server")
    use_server: bool = _in("models", True, description="use a running `assistant serve` "
                                                       "for the same data directory "
                                                       "automatically")
    keep_warm: bool = _in("models", False,
                          description="with no server running, `ask` (and every command "
                                      "that answers) starts `assistant serve --detach` and "
                                      "uses it, so the next command finds the model loaded")
    keep_warm_idle: float = _in("models", 600.0, gt=0,
                                description="seconds without a request after which a server "
                                            "started by keep_warm stops by itself")
    model: str = _in("models", "qwen2.5-coder-1.5b-instruct-q4_k_m",
                     description="the chat model: catalog name or .gguf path")
    embedder: str = _in("models", "all-minilm-l6-v2-f16",
                        description="the embedding model: catalog name or .gguf path")
    n_ctx: int = _in("models", 4096, ge=512, le=131072,
                     description="the chat model's context window in tokens")
    n_batch: int = _in("models", 256, ge=16, le=8192,
                       description="prompt tokens evaluated per step; 256 halves the compute "
                                   "buffer at no measurable prefill cost on 2 cores")
    prefill_chunk: int = _in("models", 64, ge=8, le=8192,
                             description="prompt tokens read between progress reports and "
                                         "stop checks (64 reads as fast as 512 on 2 cores)")
    llm_mmap: bool = _in("models", False, description="map the chat model's file instead of "
                                                      "reading it (faster load, ~0.6 GB more "
                                                      "resident)")
    llm_preload: bool = _in("models", True, description="start loading the chat model in "
                                                        "the background at once: a one-shot "
                                                        "`ask` while it opens the index and "
                                                        "retrieves, the chat while the user "
                                                        "types")
    threads: int = _in("models", default_factory=_default_threads, ge=1, le=256,
                       description="CPU threads for the models")
    seed: int = _in("models", 42, description="the sampler's seed")
    embed_max_tokens: int = _in("models", 256, ge=16, le=512,
                                description="the embedder's window; longer texts are cut")
    # index
    chunk_tokens: int = _in("index", 256, ge=32, le=256,
                            description="embedder tokens per chunk of a long abstract")
    ingest_batch: int = _in("index", 64, ge=1, le=5000,
                            description="papers embedded and committed together by ingest")
    mcp_resource_limit: int = _in("index", 1000, ge=0,
                                  description="papers an MCP client's resource list shows "
                                              "(any paper still reads by its id)")
    # retrieval
    top_k: int = _in("retrieval", 4, ge=1, le=50, description="papers an answer reads")
    candidates: int = _in("retrieval", 40, ge=1, le=1000,
                          description="chunks each of dense and keyword search return "
                                      "before fusion")
    rrf_k: int = _in("retrieval", 60, ge=1, description="reciprocal rank fusion constant")
    min_relevance: float = _in("retrieval", 0.30, ge=0.0, le=1.0,
                               description="best cosine similarity below which a question "
                                           "is out of scope")
    relevance_margin: float = _in("retrieval", 0.18, ge=0.0, le=1.0,
                                  description="a paper this much less similar than the "
                                              "best is left out")
    relevance_floor: float = _in("retrieval", 0.7, ge=0.0, le=1.0,
                                 description="no paper below min_relevance × this is kept")
    in_list_limit: int = _in("retrieval", 1000, ge=1,
                             description="a filter keeping more papers than this filters "
                                         "widened results instead of an IN list")
    # evidence: what of each paper the model reads
    context_budget: int = _in("evidence", 250, ge=50,
                              description="prompt tokens of evidence for an answer")
    yes_no_budget: int = _in("evidence", 300, ge=50,
                             description="evidence tokens for a yes/no question")
    follow_up_budget: int = _in("evidence", 60, ge=0,
                                description="tokens a follow-up adds of a paper already "
                                            "read (its best new sentence always)")
    evidence_rank_decay: float = _in("evidence", 0.25, ge=0.0,
                                     description="paper i's share of the budget is "
                                                 "1 / (1 + decay × i)")
    evidence_min_share: int = _in("evidence", 40, ge=1,
                                  description="tokens every source gets at least")
    evidence_number_bonus: float = _in("evidence", 2.0, ge=0.0,
                                       description="score of a sentence with a number when "
                                                   "the question asks for figures")
    evidence_figure_step: float = _in("evidence", 0.5, ge=0.0,
                                      description="in the best paper, a sentence with a "
                                                  "figure in the units the question asks "
                                                  "for (fps, %, parameters …) gets this "
                                                  "share more for a second and a third "
                                                  "figure")
    evidence_number_bonus_plain: float = _in("evidence", 0.5, ge=0.0,
                                             description="the same for other questions")
    evidence_name_bonus: float = _in("evidence", 0.5, ge=0.0,
                                     description="score of a sentence naming the paper's "
                                                 "method")
    evidence_lead_bonus: float = _in("evidence", 0.75, ge=0.0,
                                     description="score of the first sentence (the problem)")
    # attribution: the claim check
    claim_threshold: float = _in("attribution", 0.40, ge=0.0, le=1.0,
                                 description="support score a claim needs from its paper")
    claim_dense_weight: float = _in("attribution", 0.5, ge=0.0, le=1.0,
                                    description="weight of meaning (cosine) in support")
    claim_lexical_weight: float = _in("attribution", 0.5, ge=0.0, le=1.0,
                                      description="weight of shared rare words in support")
    claim_contrast_margin: float = _in("attribution", 0.15, ge=0.0, le=1.0,
                                       description="a source matching a claim this much "
                                                   "less than another does not support it")
    claim_copy_similarity: float = _in("attribution", 0.90, ge=0.0, le=1.0,
                                       description="a claim this close to a sentence is held "
                                                   "to its not/only/because")
    claim_entailment: bool = _in("attribution", True,
                                 description="read each passing claim against its sentences "
                                             "with the chat model (see README)")
    claim_entail_threshold: float = _in("attribution", 0.70, ge=0.0, le=1.0,
                                        description="P(yes) the model's reading needs for a "
                                                    "paper to support a claim")
    claim_entail_max_reads: int = _in("attribution", 2, ge=1, le=8,
                                      description="papers read per claim at most")
    claim_aside_paper_margin: float = _in(
        "attribution", 0.05, ge=0.0, le=1.0,
        description="a claim's papers this much further from the question than the best "
                    "cited paper (and the claim far too) set it apart")
    claim_aside_claim_margin: float = _in(
        "attribution", 0.20, ge=0.0, le=2.0,
        description="a claim this much further from the question than the closest claim "
                    "(its papers far too) is shown under 'Other retrieved papers'")
    # generation
    max_tokens: int = _in("generation", 384, ge=16, description="an answer's longest reply")
    temperature: float = _in("generation", 0.1, ge=0.0, le=2.0,
                             description="sampling temperature of answers (summaries use 0)")
    top_p: float = _in("generation", 0.9, gt=0.0, le=1.0,
                       description="nucleus sampling: tokens within this probability mass")
    repeat_penalty: float = _in("generation", 1.1, ge=1.0, le=2.0,
                                description="penalty on tokens already written")
    history_turns: int = _in("generation", 2, ge=0, le=20,
                             description="earlier turns a follow-up sees")
    history_words: int = _in("generation", 60, ge=0,
                             description="each remembered answer is clipped")
    # summaries and digests
    summary_max_tokens: int = _in("summaries", 220, ge=16,
                                  description="longest structured summary")
    tldr_max_tokens: int = _in("summaries", 80, ge=8, description="longest TL;DR")
    results_max_tokens: int = _in("summaries", 512, ge=64,
                                  description="longest results extraction of one paper")
    digest_top_k: int = _in("summaries", 6, ge=1, le=50, description="papers a digest reads")
    digest_budget: int = _in("summaries", 700, ge=50,
                             description="evidence tokens for a digest")

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

    @classmethod
    def group(cls, name: str) -> dict[str, Any]:
        """The fields of one group (``retrieval``, ``evidence``, …) with their infos."""
        return {key: info for key, info in cls.model_fields.items()
                if (info.json_schema_extra or {}).get("group") == name}

    @classmethod
    @lru_cache(maxsize=1)
    def defaults(cls) -> Settings:
        """The built-in values, reading no file or environment: the tuning numbers of code
        that runs without a pipeline (the chat's highlighting)."""
        return cls.model_construct()

    def values(self, *groups: str) -> dict[str, Any]:
        """This run's values of some groups: what a cache or a bench log is keyed by."""
        return {key: getattr(self, key) for group in groups for key in self.group(group)}

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
