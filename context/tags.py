"""Definitions and imports of one file, read with tree-sitter tag queries (`queries/*-tags.scm`).

Python is first-class; JavaScript/TypeScript, Java, Go and Rust get syntax-level tags through
the `syntax` shim (their grammar wheels, loaded on first use).

The queries are package data in aider's capture convention (`name.definition.<kind>` names the
defined identifier, `definition.<kind>` the whole definition, `import` an import statement); this
module turns matches into `Definition` and `Import` records with signature text, the docstring's
first line and annotations. Works on broken files: tree-sitter recovers, and what parses is kept.
"""

from __future__ import annotations

from typehole.base.syntax import Tree

from .tags_common import FileTags
from .tags_other import extract_other
from .tags_python import extract_python, resolve_relative

__all__ = ["FileTags", "extract_tags", "resolve_relative"]


def extract_tags(data: bytes, module: str, path: str, is_package: bool = False,
                 tree: Tree | None = None, language: str = "python") -> FileTags:
    """Definitions and imports of one file given as UTF-8 bytes (Python unless `language` says).

    Other languages (see `syntax.GRAMMARS`) get syntax-level tags: classes, interfaces, structs,
    functions and methods with their header text as signature, the return type as annotation
    and the leading doc comment's first line; their imports keep the language's own module
    spelling (`./util`, `java.util`, `net/http`, `std::io`). Unknown languages get nothing.
    """
    if language != "python":
        return extract_other(data, language, module, path)
    return extract_python(data, module, path, is_package, tree)
