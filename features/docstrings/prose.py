"""Prose from a code model: a one-line summary and one short description per item.

Each text is a fill-in-the-middle request placed where it will stand in the docstring, so any
code model can write it. Every sentence is checked: one that names an identifier which exists
neither in the file nor among Python's builtins is dropped, so the model cannot cite invented
functions or parameters. The embedded `local` model never gets here (it writes no prose).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable

from typehole.base.builtin_names import BUILTIN_NAMES
from typehole.models.base import Backend, CompletionRequest

from .records import Target
from .render import ORDER, Prose, items_for

__all__ = ["MAX_ITEMS", "clean_sentences", "known_names", "write_prose"]

MAX_ITEMS = 12  # beyond this the remaining items keep placeholders
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_CODE = re.compile(r"`([^`]+)`|\b([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+|[A-Za-z]*_\w*|"
                   r"[a-z]+[A-Z]\w*|[A-Za-z_]\w*(?=\())")
_WORD = re.compile(r"[A-Za-z_]\w*")


def known_names(text: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """Identifiers prose may cite: those in the file, builtins, and `extra` (e.g. the index)."""
    return frozenset(_WORD.findall(text)) | BUILTIN_NAMES | frozenset(extra)


def clean_sentences(text: str, known: frozenset[str], limit: int = 200) -> str:
    """Model output as docstring prose: one line, sentences citing unknown names dropped."""
    text = text.replace('"""', "").replace("'''", "").replace("\\", "")
    text = " ".join(text.split())
    kept = []
    for sentence in _SENTENCE.split(text):
        names = [a or b for a, b in _CODE.findall(sentence)]
        if all(_WORD.findall(n)[:1] and _WORD.findall(n)[0] in known for n in names):
            kept.append(sentence)
    result = " ".join(kept).strip()
    if len(result) > limit:
        result = result[:limit].rsplit(" ", 1)[0]
    if result and result[-1] not in ".!?":
        result += "."
    return result[:1].upper() + result[1:]


async def _ask(backend: Backend, prefix: str, suffix: str, max_tokens: int) -> str:
    request = CompletionRequest(prefix=prefix, suffix=suffix, max_tokens=max_tokens,
                                stop=("\n", '"""'), temperature=0.0)
    parts = []
    async for chunk in backend.complete(request):
        parts.append(chunk.text)
        if "\n" in chunk.text:
            break
    return "".join(parts).split("\n")[0]


async def write_prose(backend: Backend, text: str, target: Target,
                      extra_names: Iterable[str] = ()) -> Prose:
    """Ask `backend` for the summary and item descriptions of `target` in `text`."""
    known = known_names(text, extra_names)
    start, end = target.span
    head = text[start:target.insert_at] if target.inline_body is None else \
        text[start:target.inline_body[0]] + "\n"
    body = text[target.insert_at:end] if target.inline_body is None else \
        target.indent + text[target.inline_body[0]:target.inline_body[1]].strip()
    indent = target.indent
    opening = f'{head}{indent}"""'
    closing = f'\n{indent}"""\n{body}'
    summary = clean_sentences(await _ask(backend, opening, closing, 48), known)
    keys: list[tuple[str, str]] = []
    for section in ORDER:
        for item in items_for(target.facts, section):
            keys.append((section, item.name))
    keys = keys[:MAX_ITEMS]
    title = {"params": "Args", "attributes": "Attributes", "returns": "Returns",
             "yields": "Yields", "raises": "Raises"}

    async def describe(section: str, name: str) -> str:
        lead = f"{name}: " if name else ""
        prefix = (f"{opening}{summary}\n\n{indent}{title[section]}:\n{indent}    {lead}")
        return clean_sentences(await _ask(backend, prefix, closing, 40), known)

    texts = await asyncio.gather(*(describe(s, n) for s, n in keys))
    items = {f"{s}:{n}": t for (s, n), t in zip(keys, texts, strict=True) if t}
    return Prose(summary or None, items)
