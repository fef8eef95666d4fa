"""Rationale (resolved cross-file symbols) and analogy (BM25 windows) retrieval."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from trees import write_tree

from typehole.context.engine import ContextEngine
from typehole.context.ranking import RankingWeights
from typehole.context.retrieval import analogy, continuations, rationale


def _built(tmp_path: Path, files: dict[str, str]) -> ContextEngine:
    """A workspace of `files` in `tmp_path`, indexed."""
    write_tree(tmp_path / "ws", files)
    engine = ContextEngine(tmp_path / "ws", tmp_path / "cache")
    engine.build()
    return engine


def test_rationale_resolves_through_imports_and_reexports(
    httpx_engine: ContextEngine, httpx_root: Path
) -> None:
    engine, root = httpx_engine, httpx_root
    text = (root / "httpx" / "_api.py").read_text(encoding="utf-8")
    offset = text.index("with Client(") + len("with Client(")
    facts = engine.facts("httpx/_api.py", text)
    found = rationale(engine.index, facts, text, offset)
    by_name = {s.text.splitlines()[0]: s for s in found}
    client = next(s for head, s in by_name.items() if head.startswith("class Client("))
    assert client.path == "httpx/_client.py" and client.source == "rationale"
    assert found[0] is client  # used on the cursor's line: the closest use ranks first
    assert all(s.path != "httpx/_api.py" for s in found)  # never the current file
    # `import httpx` then `httpx.Client`: resolved through the package's `__init__` re-export.
    script = "import httpx\n\nwith httpx.Client() as client:\n    client."
    facts = engine.facts("tests/script.py", script)
    found = rationale(engine.index, facts, script, len(script))
    assert found and found[0].path == "httpx/_client.py"
    assert found[0].text.startswith("class Client(BaseClient):")


def test_rationale_weights(httpx_engine: ContextEngine) -> None:
    engine = httpx_engine
    text = "from httpx import Client, Timeout, URL\n" + "\n" * 100 + "c = Client("
    facts = engine.facts("tests/script.py", text)
    w = RankingWeights()
    base = {s.text.splitlines()[0]: s.score for s in rationale(engine.index, facts, text,
                                                               len(text))}
    assert base["class Client(BaseClient):"] == w.rationale  # used on the cursor's line
    assert base["class Timeout:"] == base["class URL:"] == w.rationale_unused
    muted = {s.text.splitlines()[0]: s.score for s in rationale(
        engine.index, facts, text, len(text), replace(w, rationale_unused=0.0))}
    assert muted["class Timeout:"] == 0.0 and muted["class Client(BaseClient):"] == w.rationale
    far = {s.text.splitlines()[0]: s.score for s in rationale(
        engine.index, facts, "from httpx import Client\nc = Client()\n" + "x\n" * 30, 60)}
    assert w.rationale_unused < far["class Client(BaseClient):"] < w.rationale


def test_analogy_excludes_the_current_file_and_overlaps(
    httpx_engine: ContextEngine, httpx_root: Path
) -> None:
    engine, root = httpx_engine, httpx_root
    text = (root / "httpx" / "_client.py").read_text(encoding="utf-8")
    offset = text.index("def _send_handling_redirects(")
    found = analogy(engine.index, "httpx/_client.py", text, offset)
    assert found and all(s.path != "httpx/_client.py" for s in found)
    assert found[0].score == RankingWeights().analogy and found[0].source == "analogy"
    assert found[0].end_line - found[0].start_line + 1 == 10
    spans = [(s.path, s.start_line, s.end_line) for s in found]
    for i, (p, a, b) in enumerate(spans):
        assert not any(p == q and a <= d and c <= b for q, c, d in spans[i + 1:])


def test_analogy_leaves_out_the_word_being_typed(tmp_path: Path) -> None:
    engine = _built(tmp_path, {
        "pkg/words.py": "ret = 1\n" * 10,
        "pkg/calc.py": "value = compute(total)\n" * 10,
        "pkg/other.py": "name = 'x'\n" * 10,
    })
    before = "value = compute(total)\nif value:\n    "
    typed = before + "ret"  # `return` on its way: `ret` is a word elsewhere, but not this one
    found = analogy(engine.index, "pkg/main.py", typed, len(typed))
    assert [s.path for s in found] == ["pkg/calc.py"]
    assert found == analogy(engine.index, "pkg/main.py", before, len(before))
    # A word the cursor is not touching is a term like any other.
    done = before + "ret\n"
    assert "pkg/words.py" in {s.path for s in analogy(engine.index, "pkg/main.py", done,
                                                      len(done))}


def test_continuations_show_what_followed_the_same_lines_in_other_files(
        httpx_engine: ContextEngine) -> None:
    text = ("def send(\n    method: str,\n    url: URL | str,\n    *,\n"
            "    content: RequestContent | None = None,\n"
            "    data: RequestData | None = None,\n    ")
    found = continuations(httpx_engine.index, "tests/script.py", text, len(text))
    assert found and all(s.source == "continuation" for s in found)
    first = found[0]
    assert first.path.startswith("httpx/") and first.path != "tests/script.py"
    lines = [line.strip() for line in first.text.splitlines()]
    # The matched lines, then what came next there.
    at = lines.index("data: RequestData | None = None,")
    assert lines[at - 1] == "content: RequestContent | None = None,"
    assert lines[at + 1] == "files: RequestFiles | None = None,"
    # Mid-line there is no next line to show.
    assert continuations(httpx_engine.index, "tests/script.py", text + "fi", len(text) + 2) == []


def test_continuations_find_the_files_own_code_but_not_the_lines_at_the_cursor(
        httpx_engine: ContextEngine) -> None:
    body = "    client = make_client(settings)\n    client.open_the_door()\n"
    text = f"def a():\n{body}    client.close()\n\n\ndef b():\n{body}    "
    found = continuations(httpx_engine.index, "tests/script.py", text, len(text))
    assert [(s.path, s.start_line) for s in found] == [("tests/script.py", 2)]
    assert found[0].text.splitlines()[-1] == "    client.close()"
    # Alone, the lines at the cursor are no continuation of themselves.
    alone = f"def b():\n{body}    "
    assert continuations(httpx_engine.index, "tests/script.py", alone, len(alone)) == []


def test_rationale_counts_a_member_used_as_a_use_of_its_class(tmp_path: Path) -> None:
    # `Text.from_markup(...)` uses `Text`: its class is a definition used near the cursor, not
    # an import the code around it leaves alone.
    engine = _built(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/text.py": "class Text:\n    @classmethod\n    def from_markup(cls, s): ...\n",
        "pkg/style.py": "class Style:\n    pass\n",
    })
    text = ("from pkg.style import Style\nfrom pkg.text import Text\n" + "x = 1\n" * 80
            + "def render():\n    label = Text.from_markup('[b]x')\n    ")
    facts = engine.facts("pkg/render.py", text)
    scores = {s.path: s.score for s in rationale(engine.index, facts, text, len(text))}
    w = RankingWeights()
    assert scores["pkg/style.py"] == w.rationale_unused
    assert w.rationale_unused < scores["pkg/text.py"] <= w.rationale


def test_rationale_puts_the_imports_used_last_before_the_others_not_used_nearby(
        tmp_path: Path) -> None:
    # None of the three is used in the 60 lines before the cursor: equal scores, packed in
    # this order, the one the file used last first and the one it never used last.
    engine = _built(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/names.py": "class Alpha: ...\n\n\nclass Beta: ...\n\n\nclass Gamma: ...\n",
    })
    text = ("from pkg.names import Alpha, Beta, Gamma\n\nb = Beta()\nc = Gamma()\n"
            + "x = 1\n" * 80)
    facts = engine.facts("pkg/main.py", text)
    found = rationale(engine.index, facts, text, len(text))
    assert [s.text.split(":")[0] for s in found] == ["class Gamma", "class Beta", "class Alpha"]
    assert {s.score for s in found} == {RankingWeights().rationale_unused}


def test_a_continuation_starts_where_the_cursor_does(httpx_engine: ContextEngine) -> None:
    """The next line shown must sit against the matched lines as the cursor sits against the
    last line: after `__init__`'s last assignment, a cursor back in the class body is not
    continued by the next assignment of another `__init__` (jinja2 `ext.py:92`, seed 11)."""
    other = ("class A:\n    def __init__(self, environment):\n"
             "        self.environment = environment\n        self.name = name\n\n")
    mine = ("class B:\n    def __init__(self, environment):\n"
            "        self.environment = environment\n")
    same_block = other + mine + "        "
    found = continuations(httpx_engine.index, "tests/script.py", same_block, len(same_block))
    assert [s.text.splitlines()[-1].strip() for s in found] == ["self.name = name"]
    class_body = other + mine + "\n    "
    assert continuations(httpx_engine.index, "tests/script.py", class_body,
                         len(class_body)) == []
    # A next line that leaves the block is shown where the cursor left it too.
    closing = ("def a():\n    for item in self.items_to_check:\n        check(item)\n"
               "    return done\n\n\ndef b():\n    for item in self.items_to_check:\n"
               "        check(item)\n    ")
    found = continuations(httpx_engine.index, "tests/script.py", closing, len(closing))
    assert found and found[0].text.splitlines()[-1] == "    return done"
    inside = closing + "    "
    assert continuations(httpx_engine.index, "tests/script.py", inside, len(inside)) == []


def _names_workspace(tmp_path: Path) -> ContextEngine:
    return _built(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/names.py": "class Alpha: ...\n\n\nclass Beta: ...\n\n\nclass Gamma: ...\n",
        "pkg/more.py": "class Delta: ...\n\n\nclass Epsilon: ...\n",
    })


def _heads(found: list) -> list[str]:
    return [s.text.split(":")[0].removeprefix("class ") for s in found]


def test_rationale_counts_no_name_an_all_list_names_as_used(tmp_path: Path) -> None:
    # `"Alpha"` in `__all__` exports it: the code around the cursor does not read it.
    engine = _names_workspace(tmp_path)
    text = ("from pkg.names import Alpha, Beta\n" + "x = 1\n" * 80
            + '__all__ = ["Alpha"]\n\n\ndef f():\n    b = Beta()\n    ')
    facts = engine.facts("pkg/main.py", text)
    scores = dict(zip(_heads(found := rationale(engine.index, facts, text, len(text))),
                      (s.score for s in found), strict=True))
    w = RankingWeights()
    assert scores["Alpha"] == w.rationale_unused
    assert scores["Beta"] > w.rationale_unused


def test_rationale_in_an_open_all_list_ranks_the_imports_it_does_not_list_yet(
        tmp_path: Path) -> None:
    engine = _names_workspace(tmp_path)
    w = RankingWeights()
    # Listed in import order so far: the next imports after the last one listed come first,
    # scored as names used are; those listed already are no use of theirs.
    text = ("from pkg.more import Delta\nfrom pkg.names import Alpha, Beta, Gamma\n\n"
            '__all__ = [\n    "Alpha",\n    ')
    facts = engine.facts("pkg/__init__.py", text)
    found = rationale(engine.index, facts, text, len(text))
    assert _heads(found) == ["Beta", "Gamma", "Delta", "Alpha"]
    assert found[0].score == w.rationale and found[-1].score == w.rationale_unused
    assert all(s.score > w.rationale_unused for s in found[:3])
    # A list kept sorted goes on in sorted order; an entry being typed changes nothing.
    text = ("from pkg.names import Gamma, Beta, Alpha\nfrom pkg.more import Epsilon, Delta\n\n"
            '__all__ = [\n    "Alpha",\n    "Delta",\n    "Ep')
    facts = engine.facts("pkg/__init__.py", text)
    assert _heads(rationale(engine.index, facts, text, len(text)))[:3] == [
        "Epsilon", "Gamma", "Beta"]
    # Once the list is closed, it is no list being written: the names score by their imports'
    # lines alone (`Epsilon` listed last as `Delta`, not at all).
    closed = text + 'silon"]\n'
    found = rationale(engine.index, facts, closed, len(closed))
    scores = dict(zip(_heads(found), (s.score for s in found), strict=True))
    assert scores["Epsilon"] == scores["Delta"] > scores["Alpha"] == scores["Gamma"]


def test_rationale_puts_the_imports_of_a_module_used_nearby_first(tmp_path: Path) -> None:
    # `Alpha` is used next to the cursor: `Beta` and `Gamma`, imported from its module, are
    # likelier next than `Epsilon`, though the file used that last (before the 60 lines looked
    # at) and imported it first.
    engine = _names_workspace(tmp_path)
    text = ("from pkg.more import Delta, Epsilon\nfrom pkg.names import Alpha, Beta, Gamma\n\n"
            "e = Epsilon()\n" + "x = 1\n" * 80 + "a = Alpha()\n")
    facts = engine.facts("pkg/main.py", text)
    found = rationale(engine.index, facts, text, len(text))
    assert _heads(found) == ["Alpha", "Gamma", "Beta", "Epsilon", "Delta"]
    assert {s.score for s in found[1:]} == {RankingWeights().rationale_unused}


def test_a_compact_stub_reads_no_members(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # Stubs of imports not used nearby show a class's header and docstring line only: the
    # class's members (hundreds in a large one) are not read for them.
    engine = _built(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/big.py": 'class Big:\n    """A big class."""\n'
                      + "".join(f"    def m{i}(self): ...\n" for i in range(50)),
    })
    text = "from pkg.big import Big\n" + "x = 1\n" * 80
    facts = engine.facts("pkg/main.py", text)
    asked: list[tuple[str, str | None]] = []
    read = engine.index.definitions_in
    monkeypatch.setattr(engine.index, "definitions_in",
                        lambda path, parent=None: asked.append((path, parent)) or read(path,
                                                                                      parent))
    found = rationale(engine.index, facts, text, len(text))
    assert [s.text for s in found] == ['class Big:\n    """A big class."""\n    ...']
    assert asked == []
    used = text + "b = Big()\n"
    found = rationale(engine.index, facts, used, len(used))
    assert found[0].text.splitlines()[2:4] == ["    def m0(self): ...", "    def m1(self): ..."]
    assert asked == [("pkg/big.py", "Big")]


def test_a_continuation_at_the_cursor_s_column_names_its_next_line(
        httpx_engine: ContextEngine) -> None:
    """The line that followed the matched lines is the snippet's `next_line` only where those
    lines stand at the column of the cursor's own last line (the next line then starts at the
    cursor); matched at another depth, the snippet is shown but names no line to copy."""
    body = "    client = make_client(settings)\n    client.open_the_door()\n"
    text = f"def a():\n{body}    client.close()\n\n\ndef b():\n{body}    "
    found = continuations(httpx_engine.index, "tests/script.py", text, len(text))
    assert [s.next_line for s in found] == ["client.close()"]
    assert found[0].to_json()["next_line"] == "client.close()"
    deeper = body.replace("    ", "        ")
    text = f"def a():\n{body}    client.close()\n\n\ndef b():\n    if ready:\n{deeper}        "
    found = continuations(httpx_engine.index, "tests/script.py", text, len(text))
    assert [s.next_line for s in found] == [None]
    assert "next_line" not in found[0].to_json()


def test_continuations_come_from_files_of_the_cursor_s_language(tmp_path: Path) -> None:
    # A README's code block goes on with its closing fence, not with code.
    engine = _built(tmp_path, {
        "pkg/__init__.py": "",
        "README.md": "```python\nconsole = make_console_for_the_tests()\n```\n\nProse.\n",
        "pkg/demo.py": "def demo():\n    console = make_console_for_the_tests()\n"
                       "    console.print('hello')\n",
    })
    text = "def main():\n    console = make_console_for_the_tests()\n    "
    found = continuations(engine.index, "pkg/main.py", text, len(text))
    assert [(s.path, s.next_line) for s in found] == [("pkg/demo.py", "console.print('hello')")]
