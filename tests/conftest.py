"""Shared fixtures: real models from models/ (installed by ./test.sh), real Chroma stores in
temporary folders, and the bundled sample collection ingested once per session."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

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


MODEL_FIXTURES = {"base_settings"}  # every fixture that loads a real model depends on it


def pytest_collection_modifyitems(items):
    """Tests that need a real GGUF model (the embedder or a chat model) are ``slow``:
    ``pytest -m "not slow"`` runs the fast layer (parsers, fakes, logic) in seconds; CI
    runs both layers."""
    for item in items:
        if MODEL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
