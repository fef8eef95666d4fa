"""Which document of ty's child a question's text goes to, so the editor's document stays as is.

ty analyses each new text of a file anew (10-100 ms on rich and attrs on 2 busy cores, whatever
the edit), and what it inferred for the editor's text is lost once another text of that file
replaces it. So a question's text other than the editor's (the line cut at the dot, a text the
model wrote) goes to a hidden sibling of the file (`sibling_path`, never written to disk), and
the editor's document keeps the text it has, analysed once.

ty resolves the module of a file from the disk: a document whose file does not exist has no
package, so the sibling's relative imports are made absolute (`absolute_imports`; the cursor's line
is left as it is, so the question's position stays where it was).

A receiver written in the editor's text is answered from that text without a new one: its type
(hover, then typeDefinition for where its class is; the enclosing class for `self`) and that
type's members from a small probe document that imports it (`probe_text`), which ty analyses
in a few milliseconds where the file's new text took tens.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

__all__ = ["PROBE_NAME", "absolute_imports", "class_at", "enclosing_class", "module_of",
           "package_of", "probe_text", "sibling_path", "submodules"]

# The probe document, in the workspace's root (its imports are absolute).
PROBE_NAME = ".typehole-probe.py"
PROBE_NAME_PREFIX = "_typehole_"
# `from .x import y`, `from .. import z` at a line's start (also indented, under `if`).
_RELATIVE = re.compile(r"^([ \t]*from[ \t]+)(\.+)([\w.]*)(?=[ \t]+import\b)", re.M)
_CLASS = re.compile(r"[ \t]*class[ \t]+([A-Za-z_]\w*)")
_DEF = re.compile(r"[ \t]*(?:async[ \t]+)?def[ \t]")


def sibling_path(path: Path) -> Path:
    """The hidden sibling of `path` that questions about texts other than the editor's go to."""
    return path.with_name(f".typehole-{path.name}")


@functools.lru_cache(maxsize=2048)
def module_of(path: Path) -> tuple[str, ...] | None:
    """The dotted module name of the Python file `path` (a stub too), from its package folders
    (those with an `__init__.py` or `.pyi`) up; None when a part is not an identifier."""
    stem = path.name.rsplit(".", 1)[0]
    parts = [] if stem == "__init__" else [stem]
    folder = path.parent
    while any((folder / name).is_file() for name in ("__init__.py", "__init__.pyi")):
        parts.append(folder.name)
        if folder.parent == folder:
            break
        folder = folder.parent
    parts.reverse()
    return tuple(parts) if parts and all(p.isidentifier() for p in parts) else None


def package_of(path: Path) -> tuple[str, ...] | None:
    """The package the relative imports of the file `path` are relative to (None: not in one)."""
    module = module_of(path)
    if module is None:
        return None
    return module if path.name.startswith("__init__.") else module[:-1] or None


def absolute_imports(text: str, package: tuple[str, ...] | None) -> str:
    """`text` with its relative imports made absolute in `package` (`from ._models import x`
    -> `from httpx._models import x`); each line keeps its place (none is added or removed)."""
    if not package:
        return text

    def absolute(m: re.Match[str]) -> str:
        up = len(m.group(2)) - 1
        if up >= len(package):
            return m.group(0)
        base = package[:len(package) - up]
        return m.group(1) + ".".join(base + ((m.group(3),) if m.group(3) else ()))

    return _RELATIVE.sub(absolute, text)


def enclosing_class(text: str, offset: int) -> str | None:
    """The name of the module-level class whose method `offset` is in (the class of `self`);
    None when there is none or it is nested (a probe cannot import it)."""
    line_start = text.rfind("\n", 0, offset) + 1
    indent = _indent(text[line_start:offset])
    seen_def = False
    end = line_start - 1
    while end > 0:
        start = text.rfind("\n", 0, end) + 1
        line = text[start:end]
        end = start - 1
        stripped = line.lstrip(" \t")
        if not stripped or stripped[0] in "#)]}\"'" or _indent(line) >= indent:
            continue
        indent = _indent(line)
        if _DEF.match(line):
            seen_def = True
            continue
        m = _CLASS.match(line)
        if m is not None:
            return m.group(1) if seen_def and indent == 0 else None
        if indent == 0:
            return None
    return None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def class_at(line: str, character: int) -> str | None:
    """The class named at `character` of `line` when the line defines it at module level (a
    type definition's target); None otherwise."""
    m = _CLASS.match(line)
    if m is None or m.start(1) != character or line[:1] in " \t":
        return None
    return m.group(1)


def submodules(text: str, module: str) -> tuple[str, ...]:
    """The submodules of `module` that `text` imports (`import rich.console`, `from
    rich.markup import x`): attributes of the module there, as far as ty is concerned."""
    found = re.findall(rf"(?m)^[ \t]*(?:import|from)[ \t]+({re.escape(module)}\.[\w.]+)", text)
    return tuple(dict.fromkeys(found))


def probe_text(module: tuple[str, ...], name: str | None, instance: bool,
               imported: tuple[str, ...] = ()) -> tuple[str, str]:
    """The start of a small document and an expression that, written after it, has the type
    asked about: the module itself (`name` None; its submodules `imported` imported too, as
    the file asked about does), the class `name` of `module`, or (with `instance`) an
    instance of it. The question follows the expression (`.`, `.name(`)."""
    dotted = ".".join(module)
    alias = f"{PROBE_NAME_PREFIX}t"
    if name is None:
        return "".join(f"import {m}\n" for m in (dotted, *imported)), dotted
    header = f"from {dotted} import {name} as {alias}\n"
    if not instance:
        return header, alias
    receiver = f"{PROBE_NAME_PREFIX}r"
    return (header + f"\n\ndef {PROBE_NAME_PREFIX}f({receiver}: {alias}) -> None:\n    ",
            receiver)
