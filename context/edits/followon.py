"""Follow-on edits a type checker would demand: the import new code needs, the attribute it reads.

Two engines, each deterministic and silent when unsure:

- **import**: a name the edit newly reads that nothing in the file binds, and that exactly one
  place can provide: a module-level definition elsewhere in the workspace (through `Lookup`,
  e.g. the workspace index) or a small fixed table of the standard library (`Path` -> pathlib,
  `json.dumps` -> `import json`). The import goes where isort/ruff would put it: joined to an
  existing `from M import ...` of the same module in name order, else as a new line in its
  section (future, stdlib, third-party, first-party, local), sorted by module.
- **attribute**: a method newly reads `self.x`, the class never assigns `x`, and `__init__` takes
  a parameter named `x` that it does not store: `self.x = x` at the end of `__init__`. That is
  the only case where the value is known; any other unassigned attribute is left alone (the
  class may inherit it, or its value is the user's to choose).

"Newly" means the demand is present after the edit and was not before it, so an old problem in
the file is never re-offered on every keystroke. Names are bound or read as parso sees them
(scope-blind: a name bound anywhere in the file counts as bound, which errs towards silence).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import parso

from .records import Event, Suggestion

__all__ = [
    "STDLIB_MODULES", "STDLIB_NAMES", "IndexLookup", "Lookup", "followon_suggestions", "holds",
]

# Names whose usual home is a standard-library module, used as `from MODULE import NAME`.
# Only names with one obvious home; `datetime`, `Lock`, `Queue`, `sleep` (ambiguous) are out.
STDLIB_NAMES: dict[str, str] = {
    **dict.fromkeys(("Path", "PurePath", "PurePosixPath", "PureWindowsPath"), "pathlib"),
    **dict.fromkeys(("dataclass", "asdict", "astuple"), "dataclasses"),
    **dict.fromkeys(("Any", "Optional", "Union", "Protocol", "TypeVar", "Generic", "ClassVar",
                     "Final", "Literal", "TYPE_CHECKING", "cast", "overload", "NamedTuple",
                     "TypedDict", "NoReturn", "ParamSpec", "TypeAlias", "Self", "Never",
                     "runtime_checkable", "get_type_hints"), "typing"),
    **dict.fromkeys(("defaultdict", "OrderedDict", "Counter", "deque", "namedtuple",
                     "ChainMap"), "collections"),
    **dict.fromkeys(("partial", "reduce", "wraps", "lru_cache", "cache", "cached_property",
                     "total_ordering", "singledispatch", "partialmethod"), "functools"),
    **dict.fromkeys(("chain", "islice", "groupby", "zip_longest", "permutations",
                     "combinations", "accumulate", "starmap", "takewhile", "dropwhile"),
                    "itertools"),
    **dict.fromkeys(("Enum", "IntEnum", "Flag", "IntFlag", "StrEnum", "auto"), "enum"),
    **dict.fromkeys(("ABC", "abstractmethod"), "abc"),
    **dict.fromkeys(("contextmanager", "asynccontextmanager", "suppress", "ExitStack",
                     "AsyncExitStack", "nullcontext"), "contextlib"),
    **dict.fromkeys(("timedelta", "timezone"), "datetime"),
    "Decimal": "decimal", "Fraction": "fractions", "UUID": "uuid", "uuid4": "uuid",
    "deepcopy": "copy", "pprint": "pprint", "dedent": "textwrap",
    "perf_counter": "time", "monotonic": "time",
    **dict.fromkeys(("itemgetter", "attrgetter", "methodcaller"), "operator"),
    **dict.fromkeys(("SimpleNamespace", "MappingProxyType", "ModuleType"), "types"),
    **dict.fromkeys(("StringIO", "BytesIO"), "io"),
    **dict.fromkeys(("WeakKeyDictionary", "WeakValueDictionary", "WeakSet"), "weakref"),
    "ArgumentParser": "argparse", "heappush": "heapq", "heappop": "heapq",
    "bisect_left": "bisect", "bisect_right": "bisect", "insort": "bisect",
    **dict.fromkeys(("patch", "Mock", "MagicMock", "AsyncMock"),
                    "unittest.mock"),
}
# Abstract collection types live in both `typing` and `collections.abc`; the file's habit decides.
_ABC_NAMES = frozenset((
    "Callable", "Iterable", "Iterator", "Sequence", "Mapping", "MutableMapping",
    "MutableSequence", "Generator", "Awaitable", "Coroutine", "AsyncIterator", "AsyncIterable",
    "AsyncGenerator", "Collection", "Container", "Hashable", "Sized", "MutableSet",
))
# Standard-library modules read as `MODULE.attr` often enough that an unbound `json.` means
# `import json`. Modules whose names are everyday variable names (`string`, `types`, `copy`,
# `code`, `array`, `select`, `token`) are left out.
STDLIB_MODULES = frozenset((
    "os", "sys", "re", "json", "math", "time", "logging", "itertools", "functools",
    "collections", "subprocess", "shutil", "tempfile", "pathlib", "typing", "dataclasses",
    "enum", "asyncio", "threading", "hashlib", "base64", "uuid", "inspect", "textwrap",
    "warnings", "contextlib", "argparse", "pickle", "csv", "struct", "operator", "weakref",
    "traceback", "platform", "socket", "glob", "fnmatch", "heapq", "bisect", "decimal",
    "statistics", "secrets", "zlib", "gzip", "shlex", "importlib", "unicodedata", "datetime",
    "random", "errno", "stat", "signal", "tomllib", "sqlite3", "difflib", "pprint",
    "pdb", "faulthandler", "atexit", "codecs", "contextvars", "ctypes", "dis", "ast", "gc",
    "getpass", "hmac", "ipaddress", "locale", "mimetypes", "multiprocessing", "pkgutil",
    "selectors", "tarfile", "zipfile", "ssl", "webbrowser", "zoneinfo", "calendar", "tokenize",
))
_SECTIONS = ("future", "stdlib", "thirdparty", "firstparty", "local")
_BINDING_STATEMENTS = ("global_stmt", "nonlocal_stmt")


class Lookup(Protocol):
    """What the workspace knows: where a name is defined and which packages are its own."""

    def sources(self, name: str) -> list[str]:
        """Modules (absolute, dotted) to import `name` from; more than one means ambiguous."""
        ...

    def first_party(self, top: str) -> bool:
        """Whether the top-level package `top` belongs to the workspace."""
        ...

    @property
    def module(self) -> str:
        """The edited file's package-relative module name ("" when unknown)."""
        ...

    @property
    def is_package(self) -> bool:
        """Whether the edited file is a package's `__init__`."""
        ...


def followon_suggestions(event: Event, lookup: Lookup | None = None) -> list[Suggestion]:
    """The imports and attribute assignments that `event` newly made necessary.

    The edit itself must have typed the demanding code (the name read, `self.x`, or the
    parameter `x`): a demand that appears because the edit *deleted* an import or an
    assignment is the user's to resolve, never an invitation to put it back.
    """
    after = _Facts.of(event.after)
    if after is None:
        return []
    before = _Facts.of(event.before)
    span = (event.change.start, event.change.inserted_end)
    old_reads = before.unbound_reads() if before is not None else set()
    new_reads = {n for n in after.unbound_reads() - old_reads
                 if after.typed(event.after, n, span, _is_read)}
    out = _imports(event.after, after, new_reads, lookup)
    old_pairs = set(before.unassigned_attributes()) if before is not None else set()
    for (cls, attr), (init, self_name) in after.unassigned_attributes().items():
        if (cls, attr) in old_pairs or not after.typed(
                event.after, attr, span, lambda leaf: leaf.parent.type in ("trailer", "param")):
            continue
        s = _store_attribute(event.after, cls, attr, init, self_name)
        if s is not None:
            out.append(s)
    return out


def holds(text: str, s: Suggestion) -> bool:
    """Whether a follow-on suggestion made earlier is still demanded by `text`.

    An import stops being needed when its names are no longer read or got bound some other way
    (the user typed the import, or was typing a longer name); an attribute assignment when the
    class assigns it or no longer reads it. Other suggestions always hold here.
    """
    kind, _, what = s.group.partition(":")
    if kind not in ("import", "attribute"):
        return True
    facts = _Facts.of(text)
    if facts is None:
        return False
    if kind == "import":
        return set(what.split(",")) <= facts.unbound_reads()
    cls, _, attr = what.partition(".")
    return (cls, attr) in facts.unassigned_attributes()


# -- facts about one text ---------------------------------------------------------------------


@dataclass
class _Facts:
    """One parse of a text and what the engines ask of it."""

    module: Any  # parso Module

    @classmethod
    def of(cls, text: str) -> _Facts | None:
        try:
            return cls(parso.parse(text))
        except Exception:  # noqa: BLE001 - parso recovers from syntax errors; anything else: skip
            return None

    def typed(self, text: str, name: str, span: tuple[int, int], kind: Any) -> bool:
        """Whether a `kind` occurrence of `name` lies inside `span` (offsets into `text`)."""
        return any(
            span[0] <= _offset(text, leaf.start_pos) and _offset(text, leaf.end_pos) <= span[1]
            for leaf in self.module.get_used_names().get(name, []) if kind(leaf))

    def unbound_reads(self) -> set[str]:
        """Plain names read somewhere and bound nowhere (not even in a broken region)."""
        if any(i.is_star_import() for i in self.module.iter_imports()
               if i.type == "import_from"):
            return set()  # `from m import *` may bind anything
        out = set()
        for name, leaves in self.module.get_used_names().items():
            if name.startswith("__") or any(_binds(leaf) or _broken(leaf) for leaf in leaves):
                continue
            if any(_is_read(leaf) for leaf in leaves):
                out.add(name)
        return out

    def unassigned_attributes(self) -> dict[tuple[str, str], tuple[Any, str]]:
        """(class, attribute) -> (`__init__`, its self name) for attributes `__init__` could store.

        Only plain classes (no bases but `object`, no decorators, no `__getattr__`, `__slots__`
        or `setattr`) whose methods read `self.attr`, which nothing in the class assigns, while
        `__init__` has a parameter of that very name.
        """
        out: dict[tuple[str, str], tuple[Any, str]] = {}
        for cls in self.module.iter_classdefs():
            if cls.parent.type == "decorated" or _has_bases(cls) or _broken(cls):
                continue
            methods = {f.name.value: f for f in cls.iter_funcdefs()}
            if {"__getattr__", "__getattribute__", "__setattr__"} & methods.keys():
                continue
            init = methods.get("__init__")
            if init is None or init.get_suite().type != "suite":
                continue
            params = init.get_params()
            if not params:
                continue
            self_name = params[0].name.value
            wanted = {p.name.value for p in params[1:] if p.star_count == 0}
            bound, read = _class_attributes(cls)
            if bound is None:
                continue
            for attr in sorted((read - bound) & wanted):
                out[(cls.name.value, attr)] = (init, self_name)
        return out


def _binds(leaf: Any) -> bool:
    """A name leaf that binds (assignment, parameter, import, def, `global`, ...)."""
    if leaf.is_definition():
        return True
    parent = leaf.parent
    if parent.type in _BINDING_STATEMENTS:
        return True
    if parent.type in ("import_from", "dotted_name", "import_as_name", "import_as_names"):
        return _inside(leaf, ("import_from", "import_name"))
    return False


def _is_read(leaf: Any) -> bool:
    """A plain name read: not `x.name`, not `f(name=...)`, not part of an import."""
    previous = leaf.get_previous_leaf()
    if previous is not None and previous.value == ".":
        return False
    following = leaf.get_next_leaf()
    if leaf.parent.type == "argument" and following is not None and following.value == "=":
        return False
    return not _inside(leaf, ("import_from", "import_name"))


def _inside(node: Any, kinds: tuple[str, ...]) -> bool:
    while node is not None:
        if node.type in kinds:
            return True
        node = node.parent
    return False


def _broken(node: Any) -> bool:
    """Whether `node` lies in a region parso could not parse (its bindings are unknown)."""
    return _inside(node, ("error_node", "error_leaf"))


def _has_bases(cls: Any) -> bool:
    bases = cls.get_super_arglist()
    return bases is not None and not (bases.type == "name" and bases.value == "object")


def _class_attributes(cls: Any) -> tuple[set[str] | None, set[str]]:
    """(names the class binds, directly or as `x.name = ...`; None if it uses `setattr` or
    `__slots__`) and the attributes its methods read as `self.name`."""
    bound: set[str] = set()
    read: set[str] = set()
    for leaf in _names(cls.get_suite()):
        value = leaf.value
        if value in ("setattr", "__slots__", "__dict__", "vars"):
            return None, read
        previous = leaf.get_previous_leaf()
        if previous is not None and previous.value == ".":
            owner = previous.get_previous_leaf()
            if leaf.is_definition():  # assigned, augmented, deleted, loop target
                bound.add(value)
            elif owner is not None and owner.type == "name" and _self_of(owner):
                read.add(value)
        elif leaf.is_definition() and _class_level(leaf, cls):
            bound.add(value)
    return bound, read


def _names(node: Any) -> Iterable[Any]:
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "name":
            yield n
        elif hasattr(n, "children"):
            stack.extend(reversed(n.children))


def _self_of(owner: Any) -> bool:
    """Whether `owner` is the first parameter of the method it is used in."""
    fn = owner.parent
    while fn is not None and fn.type not in ("funcdef", "classdef", "lambdef"):
        fn = fn.parent
    if fn is None or fn.type != "funcdef":
        return False
    params = fn.get_params()
    previous = owner.get_previous_leaf()
    return bool(params) and params[0].name.value == owner.value and (
        previous is None or previous.value != ".")


def _class_level(leaf: Any, cls: Any) -> bool:
    """Whether a binding leaf binds in the class body itself (not inside a method)."""
    node = leaf.parent
    while node is not None and node is not cls:
        if node.type in ("funcdef", "lambdef") and leaf is not getattr(node, "name", None):
            return False
        node = node.parent
    return True


# -- the attribute engine -----------------------------------------------------------------------


def _store_attribute(
    text: str, cls: str, attr: str, init: Any, self_name: str
) -> Suggestion | None:
    """`self.attr = attr` as the last statement of `__init__`."""
    suite = init.get_suite()
    statements = [c for c in suite.children if c.type not in ("newline",)]
    if not statements:
        return None
    first, last = statements[0], statements[-1]
    start = _offset(text, first.start_pos)
    indent = text[text.rfind("\n", 0, start) + 1 : start]
    if indent.strip():
        return None  # `def __init__(self, x): body` on one line
    line = f"{indent}{self_name}.{attr} = {attr}"
    if last.type == "simple_stmt" and last.children[0].get_first_leaf().value == "return":
        at, new_text = _line_start(text, last), line + "\n"  # before a closing `return`
    elif (at := _line_after(text, last)) == len(text) and not text.endswith("\n"):
        new_text = "\n" + line
    else:
        new_text = line + "\n"
    reason = (f"`{self_name}.{attr}` is read in `{cls}` but never assigned; `__init__` takes "
              f"`{attr}` and does not store it")
    return Suggestion(at, at, new_text, "attribute", reason, "", f"attribute:{cls}.{attr}")


# -- the import engine --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Statement:
    """A top-level import statement of the file."""

    node: Any
    module: str  # as written (`.x` for relative ones)
    is_from: bool
    section: int


def _imports(text: str, facts: _Facts, names: set[str], lookup: Lookup | None) -> list[Suggestion]:
    if not names:
        return []
    statements = _import_block(facts.module, lookup)
    relative = any(s.module.startswith(".") for s in statements)
    typing_style = any(s.module == "typing" and s.is_from for s in statements) and not any(
        s.module == "collections.abc" for s in statements)
    wanted: dict[tuple[str, bool], list[str]] = {}
    reasons: dict[str, str] = {}
    for name in sorted(names):
        found = _source(name, facts, lookup, typing_style)
        if found is None:
            continue
        module, is_from, why = found
        if is_from:
            module = _spelled(module, lookup, relative)
        wanted.setdefault((module, is_from), []).append(name)
        reasons[name] = why
    out = []
    for (module, is_from), group in wanted.items():
        line = _first_read_line(facts, group[0])
        why = "; ".join(dict.fromkeys(reasons[n] for n in group))
        reason = f"{_names_phrase(group)} {'is' if len(group) == 1 else 'are'} used on line " \
                 f"{line} but not imported ({why})"
        edit = _place(text, statements, module, is_from, group, lookup)
        if edit is not None:
            at, end, new_text, expected = edit
            out.append(Suggestion(at, end, new_text, "import", reason, expected,
                                  f"import:{','.join(group)}"))
    return out


def _source(name: str, facts: _Facts, lookup: Lookup | None,
            typing_style: bool) -> tuple[str, bool, str] | None:
    """(module, is `from` import, why) for an unbound name; None when unknown or ambiguous."""
    found: list[tuple[str, bool, str]] = []
    if lookup is not None and not name.startswith("_"):
        modules = lookup.sources(name)
        if len(modules) > 1:
            return None
        found += [(m, True, f"the workspace's `{m}` provides it") for m in modules]
    if name in STDLIB_NAMES:
        found.append((STDLIB_NAMES[name], True, f"`{STDLIB_NAMES[name]}` provides it"))
    elif name in _ABC_NAMES:
        home = "typing" if typing_style else "collections.abc"
        found.append((home, True, f"`{home}` provides it"))
    elif name in STDLIB_MODULES and _only_dotted(facts, name):
        found.append((name, False, "a standard-library module"))
    return found[0] if len(found) == 1 else None


def _only_dotted(facts: _Facts, name: str) -> bool:
    """Whether every read of `name` is `name.attr` (the way a module is used)."""
    leaves = [leaf for leaf in facts.module.get_used_names().get(name, []) if _is_read(leaf)]
    return bool(leaves) and all(
        (n := leaf.get_next_leaf()) is not None and n.value == "." for leaf in leaves)


def _spelled(module: str, lookup: Lookup | None, relative: bool) -> str:
    """`module` as this file would write it: relative when the file imports its own package so."""
    if lookup is None or not relative or not lookup.module:
        return module
    here = lookup.module.split(".")
    package = here if lookup.is_package else here[:-1]
    target = module.split(".")
    if not package or target[0] != package[0]:
        return module
    common = 0
    while common < min(len(package), len(target)) and package[common] == target[common]:
        common += 1
    return "." * (len(package) - common + 1) + ".".join(target[common:])


def _names_phrase(names: list[str]) -> str:
    return ", ".join(f"`{n}`" for n in names)


def _first_read_line(facts: _Facts, name: str) -> int:
    leaves = [leaf for leaf in facts.module.get_used_names().get(name, []) if _is_read(leaf)]
    return min(leaf.start_pos[0] for leaf in leaves) if leaves else 0


def _section(module: str, lookup: Lookup | None) -> int:
    if module.startswith("."):
        return 4
    top = module.split(".")[0]
    if top == "__future__":
        return 0
    if top in sys.stdlib_module_names:
        return 1
    if lookup is not None and (lookup.first_party(top) or lookup.module.split(".")[0] == top):
        return 3
    return 2


def _import_block(module: Any, lookup: Lookup | None) -> list[_Statement]:
    """Top-level import statements before the first def or class, in file order."""
    out = []
    for child in module.children:
        if child.type in ("funcdef", "classdef", "decorated", "async_stmt"):
            break
        if child.type != "simple_stmt" or child.children[0].type not in ("import_name",
                                                                           "import_from"):
            continue
        node = child.children[0]
        if node.type == "import_from":
            dots = "".join(leaf.value for leaf in node.children[1:]
                           if leaf.type == "operator" and leaf.value in (".", "..."))
            path = node.get_from_names()
            name = dots + ".".join(n.value for n in path)
            is_from = True
        else:
            paths = node.get_paths()
            name = ".".join(n.value for n in paths[0]) if paths else ""
            is_from = False
        out.append(_Statement(node, name, is_from, _section(name, lookup)))
    return out


def _place(text: str, statements: list[_Statement], module: str, is_from: bool,
           names: list[str], lookup: Lookup | None) -> tuple[int, int, str, str] | None:
    """(start, end, new text, expected) of the edit that imports `names` from `module`."""
    if is_from:
        for s in statements:
            if s.is_from and s.module == module and not s.node.is_star_import():
                return _join(text, s.node, names)
    line = f"from {module} import {', '.join(names)}" if is_from else f"import {module}"
    key = (is_from, module.lower())
    section = _section(module, lookup)
    same = [s for s in statements if s.section == section]
    if same:
        later = [s for s in same if (s.is_from, s.module.lower()) > key]
        if later:
            return _line_start(text, later[0].node), _line_start(text, later[0].node), \
                line + "\n", ""
        at = _line_after(text, same[-1].node)
        return at, at, line + "\n", ""
    earlier = [s for s in statements if s.section < section]
    if earlier:
        at = _line_after(text, earlier[-1].node)
        return at, at, "\n" + line + "\n", ""
    if statements:
        at = _line_start(text, statements[0].node)
        return at, at, line + "\n\n", ""
    return _first_import(text, line)


def _join(text: str, node: Any, names: list[str]) -> tuple[int, int, str, str] | None:
    """Add `names` to an existing `from M import a, b`, in ruff/isort's order when it is sorted."""
    present = _imported_names(node)
    if not present:
        return None
    keys = [_name_key(c.children[0].value if c.type == "import_as_name" else c.value)
            for c in present]
    spots = {next((i for i, k in enumerate(keys) if k > _name_key(n)), len(keys)) for n in names}
    first = _offset(text, present[0].start_pos)
    end = _offset(text, present[-1].end_pos)
    if keys == sorted(keys) and len(spots) > 1 and "\n" not in text[first:end]:
        # Several names going to different places of a one-line list: rewrite the list.
        merged = [(k, text[_offset(text, c.start_pos) : _offset(text, c.end_pos)])
                  for c, k in zip(present, keys, strict=True)]
        merged += [(_name_key(n), n) for n in names]
        new_text = ", ".join(t for _, t in sorted(merged))
        return first, end, new_text, text[first:end]
    if keys == sorted(keys) and len(spots) == 1 and (i := spots.pop()) < len(present):
        start = _offset(text, present[i].start_pos)
        indent = text[text.rfind("\n", 0, start) + 1 : start]
        if indent.strip() == "":  # one name per line
            return start, start, "".join(f"{n},\n{indent}" for n in names), ""
        return start, start, "".join(f"{n}, " for n in names), ""
    last = present[-1]
    end = _offset(text, last.end_pos)
    comma = last.get_next_leaf()
    start = _offset(text, last.start_pos)
    indent = text[text.rfind("\n", 0, start) + 1 : start]
    if comma is not None and comma.value == "," and indent.strip() == "":
        # One name per line with a trailing comma: a new line after it.
        comma_end = _offset(text, comma.end_pos)
        return comma_end, comma_end, "".join(f"\n{indent}{n}," for n in names), ""
    return end, end, "".join(f", {n}" for n in names), ""


def _imported_names(node: Any) -> list[Any]:
    out = []
    for child in node.children:
        if child.type == "import_as_names":
            out += [c for c in child.children if c.type in ("name", "import_as_name")]
        elif child.type in ("name", "import_as_name") and child.start_pos > _import_kw(node):
            out.append(child)
    return out


def _import_kw(node: Any) -> tuple[int, int]:
    return next(c.start_pos for c in node.children if c.type == "keyword" and c.value == "import")


def _name_key(name: str) -> tuple[int, str]:
    """ruff/isort's `order-by-type`: CONSTANTS, then Classes, then functions."""
    if name.isupper() and len(name) > 1:
        return 0, name
    return (1 if name[:1].isupper() else 2), name.lower()


def _first_import(text: str, line: str) -> tuple[int, int, str, str]:
    """A file without imports: after its docstring, else before its first statement (leading
    comments, such as a licence header, stay on top)."""
    children = parso.parse(text).children
    first = children[0] if children else None
    if first is not None and first.type == "simple_stmt" and first.children[0].type == "string":
        at = _line_after(text, first)
        return at, at, "\n" + line + "\n", ""
    for child in children:
        if child.type == "endmarker":
            break
        at = _line_start(text, child)
        spacing = "\n\n\n" if child.type in ("funcdef", "classdef", "decorated") else "\n\n"
        return at, at, line + spacing, ""
    at = len(text)
    gap = "\n" if text and not text.endswith("\n") else ""
    return at, at, gap + line + "\n", ""


def _offset(text: str, pos: tuple[int, int]) -> int:
    """parso's (1-based line, column in characters) as an offset into `text`.

    parso drops a leading byte-order mark, so its first-line columns start after it.
    """
    line, column = pos
    if line == 1 and text.startswith("\ufeff"):
        column += 1
    at = 0
    for _ in range(line - 1):
        at = text.find("\n", at) + 1
        if at == 0:
            return len(text)
    return at + column


def _line_start(text: str, node: Any) -> int:
    """The start of the line a node's first real token is on (comments before it stay above)."""
    return _offset(text, (node.start_pos[0], 0))


def _line_after(text: str, node: Any) -> int:
    """The start of the line after a node's last line."""
    end = _offset(text, node.end_pos)
    if end > 0 and text[end - 1] == "\n":  # a statement with its newline
        return end
    newline = text.find("\n", end)
    return len(text) if newline < 0 else newline + 1


# -- the workspace index as a Lookup ----------------------------------------------------------


_DEFINITION_KINDS = ("class", "function", "variable")
_TEST_PARTS = frozenset(("tests", "test", "testing"))


class IndexLookup:
    """`Lookup` over typehole's workspace index (`context.index.Index`) for the file at `path`."""

    def __init__(self, index: Any, path: str | None) -> None:
        self.index = index
        self.rel = index.relpath(path) if path is not None else None
        module, is_package = index.module_of(self.rel) if self.rel else ("", False)
        self._module, self._is_package = module, is_package
        self._in_tests = self.rel is not None and _is_test(self.rel)

    @property
    def module(self) -> str:
        return self._module

    @property
    def is_package(self) -> bool:
        return self._is_package

    def first_party(self, top: str) -> bool:
        return self.index.module_path(top) is not None

    def sources(self, name: str) -> list[str]:
        modules = set()
        for d in self.index.named(name, _DEFINITION_KINDS):
            if d.parent or d.path == self.rel or not d.module or not _importable(d.path, d.module):
                continue
            if _is_test(d.path) and not self._in_tests:
                continue
            modules.add(self._public(d.module, name))
        return sorted(modules)

    def _public(self, module: str, name: str) -> str:
        """Where code outside `module`'s package imports `name` from: the shallowest package
        whose `__init__` re-exports it (code inside the package imports the module itself)."""
        parts = module.split(".")
        if self._module.split(".")[0] == parts[0]:
            return module
        for i in range(1, len(parts)):
            package = ".".join(parts[:i])
            path = self.index.module_path(package)
            if path is None:
                continue
            if any((i.alias or i.name) == name and i.module == module
                   for i in self.index.imports_of(path)):
                return package
        return module


def _is_test(rel: str) -> bool:
    parts = rel.split("/")
    return bool(_TEST_PARTS & set(parts[:-1])) or parts[-1].startswith("test_") or \
        parts[-1] == "conftest.py"


def _importable(rel: str, module: str) -> bool:
    """A module in a package, or a file at the workspace root (a script folder is neither)."""
    stem = module.rsplit(".", 1)[-1]
    return ("." in module or "/" not in rel) and stem not in ("__main__", "setup", "conftest")
