"""Relevant headers from installed dependencies the workspace imports (a fake site dir)."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from trees import write_tree

from typehole.context.deps import DependencyIndex, workspace_site_dirs
from typehole.context.engine import ContextEngine
from typehole.context.ranking import DEFAULT_WEIGHTS
from typehole.context.records import Hole
from typehole.context.relevant import relevant_headers

SITE = {
    # Imported by the workspace: its public headers are indexed.
    "fakehttp/__init__.py": "from ._client import Client, get\n",
    "fakehttp/_client.py": (
        "class Response:\n    status: int\n\n\n"
        "class Client:\n"
        "    def send(self, url: str) -> Response:\n        ...\n\n"
        "    def _raw(self) -> Response:\n        ...\n\n\n"
        "def get(url: str) -> Response:\n    return Client().send(url)\n\n\n"
        "def _private_get(url: str) -> Response:\n    ...\n"),
    "fakehttp/tests/test_client.py": "def test_get() -> 'Response':\n    ...\n",
    # Installed but never imported: nothing of it is read.
    "unusedpkg/__init__.py": "def make() -> 'Response':\n    ...\n",
    "single_module.py": "def helper() -> 'Response':\n    ...\n",
}

WORKSPACE = {
    "app/__init__.py": "",
    "app/main.py": (
        "import os\nimport fakehttp\nfrom fakehttp import Response\n"
        "from app.util import local\n\n\n"
        "def fetch(url: str) -> Response:\n    return \n"),
    "app/util.py": "from fakehttp import Response\n\n\n"
                   "def cached(url: str) -> list[Response]:\n    return []\n\n\n"
                   "def local() -> None:\n    pass\n",
}


def _engine(tmp_path: Path) -> ContextEngine:
    write_tree(tmp_path / "site", SITE)
    write_tree(tmp_path / "ws", WORKSPACE)
    engine = ContextEngine(tmp_path / "ws", tmp_path / "cache", site_dirs=[str(tmp_path / "site")])
    engine.build()
    return engine


def _hole() -> Hole:
    return Hole(kind="return", expected_type="Response", line=8, column=11, function="fetch")


def test_imported_dependency_headers_are_indexed_and_others_are_not(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    assert engine.deps.imported_packages() == ["fakehttp"]  # not os (stdlib), not app (own)
    assert engine.deps.packages() == ["fakehttp"]
    names = {d.qualname for d in engine.deps.returning(["Response"])}
    assert names == {"get", "Client.send"}  # public only, the package's tests left out
    facts = engine.facts("app/main.py", WORKSPACE["app/main.py"])
    headers = relevant_headers(engine.index, facts, _hole(), {}, deps=engine.deps)
    by_name = {h.name: h for h in headers}
    assert by_name["get"].path == "fakehttp/_client.py"
    assert by_name["get"].signature == "def get(url: str) -> Response: ..."
    assert "make" not in by_name and "helper" not in by_name  # installed, never imported
    assert "_private_get" not in by_name and "test_get" not in by_name


def test_dependency_weight_ranks_them_below_workspace_headers(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    facts = engine.facts("app/main.py", WORKSPACE["app/main.py"])
    headers = relevant_headers(engine.index, facts, _hole(), {}, deps=engine.deps)
    # `cached` only contains the type (`list[Response]`); `get` returns it exactly, yet the
    # workspace's own header ranks first.
    assert [h.name for h in headers][:1] == ["cached"]
    assert {h.name for h in headers[1:]} == {"get", "Client.send"}
    heavier = replace(DEFAULT_WEIGHTS, dependency=2.0)
    headers = relevant_headers(engine.index, facts, _hole(), {}, heavier, deps=engine.deps)
    assert [h.name for h in headers][-1:] == ["cached"]


def test_gather_shows_dependency_headers_and_refresh_is_cached(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    text = WORKSPACE["app/main.py"]
    result = engine.gather(text, len(text) - 1, "app/main.py", 1024, lambda s: len(s) // 4)
    assert "fakehttp/_client.py" in result.prompt
    assert "def get(url: str) -> Response" in result.prompt
    assert engine.deps.refresh() == 0  # unchanged packages are not read again
    engine.close()
    again = ContextEngine(tmp_path / "ws", tmp_path / "cache", site_dirs=[str(tmp_path / "site")])
    assert again.deps.refresh() == 0 and again.deps.packages() == ["fakehttp"]  # warm restart


def test_stale_or_unimported_packages_are_dropped(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    engine.update_file(tmp_path / "ws/app/main.py", "import os\n")
    engine.update_file(tmp_path / "ws/app/util.py", "x = 1\n")
    engine.deps.refresh()
    assert engine.deps.packages() == [] and engine.deps.returning(["Response"]) == []


def test_workspace_virtualenv_site_packages(tmp_path: Path) -> None:
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    site = tmp_path / ".venv" / "lib" / version / "site-packages"
    site.mkdir(parents=True)
    assert workspace_site_dirs(tmp_path) == [str(site)]
    dirs = DependencyIndex(ContextEngine(tmp_path, tmp_path / "cache").index).site_dirs
    assert dirs[0] == str(site) and len(dirs) > 1  # then the running environment's


def test_editable_installs_of_a_monorepo_are_found_through_pth_files(tmp_path: Path) -> None:
    """A workspace that is one project of a monorepo sees the headers of the sibling projects it
    imports when they are installed editable (a `.pth` file naming their source folder)."""
    mono = tmp_path / "mono"
    write_tree(mono, {
        "libs/core/pyproject.toml": "[project]\nname = 'core'\n",
        "libs/core/src/core/__init__.py": "",
        "libs/core/src/core/models.py": (
            "class Invoice:\n    total: int\n\n\n"
            "def load_invoice(number: int) -> Invoice:\n    return Invoice()\n"),
        "libs/unused/src/unused/__init__.py": "def make() -> 'Invoice':\n    ...\n",
        "services/billing/pyproject.toml": "[project]\nname = 'billing'\n",
        "services/billing/src/billing/__init__.py": "",
        "services/billing/src/billing/app.py": (
            "from core.models import Invoice\n\n\n"
            "def fetch(number: int) -> Invoice:\n    return \n"),
    })
    site = write_tree(tmp_path / "site", {
        # What pip, uv and Poetry write for an editable install of a src layout.
        "_core.pth": f"{mono / 'libs/core/src'}\n",
        "_unused.pth": f"# a comment\n{mono / 'libs/unused/src'}\n",
        # The workspace's own editable install (already indexed), a finder hook (never run) and a
        # folder that is gone.
        "_billing.pth": f"{mono / 'services/billing/src'}\n",
        "__editable___x_finder.pth": "import __editable___x_finder; raise SystemExit\n",
        "_gone.pth": f"{tmp_path / 'nowhere'}\n",
    })
    engine = ContextEngine(mono / "services/billing", tmp_path / "cache", site_dirs=[str(site)])
    engine.build()
    try:
        assert engine.deps.site_dirs == [str(site), str(mono / "libs/core/src"),
                                         str(mono / "libs/unused/src")]
        assert engine.deps.packages() == ["core"]
        (header,) = engine.deps.returning(["Invoice"])
        assert (header.module, header.name, header.path) == (
            "core.models", "load_invoice", "core/models.py")
    finally:
        engine.close()
