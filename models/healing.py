"""Token healing for prompts that end inside a token (the model sees the prefix only).

A prompt that ends in the cursor's indentation, after a space, or in a half-typed word ends where
no token boundary would be in text the model was trained on: `    return` is `\\n`, `   `,
` return` to a SentencePiece tokenizer, so a prompt cut after the fourth space asks for a token
that starts without its space. Small models then write a space too many (17 columns instead of
16), a newline first, or a different word.

The cure: cut that end off the prompt (back to the end of the previous line, or to the start of
the word and the spaces before it) and make the model write it again under a grammar that starts
with exactly the text cut off; the text the model writes from there is the completion, and it
starts exactly at the cursor. After trailing whitespace the grammar also asks for a character
that is not whitespace, so the completion never starts with a space or an empty line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Healing", "Rewritten", "heal"]

_TAIL = re.compile(r"[ \t]*\w*\Z")
# Rule names of the healing grammar; an inner grammar's `root` is renamed to `heal-inner`.
_ROOT_DEF = re.compile(r"(?m)^root(?=\s*::=)")
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"|\[(?:[^\]\\]|\\.)*\]')


@dataclass(frozen=True)
class Healing:
    """The end of the prompt the model writes again (`text`), and the prompt without it."""

    prompt: str
    text: str

    def grammar(self, inner: str | None = None) -> str | None:
        """GBNF: `text` exactly, then `inner`'s language (or anything); None when `inner`
        cannot be composed (it refers to its own root), so the request stays unhealed."""
        head = _gbnf_literal(self.text)
        if inner is None:
            # After whitespace the next character is code, not more whitespace or a newline.
            first = r" [^ \t\r\n]" if self.text[-1:].isspace() else ""
            return (
                f"root ::= {head}{first} heal-any\n"
                "heal-any ::= [^\\x00]*\n"
            )
        if len(_ROOT_DEF.findall(inner)) != 1 or re.search(r"\broot\b", _QUOTED.sub("", inner)
                                                          .replace("root ::=", "", 1)):
            return None
        return f"root ::= {head} heal-inner\n" + _ROOT_DEF.sub("heal-inner", inner)

    def remover(self) -> Rewritten:
        """What removes `text` again from the start of the model's output."""
        return Rewritten(self.text)


class Rewritten:
    """Removes the text the model writes again from the start of its streamed output."""

    def __init__(self, text: str) -> None:
        self.pending = text
        self.failed = False  # the model wrote something else (a server ignoring grammars)

    def feed(self, chunk: str) -> str:
        """The part of `chunk` that follows the rewritten text ("" while it is still being
        written, and for ever once the model wrote something else)."""
        if self.failed or not self.pending:
            return "" if self.failed else chunk
        n = min(len(chunk), len(self.pending))
        if chunk[:n] != self.pending[:n]:
            self.failed = True
            return ""
        self.pending = self.pending[n:]
        return chunk[n:]


def heal(prompt: str) -> Healing | None:
    """The healing of `prompt`: its trailing spaces and word (the end of its last line that a
    token boundary may not separate from what follows), or None when it ends at a boundary."""
    last = prompt[prompt.rfind("\n") + 1:]
    tail = _TAIL.search(last)
    text = tail.group(0) if tail else ""
    if not text:
        return None
    return Healing(prompt=prompt[: len(prompt) - len(text)], text=text)


def _gbnf_literal(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
    return f'"{escaped}"'
