"""Fixtures shared by the test modules, and the `--regen-golden` option.

- `golden`: compares results with expected files (tests/golden_files.py); a run never writes one
  unless `pytest --regen-golden` asks for it.
- `workspace`: an empty project folder (a pyproject.toml) in the test's temporary folder.
- `httpx_root`, `httpx_project`, `httpx_engine`: the real httpx 0.28.1 sdist (read-only), a
  writable copy of it for one test, and a context engine indexed on it once per session.
- `client`: the HTTP client the model backends share, closed after the test.
- `native_server`: llama.cpp's server (the xllamacpp wheel) on a tiny random-weight model.

Servers and commands the tests start run the `ngram` model unless a test names another
(`TYPEHOLE_MODEL`): it is instant and deterministic, and most tests are about what typehole does
around a model. Tests of the real model (tests/test_embedded.py) name it.

Workspace indexes go to a temporary cache folder of the session (`TYPEHOLE_CACHE_DIR`), removed
when the session ends.

Hypothesis runs without its per-example deadline and slow-generation health check: on a loaded
machine those fail a test for being slow, not for being wrong.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import parso.cache
import pytest
from golden_files import REGEN_FLAG, Golden
from hypothesis import HealthCheck, settings
from llamacpp.engine import Engine, tiny_engine
from realproject import real_project
from trees import PYPROJECT

from typehole.context import jedistate
from typehole.context.engine import ContextEngine
from typehole.context.store import CACHE_DIR_ENV
from typehole.models.http import create_client

os.environ.setdefault("TYPEHOLE_MODEL", "ngram")
# Workspace indexes built by the tests, and by the servers and commands they start, go to one
# temporary cache removed at the end of the session, never to the user's cache.
INDEX_CACHE = tempfile.mkdtemp(prefix="typehole-test-index-")
os.environ[CACHE_DIR_ENV] = INDEX_CACHE

HTTPX = ("httpx", "0.28.1")

settings.register_profile(
    "typehole", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("typehole")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remove the session's index cache."""
    shutil.rmtree(INDEX_CACHE, ignore_errors=True)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        REGEN_FLAG,
        action="store_true",
        default=False,
        help="rewrite the golden tests' expected files from the current behaviour",
    )


@pytest.fixture(autouse=True, scope="module")
def cold_jedi() -> None:
    """Each test module starts from a cold Jedi state: parso's cache and a warm inference state
    hold the modules earlier tests parsed from the texts they gave (a benchmark's file cut at a
    cursor stands for that file in every import of it), which changes what Jedi infers later."""
    parso.cache.parser_cache.clear()
    jedistate.invalidate()


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Golden:
    """The expected-file checker; writes expected files only under `--regen-golden`."""
    return Golden(regen=bool(request.config.getoption(REGEN_FLAG)))


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """An empty project: a folder with a minimal pyproject.toml."""
    root = tmp_path / "ws"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def httpx_root() -> Path:
    """The unpacked httpx sdist, shared by every test: never write into it."""
    return real_project(*HTTPX)


@pytest.fixture
def httpx_project(httpx_root: Path, tmp_path: Path) -> Path:
    """A writable copy of httpx for one test."""
    return Path(shutil.copytree(httpx_root, tmp_path / "httpx"))


@pytest.fixture(scope="session")
def httpx_engine(
    httpx_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ContextEngine]:
    """A context engine built on httpx once per session (tests only query it)."""
    engine = ContextEngine(httpx_root, tmp_path_factory.mktemp("httpx-cache"))
    engine.build()
    yield engine
    engine.close()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    """The HTTP client the model backends share (`typehole.models.http.create_client`)."""
    c = create_client()
    yield c
    await c.aclose()


@pytest.fixture(scope="session")
def native_server() -> Iterator[Engine]:
    """llama.cpp's server from the xllamacpp wheel on the tiny random-weight model (skips when
    the engine is not installed)."""
    yield from tiny_engine()
