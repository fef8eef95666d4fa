"""`workspace/applyEdit` from a command: the editor applies the edit, or the user hears why not."""

from __future__ import annotations

import logging

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer

log = logging.getLogger(__name__)


async def apply_edit(ls: LanguageServer, edit: types.WorkspaceEdit, label: str) -> bool:
    """Ask the client to apply `edit`; True when it says it did.

    A refusal, an error, or a malformed reply (`null`, `42`: the protocol fails the request, see
    `TypeholeProtocol.structure_message`) counts as not applied, and the user is told why.
    """
    try:
        result = await ls.workspace_apply_edit_async(
            types.ApplyWorkspaceEditParams(edit=edit, label=label))
    except JsonRpcException as exc:
        reason = exc.message or f"error {exc.code}"
    else:
        if result.applied:
            return True
        reason = result.failure_reason or "the editor declined it"
    message = f"{label}: the edit was not applied ({reason})"
    log.warning(message)
    ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Warning,
                                                   message=message))
    return False
