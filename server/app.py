"""The typehole language server: a pygls server plus the state its features share.

Each feature module in `server/features/` registers its own handlers and capabilities on the
server (`register(server)`), so this module only builds the server and holds shared state.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import attrs
from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol

from typehole import __version__
from typehole.models.local import LocalModel
from typehole.server.completion.pipeline import Pipeline
from typehole.server.config import Settings

log = logging.getLogger(__name__)

INLINE_COMPLETION_ALIAS = "typehole/inlineCompletion"


@attrs.define
class _AliasInlineCompletionRequest:
    """`typehole/inlineCompletion`: the standard request under a name older clients can send."""

    id: int | str
    params: types.InlineCompletionParams
    method: str = INLINE_COMPLETION_ALIAS
    jsonrpc: str = "2.0"


class TypeholeProtocol(LanguageServerProtocol):
    """Adds typed params for typehole's own methods, so malformed ones get InvalidParams."""

    def get_message_type(self, method: str) -> type[Any] | None:
        if method == INLINE_COMPLETION_ALIAS:
            return _AliasInlineCompletionRequest
        return super().get_message_type(method)


@dataclass
class State:
    """What features share: settings, the models, the pipeline and the work in flight."""

    settings: Settings = field(default_factory=Settings)
    root: Path | None = None
    init_options: Any = None
    local: LocalModel | None = None
    pipeline: Pipeline | None = None
    # Jedi and tree-sitter work: one thread, since Jedi is not thread-safe.
    analysis: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="typehole-analysis")
    )
    inflight: dict[str, asyncio.Task[Any]] = field(default_factory=dict)
    background: set[asyncio.Task[Any]] = field(default_factory=set)
    reported: set[str] = field(default_factory=set)
    pending_problems: list[str] = field(default_factory=list)


class TypeholeServer(LanguageServer):
    """The pygls server with typehole's shared `state`."""

    def __init__(self) -> None:
        super().__init__(
            "typehole",
            __version__,
            protocol_cls=TypeholeProtocol,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
        )
        self.state = State()

    def spawn(self, coro: Any) -> asyncio.Task[Any]:
        """Run background work that must outlive the handler that started it."""
        task = asyncio.ensure_future(coro)
        self.state.background.add(task)
        task.add_done_callback(self._background_done)
        return task

    def _background_done(self, task: asyncio.Task[Any]) -> None:
        self.state.background.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("background task failed", exc_info=exc)
            self.tell(types.MessageType.Error, f"typehole: background work failed: {exc}")

    def tell(self, kind: types.MessageType, message: str, once: bool = False) -> None:
        """Show `message` to the user (`window/showMessage`); `once` suppresses repeats."""
        if once:
            if message in self.state.reported:
                return
            self.state.reported.add(message)
        log.log(logging.ERROR if kind == types.MessageType.Error else logging.WARNING, message)
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))


def create_server() -> TypeholeServer:
    """A server with every feature registered."""
    from typehole.server.features import register_all

    server = TypeholeServer()
    register_all(server)
    return server
