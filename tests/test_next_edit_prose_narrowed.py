"""Next edits: the static pipeline's latency guards (the collector held off, one parse shared),
a reworded docstring or comment repeated where the file says the same, and the check a narrowed
annotation left dead."""

from __future__ import annotations

import gc

from typehole.features.next_edit import events_between, static_suggestions
from typehole.features.next_edit.pyast import parse
from typehole.features.next_edit.records import Event, Suggestion
from typehole.features.next_edit.suggest import Engine

BEFORE = "def f(x):\n    return x\n"
AFTER = "def f(x, y):\n    return x\n"


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
