"""Keeps the embedded model trained on the workspace: a full pass at start, then file by file."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection, Iterable
from pathlib import Path

from typehole.app.settings import Settings
from typehole.context.walk import read_text, workspace_files
from typehole.models.base import WorkspaceLearner

log = logging.getLogger(__name__)

# Extensions a workspace-learning model learns from: code, not data or prose.
CODE_SUFFIXES = frozenset({".py", ".pyi", ".js", ".jsx", ".ts", ".tsx", ".go", ".rs", ".java"})


def relative_name(root: Path | None, path: Path) -> str:
    """The name a file is known by in prompts and the model: relative to the root when inside."""
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return path.name


def training_files(root: Path, settings: Settings) -> list[Path]:
    """Workspace code files a learning model trains on, capped by `training.maxFiles`."""
    files = [
        path
        for path in workspace_files(
            root, exclude=settings.exclude, max_bytes=settings.training.max_file_bytes
        )
        if path.suffix in CODE_SUFFIXES
    ]
    # Python first: it is what typehole analyses, so it should survive the cap.
    files.sort(key=lambda p: (p.suffix not in (".py", ".pyi"), len(p.parts), p.as_posix()))
    return files[: settings.training.max_files]


async def train_workspace(
    model: WorkspaceLearner,
    root: Path,
    settings: Settings,
    skip: Collection[str] = (),
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Train `model` on the workspace's code; `skip` names files whose live text is already in."""
    started = time.perf_counter()
    # Walking and reading touch the disk: keep them off the event loop.
    files = await asyncio.to_thread(training_files, root, settings)
    trained = 0
    for done, path in enumerate(files, 1):
        name = relative_name(root, path)
        if name not in skip:
            text = await asyncio.to_thread(read_text, path)
            if text is not None:
                await model.atrain(name, text)
                trained += 1
        if progress is not None:
            progress(done, len(files))
    log.info("trained on %d files in %.2fs", trained, time.perf_counter() - started)
    return trained


async def learn_workspace(
    model: WorkspaceLearner,
    root: Path | None,
    settings: Settings,
    documents: Callable[[], Iterable[tuple[str, str | None]]],
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Train `model` on the workspace's code from disk, and on the open documents from their
    live text, which may be newer than the disk.

    `documents` gives each open document's name and text (None for one the model must not
    learn, which is skipped on disk too); it is asked again after the disk pass, so documents
    opened meanwhile are learned as well. Without a root only the documents are learned.
    """
    trained = 0
    if root is not None:
        skip = {name for name, _ in documents()}
        trained = await train_workspace(model, root, settings, skip, progress)
    for name, text in documents():
        if text is not None:
            await model.atrain(name, text)
            trained += 1
    return trained
