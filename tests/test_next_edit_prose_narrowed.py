"""Next edits: the static pipeline's latency guards (the collector held off, one parse shared),
a reworded docstring or comment repeated where the file says the same, and the check a narrowed
annotation left dead."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from typehole.features.next_edit import apply, events_between, static_suggestions
from typehole.features.next_edit.narrowed import narrowed_suggestions
from typehole.features.next_edit.prose import prose_suggestions
from typehole.features.next_edit.pyast import parse
from typehole.features.next_edit.records import Event, Suggestion
from typehole.features.next_edit.suggest import Engine

BEFORE = "def f(x):\n    return x\n"
AFTER = "def f(x, y):\n    return x\n"


def _apply_all(text: str, found: list[Suggestion]) -> str:
    for s in sorted(found, key=lambda s: -s.start):
        text = apply(text, s)
    return text


def _engine_seeing(seen: list[bool], fail: bool = False) -> Engine:
    def engine(event: Event, path: str | None, project: object,
               lookup: object) -> list[Suggestion]:
        seen.append(gc.isenabled())
        if fail:
            raise RuntimeError("an engine's bug")
        return []
    return engine


def test_the_collector_is_held_off_while_the_engines_run_and_restored_after() -> None:
    seen: list[bool] = []
    assert gc.isenabled()
    static_suggestions(AFTER, events_between(BEFORE, AFTER),
                       engines=[("a", _engine_seeing(seen, fail=True)),
                                ("b", _engine_seeing(seen))])
    assert seen == [False, False]  # a failing engine does not turn it back on for the next
    assert gc.isenabled()
    gc.disable()  # whoever disabled it before keeps it so
    try:
        static_suggestions(AFTER, events_between(BEFORE, AFTER),
                           engines=[("a", _engine_seeing(seen))])
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_text_is_parsed_once_for_every_engine_that_reads_its_tree() -> None:
    text = "def shared_parse_probe(a):\n    return a\n"
    tree = parse(text)
    assert tree is not None and parse(text) is tree
    assert parse(text + "\n") is not tree  # another text, another tree
    assert parse("def broken(:\n") is None


# Prose: a docstring or comment reworded, the same wording elsewhere.


@pytest.fixture(scope="module")
def client(httpx_root: Path) -> str:
    return (httpx_root / "httpx" / "_client.py").read_text("utf-8")


def _sites(text: str, found: list[Suggestion], source: str) -> list[tuple[int, str, str]]:
    return [(text.count("\n", 0, s.start) + 1, text[s.start : s.end], s.new_text)
            for s in found if s.source == source]


def test_a_changed_meaning_is_repeated_in_the_twin_definition_only(client: str) -> None:
    old = "**Parameters**: See `httpx.request`."
    assert client.count(old) == 16
    at = client.index("    def get(")
    edited = client[:at] + client[at:].replace(old, "**Parameters**: See `httpx.request` "
                                               "for the arguments.", 1)
    [s] = prose_suggestions(events_between(client, edited)[-1])
    assert (s.expected, s.new_text) == (
        "See `httpx.request`.", "See `httpx.request` for the arguments.")
    # The async client's `get`, not the other methods that say the same of themselves.
    assert edited.rfind("\n    async def ", 0, s.start) == edited.index("\n    async def get(")


def test_a_spelling_corrected_is_corrected_wherever_the_file_says_the_same(client: str) -> None:
    misspelled = client.replace("**Parameters**: See", "**Paramaters**: See")
    edited = misspelled.replace("**Paramaters**: See", "**Parameters**: See", 1)
    found = prose_suggestions(events_between(misspelled, edited)[-1])
    assert len(found) == 15
    assert _apply_all(edited, found) == client


def test_a_docstring_naming_its_function_is_reworded_in_its_twins_with_their_names(
        client: str) -> None:
    edited = client.replace("Send a `GET` request.", "Send an HTTP `GET` request.", 1)
    found = prose_suggestions(events_between(client, edited)[-1])
    done = _apply_all(edited, found)
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"):
        assert done.count(f"Send an HTTP `{method}` request.") == 2
    assert "Send a `" not in done
    # Through the whole pipeline: the same method of the async client first (`twin_line`),
    # then the next twin below the edit.
    first, second = static_suggestions(edited, events_between(client, edited))[:2]
    assert first.source == "twin_line" and "Send an HTTP `GET` request." in first.new_text
    assert second.source == "prose" and edited[second.start : second.end] == "Send a `HEAD`"
    assert second.new_text == "Send an HTTP `HEAD`"


def test_a_reworded_comment_is_reworded_in_the_twin_method_only() -> None:
    before = (
        "class Stream:\n    def read(self):\n"
        "        # Read the whole body before closing the stream.\n"
        "        return self.stream.read()\n\n\n"
        "class AsyncStream:\n    async def read(self):\n"
        "        # Read the whole body before closing the stream.\n"
        "        return await self.stream.aread()\n\n\n"
        "def drain(stream):\n    # Read the whole body before closing the stream.\n"
        "    return stream.read()\n\n\n"
        "MESSAGE = 'Read the whole body before closing the stream.'\n"
    )
    after = before.replace("the whole body before", "the body in full before", 1)
    [s] = prose_suggestions(events_between(before, after)[-1])
    assert after.count("\n", 0, s.start) == 8  # `AsyncStream.read`'s comment
    assert (s.expected, s.new_text) == ("the whole body before", "the body in full before")


def test_a_clause_added_at_the_end_of_a_line_goes_only_where_a_line_ends_alike() -> None:
    before = "".join(f'class {owner}:\n    def close(self):\n        """{doc}"""\n\n\n'
                     for owner, doc in (("A", "Close the stream now."),
                                        ("B", "Close the stream now, or never."),
                                        ("C", "Close the stream now.")))
    after = before.replace("Close the stream now.", "Close the stream now, once.", 1)
    found = prose_suggestions(events_between(before, after)[-1])
    assert _sites(after, found, "prose") == [(13, "the stream now.", "the stream now, once.")]
    # Reworded there too: nothing left to suggest.
    done = apply(after, found[0])
    assert prose_suggestions(events_between(after, done)[-1]) == []


def test_code_and_a_wording_too_common_to_be_one_sentence_get_no_prose_suggestion() -> None:
    def body(n: int) -> str:
        return "".join(f"def f{i}():\n    # keep the vaule as it is\n    return {i}\n\n"
                       for i in range(n))
    for n, sites in ((17, 16), (18, 0)):  # 17 more: too common to be one sentence
        after = body(n).replace("vaule", "value", 1)
        assert len(prose_suggestions(events_between(body(n), after)[-1])) == sites
    code = "x = compute(value, other)\ny = compute(value, other)\n"
    changed = code.replace("compute(value, other)", "compute(value, third)", 1)
    assert prose_suggestions(events_between(code, changed)[-1]) == []


# Narrowed annotations: the check a narrowed annotation left dead.

FETCH = '''from typing import Optional


def fetch(url: str, timeout: Optional[float] = None, data: str | bytes = "") -> bytes:
    """Fetch `url`."""
    if timeout is None:
        timeout = 5.0
    if isinstance(data, bytes):
        data = data.decode("ascii")
    return send(url, timeout, data)


def log(message: str | None) -> None:
    if message is not None:
        print(message)
        print("logged")
    else:
        print("nothing to log")
    level = 1 if message is None else 2
    report(level)
'''


def test_an_optional_made_plain_deletes_its_none_check() -> None:
    after = FETCH.replace("timeout: Optional[float] = None", "timeout: float = 5.0")
    top = static_suggestions(after, events_between(FETCH, after))[0]
    assert top.source == "narrowed" and not top.jump
    assert after[top.start : top.end] == "    if timeout is None:\n        timeout = 5.0\n"
    assert top.new_text == ""
    assert "None" in top.reason


def test_a_type_taken_out_of_a_union_deletes_its_isinstance_check() -> None:
    after = FETCH.replace("data: str | bytes", "data: str")
    [s] = narrowed_suggestions(events_between(FETCH, after)[-1])
    assert apply(after, s) == after.replace(
        '    if isinstance(data, bytes):\n        data = data.decode("ascii")\n', "")


def test_a_check_now_always_true_gives_way_to_its_body() -> None:
    after = FETCH.replace("message: str | None", "message: str")
    found = narrowed_suggestions(events_between(FETCH, after)[-1])
    assert not any(s.jump for s in found)
    assert _apply_all(after, found).endswith(
        "def log(message: str) -> None:\n    print(message)\n    print(\"logged\")\n"
        "    level = 2\n    report(level)\n")


def test_a_conditional_on_a_dead_check_keeps_the_branch_it_takes_and_drops_its_brackets(
) -> None:
    # httpx 6622553979: `method: str | bytes` -> `method: str`.
    before = (
        "class Request:\n    def __init__(self, method: str | bytes, url: str) -> None:\n"
        "        self.method = (\n            method.decode(\"ascii\").upper()\n"
        "            if isinstance(method, bytes)\n            else method.upper()\n"
        "        )\n        self.url = url\n"
    )
    after = before.replace("method: str | bytes", "method: str")
    top = static_suggestions(after, events_between(before, after))[0]
    assert top.source == "narrowed" and "bytes" in top.reason
    assert apply(after, top) == (
        "class Request:\n    def __init__(self, method: str, url: str) -> None:\n"
        "        self.method = method.upper()\n        self.url = url\n")
    # A call's brackets stay.
    called = before.replace("self.method = (", "self.method = str(")
    narrowed = called.replace("method: str | bytes", "method: str")
    [s] = narrowed_suggestions(events_between(called, narrowed)[-1])
    assert s.new_text.startswith("        self.method = str(\n            method.upper()\n")


def test_no_dead_check_where_the_annotation_widened_or_the_parameter_is_rebound() -> None:
    widened = FETCH.replace("data: str | bytes", "data: str | bytes | None")
    assert narrowed_suggestions(events_between(FETCH, widened)[-1]) == []
    rebound = FETCH.replace("    return send(", "    timeout = timeout or None\n    return send(")
    narrowed = rebound.replace("timeout: Optional[float] = None", "timeout: float = 5.0")
    assert narrowed_suggestions(events_between(rebound, narrowed)[-1]) == []
