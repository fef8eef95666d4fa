"""Definitions and imports of one file, read with tree-sitter tag queries (`queries/*-tags.scm`).

Python is first-class; JavaScript/TypeScript, Java, Go and Rust get syntax-level tags through
the `syntax` shim (their grammar wheels, loaded on first use).

The queries are package data in aider's capture convention (`name.definition.<kind>` names the
defined identifier, `definition.<kind>` the whole definition, `import` an import statement); this
module turns matches into `Definition` and `Import` records with signature text, the docstring's
first line and annotations. Works on broken files: tree-sitter recovers, and what parses is kept.
A file nested deeper than Python allows has no tags (`limits.check_nesting`): tree-sitter's
queries take time quadratic in the width of the error node such a file parses into.
"""

from __future__ import annotations

import tree_sitter as ts

from .limits import Unanalysable, check_nesting
from .tags_common import FileTags, node_text, parse_python, python_language, reparse_python
from .tags_other import extract_other
from .tags_python import extract_python, resolve_relative

__all__ = ["FileTags", "extract_tags", "parse_python", "python_language", "node_text",
           "reparse_python", "resolve_relative"]


def extract_tags(data: bytes, module: str, path: str, is_package: bool = False,
                 tree: ts.Tree | None = None, language: str = "python") -> FileTags:
    """Definitions and imports of one file given as UTF-8 bytes (Python unless `language` says).

    Other languages (see `syntax.GRAMMARS`) get syntax-level tags: classes, interfaces, structs,
    functions and methods with their header text as signature, the return type as annotation
    and the leading doc comment's first line; their imports keep the language's own module
    spelling (`./util`, `java.util`, `net/http`, `std::io`). Unknown languages get nothing,
    nor does a file nested deeper than Python allows.
    """
    try:
        check_nesting(data)
    except Unanalysable:
        return FileTags((), ())
    if language != "python":
        return extract_other(data, language, module, path)
    return extract_python(data, module, path, is_package, tree)
