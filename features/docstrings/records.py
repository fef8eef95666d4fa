"""Facts about a documentable definition and the docstring already on it, as frozen records.

Offsets are code-point indexes into the document's `str` (see `context.positions`); nothing here
knows about LSP, models or tree-sitter.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["STYLES", "Attribute", "DocEdit", "Facts", "Literal", "Param", "Target"]

STYLES = ("google", "numpy", "sphinx", "pep257")


@dataclass(frozen=True)
class Param:
    """One parameter as the signature declares it (`*args` keeps its star in `name`)."""

    name: str
    annotation: str = ""
    default: str | None = None
    kind: str = "positional_or_keyword"  # positional_only | keyword_only | var_positional | ...


@dataclass(frozen=True)
class Attribute:
    """A class-level attribute (`x: int = 1` in the class body)."""

    name: str
    annotation: str = ""


@dataclass(frozen=True)
class Facts:
    """What a docstring must say about a function, class or module, read from its code."""

    kind: str  # function | class | module
    name: str
    params: tuple[Param, ...] = ()
    returns: str | None = None  # None: nothing returned; "" returned without an annotation
    yields: str | None = None  # the same for yields (generators and async generators)
    raises: tuple[str, ...] = ()  # explicit raises in the body, in first-seen order
    attributes: tuple[Attribute, ...] = ()
    is_async: bool = False


@dataclass(frozen=True)
class Literal:
    """An existing docstring literal: where it is and its raw source parts."""

    start: int  # offset of the literal (its prefix, e.g. `r`)
    end: int  # offset just past the closing quotes
    prefix: str  # `r`, `u`, ... as written
    quote: str  # `\"\"\"`, `'''`, `\"` or `'`
    body: str  # the raw text between the quotes, escapes as written


@dataclass(frozen=True)
class Target:
    """A definition to document: where its body starts and what it holds."""

    facts: Facts
    header_line: int  # 0-based line of the `def`/`class` keyword (0 for modules)
    insert_at: int  # offset where a new docstring line goes (a line start)
    indent: str  # indentation of the body, exactly as the file writes it
    docstring: Literal | None = None
    # Set when the body shares the header's line (`def f(): pass`): the span to replace.
    inline_body: tuple[int, int] | None = None
    names: frozenset[str] = field(default_factory=frozenset)  # identifiers in the definition
    span: tuple[int, int] = (0, 0)  # the whole definition, decorators included


@dataclass(frozen=True)
class DocEdit:
    """Replace `text[start:end]` with `new_text`; `docstring` is the cleaned docstring text."""

    start: int
    end: int
    new_text: str
    docstring: str
