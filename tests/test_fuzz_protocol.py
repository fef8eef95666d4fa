"""Framing damage never silences or kills the server (server/framing.py).

The pure reader is fuzzed with hypothesis (any damage, any split of the stream into reads); a real
`typehole serve` gets the probes that used to break it and seeded random damage interleaved with
valid requests over stdio, through a raw-bytes client. Every valid request must be answered, and
the server must stay up, or exit non-zero where the stream cannot be recovered.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from raw_lsp import HANG_GUARD_S, SERVER_COMMAND, RawServer, frame, request

from typehole.server.framing import Damage, Deframer, Frame, Oversized, top_level_id

CAP = 4096  # the pure reader's cap in these tests

# -- Damage: everything a broken client, a broken pipe or a hostile peer could write -------------


def _body(msg_id: Any = "bad", **extra: Any) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": msg_id, "method": "x", **extra}).encode()


def _deep(depth: int) -> bytes:
    nested = b"[" * depth + b"]" * depth
    return b'{"jsonrpc":"2.0","id":"deep","method":"x","params":' + nested + b"}"


DAMAGE: list[bytes] = [
    b"Content-Length: abc\r\n\r\n" + _body(),
    b"Content-Length: -5\r\n\r\n" + _body(),
    b"Content-Length: \r\n\r\n" + _body(),
    b"Content-Length: 1.5\r\n\r\n" + _body(),
    b"Content-Length: 0x10\r\n\r\n" + _body(),
    "Content-Length: ١٢\r\n\r\n".encode() + _body(),  # digits, but not ASCII ones
    _body(),  # a body without a header
    b"Content-Length: 10\r\n\r\n" + _body(),  # too short
    b"Content-Length: 1000\r\n\r\n" + _body(),  # too long: runs into the next message
    b"Content-Length: 59\r\n\r\n" + _body(),  # a few bytes too long
    b"Content-Length: 1000000000000\r\n\r\n" + _body(),
    b"Content-Length: 99999999999999999999\r\n\r\n",
    b"Content-Length: " + b"9" * 40 + b"\r\n\r\n",
    b"Content-Length: 5\r\n",  # a header block that never ends
    b"Content-Length: 5\r\nContent-Length: 6\r\n\r\n{}",
    b"Content-Type: application/vscode-jsonrpc\r\n\r\n" + _body(),  # no length at all
    b"Content-Len",  # a header cut short
    b"Content-Length: 4",
    b"X-" + b"a" * 9000 + b": b\r\n\r\n",  # a header line far too long
    b"\r",
    b"\x00\xff\xfe garbage \x85\r\n",
    b"Content-Length: 0\r\n\r\n",
    b"Content-Length: 2\r\n\r\n\xff\xfe",  # not UTF-8
    b"Content-Length: 5\r\n\r\n{,,,}",
    b"Content-Length: 4\r\n\r\nnull",
    b"Content-Length: 2\r\n\r\n42",
    b"Content-Length: 2\r\n\r\n[]",
]


def _damage_messages() -> list[dict[str, Any] | list[Any] | bytes]:
    """Bodies JSON-RPC rejects, to send in a proper frame."""
    return [
        {"jsonrpc": "2.0", "id": "m", "method": 123},
        {"jsonrpc": "2.0", "id": {"x": 1}, "method": "x"},
        {"jsonrpc": "2.0", "id": 1.5, "method": "x"},
        {"jsonrpc": "2.0", "id": True, "method": "x"},
        {"jsonrpc": "1.0", "id": "v", "method": "x"},
        {"id": "v", "method": "x"},
        {"jsonrpc": "2.0", "id": "p", "method": "x", "params": "text"},
        {"jsonrpc": "2.0", "id": "r"},
        {"jsonrpc": "2.0"},
        [request("b1", "x"), request("b2", "y"), {"jsonrpc": "2.0", "method": "n"}],
        [],
        b'{"jsonrpc":"2.0","id":"t","method":"x",}',
        b'{"jsonrpc":"2.0","id":"t","method":"x"',
        _deep(2000),
        json.dumps(request("s", "textDocument/inlineCompletion", {"textDocument": 3})).encode(),
    ]


def _lenient(message: dict[str, Any], rng: random.Random) -> bytes:
    """A valid frame as a lenient client might write it: these must be answered too."""
    header = rng.choice([
        "Content-Length: {n}\r\n\r\n",
        "content-length: {n}\r\n\r\n",
        "CONTENT-LENGTH:{n}\r\n\r\n",
        "Content-Length:   {n}  \r\n\r\n",
        "Content-Length: {n}\n\n",
        "Content-Length: {n}\r\n\n",
        "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: {n}\r\n\r\n",
        "Content-Length: {n}\r\nContent-Type: application/vscode-jsonrpc\r\n\r\n",
        "X-Anything: at all\r\nContent-Length: 000{n}\r\n\r\n",
        "\r\n\r\nContent-Length: {n}\r\n\r\n",
    ])
    return frame(message, header)


def _damage(rng: random.Random) -> bytes:
    kind = rng.randrange(4)
    if kind == 0:
        return rng.choice(DAMAGE)
    if kind == 1:
        message = rng.choice(_damage_messages())
        return frame(message if isinstance(message, bytes) else json.dumps(message).encode())
    if kind == 2:  # a bad message's frame with a few bytes changed
        data = bytearray(frame(_body(f"flip-{rng.randrange(10**6)}")))
        for _ in range(rng.randint(1, 3)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        return bytes(data)
    data = frame(_body(f"cut-{rng.randrange(10**6)}"))  # a frame cut anywhere
    return data[: rng.randrange(1, len(data))]


def _pieces(data: bytes, rng: random.Random) -> list[bytes]:
    """`data` split into random reads."""
    cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, rng.randint(0, 6))))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]


# -- The pure reader ----------------------------------------------------------------------------


def _events(stream: bytes, reads: list[int]) -> list[Any]:
    deframer, events, at = Deframer(CAP), [], 0
    for size in reads:
        events += deframer.feed(stream[at : at + size])
        at += size
    events += deframer.feed(stream[at:])
    return events + deframer.finish()


def _shape(events: list[Any]) -> list[Any]:
    """What must not depend on how the stream was read: the frames, and where damage was."""
    return [e.body if isinstance(e, Frame) else type(e).__name__ for e in events]


@settings(max_examples=300, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    plan=st.lists(st.tuples(st.booleans(), st.binary(max_size=40)), min_size=1, max_size=12),
    reads=st.lists(st.integers(1, 300), max_size=30),
)
def test_reader_recovers_every_valid_frame_however_it_is_read(
    seed: int, plan: list[tuple[bool, bytes]], reads: list[int]
) -> None:
    rng = random.Random(seed)
    stream, valid = b"", []
    for number, (damaged, noise) in enumerate(plan):
        if damaged:
            stream += rng.choice([_damage(rng), noise])
        body = json.dumps(request(number, "x", {"n": "\u2028\x85😀"})).encode()
        stream += _lenient(json.loads(body), rng)
        valid.append(body)
    whole = _events(stream, [])
    frames = [e.body for e in whole if isinstance(e, Frame)]
    # Every valid frame comes out, in order, whatever damage came before it.
    assert [f for f in frames if f in valid] == valid
    assert _shape(_events(stream, reads)) == _shape(whole)


def test_reader_skips_an_oversized_body_without_holding_it() -> None:
    deframer = Deframer(CAP)
    big = json.dumps(request("big", "x", {"text": "y" * 100_000})).encode()
    events = deframer.feed(b"Content-Length: %d\r\n\r\n" % len(big))
    for at in range(0, len(big), 1000):
        events += deframer.feed(big[at : at + 1000])
        assert len(deframer._buf) <= 2 * CAP  # never more than a read and a peek
    events += deframer.feed(frame(request(1, "x")))
    assert [type(e) for e in events] == [Oversized, Frame]
    assert events[0].length == len(big) and top_level_id(events[0].head) == "big"


def test_reader_gives_up_on_a_stream_that_is_not_lsp() -> None:
    deframer = Deframer(CAP)
    events = deframer.feed(b"{not a header")
    assert [type(e) for e in events] == [Damage]
    for _ in range(10):
        events = deframer.feed(bytes(range(256)) * 4)
    assert type(events[-1]).__name__ == "Unrecoverable"


def test_top_level_id_reads_only_the_envelope() -> None:
    assert top_level_id(_deep(100_000)) == "deep"
    assert top_level_id(b'{"params": {"id": 3}, "id": 7, "method": "x"') == 7
    assert top_level_id(b'{"jsonrpc": "2.0", "id": "a\\"b"}') == 'a"b'
    assert top_level_id(b'[{"id": 1}]') is None
    assert top_level_id(b'{"id": true}') is None
    assert top_level_id(b'{"jsonrpc"') is None


# -- A real server ------------------------------------------------------------------------------

VALID = "textDocument/inlineCompletion"


def _valid(msg_id: int) -> dict[str, Any]:
    return request(msg_id, VALID, {
        "textDocument": {"uri": "file:///nowhere/never_opened.py"},
        "position": {"line": 0, "character": 0},
        "context": {"triggerKind": 2},
    })


async def _probes(server: RawServer, next_id: int) -> int:
    """The probes that used to silence or kill the server, each followed by 10 valid requests."""
    probes: list[tuple[bytes, Any, int | None]] = [  # (bytes, id to be answered, its code)
        (b"Content-Length: abc\r\n\r\n{}", None, None),
        (_body("headerless"), None, None),
        (b"Content-Length: 10\r\n\r\n" + _body("short"), None, None),
        (b"Content-Length: -5\r\n\r\n" + _body("negative"), None, None),
        (frame(request("lower", "x"), "content-length: {n}\r\n\r\n"), "lower", -32601),
        (frame(request("nospace", "x"), "Content-Length:{n}\r\n\r\n"), "nospace", -32601),
        (frame(request("lf", "x"), "Content-Length: {n}\n\n"), "lf", -32601),
        (b"Content-Length: 1000000000000\r\n\r\n" + _body("huge"), "huge", -32600),
        (b"Content-Length: 99999999999999999999\r\n\r\n", None, None),
        (frame({"jsonrpc": "2.0", "id": "m123", "method": 123}), "m123", -32600),
        (frame([request("b1", "x"), request("b2", "y")]), "b2", -32600),
        (frame(_deep(100_000)), "deep", -32600),
        (frame(b'{"jsonrpc":"2.0","id":"parse","method":"x",}'), "parse", -32700),
    ]
    for data, own_id, code in probes:
        await server.send(data)
        ids = list(range(next_id, next_id + 10))
        next_id += 10
        for msg_id in ids:
            await server.send(frame(_valid(msg_id)))
        for msg_id in ids:  # 10 of 10 valid requests after each probe are answered
            assert "result" in await server.answer(msg_id)
        if own_id is not None:
            assert (await server.answer(own_id))["error"]["code"] == code
    # Damage with no readable id gets an answer too, addressed to no one (id null).
    assert all(m["error"]["code"] in (-32700, -32600) for m in server.unaddressed)
    assert len(server.unaddressed) >= 6
    return next_id


async def _random_damage(server: RawServer, next_id: int) -> int:
    """Seeded: 3 x 60 rounds of damage, each followed by valid requests (some written leniently,
    all cut into random writes)."""
    first = next_id
    for seed in range(3):
        rng = random.Random(seed)
        for _ in range(6):
            pending = []
            for _ in range(10):
                data = _damage(rng)
                for _ in range(rng.randint(1, 2)):
                    data += _lenient(_valid(next_id), rng)
                    pending.append(next_id)
                    next_id += 1
                for piece in _pieces(data, rng):
                    await server.send(piece)
            for msg_id in pending:
                assert "result" in await server.answer(msg_id), msg_id
    assert all(len(server.answers[msg_id]) == 1 for msg_id in range(first, next_id))
    return next_id


async def test_no_damage_silences_or_kills_the_server() -> None:
    """Every valid request is answered, once, after every probe and random damage; the server
    stays up, refuses requests after shutdown with an answer, and exits 0 after shutdown."""
    server = await RawServer.start()
    try:
        await server.initialize()
        next_id = await _probes(server, 0)
        next_id = await _random_damage(server, next_id)
        assert server.process.returncode is None
        await server.send(frame(request("bye", "shutdown")))
        assert (await server.answer("bye"))["result"] is None
        await server.send(frame(_valid(next_id)))  # too late, but answered
        assert (await server.answer(next_id))["error"]["code"] == -32600
        await server.send(frame({"jsonrpc": "2.0", "method": "exit"}))
        assert await server.exit_code() == 0
    finally:
        await server.close()


async def test_oversized_messages_are_skipped_and_noise_ends_the_server() -> None:
    """Over the cap, a request is answered and skipped; a stream that stays noise for longer
    than the cap ends the server with exit code 1, so that the editor restarts it."""
    server = await RawServer.start("--max-message-mb", "0.0625")  # 64 KiB
    try:
        await server.initialize()
        await server.send(frame(request("big", VALID, {"pad": "x" * 300_000})))
        await server.send(frame(_valid(1)))
        error = (await server.answer("big"))["error"]
        assert error["code"] == -32600 and "over the limit" in error["message"]
        assert "result" in await server.answer(1)
        for _ in range(40):
            await server.send(bytes(range(256)) * 16)  # 160 KiB of noise, never a header
        assert await server.exit_code() == 1
    finally:
        await server.close()


async def _read_frame(reader: asyncio.StreamReader) -> dict[str, Any]:
    length = None
    while (line := await reader.readline()) != b"\r\n":
        assert line, "the server closed the connection"
        name, _, value = line.partition(b":")
        length = int(value) if name == b"Content-Length" else length
    assert length is not None
    return json.loads(await reader.readexactly(length))


async def _answers(reader: asyncio.StreamReader, *ids: Any) -> dict[Any, dict[str, Any]]:
    """Responses by id, until all of `ids` are answered."""
    answers: dict[Any, dict[str, Any]] = {}
    while not answers.keys() >= set(ids):
        message = await _read_frame(reader)
        if "method" not in message:
            answers[message["id"]] = message
    return answers


async def test_tcp_reads_with_the_same_framing() -> None:
    """`serve --tcp`: damage is answered, the connection keeps working, and `exit` without
    `shutdown` ends the server with exit code 1."""
    command = [*SERVER_COMMAND[:-3], "--log-level", "info", "serve", "--tcp", "127.0.0.1:0"]
    process = await asyncio.create_subprocess_exec(
        *command, stdin=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    assert process.stderr is not None
    line = b""
    try:
        async with asyncio.timeout(HANG_GUARD_S):
            while (match := re.search(rb"serving on \('127\.0\.0\.1', (\d+)\)", line)) is None:
                line = await process.stderr.readline()
                assert line, "the server exited before listening"
            drain = asyncio.ensure_future(process.stderr.read())  # keep the pipe flowing
            reader, writer = await asyncio.open_connection("127.0.0.1", int(match.group(1)))
            writer.write(frame(request("init", "initialize", {"capabilities": {}})))
            await _answers(reader, "init")
            writer.write(frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
            writer.write(b"Content-Length: abc\r\n\r\n" + _body() + frame(_valid(1)))
            answers = await _answers(reader, None, 1)
            assert answers[None]["error"]["code"] == -32700
            assert "result" in answers[1]
            writer.write(frame({"jsonrpc": "2.0", "method": "exit"}))  # without shutdown
            assert await process.wait() == 1
            writer.close()
            await drain
    finally:
        if process.returncode is None:
            process.kill()
