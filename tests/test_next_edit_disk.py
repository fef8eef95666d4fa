"""Saved and on-disk changes across the workspace feed next edits.

Unit: `WorkspaceHistory` bounds and diffs, the Zeta prompt shows other files' edits, and a
parameter added in one file reaches the call sites of another. End to end through a real
client: a `didSave` and a watched-file change are recorded (seen as call-site edits in another
open document), secret-looking and outside-the-workspace files are ignored, and a file that
vanishes breaks nothing.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsp_client import open_document, start_client
from lsprotocol import types

from typehole.features.next_edit import (
    Event,
    WorkspaceHistory,
    build_prompt,
    caller_suggestions,
    minimal_change,
)

PRICING = "def price(item):\n    return item.cost\n"
PRICING_RATED = "def price(item, rate):\n    return item.cost * rate\n"
CART = (
    "from shop.pricing import price\n\n\ndef total(items):\n"
    "    return sum(price(i) for i in items)\n"
)


def _event(before: str, after: str, time: float = 0.0) -> Event:
    return Event(before, after, minimal_change(before, after), time)


def test_workspace_history_records_diffs_and_is_bounded() -> None:
    history = WorkspaceHistory(max_edits=2)
    assert history.record("a", "a.py", None, "x = 1\n") is None  # first sight: no diff
    assert history.record("a", "a.py", "x = 1\n", "x = 1\n") is None
    for i in range(3):
        history.record("a", "a.py", f"x = {i}\n", f"x = {i + 1}\n")
    history.record("b", "b.py", "y = 1\n", "y = 2\n")
    assert [e.uri for e in history.edits] == ["a", "b"]
    assert [e.uri for e in history.others("b")] == ["a"]
    history.forget("a")
    assert history.others("b") == []


def test_prompt_shows_other_files_edits_in_time_order() -> None:
    text = "def f(a):\n    return a\n"
    own = _event("def f():\n    return 1\n", text, time=2.0)
    other = _event(PRICING, PRICING_RATED, time=1.0)
    prompt = build_prompt(text, 10, [own], "m.py", others=[("shop/pricing.py", other)])
    assert "User edited 'shop/pricing.py'" in prompt.text
    assert "+def price(item, rate):" in prompt.text
    assert prompt.text.index("shop/pricing.py") < prompt.text.index("User edited 'm.py'")


def test_a_parameter_added_in_one_file_reaches_call_sites_in_another() -> None:
    [s] = caller_suggestions(_event(PRICING, PRICING_RATED), "pricing", CART)
    assert s.source == "signature" and s.new_text == ", rate"
    assert CART[: s.start].endswith("price(i")
    # Not taken from that module, or defined here: someone else's `price`.
    assert caller_suggestions(_event(PRICING, PRICING_RATED), "other", CART) == []
    own = "def price(x):\n    return x\n\n\nprice(1)\n"
    assert caller_suggestions(_event(PRICING, PRICING_RATED), "pricing", own) == []
    qualified = "import shop.pricing as pricing\n\npricing.price(1)\n"
    [q] = caller_suggestions(_event(PRICING, PRICING_RATED), "pricing", qualified)
    assert q.new_text == ", rate"


def _workspace(tmp_path: Path) -> tuple[Path, Path, Path]:
    root = tmp_path / "ws"
    package = root / "shop"
    package.mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'shop'\n")
    (package / "__init__.py").write_text("")
    pricing = package / "pricing.py"
    pricing.write_text(PRICING)
    cart = package / "cart.py"
    cart.write_text(CART)
    return root, pricing, cart


async def _edits(client, uri: str) -> list[tuple[str, str]]:
    result = await client.protocol.send_request_async("typehole/nextEdit", {
        "textDocument": {"uri": uri, "version": 1},
        "position": {"line": 0, "character": 0},
    })
    edits = result["edits"] if isinstance(result, dict) else result.edits
    out = []
    for e in edits:
        e = e if isinstance(e, dict) else e._asdict()
        out.append((e["source"], e["newText"]))
    return out


async def _eventually(client, uri: str, timeout_s: float = 10.0) -> list[tuple[str, str]]:
    for _ in range(int(timeout_s / 0.1)):
        if found := await _edits(client, uri):
            return found
        await asyncio.sleep(0.1)
    return []


def _watched(client, *changes: tuple[Path, types.FileChangeType]) -> None:
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=path.as_uri(), type=kind) for path, kind in changes
    ]))


async def test_a_saved_signature_change_reaches_another_open_document(tmp_path: Path) -> None:
    root, pricing, cart = _workspace(tmp_path)
    client, result = await start_client(root)
    try:
        save = result.capabilities.text_document_sync.save
        assert isinstance(save, types.SaveOptions) and save.include_text
        pricing_uri = open_document(client, pricing)
        cart_uri = open_document(client, cart)
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=pricing_uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=PRICING_RATED)],
        ))
        assert await _edits(client, cart_uri) == []  # typed, not saved: not a workspace change
        pricing.write_text(PRICING_RATED)
        client.text_document_did_save(types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=pricing_uri), text=PRICING_RATED))
        assert await _eventually(client, cart_uri) == [("signature", ", rate")]
    finally:
        await client.shutdown_session()


async def test_watched_changes_are_recorded_but_not_secrets_outside_or_vanished(
    tmp_path: Path,
) -> None:
    root, pricing, cart = _workspace(tmp_path)
    secret = root / "shop" / "secrets.py"
    secret.write_text("def charge(card):\n    return card\n")
    outside = tmp_path / "elsewhere" / "pricing.py"
    outside.parent.mkdir()
    outside.write_text("def fee(item):\n    return 1\n")
    gone = root / "shop" / "gone.py"
    cart.write_text(CART + "\n\nfrom shop.secrets import charge\nfrom pricing import fee\n"
                    "\ncharge(1)\nfee(2)\n")
    client, _ = await start_client(root)
    try:
        cart_uri = open_document(client, cart)
        changed = types.FileChangeType.Changed
        # First sight of each file: its text becomes the "before" of the next change.
        _watched(client, (secret, changed), (outside, changed), (pricing, changed))
        await asyncio.sleep(0.5)
        secret.write_text("def charge(card, amount):\n    return card\n")
        outside.write_text("def fee(item, rate):\n    return 1\n")
        _watched(client, (secret, changed), (outside, changed), (gone, changed),
                 (gone, types.FileChangeType.Deleted))
        await asyncio.sleep(0.5)
        assert await _edits(client, cart_uri) == []
        pricing.write_text(PRICING_RATED)
        _watched(client, (pricing, changed))
        assert await _eventually(client, cart_uri) == [("signature", ", rate")]
        # The file vanishes (a change event for a missing file): nothing breaks.
        pricing.unlink()
        _watched(client, (pricing, changed), (pricing, types.FileChangeType.Deleted))
        await asyncio.sleep(0.5)
        assert isinstance(await _edits(client, cart_uri), list)
    finally:
        await client.shutdown_session()
