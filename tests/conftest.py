"""Shared fixtures, in two layers.

The slow layer uses the real models from models/ (installed by ./test.sh): real Chroma
stores in temporary folders and the bundled sample collection ingested once per session
with the real embedder. Every test that uses them is marked ``@pytest.mark.slow``
(checked at collection: a test that needs a real model and is not marked is an error).

The fast layer needs no model file: the same real stores and pipeline, with the
deterministic :class:`~fakes.HashEmbedder` and a :class:`~fakes.ScriptedLLM` given to the
pipeline's constructor, and settings whose models folder is empty, so nothing real can
load by accident. ``pytest -m "not slow"`` runs it in seconds.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from fakes import HashEmbedder, ScriptedLLM

from assistant.cli.app import run as cli_run
from assistant.llm.catalog import load_catalog
from assistant.pipeline import Pipeline
from assistant.settings import PACKAGE_DIR, Settings, load_settings

SAMPLE = PACKAGE_DIR / "data" / "papers-page.txt"
DATA = Path(__file__).parent / "data"
TEST_LLM = "gemma-3-270m-q4_k_m"


def free_port() -> int:
    """A TCP port nothing listens on now, on 127.0.0.1 (for servers the tests start)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the slow layer: real models ---------------------------------------------------------


def _require_model(settings: Settings, name: str) -> None:
    entry = load_catalog()[name]
    if not entry.path(settings.models_dir).exists():
        pytest.fail(f"model {name} missing; run ./test.sh (or: assistant models install {name})")


@pytest.fixture(scope="session")
def base_settings(tmp_path_factory) -> Settings:
    settings = load_settings(config_path=tmp_path_factory.mktemp("cfg") / "none.toml",
                             data_dir=tmp_path_factory.mktemp("unused"), model=TEST_LLM,
                             threads=2)
    _require_model(settings, settings.embedder)
    return settings


@pytest.fixture
def settings(base_settings, tmp_path) -> Settings:
    """Settings with a fresh, empty data directory."""
    return base_settings.replace(data_dir=tmp_path / "data")


@pytest.fixture
def pipeline(settings):
    p = Pipeline(settings)
    yield p
    p.close()


@pytest.fixture(scope="session")
def sample_index(base_settings, tmp_path_factory) -> Path:
    """A data directory with the 76 sample papers ingested (built once)."""
    data_dir = tmp_path_factory.mktemp("sample") / "data"
    p = Pipeline(base_settings.replace(data_dir=data_dir))
    report = p.ingest([SAMPLE])
    assert len(report.added) == 76 and not report.errors
    p.close()
    return data_dir


@pytest.fixture(scope="session")
def sample_pipeline(base_settings, sample_index):
    """A read-only pipeline over the sample index, shared by the whole session."""
    _require_model(base_settings, TEST_LLM)
    p = Pipeline(base_settings.replace(data_dir=sample_index))
    yield p
    p.close()


@pytest.fixture
def sample_copy(base_settings, sample_index, tmp_path):
    """A private, writable copy of the sample index."""
    data_dir = tmp_path / "data"
    shutil.copytree(sample_index, data_dir)
    p = Pipeline(base_settings.replace(data_dir=data_dir))
    yield p
    p.close()


# --- the fast layer: no model file -------------------------------------------------------

# HashEmbedder's cosine similarities are lower than MiniLM's (two related sentences score
# about 0.2, unrelated ones under 0.1), so the real tuning would call most questions out of
# scope. These values put its relevance cut where the real one sits for MiniLM: the
# questions about the sample papers the fast tests ask are answered, an unrelated one ("What
# is the capital of France?", best 0.09) is still out of scope. What retrieval, the
# evidence selection and the claim check decide is still the code's decision; the real
# embedder's tuning is tested in the slow layer (test_retrieval, test_attribution).
HASHED_TUNING = {"min_relevance": 0.15}


@pytest.fixture(scope="session")
def fast_base_settings(tmp_path_factory) -> Settings:
    """Settings for the fast layer: an empty models folder (nothing real can load), and
    as the chat model a stand-in file named like the test model, so the front ends'
    model checks pass and their status lines read as with the real one; the scripted
    model given to the pipeline is what answers (the stand-in holds no model: loading it
    would fail)."""
    root = tmp_path_factory.mktemp("fast")
    (root / "no-models").mkdir()
    stand_in = root / "stand-in" / f"{TEST_LLM}.gguf"
    stand_in.parent.mkdir()
    stand_in.write_bytes(b"not a model: the fast tests give the pipeline a scripted one")
    return load_settings(config_path=root / "none.toml", data_dir=root / "unused",
                         models_dir=root / "no-models", model=str(stand_in), threads=2,
                         **HASHED_TUNING)


@pytest.fixture
def fast_settings(fast_base_settings, tmp_path) -> Settings:
    """Fast-layer settings with a fresh, empty data directory."""
    return fast_base_settings.replace(data_dir=tmp_path / "data")


@pytest.fixture
def fast_pipeline(fast_settings):
    """An empty index with the hash embedder and a scripted model."""
    p = Pipeline(fast_settings, chat=ScriptedLLM("A scripted answer."), embedder=HashEmbedder())
    yield p
    p.close()


@pytest.fixture(scope="session")
def hashed_sample_index(fast_base_settings, tmp_path_factory) -> Path:
    """A data directory with the 76 sample papers ingested with the hash embedder (built
    once; a few seconds without a model)."""
    data_dir = tmp_path_factory.mktemp("hashed-sample") / "data"
    p = Pipeline(fast_base_settings.replace(data_dir=data_dir), embedder=HashEmbedder())
    report = p.ingest([SAMPLE])
    assert len(report.added) == 76 and not report.errors
    p.close()
    return data_dir


@pytest.fixture
def hashed_copy(fast_base_settings, hashed_sample_index, tmp_path
                ) -> Callable[..., Pipeline]:
    """A factory: ``hashed_copy(ScriptedLLM(...), **settings)`` is a pipeline over this
    test's private, writable copy of the hashed sample index (copied on the first call;
    later calls open the same copy, e.g. with another model or other settings)."""
    data_dir = tmp_path / "data"
    made: list[Pipeline] = []

    def make(chat: ScriptedLLM | None = None, **changes) -> Pipeline:
        if not data_dir.exists():
            shutil.copytree(hashed_sample_index, data_dir)
        settings = fast_base_settings.replace(data_dir=data_dir, **changes)
        p = Pipeline(settings, chat=chat or ScriptedLLM("A scripted answer."),
                     embedder=HashEmbedder())
        made.append(p)
        return p

    yield make
    for p in made:
        p.close()


@pytest.fixture
def fake_models(monkeypatch, fast_base_settings):
    """For code that builds its own pipelines (the in-process CLI, ``assistant.cli.app.run``):
    the ``ASSISTANT_*`` environment of the fast settings, and every Pipeline made in this
    test given the hash embedder and, once set with ``fake_models(llm)``, that scripted
    model (without one, the chat model is the settings' own: a server at ``llm_url``, or
    the stand-in, which cannot load)."""
    for key in ("models_dir", "model", "threads", *HASHED_TUNING):
        monkeypatch.setenv(f"ASSISTANT_{key.upper()}", str(getattr(fast_base_settings, key)))
    chosen: dict[str, ScriptedLLM | None] = {"chat": None}
    real_init = Pipeline.__init__

    def init(self, settings, *, chat=None, embedder=None):
        real_init(self, settings, chat=chat or chosen["chat"],
                  embedder=embedder or HashEmbedder())

    monkeypatch.setattr(Pipeline, "__init__", init)

    def use(chat: ScriptedLLM | None) -> None:
        chosen["chat"] = chat

    return use


@pytest.fixture
def fast_dir(hashed_sample_index, tmp_path, fake_models, monkeypatch) -> Path:
    """A copy of the sample indexed with the hash embedder, for commands run in this
    process (the fakes stand in for the models: ``fake_models``)."""
    target = tmp_path / "data"
    shutil.copytree(hashed_sample_index, target)
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(target))
    monkeypatch.setenv("ASSISTANT_CONFIG", str(tmp_path / "no-config.toml"))
    return target


def command(capsys, *args: str) -> tuple[int, str, str]:
    """Run ``assistant ARGS`` in this process: exit status, stdout, stderr."""
    capsys.readouterr()
    code = cli_run(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- which layer -------------------------------------------------------------------------

# every fixture that needs a real model file depends on base_settings
MODEL_FIXTURES = {"base_settings"}


def pytest_collection_modifyitems(items):
    """A test is ``slow`` because it is marked so (``@pytest.mark.slow``): it loads a real
    model, starts processes that do, or takes more than a couple of seconds; ``pytest -m
    "not slow"`` runs the fast layer in under a minute with no model file. A test that
    uses a real-model fixture without the mark is a collection error, so the fast layer
    can never come to need one."""
    unmarked = [item.nodeid for item in items
                if MODEL_FIXTURES & set(getattr(item, "fixturenames", ()))
                and item.get_closest_marker("slow") is None]
    if unmarked:
        raise pytest.UsageError("tests that need a real model must be marked "
                                "@pytest.mark.slow: " + ", ".join(unmarked))
