"""pygls's workspace with documents that count lines as LSP does.

pygls's `TextDocument` splits its text with `str.splitlines`, which also ends a line at \\x0b,
\\x0c, \\x1c-\\x1e, \\x85, \\u2028 and \\u2029; the client counts only "\\r\\n", "\\n" and "\\r".
With any of those characters in a document, every incremental change after it landed on the
wrong line and the server's text drifted from the editor's. Here changes are applied through
`context/positions.py`, the one place that converts LSP positions.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

from lsprotocol import types
from pygls.workspace import TextDocument, Workspace

from typehole.base.positions import UTF16, line_starts, offsets_at, split_lines

__all__ = ["LspTextDocument", "LspWorkspace", "apply_change", "encoding_name", "starts_of"]


def encoding_name(encoding: object) -> str:
    """The name of a position encoding ("utf-16"), given a name or lsprotocol's enum member.

    `str()` of a `PositionEncodingKind` member is "PositionEncodingKind.Utf16", not its value.
    """
    if isinstance(encoding, Enum):
        encoding = encoding.value
    return str(encoding or UTF16)


def apply_change(text: str, change: types.TextDocumentContentChangeEvent, encoding: str,
                 starts: Sequence[int] | None = None) -> str:
    """`text` after one `didChange` content change (a range edit, or the whole new text).

    Positions count `encoding` units (UTF-16 unless negotiated otherwise) on LSP lines and clamp
    to the end of their line or of the text; a range given end first is taken in order.
    `starts` is `line_starts(text)` when the caller keeps it.
    """
    if not isinstance(change, types.TextDocumentContentChangePartial):
        return change.text
    start, end = change.range.start, change.range.end
    first, last = sorted(offsets_at(
        text, [(start.line, start.character), (end.line, end.character)], encoding, starts))
    return text[:first] + change.text + text[last:]


def starts_of(document: TextDocument) -> Sequence[int] | None:
    """The line starts a document keeps for its current text (None: it keeps none)."""
    return getattr(document, "line_starts", None)


class LspTextDocument(TextDocument):
    """A pygls document whose lines and incremental changes follow LSP's line breaks.

    It keeps where its lines start for its current text: in a 20 MB document finding them
    takes most of a second, and a request and the change after it need them once, not each.
    """

    _starts: tuple[str, list[int]] | None = None  # (the text they belong to, line starts)

    @property
    def lines(self) -> Sequence[str]:
        return tuple(split_lines(self.source, keepends=True))

    @property
    def line_starts(self) -> list[int]:
        """`positions.line_starts` of the current text, found once per version."""
        source = self.source
        if self._starts is None or self._starts[0] is not source:
            self._starts = (source, line_starts(source))
        return self._starts[1]

    def _apply_incremental_change(self, change: types.TextDocumentContentChangePartial) -> None:
        encoding = encoding_name(self.position_codec.encoding)
        self._source = apply_change(self.source, change, encoding, self.line_starts)
        self._starts = None  # they hold the old text: let it go

    def _apply_full_change(self, change: types.TextDocumentContentChangeEvent) -> None:
        super()._apply_full_change(change)
        self._starts = None


class LspWorkspace(Workspace):
    """A pygls workspace that keeps `LspTextDocument`s and names its encoding plainly."""

    @property
    def position_encoding(self) -> str:
        """The negotiated position encoding: "utf-16", "utf-8" or "utf-32"."""
        return encoding_name(super().position_encoding)

    @classmethod
    def like(cls, workspace: Workspace) -> LspWorkspace:
        """An empty workspace with the same root, folders, sync kind and position encoding."""
        return cls(
            workspace.root_uri,
            workspace._sync_kind,
            list(workspace.folders.values()),
            workspace.position_encoding,
        )

    def _create_text_document(
        self,
        doc_uri: str,
        source: str | None = None,
        version: int | None = None,
        language_id: str | None = None,
    ) -> TextDocument:
        return LspTextDocument(
            doc_uri,
            source=source,
            version=version,
            language_id=language_id,
            sync_kind=self._sync_kind,
            position_codec=self.position_codec,
        )
