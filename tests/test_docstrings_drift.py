"""Docstring drift, in-place updates, style detection, model prose checks and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from typehole.features.docstrings import (
    all_drift,
    clean_sentences,
    detect_project_style,
    detect_style,
    docstring_edit,
    drift_at,
    find_target,
    known_names,
    write_prose,
)
from typehole.models.base import Chunk, CompletionRequest

DRIFTED = '''def f(a, b: int, *, c=1) -> int:
    """Add things.

    A paragraph a human wrote.

    Args:
        a: The first. Keep me
            over two lines.
        old (str): Gone now.

    Raises:
        KeyError: from the callee.
    """
    if a:
        raise ValueError
    return a
'''


def _apply(text: str, line: int, style: str = "google") -> str:
    edit = docstring_edit(text, line, style)
    assert edit is not None
    return text[: edit.start] + edit.new_text + text[edit.end :]


def test_drift_names_each_disagreement() -> None:
    messages = [d.message for d in drift_at(DRIFTED, 0)]
    assert "parameter `b` is not documented" in messages
    assert "parameter `c` is not documented" in messages
    assert "documented parameter `old` does not exist" in messages
    assert "the return value is not documented" in messages
    assert "raises `ValueError` but does not document it" in messages
    assert not any("KeyError" in m for m in messages)  # may come from a callee: not drift


def test_update_keeps_human_text_and_edits_only_drifted_sections() -> None:
    result = _apply(DRIFTED, 0, "numpy")  # the docstring's own style wins over the request
    assert "A paragraph a human wrote." in result
    assert "        a: The first. Keep me\n            over two lines.\n" in result
    assert "old (str)" not in result
    assert "        b (int): TODO: describe.\n" in result
    assert "    Returns:\n        int: TODO: describe.\n" in result
    assert "        ValueError: TODO: describe.\n        KeyError: from the callee.\n" in result
    assert drift_at(result, 0) == []


def test_order_drift_and_removed_returns() -> None:
    text = '''def f(b, a):
    """Swap.

    Args:
        a: First.
        b: Second.

    Returns:
        int: Nothing now.
    """
    print(a, b)
'''
    messages = [d.message for d in drift_at(text, 0)]
    assert messages == ["parameters are documented out of order",
                        "documents a return value the code does not return"]
    result = _apply(text, 0)
    assert "Args:\n        b: Second.\n        a: First.\n    \"\"\"" in result


def test_summary_only_and_stubs_are_not_drift() -> None:
    assert drift_at('def f(x):\n    """Just a summary."""\n    return x\n', 0) == []
    stub = 'def f(x):\n    """Do it.\n\n    Args:\n        x: X.\n\n    Returns:\n' \
           '        int: Y.\n\n    Raises:\n        NotImplementedError: Abstract.\n' \
           '    """\n    raise NotImplementedError\n'
    assert drift_at(stub, 0) == []


def test_a_parameter_annotated_type_is_documented() -> None:
    # `(type)` here is the parameter's annotation, not Sphinx's `:type x:` field.
    google = '    """Check.\n\n    Args:\n        cls (type): The class.\n    """\n'
    numpy = ('    """Check.\n\n    Parameters\n    ----------\n'
             '    cls : type\n        The class.\n    """\n')
    for doc in (google, numpy):
        text = "def has(cls):\n" + doc + "    pass\n"
        assert drift_at(text, 0) == [] and docstring_edit(text, 0, "google") is None


def test_pep257_sections_are_read_back_so_a_second_pass_adds_nothing() -> None:
    # A return value's line has no name: the type alone, with spaces, or the text alone.
    for source in ("def f(x):\n    return x\n", "def g() -> int | None:\n    return None\n"):
        once = _apply(source, 0, "pep257")
        assert once.count("Returns:") == 1
        assert docstring_edit(once, 0, "pep257") is None and drift_at(once, 0) == []


def test_all_drift_finds_every_drifted_definition() -> None:
    text = DRIFTED + "\n\ndef ok(x):\n    \"\"\"Fine.\n\n    Args:\n        x: X.\n    \"\"\"\n"
    found = all_drift(text)
    assert [t.facts.name for t, _ in found] == ["f"]


def test_detect_style_and_project_style(tmp_path: Path) -> None:
    assert detect_style("S.\n\nParameters\n----------\nx : int\n    X.") == "numpy"
    assert detect_style("S.\n\n:param x: X.") == "sphinx"
    assert detect_style("S.\n\nArgs:\n    x: X.") == "google"
    assert detect_style("S.\n\nArguments:\nx -- X.") == "pep257"
    assert detect_style("Just prose: with a colon.") is None
    (tmp_path / "pyproject.toml").write_text("")
    for n in range(3):
        text = f'def f{n}(x):\n    """S.\n\n    :param x: X.\n    """\n'
        (tmp_path / f"m{n}.py").write_text(text)
    assert detect_project_style(tmp_path) == "sphinx"
    own = 'def g(x):\n    """S.\n\n    Args:\n        x: X.\n    """\n'
    assert detect_project_style(tmp_path, own) == "google"  # the current file comes first


def test_clean_sentences_drops_invented_names() -> None:
    known = known_names("def load(path, retries):\n    return read_file(path)\n")
    text = "Loads `path` with read_file(). Falls back to fetch_remote() when missing. Retries."
    assert clean_sentences(text, known) == "Loads `path` with read_file(). Retries."
    assert clean_sentences('x"""y \\ ok', known) == "Xy ok."


class _Scripted:
    """A backend answering by what the prompt ends with (FIM prefix)."""

    name = "scripted"
    capabilities = frozenset({"prose"})

    def __init__(self) -> None:
        self.requests: list[CompletionRequest] = []

    async def complete(self, request: CompletionRequest) -> AsyncIterator[Chunk]:
        self.requests.append(request)
        if request.prefix.endswith('"""'):
            yield Chunk("Load a config file via parse_config(). Uses magic_helper() too.\nX")
        elif request.prefix.endswith("path: "):
            yield Chunk("Where the `path` is.")
        else:
            yield Chunk("the `bogus_name` value")

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    async def aclose(self) -> None:
        return None


async def test_write_prose_checks_names_and_fills_the_skeleton() -> None:
    text = "def load(path: str) -> dict:\n    return parse_config(path)\n"
    target = find_target(text, 0)
    assert target is not None
    backend = _Scripted()
    prose = await write_prose(backend, text, target)
    assert prose.summary == "Load a config file via parse_config()."
    assert prose.items == {"params:path": "Where the `path` is."}  # the bogus one was dropped
    assert all(r.suffix.startswith('\n    """') for r in backend.requests)
    edit = docstring_edit(text, 0, "google", prose, target)
    assert edit is not None
    assert edit.docstring.startswith("Load a config file via parse_config().\n\nArgs:\n"
                                     "    path (str): Where the `path` is.\n")
    assert "    dict: TODO: describe." in edit.docstring  # nothing survived: placeholder


def test_cli_json_range_is_utf16(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    text = 'x = "😀"; y = 1\n\n\ndef f(a: int) -> int:\n    return a\n'
    source.write_text(text, encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "typehole", "docstring", f"{source}:4", "--json",
                          "--style", "sphinx"], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    assert result["edit"]["range"] == {"start": {"line": 4, "character": 0},
                                       "end": {"line": 4, "character": 0}}
    assert result["docstring"].startswith("TODO: summarize.\n\n:param a: TODO: describe.")
    assert result["edit"]["new_text"].startswith('    """TODO: summarize.')
    # Updating a docstring on a line with a non-BMP character counts UTF-16 units.
    source.write_text('def g(a):\n    """😀 Hi.\n\n    Args:\n        b: gone.\n    """\n',
                      encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "typehole", "docstring", f"{source}:1", "--json"],
                         capture_output=True, text=True, check=True)
    edit = json.loads(out.stdout)["edit"]
    assert edit["range"]["start"] == {"line": 1, "character": 4}
    assert edit["range"]["end"] == {"line": 5, "character": 7}
    assert "😀 Hi." in edit["new_text"] and "a: TODO" in edit["new_text"]
    nothing = subprocess.run([sys.executable, "-m", "typehole", "docstring", f"{source}:3",
                              "--json"], capture_output=True, text=True, check=True)
    assert json.loads(nothing.stdout)["edit"] is None
