"""The analyses after an edit, made from the prepared text before it, equal fresh ones.

pyflakes' view (`flakes.update`), parso's facts (diff parser) and tree-sitter's tree (incremental
parse) of each edited text are compared with a whole-file analysis of the same text, on edits of
click's `core.py` (3,000 lines): lines deleted, duplicated, renamed, indented code added to a
body, imports added, and syntax broken.
"""

from __future__ import annotations

import re

import parso
import pytest
from realproject import real_project

from typehole.base.syntax import parse_bytes
from typehole.features.next_edit import flakes, prepare
from typehole.features.next_edit.name_facts import NameFacts
from typehole.features.next_edit.trees import parse


@pytest.fixture(scope="module")
def core() -> str:
    return (real_project("click", "8.3.3") / "src" / "click" / "core.py").read_text("utf-8")


def _edits(text: str) -> list[str]:
    """Edited versions of `text`, a few of each kind, at lines spread over the file."""
    lines = text.splitlines(keepends=True)
    out = []
    for n in range(40, len(lines), len(lines) // 6):
        line = lines[n]
        word = re.search(r"[A-Za-z_]\w*", line)
        indent = line[: len(line) - len(line.lstrip())]
        edits = [
            lines[:n] + lines[n + 1 :],  # deleted
            lines[:n] + [line, line] + lines[n + 1 :],  # duplicated
            lines[:n] + [indent + "value = undefined_here\n"] + lines[n:],  # a body grows
            lines[:n] + ["import zlib\n"] + lines[n:],  # at column 0: a new statement or broken
            lines[:n] + [line.rstrip("\n") + " (\n"] + lines[n + 1 :],  # unbalanced
        ]
        if word is not None:
            renamed = line[: word.start()] + "renamed_x" + line[word.end() :]
            edits.append(lines[:n] + [renamed] + lines[n + 1 :])
        out.extend("".join(e) for e in edits)
    return out


def test_pyflakes_view_from_the_touched_statements_is_the_whole_files(core: str) -> None:
    old = flakes.analyse(core)
    assert old is not None
    derived = 0
    for after in _edits(core):
        fresh, updated = flakes.analyse(after), flakes.update(old, after)
        if updated is None:
            continue  # the whole file decides (the test asserts below that this is rare)
        derived += 1
        assert fresh is not None
        assert updated.flags == fresh.flags
        assert updated.statements == fresh.statements
    assert derived >= len(_edits(core)) // 2


def test_parso_facts_from_the_diff_parser_are_a_fresh_parses(core: str) -> None:
    for after in _edits(core)[:18]:
        before = NameFacts.settled(core)
        assert before is not None
        facts = NameFacts.of(after)
        fresh = NameFacts(parso.parse(after), after)
        assert facts is not None and facts is not fresh
        assert facts.unbound_reads() == fresh.unbound_reads()
        assert set(facts.unassigned_attributes()) == set(fresh.unassigned_attributes())
        assert facts.module.get_code() == after
        # The facts the tree was taken from still answer, and give a tree of their own text.
        assert before.unbound_reads() == NameFacts(parso.parse(core), core).unbound_reads()
        assert before.module.get_code() == core


def test_tree_sitter_incremental_parse_is_a_fresh_parses(core: str) -> None:
    for after in _edits(core)[:18]:
        prepare(core)
        tree = parse(after)
        fresh = parse_bytes(after.encode("utf-8"))
        assert tree is not None and fresh is not None
        assert str(tree.root_node) == str(fresh.root_node)
        assert parse(core) is parse(core)  # cached by text, and not edited by the reparse
        assert str(parse(core).root_node) == str(parse_bytes(core.encode("utf-8")).root_node)
