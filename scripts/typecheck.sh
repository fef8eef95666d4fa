#!/usr/bin/env bash
# Type-checks the package `typehole` with mypy (configuration in pyproject.toml, `[tool.mypy]`).
# The repository root is the package itself, so mypy finds it through a link named `typehole`
# inside the ignored `.cache/` folder; its cache lives there too. Extra arguments go to mypy.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .cache/mypy/path
ln -sfn ../../.. .cache/mypy/path/typehole
exec "${PYTHON:-.venv/bin/python}" -m mypy "$@"
