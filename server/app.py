"""The typehole language server: a pygls server plus the state its features share.

Each feature module in `server/features/` registers its own handlers and capabilities on the
server (`register(server)`), so this module only builds the server and holds shared state.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Generator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import attrs
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, lsp_method
from pygls.protocol.json_rpc import JsonRPCNotification

from typehole import __version__
from typehole.app.hub import ModelHub
from typehole.app.settings import Settings
from typehole.context.engine import ContextEngine
from typehole.features.completion.pipeline import Pipeline
from typehole.models.base import WorkspaceLearner
from typehole.models.health import HealthEvent
from typehole.server import wire_text
from typehole.server.workspace import LspWorkspace

log = logging.getLogger(__name__)

INLINE_COMPLETION_ALIAS = "typehole/inlineCompletion"
# A no-op notification that stands in for a request already answered with an error.
_ANSWERED = "$/typehole/answered"


# Params types of typehole's own requests; features add theirs with `custom_request`.
_CUSTOM_REQUESTS: dict[str, type] = {}
# `capabilities.experimental` of the initialize result: the methods beyond LSP a client may
# call, by name (features add theirs with `advertise`).
_EXPERIMENTAL: dict[str, Any] = {}


def advertise(method: str, details: Any = True) -> None:
    """List `method` (with `details`) under `capabilities.experimental`."""
    _EXPERIMENTAL[method] = details


def custom_request(method: str, params_type: type) -> None:
    """Declare the params type of a custom request, so its params arrive typed and validated."""
    _CUSTOM_REQUESTS[method] = attrs.make_class(
        f"Request_{method.replace('/', '_')}",
        {
            # attrs takes any annotation here (cattrs structures by it); its stub says `type`.
            "id": attrs.field(type=int | str),  # type: ignore[arg-type]
            "params": attrs.field(type=params_type),
            "method": attrs.field(type=str, default=method),
            "jsonrpc": attrs.field(type=str, default="2.0"),
        },
    )


# `typehole/inlineCompletion`: the standard request under a name older clients can send.
custom_request(INLINE_COMPLETION_ALIAS, types.InlineCompletionParams)


class TypeholeProtocol(LanguageServerProtocol):
    """Adds typed params for typehole's own methods, so malformed ones get InvalidParams, and
    keeps documents whose lines are LSP's (server/workspace.py)."""

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(self, params: types.InitializeParams) -> Generator[Any, Any, Any]:
        """pygls's `initialize`, with its new workspace swapped for an `LspWorkspace`.

        pygls creates the workspace before it first yields (to the feature's handler), so the
        swap happens before any handler or document sees it.
        """
        steps = super().lsp_initialize(params)
        sent: Any = None
        while True:
            try:
                step = steps.send(sent)
            except StopIteration as done:
                self._use_lsp_workspace()
                if isinstance(done.value, types.InitializeResult) and _EXPERIMENTAL:
                    done.value.capabilities.experimental = dict(_EXPERIMENTAL)
                return done.value
            self._use_lsp_workspace()
            sent = yield step

    def _use_lsp_workspace(self) -> None:
        if self._workspace is not None and not isinstance(self._workspace, LspWorkspace):
            self._workspace = LspWorkspace.like(self._workspace)

    # pygls caches its lookup (`lru_cache`); this one is not cached, as requests can be added.
    def get_message_type(self, method: str) -> type[Any] | None:  # type: ignore[override]
        return _CUSTOM_REQUESTS.get(method) or super().get_message_type(method)

    def structure_message(self, data: dict[str, Any]) -> Any:
        """Like pygls, but a request with malformed params gets an InvalidParams *answer*, and a
        malformed reply fails the request it answers.

        pygls raises before it knows the request id, so the client would wait forever (or, for
        a reply, the server would). Lone surrogates are cleaned out first (see `wire_text`).
        """
        if isinstance(data, dict):
            data = wire_text.scrub(data)
            if "jsonrpc" in data and (uri := wire_text.bad_uri(data.get("params"))) is not None:
                return self._refuse_bad_uri(data, uri)
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if not isinstance(data, dict) or "id" not in data:
                raise
            if "method" not in data:
                # A malformed reply to one of our requests (`null` or `42` for applyEdit):
                # fail that request, or whoever awaits it would wait forever.
                reason = f"malformed reply from the client: {exc.__cause__ or exc}"
                error = types.ResponseError(code=JsonRpcInvalidParams.CODE, message=reason)
                self._handle_response(data["id"], None, error)
            elif isinstance(exc, JsonRpcInvalidParams):
                reason = f"invalid params for {data['method']}: {exc.__cause__ or exc}"
                self._send_response(data["id"],
                                    error=JsonRpcInvalidParams(reason).to_response_error())
            else:
                raise
            return JsonRPCNotification(method=_ANSWERED, jsonrpc="2.0", params=None)

    def _refuse_bad_uri(self, data: dict[str, Any], uri: str) -> Any:
        """Answer a request naming an impossible URI with InvalidParams; drop such a
        notification (a document that cannot be named was never opened)."""
        reason = (f"invalid params for {data.get('method')}: the URI {uri!r} holds a lone "
                  "surrogate, which no file name can")
        if "method" in data and "id" in data:
            self._send_response(data["id"], error=JsonRpcInvalidParams(reason).to_response_error())
        else:
            log.warning("ignored: %s", reason)
        return JsonRPCNotification(method=_ANSWERED, jsonrpc="2.0", params=None)


@dataclass
class State:
    """What features share: settings, the models, the pipeline and the work in flight."""

    settings: Settings = field(default_factory=Settings)
    root: Path | None = None
    init_options: Any = None
    hub: ModelHub | None = None
    pipeline: Pipeline | None = None
    engine: ContextEngine | None = None
    model_description: str = ""
    # Jedi and tree-sitter work: one thread, since Jedi is not thread-safe.
    analysis: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="typehole-analysis")
    )
    inflight: dict[str, asyncio.Task[Any]] = field(default_factory=dict)
    # Open documents over `context.max_document_bytes` (server/features/documents.py): never
    # analysed whole, only in windows around the cursor.
    large: set[str] = field(default_factory=set)
    # Pending re-training of a workspace-learning model per document (debounced while typing).
    retrain_timers: dict[str, asyncio.TimerHandle] = field(default_factory=dict)
    # Open documents whose unsaved text was indexed (and learned, where the model learns the
    # workspace; server/features/documents.py): on close, their file's text is taken again.
    learned: set[str] = field(default_factory=set)
    # Pending Jedi warm-ups per document (features/warmup.py), debounced the same way.
    warmup_timers: dict[str, asyncio.TimerHandle] = field(default_factory=dict)
    background: set[asyncio.Task[Any]] = field(default_factory=set)
    reported: set[str] = field(default_factory=set)
    # Each model's latest health (server/features/status.py): held until the client is
    # initialized, then sent; and the progress bars of the models that are loading.
    health: dict[str, HealthEvent] = field(default_factory=dict)
    initialized: bool = False
    loading: dict[str, Any] = field(default_factory=dict)
    pending_problems: list[str] = field(default_factory=list)
    # Filled by features at registration (see features/code_actions.py, diagnostics.py,
    # documents.py): the ways several features share one LSP method.
    code_action_providers: list[Any] = field(default_factory=list)
    diagnostic_providers: list[Any] = field(default_factory=list)
    document_listeners: list[Any] = field(default_factory=list)
    disk_listeners: list[Any] = field(default_factory=list)
    inline_providers: list[Any] = field(default_factory=list)

    @property
    def learner(self) -> WorkspaceLearner | None:
        """The configured model when it learns the workspace's files (the n-gram model)."""
        return self.hub.learner(self.settings) if self.hub is not None else None


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
