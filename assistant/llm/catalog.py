"""The model catalog (``models/catalog.json``): which GGUF files the program knows, where
they come from, their sizes, checksums and verdict calibrations, and how a model name or
path becomes a file on this machine (installing: :mod:`.install`)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import AssistantError
from assistant.fileio import write_atomic
from assistant.settings import PACKAGE_DIR, REPO_DIR

Progress = Callable[[str], None]


class ModelError(AssistantError, RuntimeError):
    """A model is missing, corrupt or cannot be installed; the message says how to fix it."""


@dataclass
class ModelEntry:
    name: str
    role: str
    file: str
    size: int | None
    sha256: str | None
    description: str
    sources: list[dict] = field(default_factory=list)
    verdict: dict | None = None  # yes/no calibration (see assistant.answer.verdict)

    def path(self, models_dir: Path) -> Path:
        return models_dir / self.file


def catalog_path() -> Path:
    for candidate in (REPO_DIR / "models" / "catalog.json", PACKAGE_DIR / "catalog.json"):
        if candidate.exists():
            return candidate
    raise ModelError("model catalog not found (models/catalog.json)")


def load_catalog() -> dict[str, ModelEntry]:
    data = json.loads(catalog_path().read_text(encoding="utf-8"))
    return {m["name"]: ModelEntry(**m) for m in data["models"]}


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_label(spec: str) -> str:
    """A short name for a model given as a catalog name or a .gguf path."""
    return Path(spec).stem if spec.endswith(".gguf") else spec


def verdict_calibration(spec: str) -> dict | None:
    """The yes/no verdict calibration stored with a catalog model (None: uncalibrated)."""
    entry = load_catalog().get(model_label(spec))
    return entry.verdict if entry else None


def store_verdict_calibration(spec: str, calibration: dict) -> Path:
    """Write a model's verdict calibration into the catalog (a maintainer's step)."""
    path = catalog_path()
    data = json.loads(path.read_text(encoding="utf-8"))
    for entry in data["models"]:
        if entry["name"] == model_label(spec):
            entry["verdict"] = calibration
            break
    else:
        raise ModelError(f"{spec} is not a catalog model; calibration is kept per catalog model")
    write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return path


def install_command(name: str) -> str:
    return f"assistant models install {name}"


def resolve_model(spec: str, models_dir: Path, role: str | None = None) -> Path:
    """Turn a catalog name or a file path into an existing GGUF path, or explain the fix."""
    catalog = load_catalog()
    entry = catalog.get(spec)
    if entry is None:
        path = Path(spec).expanduser()
        if path.suffix == ".gguf" or path.exists():
            if not path.is_file():
                raise ModelError(f"model file {path} does not exist")
            return path.resolve()
        names = ", ".join(n for n, e in catalog.items() if role is None or e.role == role)
        raise ModelError(f"unknown model '{spec}' (known: {names}; or give a .gguf path)")
    path = entry.path(models_dir)
    if not path.exists():
        raise ModelError(f"model '{spec}' is not installed; run: {install_command(spec)}")
    if entry.size and path.stat().st_size != entry.size:
        raise ModelError(
            f"model '{spec}' at {path} is corrupt (wrong size); "
            f"run: {install_command(spec)} --force"
        )
    return path


def repair_hint(path: Path) -> str:
    """The command that fixes a bad model file: reinstall if it is a catalog model."""
    for entry in load_catalog().values():
        if Path(path).name == entry.file:
            return f"run: {install_command(entry.name)} --force"
    return "check that the file is a complete GGUF model"


def is_installed(entry: ModelEntry, models_dir: Path) -> bool:
    path = entry.path(models_dir)
    if not path.exists():
        return False
    return not entry.size or path.stat().st_size == entry.size
