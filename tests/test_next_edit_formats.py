"""The model step's prompt formats (Zeta, Zeta 2, Sweep) and their guardrails; the step against a
loopback llama.cpp server, whose model has FIM tokens: the prompt goes as it is, not as a fill.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fakeserver import SSE, Reply, serve, sse
from lsp_client import next_edit, open_document, session
from lsprotocol import types

from typehole.features.next_edit import FORMATS, apply, events_between, model_suggestions
from typehole.features.next_edit.zeta import build_prompt, hopeless, parse_back
from typehole.models.registry import create_backend
from typehole.models.spec import ModelSpec

pytestmark = pytest.mark.timeout(300)

BEFORE = (
    "import os\n\n\ndef area(w, h):\n    return w * h\n\n\n"
    "def volume(w, h, d):\n    return w * h * d\n\n\nSIZE = 3\n"
)
AFTER = BEFORE.replace("def area(w, h):\n    return w * h", "def area(w, h):\n    return w * h\n")


def _history() -> tuple[str, list]:
    after = BEFORE.replace("return w * h\n", "return abs(w * h)\n", 1)
    return after, events_between(BEFORE, after)


def test_zeta2_prompt_is_zeds_ordered_layout() -> None:
    text, events = _history()
    cursor = text.index("return w * h * d")
    prompt = build_prompt(text, cursor, events, "geo.py", fmt=FORMATS["zeta2"])
    assert prompt is not None
    assert prompt.text.startswith("<|file_sep|>edit history\n--- a/geo.py\n+++ b/geo.py\n@@ ")
    assert "-    return w * h\n+    return abs(w * h)\n" in prompt.text
    region = text[prompt.start : prompt.end]
    with_cursor = text[prompt.start : cursor] + "<|user_cursor|>" + text[cursor : prompt.end]
    assert f"<|fim_middle|>current\n{with_cursor}\n<|fim_suffix|>\n" in prompt.text
    assert prompt.text.endswith("<|fim_middle|>updated\n")
    assert prompt.text.index("<|fim_prefix|>") < prompt.text.index("<|fim_middle|>current")
    # The model writes the region and a newline, then a control token (swallowed as a stop).
    answer = region.replace("return w * h * d", "return abs(w * h * d)") + "\n"
    [s] = parse_back(text, prompt, answer, events[-1])
    assert (s.source, s.new_text, s.expected) == ("model", "abs(w * h * d)", "w * h * d")
    assert parse_back(text, prompt, answer + "<|file_sep|>junk", events[-1]) != []
    # Out of tokens mid-line: the rest of the region would be lost, so nothing is suggested.
    assert parse_back(text, prompt, answer[: len(answer) // 2], events[-1]) == []


def test_sweep_prompt_has_original_current_updated_blocks() -> None:
    text, events = _history()
    cursor = text.index("return w * h * d")
    prompt = build_prompt(text, cursor, events, "geo.py", fmt=FORMATS["sweep"])
    assert prompt is not None
    body = prompt.text
    assert body.startswith("<|file_sep|>geo.py\nimport os\n")
    assert ("<|file_sep|>geo.py.diff\noriginal:\n    return w * h\nupdated:\n"
            "    return abs(w * h)\n") in body
    order = [body.index(f"<|file_sep|>{k}/geo.py\n") for k in ("original", "current", "updated")]
    assert order == sorted(order) and body.endswith("<|file_sep|>updated/geo.py\n")
    window = text[prompt.start : prompt.end]
    assert window.count("\n") <= 20 and "return w * h * d" in window
    original = body.split("<|file_sep|>original/geo.py\n")[1].split("\n<|file_sep|>current")[0]
    assert original == window.replace("return abs(w * h)", "return w * h")  # before the last edit
    answer = window.replace("return w * h * d", "return abs(w * h * d)") + "\n"
    [s] = parse_back(text, prompt, answer, events[-1])
    assert apply(text, s).count("abs(") == 2


def test_control_tokens_in_the_text_keep_the_model_out() -> None:
    text, events = _history()
    text = text + "SEP = '<|file_sep|>'\n"
    before = BEFORE + "SEP = '<|file_sep|>'\n"
    events = events_between(before, text)
    assert build_prompt(text, 10, events, "geo.py", fmt=FORMATS["sweep"]) is None
    assert build_prompt(text, 10, events, "geo.py", fmt=FORMATS["zeta2"]) is None
    assert build_prompt(text, 10, events, "geo.py", fmt=FORMATS["zeta"]) is not None


async def test_model_step_sends_the_prompt_raw_to_a_fim_model(
    client: httpx.AsyncClient,
) -> None:
    text, events = _history()
    cursor = text.index("return w * h * d")
    sweep = FORMATS["sweep"]
    prompt = build_prompt(text, cursor, events, "geo.py", fmt=sweep)
    assert prompt is not None
    window = text[prompt.start : prompt.end]
    answer = window.replace("return w * h * d", "return abs(w * h * d)") + "\n"

    def handler(path: str, body: dict) -> Reply:
        pieces = [{"content": answer[:20], "stop": False}, {"content": answer[20:], "stop": False}]
        return Reply(headers=SSE, body=sse(*pieces, {"content": "", "stop": True}, done=False))

    async with serve(handler) as (server, url):
        spec = ModelSpec(name="sweep", backend="llamacpp", url=url, model="sweep-next-edit-1.5b",
                         fim_template="qwen", timeout_s=30.0)
        backend = create_backend(spec, client)
        [s] = await model_suggestions(backend, text, cursor, events, "geo.py", fmt=sweep)
    assert apply(text, s) == text.replace("return w * h * d", "return abs(w * h * d)")
    [(path, body, _)] = server.requests
    assert path == "/completion"  # not /infill: the prompt is not a fill in the middle
    assert body["prompt"] == prompt.text  # no FIM tokens, no `# Path:` header, no healing
    assert "<|file_sep|>" in body["stop"] and "<|fim_middle|>" not in body["prompt"]
    assert "grammar" not in body


def _sweep_model(path: str, body: dict) -> Reply:
    """A llama.cpp server playing Sweep's model: the current window, `volume` wrapped too."""
    current = body["prompt"].split("<|file_sep|>current/")[1].split("\n", 1)[1]
    window = current.split("\n<|file_sep|>updated/")[0]
    answer = window.replace("return w * h * d", "return abs(w * h * d)") + "\n"
    return Reply(headers=SSE, body=sse({"content": answer, "stop": False},
                                       {"content": "", "stop": True}, done=False))


async def test_server_asks_the_configured_model_only_with_the_model_step_on(
    workspace: Path,
) -> None:
    path = workspace / "geo.py"
    path.write_text(BEFORE)
    line = BEFORE.splitlines().index("    return w * h")
    async with serve(_sweep_model) as (server, url):
        model = {"backend": "llamacpp", "url": url, "model": "sweep-next-edit-1.5b",
                 "fimTemplate": "qwen", "timeoutS": 30}
        for step, expected in ((False, []), (True, [("model", "abs(w * h * d)")])):
            settings = {"models": {"sweep": model},
                        "nextEdit": {"modelStep": step, "model": "sweep", "format": "sweep"}}
            async with session(workspace, init_options=settings) as (client, _):
                uri = open_document(client, path)
                client.text_document_did_change(types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
                    content_changes=[types.TextDocumentContentChangePartial(
                        range=types.Range(types.Position(line, 11), types.Position(line, 16)),
                        text="abs(w * h)")],
                ))
                edits = (await next_edit(client, uri, 2, line, 21))["edits"]
                assert [(e["source"], e["newText"]) for e in edits] == expected
        [(_, body, _)] = server.requests  # asked once: with the step on
    assert body["prompt"].startswith("<|file_sep|>geo.py\n")


def test_an_answer_is_given_up_as_soon_as_it_cannot_pass() -> None:
    text, events = _history()
    cursor = text.index("return w * h * d")
    for name in ("zeta2", "sweep"):
        prompt = build_prompt(text, cursor, events, "geo.py", fmt=FORMATS[name])
        assert prompt is not None
        region = text[prompt.start : prompt.end]
        good = region.replace("return w * h * d", "return abs(w * h * d)") + "\n"
        # Every prefix of a good answer is still hopeful, the unfinished region included.
        assert not any(hopeless(text, prompt, good[:i]) for i in range(len(good) + 1)), name
        chatter = "Sure! Here is the updated code, with comments on each line:\n" * 8
        assert hopeless(text, prompt, chatter), name
    zeta = build_prompt(text, cursor, events, "geo.py", fmt=FORMATS["zeta"])
    assert zeta is not None
    assert not hopeless(text, zeta, "```geo.py\n<|start_of_file|>\n")
    assert hopeless(text, zeta, "- 'magenta': 35,\n" * 60)  # no region in sight
