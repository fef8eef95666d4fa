"""Keep Jedi and ty warm for the open Python documents, so monitors and context answer sooner.

Once a document opens, and each time typing in it pauses, the analysis thread parses its text
and infers each name it imports (`jedistate.preload`), one step per task, so a completion
arriving meanwhile waits for at most one step; a newer version or a closed document stops the
rest. The workspace's ty child, where it runs, is asked to type the document meanwhile. A
workspace file changing on disk resets every cache of Jedi answers and the cached completions.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

from typehole.context import jedistate, oracle
from typehole.server.app import TypeholeServer
from typehole.server.features.documents import learnable, listen, listen_disk

log = logging.getLogger(__name__)

# Warm-up waits this long after the last change: while the user types, completions come first.
WARM_DELAY_S = 0.5
_PYTHON = (".py", ".pyi")


def register(server: TypeholeServer) -> None:
    """Warm Jedi on open and typing pauses; forget what it knows when files change on disk."""
    listen(server, _on_document)
    listen_disk(server, _on_disk_change)


def _on_disk_change(ls: TypeholeServer, uri: str, old: str | None, new: str | None) -> None:
    # Jedi answers about other files, and completions built on them (a renamed member), are
    # stale now; cached completions are cheap to make again.
    jedistate.invalidate()
    if ls.state.pipeline is not None:
        ls.state.pipeline.cache.clear()


def _on_document(ls: TypeholeServer, uri: str, text: str | None) -> None:
    timers = ls.state.warmup_timers
    if (handle := timers.pop(uri, None)) is not None:
        handle.cancel()
    settings = ls.state.settings
    wanted = settings.monitors.enabled or settings.context.enabled
    if text is None or not wanted or not uri.endswith(_PYTHON) or not learnable(ls, uri):
        return
    document = ls.workspace.text_documents.get(uri)
    version = document.version if document is not None else None
    loop = asyncio.get_running_loop()
    timers[uri] = loop.call_later(WARM_DELAY_S, lambda: ls.spawn(_warm(ls, uri, version)))


async def _warm(ls: TypeholeServer, uri: str, version: int | None) -> None:
    ls.state.warmup_timers.pop(uri, None)
    document = ls.workspace.text_documents.get(uri)
    if document is None or document.version != version:
        return
    ty = oracle.ty_for(document.path)
    if ty is not None:
        # ty infers in its own process: on its own thread, beside Jedi's warm-up.
        ls.spawn(asyncio.to_thread(ty.warm, document.path, document.source))
    engine = ls.state.engine
    project = engine.project if engine is not None else None
    steps = jedistate.preload(document.source, document.path, project)
    loop = asyncio.get_running_loop()
    while True:
        current = ls.workspace.text_documents.get(uri)
        if current is None or current.version != version:
            return  # a newer version warms itself once typing pauses again
        try:
            step = loop.run_in_executor(ls.state.analysis, _step, steps)
        except RuntimeError:  # the analysis thread is shut down: the server is exiting
            return
        more = await step
        if not more:
            log.debug("warmed %s", uri)
            return


def _step(steps: Iterator[str]) -> bool:
    """One step of a warm-up; False when there is nothing left to do."""
    try:
        next(steps)
    except StopIteration:
        return False
    return True
