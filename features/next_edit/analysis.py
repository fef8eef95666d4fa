"""What the engines ask of a document's text, worked out ahead of the next edit.

An editor's server has seen every text before the one an edit makes: each was opened or typed
and then sat still. `prepare(text)` analyses a text the way the engines will ask of it when it is
an edit's `before` (pyflakes' view, parso's facts, the tree-sitter tree), so after the edit only
the new text is analysed, and that incrementally from the prepared one (`flakes.update`,
parso's diff parser, tree-sitter's incremental parse in `trees.parse`).
"""

from __future__ import annotations

from .flakes import flags
from .name_facts import NameFacts
from .trees import parse

__all__ = ["prepare"]

MAX_CHARS = 400_000  # beyond this a file is generated, not edited by hand (flakes' limit)


def prepare(text: str) -> None:
    """Analyse `text` now, as the engines will ask of it once it is an edit's `before`.

    Call it on the thread that runs the engines, between their runs (the server's analysis
    thread): the text's parso tree becomes the one the next text's is diffed from.
    """
    if len(text) > MAX_CHARS:
        return
    flags(text)
    NameFacts.settled(text)
    parse(text)
