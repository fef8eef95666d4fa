"""`typehole` subcommands, one module each; each exposes `add(subparsers)`.

Shared here: how a command finds the file, the project root and the settings, and the one error
type that becomes a one-line message with exit status 2.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from typehole.app import workspace
from typehole.app.hub import ModelHub, as_learner
from typehole.app.settings import Settings, read_pyproject, resolve
from typehole.app.training import learn_workspace, relative_name
from typehole.context import oracle
from typehole.context.walk import may_read, read_text, secret_reason
from typehole.models.base import Backend, LoadsInBackground

ROOT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")
# How long a command waits for ty before its first question. Started with the command, ty was
# ready before the index was (0.2-0.5 s), and its first questions cost 0.5-3.5 s against Jedi's
# 4-5 s cold (rich, httpx, attrs); a ty slower to start than that is not worth waiting for.
TY_WAIT_S = 4.0


class UsageError(Exception):
    """A command-line mistake, reported as one line on stderr with exit status 2."""


def parse_location(location: str, with_column: bool = True) -> tuple[Path, int, int]:
    """Split `FILE:LINE[:COL]` (1-based; the file name itself may contain colons)."""
    parts = location.rsplit(":", 2 if with_column else 1)
    try:
        if with_column and len(parts) == 3:
            return Path(parts[0]), int(parts[1]), int(parts[2])
        if not with_column and len(parts) == 2:
            return Path(parts[0]), int(parts[1]), 1
    except ValueError:
        pass
    shape = "FILE:LINE:COL" if with_column else "FILE:LINE"
    raise UsageError(f"expected {shape} (1-based), got {location!r}")


def find_root(path: Path) -> Path | None:
    """The nearest ancestor holding a project marker; None when there is none.

    Without a marker there is no workspace to learn from: walking an arbitrary folder (a home
    directory, /tmp) would read files the user never meant to share with a model.
    """
    for folder in [path.parent, *path.parent.parents]:
        if any((folder / marker).exists() for marker in ROOT_MARKERS):
            return folder
    return None


def load_document(path: Path) -> str:
    """The text of a file given on the command line, or a UsageError saying why not.

    Pass the path as the user gave it, not resolved, so that a symlink is judged as one.
    """
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    # Judged like a document open in an editor (`may_read`), by the path as given: a link keeps
    # its name and folder, so a link to a secret or out of the workspace is seen as one.
    if (reason := secret_reason(path)) is not None:
        raise UsageError(f"{path}: looks like a secret ({reason}); typehole never sends it "
                         "to a model")
    root = find_root(path.absolute())
    if (reason := may_read(path, root, _exclude(root), opened=True)) is not None:
        raise UsageError(f"{path}: {reason}; typehole never sends it to a model")
    text = read_text(path)
    if text is None:
        raise UsageError(f"{path}: not a UTF-8 text file (or larger than typehole reads)")
    return text


def _exclude(root: Path | None) -> list[str]:
    """The root's `exclude` setting, read quietly (`load_settings` reports the problems)."""
    if root is None:
        return []
    settings, _ = resolve([("pyproject.toml", read_pyproject(root)[0])])
    return list(settings.exclude)


@contextmanager
def type_oracle(root: Path | None, settings: Settings) -> Iterator[oracle.TyOracle | None]:
    """The workspace's type oracle for one command, as the server has it (setting
    `context.typeOracle`): ty's child started now, in the background, while the command builds
    its index and loads its model, and stopped when the command ends. Yields the child (None
    without a root, or under `jedi`); `wait_for_oracle` before the first question."""
    if root is None:
        yield None
        return
    ty = oracle.start_ty(root, settings.context.type_oracle, settings.context.ty_path,
                         exclude=tuple(settings.exclude))
    try:
        yield ty
    finally:
        oracle.stop(root)


def wait_for_oracle(ty: oracle.TyOracle | None) -> None:
    """Give ty up to `TY_WAIT_S` to be ready (a command has no editor waiting on it, and a
    cold Jedi costs more); past that, or without ty, Jedi answers."""
    if ty is not None:
        ty.wait_ready(TY_WAIT_S)


def load_settings(root: Path | None) -> Settings:
    """Settings from the environment and the root's pyproject.toml; problems are printed to
    stderr."""
    settings, problems = workspace.load_settings(root)
    for problem in problems:
        print(f"typehole: {problem}", file=sys.stderr)
    return settings


async def open_model(hub: ModelHub, settings: Settings, model_name: str | None, root: Path | None,
                     path: Path, text: str) -> tuple[Backend, str]:
    """The backend a command runs on, ready, and its description; a model that learns the
    workspace first learns it (all files but `path`, then `path` as given in `text`)."""
    backend, description = hub.backend(settings, model_name)
    if isinstance(backend, LoadsInBackground):
        await backend.wait_ready()  # a command waits for its model; an editor is told "loading"
    learner = as_learner(backend)
    if learner is not None:
        document = (relative_name(root, path), text)
        await learn_workspace(learner, root, settings, lambda: [document])
    return backend, description
