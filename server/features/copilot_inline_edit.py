"""`textDocument/copilotInlineEdit`: the next edit under GitHub Copilot's own method.

Neovim clients built for Copilot's next-edit suggestions (copilot-lsp, sidekick.nvim) send
`{textDocument: {uri, version}, position}` (sidekick adds `context`, which is ignored) and take
`{edits: [{range, text, textDocument: {uri, version}, command}]}`. The edits are those of
`typehole/nextEdit` (the same engines, history and anchoring): only the top one, in this
document, as Copilot answers, since sidekick applies every edit of an answer at once. A request
whose version is not the document's current one gets no edits, and clients drop an edit whose
`textDocument.version` no longer matches their buffer.

Each edit's `command` is `typehole.nextEditAccepted` with the suggestion's id: the client
executes it (`workspace/executeCommand`) once the user accepts the edit, and
`textDocument/didShowInlineEdit` (`{item: {command}}`) tells when it was shown. Both are
recorded in the log by engine, the way inline completions' acceptance is: telemetry stays
local. The command answers whether it knew the id (ids of the last offers are kept).
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from typing import Any

import attrs
from cachetools import LRUCache

from typehole.base.positions import lsp_encoding, position_at
from typehole.features.next_edit import Suggestion
from typehole.server.app import TypeholeServer, advertise, custom_request
from typehole.server.features.next_edit import NextEditParams, suggestions

__all__ = ["ACCEPT_COMMAND", "COPILOT_INLINE_EDIT", "DID_SHOW", "register"]

log = logging.getLogger(__name__)

COPILOT_INLINE_EDIT = "textDocument/copilotInlineEdit"
DID_SHOW = "textDocument/didShowInlineEdit"
ACCEPT_COMMAND = "typehole.nextEditAccepted"
MAX_OFFERS = 256  # ids of offers a client may still accept or report shown

custom_request(COPILOT_INLINE_EDIT, NextEditParams)


@attrs.frozen
class Offer:
    """One edit handed to a client, kept by id until accepted or pushed out."""

    uri: str
    version: int
    source: str
    reason: str


@attrs.define
class Ledger:
    """The recent offers by id and what happened to them, counted by engine."""

    offers: LRUCache[str, Offer] = attrs.field(factory=lambda: LRUCache(MAX_OFFERS))
    shown: Counter[str] = attrs.field(factory=Counter)
    accepted: Counter[str] = attrs.field(factory=Counter)

    def offer(self, uri: str, version: int, s: Suggestion) -> str:
        """Record `s` as offered; its id."""
        key = uuid.uuid4().hex
        self.offers[key] = Offer(uri, version, s.source, s.reason)
        return key

    def show(self, key: str) -> Offer | None:
        """Record that the offer `key` was shown; the offer, None when unknown."""
        offer = self.offers.get(key)
        if offer is not None:
            self.shown[offer.source] += 1
        return offer

    def accept(self, key: str) -> Offer | None:
        """Record that the offer `key` was accepted (once); the offer, None when unknown."""
        offer = self.offers.pop(key, None)
        if offer is not None:
            self.accepted[offer.source] += 1
        return offer


_LEDGERS: dict[int, Ledger] = {}


def ledger(ls: TypeholeServer) -> Ledger:
    """The server's ledger of offered edits."""
    return _LEDGERS.setdefault(id(ls), Ledger())


def register(server: TypeholeServer) -> None:
    """Register the method, the shown notification and the acceptance command."""
    advertise(COPILOT_INLINE_EDIT, {"acceptCommand": ACCEPT_COMMAND})

    @server.feature(COPILOT_INLINE_EDIT)
    async def copilot_inline_edit(ls: TypeholeServer, params: NextEditParams) -> dict[str, Any]:
        uri = params.text_document.uri
        found = await suggestions(ls, uri, params.text_document.version, params.position)
        document = ls.workspace.text_documents.get(uri)
        # Copilot's clients show an edit's text: a location-only suggestion (a jump) has none.
        mine = [s for s in found or [] if s.path is None and not s.jump]
        if not mine or document is None:
            return {"edits": []}
        return {"edits": [_edit(ls, document.source, uri, document.version, mine[0])]}

    @server.feature(DID_SHOW)
    def did_show(ls: TypeholeServer, params: Any) -> None:
        key = _command_id(_field(params, "item"))
        offer = ledger(ls).show(key) if key is not None else None
        if offer is not None:
            log.info("next edit shown: %s (%s)", offer.source, offer.uri)

    @server.command(ACCEPT_COMMAND)
    def accepted(ls: TypeholeServer, *args: Any) -> bool:
        key = args[0] if args and isinstance(args[0], str) else None
        offer = ledger(ls).accept(key) if key is not None else None
        if offer is None:
            log.info("next edit accepted, but its offer is unknown or gone: %s", args)
            return False
        log.info("next edit accepted: %s (%s); accepted by engine %s", offer.source, offer.uri,
                 dict(ledger(ls).accepted))
        return True


def _field(value: Any, name: str) -> Any:
    """`value[name]` or `value.name` (pygls hands untyped params over as either); else None."""
    if isinstance(value, dict):
        return value.get(name)
    return getattr(value, name, None)


def _command_id(item: Any) -> str | None:
    """The offer id in a `didShowInlineEdit` item: `{command: {arguments: [id]}}`."""
    arguments = _field(_field(item, "command"), "arguments")
    if isinstance(arguments, list | tuple) and arguments and isinstance(arguments[0], str):
        return arguments[0]
    return None


def _edit(ls: TypeholeServer, text: str, uri: str, version: int, s: Suggestion) -> dict[str, Any]:
    encoding = lsp_encoding(ls.workspace.position_encoding)
    (sl, sc), (el, ec) = position_at(text, s.start, encoding), position_at(text, s.end, encoding)
    return {
        "range": {"start": {"line": sl, "character": sc}, "end": {"line": el, "character": ec}},
        "text": s.new_text,
        "textDocument": {"uri": uri, "version": version},
        "command": {
            "title": "Accept next edit",
            "command": ACCEPT_COMMAND,
            "arguments": [ledger(ls).offer(uri, version, s)],
        },
    }
