"""The import engine: which module provides a name the edit newly reads (the workspace, a
fixed standard-library table), grouped into one import suggestion per module."""

from __future__ import annotations

from typehole.base.builtin_names import BUILTIN_NAMES

from .import_placement import import_block, place_import
from .name_facts import NameFacts, is_read
from .records import Suggestion
from .workspace_lookup import Lookup

__all__ = ["STDLIB_MODULES", "STDLIB_NAMES", "import_suggestions"]

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


def import_suggestions(text: str, facts: NameFacts, names: set[str],
                       lookup: Lookup | None) -> list[Suggestion]:
    """An import for each of `names` (read in `text`, bound nowhere) whose module is known."""
    if not names:
        return []
    statements = import_block(facts.module, lookup)
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
        edit = place_import(text, statements, module, is_from, group, lookup)
        if edit is not None:
            at, end, new_text, expected = edit
            out.append(Suggestion(at, end, new_text, "import", reason, expected,
                                  f"import:{','.join(group)}"))
    return out


def _source(name: str, facts: NameFacts, lookup: Lookup | None,
            typing_style: bool) -> tuple[str, bool, str] | None:
    """(module, is `from` import, why) for an unbound name; None when unknown or ambiguous.

    A builtin is bound already: importing a workspace's own `print` would change the code.
    """
    if name in BUILTIN_NAMES:
        return None
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


def _only_dotted(facts: NameFacts, name: str) -> bool:
    """Whether every read of `name` is `name.attr` (the way a module is used)."""
    leaves = [leaf for leaf in facts.module.get_used_names().get(name, []) if is_read(leaf)]
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


def _first_read_line(facts: NameFacts, name: str) -> int:
    leaves = [leaf for leaf in facts.module.get_used_names().get(name, []) if is_read(leaf)]
    return min(leaf.start_pos[0] for leaf in leaves) if leaves else 0
