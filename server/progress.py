"""`$/progress` for long work, usable from worker threads, silent when the client cannot show it."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from lsprotocol import types
from pygls.lsp.server import LanguageServer

log = logging.getLogger(__name__)

Report = Callable[[int, int], None]


@asynccontextmanager
async def work_done(ls: LanguageServer, title: str) -> AsyncIterator[Report]:
    """Show a progress bar for the block; yields `report(done, total)`, callable from any thread.

    Ends the bar with "done" or "cancelled" however the block exits.
    """
    token = await create_token(ls)
    loop = asyncio.get_running_loop()
    last = [-1]

    def send(done: int, total: int) -> None:
        percent = int(done * 100 / total) if total else 100
        if token is not None and percent != last[0]:
            last[0] = percent
            report = types.WorkDoneProgressReport(message=f"{done}/{total}", percentage=percent)
            ls.work_done_progress.report(token, report)

    def report(done: int, total: int) -> None:
        loop.call_soon_threadsafe(send, done, total)

    if token is not None:
        ls.work_done_progress.begin(token, types.WorkDoneProgressBegin(title=title, percentage=0))
    outcome = "cancelled"
    try:
        yield report
        outcome = "done"
    finally:
        await asyncio.sleep(0)  # let reports queued by worker threads go out before the end
        if token is not None:
            ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message=outcome))


async def create_token(ls: LanguageServer) -> str | None:
    """A new progress token the client accepted (`window/workDoneProgress/create`), or None
    when it cannot show progress or refused."""
    window = ls.client_capabilities.window
    if window is None or not window.work_done_progress:
        return None
    token = f"typehole-{uuid.uuid4().hex[:12]}"
    try:
        await ls.work_done_progress.create_async(token)
    except Exception as exc:  # a client may refuse a bar; the work goes on without one
        log.info("no progress bar: %s", exc)
        return None
    return token
