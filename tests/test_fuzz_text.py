"""The server's document text stays the client's, whatever the edits (server/workspace.py).

LSP lines end only at "\\r\\n", "\\n" and "\\r"; `str.splitlines` also splits at \\x0b, \\x0c,
\\x1c-\\x1e, \\x85, \\u2028 and \\u2029, and pygls's documents used it. The client's model here is
written independently of `context/positions.py`: a character-by-character line splitter and
columns counted by encoding the line. Hypothesis drives random incremental edits through the
document class the server uses (in UTF-16, UTF-8 and UTF-32); a seeded run does the same over
stdio through a real LSP client, reading the server's text back from the prompt a loopback model
server receives (the whole document is the prompt's prefix when the cursor is at its end).
"""

from __future__ import annotations

import random
from pathlib import Path

from fakeserver import SSE, Reply, oai, serve, sse
from hypothesis import given, settings
from hypothesis import strategies as st
from lsp_client import open_document, start_client
from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from typehole.base.positions import split_lines
from typehole.server.workspace import LspTextDocument

# Everything `str.splitlines` takes for a line break, real line breaks, and characters outside
# the BMP (two UTF-16 units, four UTF-8 bytes).
TRICKY = ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029",
          "\n", "\r", "\r\n", "😀", "𝔘", "\U0010ffff", "é", "中"]
PIECES = [*TRICKY, "a", "b", " ", "x = 1", "\t"]

_UNIT = {"utf-16": ("utf-16-le", 2), "utf-8": ("utf-8", 1), "utf-32": ("utf-32-le", 4)}


def _units(text: str, encoding: str) -> int:
    codec, width = _UNIT[encoding]
    return len(text.encode(codec, "surrogatepass")) // width


def _lines(text: str) -> list[tuple[int, str]]:
    """(start offset, content) of every line, as an editor numbers them."""
    lines, start, at = [], 0, 0
    while at < len(text):
        if text[at] in "\r\n":
            lines.append((start, text[start:at]))
            at += 2 if text[at : at + 2] == "\r\n" else 1
            start = at
        else:
            at += 1
    lines.append((start, text[start:]))
    return lines


def _position(text: str, offset: int, encoding: str) -> tuple[int, int]:
    """The client's (line, character) of an offset that lies on a line (not inside a CRLF)."""
    for number, (start, content) in reversed(list(enumerate(_lines(text)))):
        if start <= offset:
            assert offset <= start + len(content), "offset inside a line break"
            return number, _units(content[: offset - start], encoding)
    raise AssertionError("unreachable")


def _offset(text: str, line: int, character: int, encoding: str) -> int:
    """The client's offset of a position; a character past the line's end means its end."""
    start, content = _lines(text)[line]
    length = 0
    while length < len(content) and _units(content[: length + 1], encoding) <= character:
        length += 1
    return start + length


def _addressable(text: str) -> list[int]:
    """Offsets an LSP position can name: all but the one inside each "\\r\\n"."""
    return [at for at in range(len(text) + 1) if text[at - 1 : at + 1] != "\r\n"]


def _edit(
    text: str, rng: random.Random, encoding: str, pieces: list[str]
) -> tuple[types.TextDocumentContentChangePartial, str]:
    """A random incremental change as the client sends it, and the client's text after it."""
    places = _addressable(text)
    start, end = sorted(rng.choice(places) for _ in range(2))
    (first, first_char), (last, last_char) = (
        _position(text, start, encoding), _position(text, end, encoding)
    )
    if rng.random() < 0.1:  # past the end of the line: the client means the end of it
        last_char += rng.randint(1, 5)
        end = _offset(text, last, last_char, encoding)
        start = min(start, end)
    new = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 6)))
    change = types.TextDocumentContentChangePartial(
        range=types.Range(types.Position(first, first_char), types.Position(last, last_char)),
        text=new,
    )
    return change, text[:start] + new + text[end:]


@settings(max_examples=200, deadline=None)
@given(
    initial=st.lists(st.sampled_from(PIECES), max_size=30).map("".join),
    seed=st.integers(0, 2**32),
    encoding=st.sampled_from(sorted(_UNIT)),
)
def test_random_edits_keep_the_document_equal_to_the_client(
    initial: str, seed: int, encoding: str
) -> None:
    rng = random.Random(seed)
    document = LspTextDocument(
        "file:///w/app.py", initial, version=0, position_codec=PositionCodec(encoding=encoding)
    )
    text = initial
    for _ in range(30):
        change, text = _edit(text, rng, encoding, PIECES)
        document.apply_change(change)
        assert document.source == text, (change, encoding)
        # pygls's own helpers use `lines`: like `splitlines`, no empty line after the last break.
        lines = [content for _, content in _lines(text)]
        if lines[-1] == "":
            lines.pop()
        assert [line.rstrip("\r\n") for line in document.lines] == lines


def test_split_lines_breaks_only_where_lsp_does() -> None:
    text = "a\x0bb\x0cc\x1cd\x1de\x1ef\x85g\u2028h\u2029i\r\nj\rk\nl"
    assert split_lines(text) == ["a\x0bb\x0cc\x1cd\x1de\x1ef\x85g\u2028h\u2029i", "j", "k", "l"]
    assert split_lines(text, keepends=True)[:3] == [
        "a\x0bb\x0cc\x1cd\x1de\x1ef\x85g\u2028h\u2029i\r\n", "j\r", "k\n"
    ]
    assert split_lines("") == [] and split_lines("x\n") == ["x"] and split_lines("\r\r") == ["", ""]


# -- Over the wire ------------------------------------------------------------------------------

# Code-like pieces: no quote, `#` or bracket, so the cursor at the end is never in a string,
# a comment or an open bracket, where completion is (rightly) not offered.
WIRE_PIECES = [*TRICKY, "a", "b", " ", "y = 2", "\t"]
FIM_END = "<fim_suffix><fim_middle>"


def _settings(url: str) -> dict:
    return {
        "model": "remote",
        "models": {"remote": {"backend": "openai", "url": url + "/v1", "model": "starcoder2-3b"}},
        "completion": {"maxTokens": 16},
    }


async def _prompt_at(client, model_server, uri: str, line: int, character: int) -> str:  # noqa: ANN001
    """The prompt the model receives for an inline completion at (line, character)."""
    sent = len(model_server.requests)
    result = await client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line, character),
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Invoked
            ),
        )
    )
    assert result is not None and result.items, "no completion: the model was not asked"
    assert len(model_server.requests) == sent + 1
    return model_server.requests[-1][1]["prompt"]


async def test_edits_over_the_wire_keep_the_servers_text(tmp_path: Path) -> None:
    """25 seeded random edits through a real client; after each, the server's text (the
    prompt's prefix at the end of the document) is the client's: 0 mismatches.

    The client declares no position encoding, as most do: UTF-16 it is (other encodings are
    fuzzed on the document class above).
    """
    rng, encoding = random.Random(13), "utf-16"
    path = tmp_path / "app.py"
    path.write_text("", encoding="utf-8")
    reply = Reply(headers=SSE, body=sse(oai("pass", finish="stop")))
    async with serve(lambda _path, _body: reply) as (model_server, url):
        client, result = await start_client(
            tmp_path, init_options=_settings(url), capabilities=types.ClientCapabilities()
        )
        try:
            assert result.capabilities.position_encoding == encoding
            # The text always ends in a line break (edits stop before the last one), so the
            # cursor at the end is on an empty last line, where completion is offered.
            text = "x = 1\x0c y\u2028 = 2\n"
            uri = open_document(client, path, text)
            seen = {text}
            mismatches = []
            for version in range(2, 27):
                while True:  # a text seen before could be answered from the completion cache
                    change, new = _edit(text[:-1], rng, encoding, WIRE_PIECES)
                    if new + text[-1] not in seen:
                        break
                text = new + text[-1]
                seen.add(text)
                identifier = types.VersionedTextDocumentIdentifier(uri=uri, version=version)
                client.text_document_did_change(
                    types.DidChangeTextDocumentParams(
                        text_document=identifier, content_changes=[change]
                    )
                )
                last = len(_lines(text)) - 1
                prompt = await _prompt_at(client, model_server, uri, last, 0)
                if not prompt.endswith(text + FIM_END):
                    mismatches.append((version, text, prompt))
            assert mismatches == []

            # A cursor after characters outside the BMP: the column counts them as the client
            # does, two UTF-16 units each.
            line = "z😀𝔘 = \x85"
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=99),
                    content_changes=[types.TextDocumentContentChangeWholeDocument(
                        text=f"{line}\nq = 1\n")],
                )
            )
            prompt = await _prompt_at(client, model_server, uri, 0, _units(line, encoding))
            assert prompt.endswith(f"{line}<fim_suffix>\nq = 1\n<fim_middle>")
        finally:
            await client.shutdown_session()
