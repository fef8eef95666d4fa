"""`typehole bench docstrings`: regenerate docstrings of real projects and compare.

Sites: functions whose docstring is structured in the project's own style and pydoclint-clean
under relaxed options (names, order, returns, yields, raises; type hints in docstrings not
required, as these projects do not write them). Each docstring is stripped and regenerated from
the code; docstring_parser reads both, and the table compares parameter names (recall and
precision), types where both sides name one (normalised), raises, returns and yields, and the share
of regenerated docstrings pydoclint passes. Baseline: autoDocstring's lexical rules (regex over
the `def` line, `*args`/`**kwargs` dropped, raises by per-line regex, no deduplication).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

from typehole.bench.projects import real_project
from typehole.features.docstrings import all_targets, detect_project_style, render
from typehole.features.docstrings.drift import read_existing
from typehole.features.docstrings.edit import clean_docstring, docstring_literal

PROJECTS = {"attrs": "25.4.0", "click": "8.3.3", "httpx": "0.28.1", "rich": "14.3.4",
            "jinja2": "3.1.6"}
PYDOCLINT = ["--arg-type-hints-in-docstring", "False", "--check-return-types", "False",
             "--check-yield-types", "False", "--check-class-attributes", "False",
             "--allow-init-docstring", "True", "--skip-checking-short-docstrings", "True"]
_STYLE = {"google": "GOOGLE", "numpy": "NUMPYDOC", "sphinx": "REST"}
_VIOLATION = re.compile(r"^\s+(\d+): (DOC\d+)")
# Type-hint bookkeeping codes: whether a docstring should carry types is the project's choice,
# and typehole writes the annotations it finds. Everything else (names, order, returns,
# yields, raises) counts against a regenerated docstring.
TYPE_HINT_CODES = frozenset({"DOC105", "DOC107", "DOC108", "DOC109", "DOC110", "DOC111"})


def _files(root: Path) -> list[Path]:
    skip = ("test", "docs", "example", "bench", "scripts")
    return [p for p in sorted(root.rglob("*.py"))
            if not any(part.startswith(skip) for part in p.relative_to(root).parts)]


def _violations(files: list[Path], style: str,
                ignore: frozenset[str] = frozenset()) -> dict[Path, set[int]]:
    """1-based lines pydoclint reports per file."""
    found: dict[Path, set[int]] = defaultdict(set)
    # pydoclint has no `__main__`; its console script sits beside this interpreter.
    exe = str(Path(sys.executable).with_name("pydoclint"))
    proc = subprocess.run([exe, "--style", style, *PYDOCLINT, *map(str, files)],
                          capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    current = None
    for line in out.splitlines():
        if (m := _VIOLATION.match(line)) and current is not None and m.group(2) not in ignore:
            found[current].add(int(m.group(1)))
        elif line.strip().endswith(".py"):
            current = Path(line.strip())
    return found


def _norm(type_: str | None) -> str:
    return re.sub(r"\s+|\boptional\b|,$|^typing\.|t\.", "", type_ or "").strip(",")


def _parse(doc: str, style: str):
    import docstring_parser as dp

    return dp.parse(doc, getattr(dp.DocstringStyle, _STYLE[style]))


def _summary(parsed) -> tuple[list[str], dict[str, str], list[str], bool, bool]:
    params = [p.arg_name for p in parsed.params if p.args[0] not in ("attribute",)]
    types = {p.arg_name: p.type_name for p in parsed.params if p.type_name}
    raises = [r.type_name for r in parsed.raises if r.type_name]
    returns = any(not r.is_generator for r in parsed.many_returns)
    yields = any(r.is_generator for r in parsed.many_returns) or bool(
        getattr(parsed, "many_yields", None))
    return params, types, raises, returns, yields


def _lexical(text: str, target) -> tuple[list[str], list[str], bool, bool]:
    """autoDocstring's rules: the `def` line by regex, raises and returns by per-line regex."""
    start, end = target.span
    source = text[start:end]
    head = re.search(r"def\s+\w+\s*\((.*?)\)\s*(->[^:]*)?:", source, re.S)
    params = []
    for part in (head.group(1) if head else "").split(","):
        name = part.split(":")[0].split("=")[0].strip()
        if name and not name.startswith("*") and name not in ("self", "cls", "/"):
            params.append(name)
    raises = re.findall(r"^\s*raise\s+([\w.]+)", source, re.M)
    returns = bool(re.search(r"^\s*return\s+\S", source, re.M))
    yields = bool(re.search(r"\byield\b", source))
    return params, raises, returns, yields


def _score(rows: Counter, tag: str, want: list[str], got: list[str]) -> None:
    rows[f"{tag}_tp"] += len(set(want) & set(got))
    rows[f"{tag}_want"] += len(set(want))
    rows[f"{tag}_got"] += len(set(got))


def run_project(name: str, version: str) -> tuple[Counter, Counter, str]:
    """Counts for typehole and for the lexical baseline on one project."""
    root = real_project(name, version)
    style = detect_project_style(root)
    files = _files(root)
    ours: Counter[str] = Counter()
    base: Counter[str] = Counter()
    if style not in _STYLE:
        return ours, base, style
    bad = _violations(files, style)
    regenerated: dict[Path, list[int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for path in files:
            text = path.read_text(encoding="utf-8", errors="replace")
            edits, lines = [], []
            for n, target in enumerate(all_targets(text)):
                lit = target.docstring
                if target.facts.kind != "function" or lit is None:
                    continue
                existing = read_existing(lit, target.indent)
                if existing.style != style or (target.header_line + 1) in bad.get(path, ()):
                    continue
                try:
                    want = _summary(_parse(clean_docstring(lit.body), style))
                except Exception:  # docstring_parser's ParseError: not a usable site
                    continue
                doc = render(target.facts, style)
                got = _summary(_parse(doc, style))
                ours["sites"] += 1
                base["sites"] += 1
                _score(ours, "param", want[0], [p.lstrip("*") for p in got[0]]
                       if not any(w.startswith("*") for w in want[0]) else got[0])
                _score(ours, "raises", want[2], got[2])
                ours["returns_ok"] += want[3] == got[3]
                ours["yields_ok"] += want[4] == got[4]
                both = [k for k in want[1] if k in got[1]]
                ours["types_both"] += len(both)
                ours["types_ok"] += sum(_norm(want[1][k]) == _norm(got[1][k]) for k in both)
                lex = _lexical(text, target)
                _score(base, "param", want[0], lex[0])
                _score(base, "raises", want[2], lex[1])
                base["returns_ok"] += want[3] == lex[2]
                base["yields_ok"] += want[4] == lex[3]
                edits.append((lit.start, lit.end, docstring_literal(doc, target.indent)))
                lines.append(n)
            if edits:
                for start, end, new in sorted(edits, reverse=True):
                    text = text[:start] + new + text[end:]
                out = Path(tmp) / path.relative_to(root)
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_text(text, encoding="utf-8")
                targets = all_targets(text)
                regenerated[out] = [targets[n].header_line + 1 for n in lines]
        if regenerated:
            flagged = _violations(list(regenerated), style, TYPE_HINT_CODES)
            for out, heads in regenerated.items():
                ours["clean"] += sum(h not in flagged.get(out, ()) for h in heads)
    return ours, base, style


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:5.1f}%" if b else "   n/a"


def main(argv: list[str] | None = None) -> int:
    """Print the comparison table for the chosen projects."""
    parser = argparse.ArgumentParser(prog="typehole bench docstrings")
    parser.add_argument("--projects", default=",".join(PROJECTS))
    args = parser.parse_args(argv)
    print("command: typehole bench docstrings --projects " + args.projects)
    head = (f"{'project':14} {'style':7} {'sites':>5} {'system':9} {'p.rec':>6} {'p.prec':>6} "
            f"{'types':>6} {'r.rec':>6} {'ret':>6} {'yield':>6} {'clean':>6}")
    print(head)
    for name in args.projects.split(","):
        ours, base, style = run_project(name, PROJECTS[name])
        for label, c in (("typehole", ours), ("lexical", base)):
            n = c["sites"]
            print(f"{name + '-' + PROJECTS[name]:14} {style:7} {n:5} {label:9} "
                  f"{_pct(c['param_tp'], c['param_want']):>6} {_pct(c['param_tp'], c['param_got'])}"
                  f" {_pct(c['types_ok'], c['types_both']) if label == 'typehole' else '   n/a'}"
                  f" {_pct(c['raises_tp'], c['raises_want'])} {_pct(c['returns_ok'], n)}"
                  f" {_pct(c['yields_ok'], n)} "
                  f"{_pct(c['clean'], n) if label == 'typehole' else '   n/a'}")
    print("p.rec/p.prec: documented parameter names recovered / generated names that were "
          "documented; types: normalised agreement where both name a type; r.rec: documented "
          "raises generated; ret/yield: presence agrees; clean: regenerated docstrings pydoclint "
          f"passes ({' '.join(PYDOCLINT)}; type-hint codes {', '.join(sorted(TYPE_HINT_CODES))} "
          "not counted).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
