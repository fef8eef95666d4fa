"""Real open-source projects for tests and benchmarks: pinned sdists from PyPI, cached locally.

`real_project("httpx", "0.28.1")` downloads the sdist once with pip into `<cache>/sdists`,
unpacks it into `<cache>/projects/httpx-0.28.1` and returns that folder. Concurrent callers
(pytest-xdist workers, parallel sessions) serialise on a lock file, so each project is fetched once.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

__all__ = ["CACHE", "ProjectUnavailable", "pin", "real_project"]

# Outside a checkout (an installed typehole) the cache goes to the user's cache folder.
_DEFAULT = Path(__file__).resolve().parent.parent / "tests" / ".cache"
if not _DEFAULT.parent.is_dir():
    _DEFAULT = Path.home() / ".cache" / "typehole" / "projects"
CACHE = Path(os.environ.get("TYPEHOLE_TEST_CACHE", _DEFAULT))


class ProjectUnavailable(RuntimeError):
    """The sdist could not be downloaded (no network to PyPI, unknown version)."""


def _unpack(archive: Path, dest: Path) -> None:
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(tmp)
    else:
        with tarfile.open(archive) as tf:
            tf.extractall(tmp, filter="data")
    # An sdist holds one top folder `name-version/`; flatten it so the project root is `dest`.
    children = list(tmp.iterdir())
    inner = children[0] if len(children) == 1 and children[0].is_dir() else tmp
    inner.rename(dest)
    shutil.rmtree(tmp, ignore_errors=True)


def _find_archive(sdists: Path, name: str, version: str) -> Path | None:
    stems = {f"{name}-{version}", f"{name.replace('-', '_')}-{version}"}
    for candidate in sorted(sdists.iterdir()):
        for suffix in (".tar.gz", ".zip", ".tar.bz2"):
            if candidate.name.endswith(suffix) and candidate.name[: -len(suffix)].lower() in {
                s.lower() for s in stems
            }:
                return candidate
    return None


def pin(spec: str) -> tuple[str, str]:
    """`name==version` (as the benchmarks' `--projects` take them) as `(name, version)`."""
    name, sep, version = spec.partition("==")
    if not sep or not name or not version:
        raise ValueError(f"expected a project as name==version, not {spec!r}")
    return name, version


def real_project(name: str, version: str) -> Path:
    """The unpacked sdist of `name==version`, downloaded once (else ProjectUnavailable)."""
    sdists, projects = CACHE / "sdists", CACHE / "projects"
    sdists.mkdir(parents=True, exist_ok=True)
    projects.mkdir(parents=True, exist_ok=True)
    dest = projects / f"{name}-{version}"
    if dest.is_dir():
        return dest
    with open(CACHE / f".{name}-{version}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if dest.is_dir():  # another process finished while we waited
            return dest
        archive = _find_archive(sdists, name, version)
        if archive is None:
            proc = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "--no-deps",
                    "--no-binary",
                    ":all:",
                    "--disable-pip-version-check",
                    "-q",
                    "-d",
                    str(sdists),
                    f"{name}=={version}",
                ],
                capture_output=True,
                text=True,
                timeout=600,
            )
            archive = _find_archive(sdists, name, version)
            if archive is None:
                raise ProjectUnavailable(
                    f"cannot download {name}=={version}: {proc.stderr.strip()[-300:]}"
                )
        _unpack(archive, dest)
    return dest
