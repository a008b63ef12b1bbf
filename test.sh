#!/usr/bin/env bash
# Runs the test suite from a fresh clone: sets up .venv and the models the tests use
# (the embedder and the small Gemma 3 270M chat model), checks the import layers
# (import-linter, contracts in pyproject.toml), then runs pytest.
set -euo pipefail
cd "$(dirname "$0")"
./setup.sh --no-demo --models "all-minilm-l6-v2-f16 gemma-3-270m-q4_k_m"
.venv/bin/lint-imports --no-cache
exec .venv/bin/python -m pytest -q "$@"
