"""`textDocument/completion` with one AI item, for editors without inline completion (Helix, Zed).

Registered only when `completion.completionFallback` is on: editors with inline completion would
otherwise show the suggestion twice.
"""

from __future__ import annotations

import re

from lsprotocol import types

from typehole.base.positions import lsp_encoding, offset_at, position_at
from typehole.server.app import TypeholeServer
from typehole.server.features.inline_completion import ACCEPT_COMMAND, run_at

_WORD_TAIL = re.compile(r"\w*$")


def register(server: TypeholeServer) -> None:
    """Register the completion provider (called from `initialize` when the setting is on)."""

    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=[".", "(", ","])
    )
    async def completion(
        ls: TypeholeServer, params: types.CompletionParams
    ) -> types.CompletionList | None:
        outcome = await run_at(ls, params.text_document.uri, params.position)
        if outcome is None or outcome.text is None:
            return None
        document = ls.workspace.text_documents[params.text_document.uri]
        text = document.source
        encoding = lsp_encoding(ls.workspace.position_encoding)
        offset = offset_at(text, params.position.line, params.position.character, encoding)
        # The client filters items by the word before the cursor, so the edit starts there.
        tail = _WORD_TAIL.search(text[text.rfind("\n", 0, offset) + 1 : offset])
        word = tail.group(0) if tail is not None else ""
        start = types.Position(*position_at(text, offset - len(word), encoding))
        first_line = outcome.text.split("\n", 1)[0]
        item = types.CompletionItem(
            label=(word + first_line).strip() or outcome.text.strip(),
            kind=types.CompletionItemKind.Text,
            detail="typehole",
            filter_text=word + outcome.text,
            sort_text="0",
            preselect=True,
            text_edit=types.TextEdit(
                range=types.Range(start=start, end=params.position), new_text=word + outcome.text
            ),
            command=types.Command(
                title="typehole: accepted",
                command=ACCEPT_COMMAND,
                arguments=[params.text_document.uri, len(outcome.text)],
            ),
        )
        return types.CompletionList(is_incomplete=True, items=[item])
