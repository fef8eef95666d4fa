"""A real type checker on the patched file, when the user has one: mypy or pyright.

Never required: `find_checker` looks on PATH and beside the running interpreter. mypy reads the
patched text through `--shadow-file`, so the user's file is untouched and its imports resolve as
usual; pyright has no such flag, so it checks a hidden copy beside the file, removed afterwards.
A checker that is missing, crashes or times out is skipped with a note, never an exception.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .patch import Patched
from .records import Finding

__all__ = ["find_checker", "type_findings"]

_MYPY_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+):(?:(?P<eline>\d+):"
                        r"(?P<ecol>\d+):)? error: (?P<msg>.*?)(?:\s+\[(?P<code>[\w-]+)\])?$")
# Import problems say more about the environment than about the candidate.
_IGNORED = {"import-not-found", "import-untyped", "import", "reportMissingImports",
            "reportMissingModuleSource"}


def find_checker(name: str = "auto") -> tuple[str, str] | None:
    """(checker, executable) for `name` ("auto", "mypy", "pyright"); None when not installed."""
    if name == "none":
        return None
    wanted = ("mypy", "pyright") if name == "auto" else (name,)
    beside = str(Path(sys.executable).parent)
    for checker in wanted:
        found = shutil.which(checker) or shutil.which(checker, path=beside)
        if found:
            return checker, found
    return None


def _run(argv: list[str], cwd: Path, timeout_s: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout_s,
                          env={**os.environ, "NO_COLOR": "1"}, check=False)


def _mypy(p: Patched, exe: str, path: Path, cwd: Path, timeout_s: float) -> list[Finding]:
    cache = Path(tempfile.gettempdir()) / "typehole-mypy-cache"
    with tempfile.TemporaryDirectory() as tmp:
        shadow = Path(tmp) / path.name
        shadow.write_text(p.text, encoding="utf-8")
        target = path if path.exists() else shadow
        argv = [exe, "--shadow-file", str(target), str(shadow), str(target),
                "--show-column-numbers", "--show-error-end", "--no-error-summary",
                "--no-pretty", "--hide-error-context", "--follow-imports=silent",
                "--cache-dir", str(cache)]
        done = _run(argv, cwd, timeout_s)
    if done.returncode not in (0, 1):
        raise RuntimeError((done.stderr or done.stdout).strip().splitlines()[-1:] or "crashed")
    found = []
    for line in done.stdout.splitlines():
        m = _MYPY_LINE.match(line)
        if m is None or (m.group("code") or "") in _IGNORED:
            continue
        start = p.offset(int(m.group("line")) - 1, int(m.group("col")) - 1)
        end = None
        if m.group("eline"):
            end = p.offset(int(m.group("eline")) - 1, int(m.group("ecol")))
        f = p.finding("mypy", m.group("code") or "error", m.group("msg"), start, end)
        if f is not None:
            found.append(f)
    return found


def _pyright(p: Patched, exe: str, path: Path, cwd: Path, timeout_s: float) -> list[Finding]:
    folder = path.parent if path.parent.is_dir() else Path(tempfile.gettempdir())
    fd, name = tempfile.mkstemp(prefix=".typehole-fill-", suffix=".py", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(p.text)
        done = _run([exe, "--outputjson", name], cwd, timeout_s)
    finally:
        os.unlink(name)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        raise RuntimeError((done.stderr or "no JSON output").strip()[:200]) from exc
    found = []
    for d in report.get("generalDiagnostics", []):
        if d.get("severity") != "error" or d.get("rule", "") in _IGNORED:
            continue
        r = d["range"]
        # pyright's characters are UTF-16 units; candidates rarely hold astral characters, and a
        # finding off by one there still names the right line.
        start = p.offset(r["start"]["line"], r["start"]["character"])
        end = p.offset(r["end"]["line"], r["end"]["character"])
        f = p.finding("pyright", d.get("rule") or "error", d["message"].split("\n")[0], start, end)
        if f is not None:
            found.append(f)
    return found


def type_findings(p: Patched, path: str | None, root: str | None, checker: str = "auto",
                  timeout_s: float = 60.0) -> tuple[list[Finding], str | None]:
    """(findings, note): the type checker's errors inside the candidate; the note says what was
    skipped and why (not installed, crashed, timed out)."""
    found = find_checker(checker)
    if found is None:
        note = None if checker in ("auto", "none") else f"type checker {checker} is not installed"
        return [], note
    name, exe = found
    file = Path(path) if path else Path(tempfile.gettempdir()) / "typehole_fill.py"
    cwd = Path(root) if root else file.parent if file.parent.is_dir() else Path.cwd()
    try:
        run = _mypy if name == "mypy" else _pyright
        return run(p, exe, file, cwd, timeout_s), None
    except subprocess.TimeoutExpired:
        return [], f"{name} skipped: no answer within {timeout_s:g} s"
    except (OSError, RuntimeError, KeyError, TypeError) as exc:
        return [], f"{name} skipped: it failed ({exc})"
