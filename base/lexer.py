"""A lossless code lexer: the token alphabet of the embedded `local` model.

`"".join(lex(text)) == text` holds for any string (broken code, binary-ish text, CRLF, non-ASCII),
because the last alternative of the pattern matches any single character. Tokens are:

- a line break together with the indentation that follows it (``"\\n    "``), so the model sees
  block structure as one symbol;
- other runs of whitespace;
- identifiers (Unicode word characters, not starting with a digit);
- numbers (decimal, hex/octal/binary, floats with exponents, imaginary suffix);
- multi-character operators (``==``, ``->``, ``**=``, ``...``) and triple quotes;
- any other single character (quotes, brackets, ``#``, stray bytes).

A line break always starts a new token, so lexing may restart at any line break (see
`lex_tail`), which lets a caller lex only the end of a long document.
"""

from __future__ import annotations

import re

__all__ = ["count_tokens", "lex", "lex_tail"]

_TOKEN = re.compile(
    r"""
    (?:\r\n|\r|\n)[ \t]*                              # line break + the next line's indentation
  | [^\S\r\n]+                                        # other whitespace
  | [^\W\d]\w*                                        # identifier
  | 0[xXoObB][0-9a-fA-F_]+                            # prefixed integer
  | (?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?[jJ]?   # decimal number
  | \*\*=|//=|>>=|<<=|\.\.\.|"{3}|'{3}                # three-character operators and quotes
  | ->|:=|==|!=|<=|>=|\*\*|//|<<|>>|[-+*/%@&|^]=      # two-character operators
  | [\s\S]                                            # anything else, one character
    """,
    re.VERBOSE,
)


def lex(text: str) -> list[str]:
    """Split `text` into tokens whose concatenation is exactly `text`."""
    return _TOKEN.findall(text)


def count_tokens(text: str) -> int:
    """Number of tokens `lex(text)` produces."""
    return len(_TOKEN.findall(text))


def lex_tail(text: str, n: int) -> list[str]:
    """The last `n` tokens of `lex(text)` (fewer if the text is shorter), lexing only a tail.

    Lexing restarts at a line break, where the full lexer also starts a token, so the result equals
    `lex(text)[-n:]`; the window doubles until it holds `n` tokens or reaches the start.
    """
    if n <= 0:
        return []
    window = 256
    while True:
        start = len(text) - window
        if start <= 0:
            return lex(text)[-n:]
        nl = text.find("\n", start)
        if nl != -1:
            # "\r\n" is one token: restart at the "\r" so the break is not split.
            if text[nl - 1] == "\r":
                nl -= 1
            tokens = lex(text[nl:])
            if len(tokens) >= n:
                return tokens[-n:]
        window *= 2
