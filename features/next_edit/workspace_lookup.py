"""What the workspace knows for the import engine: the `Lookup` protocol, and `IndexLookup`
over typehole's workspace index."""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["IndexLookup", "Lookup"]


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
