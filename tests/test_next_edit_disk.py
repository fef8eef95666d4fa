"""Saved and on-disk changes across the workspace feed next edits.

Unit: `WorkspaceHistory` bounds and diffs, the Zeta prompt shows other files' edits, and a
parameter added in one file reaches the call sites of another. End to end through a real
client: a `didSave` and a watched-file change are recorded (seen as call-site edits in another
open document), secret-looking and outside-the-workspace files are ignored, and a file that
vanishes is forgotten. The server reads watched files in the background, so each step waits for
a change it must see, sent after the ones it must not.
"""

from __future__ import annotations

from pathlib import Path

from lsp_client import close_document, eventually, next_edit, open_document, session
from lsprotocol import types
from trees import write_tree

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
TAX = "def tax(amount):\n    return amount\n"
TAX_REGIONAL = "def tax(amount, region):\n    return amount\n"


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


def test_a_function_renamed_in_one_file_reaches_its_import_and_calls_in_another() -> None:
    renamed = PRICING.replace("def price(", "def unit_price(")
    cart = CART.replace("for i in items)", "for i in items) + shelf.price + f(price=1)")
    found = caller_suggestions(_event(PRICING, renamed), "pricing", cart)
    assert [(cart[s.start - 7 : s.end], s.new_text, s.source) for s in found] == [
        ("import price", "unit_price", "rename"), ("rn sum(price", "unit_price", "rename")]
    assert "`pricing.price` was renamed to `unit_price`" in found[0].reason
    # Not imported from that module: the plain name is someone else's.
    other = "from shop.catalog import price\n\nprice(1)\n"
    assert caller_suggestions(_event(PRICING, renamed), "pricing", other) == []
    # A renamed function whose parameters changed too is not taken for a rename.
    changed = renamed.replace("(item)", "(item, rate)")
    assert all(s.source != "rename"
               for s in caller_suggestions(_event(PRICING, changed), "pricing", cart))


Edit = tuple[str, str, int]  # source, new text, line


def _workspace(root: Path, cart: str = CART) -> tuple[Path, Path]:
    write_tree(root, {"shop/__init__.py": "", "shop/pricing.py": PRICING, "shop/cart.py": cart})
    return root / "shop" / "pricing.py", root / "shop" / "cart.py"


def _edits(answer: dict) -> list[Edit]:
    return sorted((e["source"], e["newText"], e["range"]["start"]["line"]) for e in answer["edits"])


async def _fresh_edits(client, path: Path) -> list[Edit]:
    """The next edits for `path` opened anew (so no earlier suggestion is kept), then closed."""
    uri = open_document(client, path)
    try:
        return _edits(await next_edit(client, uri, 1))
    finally:
        close_document(client, uri)


def _watched(client, *changes: tuple[Path, types.FileChangeType]) -> None:
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=path.as_uri(), type=kind) for path, kind in changes
    ]))


async def test_a_saved_signature_change_reaches_another_open_document(workspace: Path) -> None:
    pricing, cart = _workspace(workspace)
    async with session(workspace) as (client, result):
        save = result.capabilities.text_document_sync.save
        assert isinstance(save, types.SaveOptions) and save.include_text
        pricing_uri = open_document(client, pricing)
        cart_uri = open_document(client, cart)
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=pricing_uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=PRICING_RATED)],
        ))
        # Typed, not saved: not a workspace change.
        assert _edits(await next_edit(client, cart_uri, 1)) == []
        pricing.write_text(PRICING_RATED)
        client.text_document_did_save(types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=pricing_uri), text=PRICING_RATED))
        # The save is recorded before the request sent after it is answered.
        assert _edits(await next_edit(client, cart_uri, 1)) == [("signature", ", rate", 4)]


async def test_watched_changes_are_recorded_but_not_secrets_outside_or_vanished(
    tmp_path: Path,
) -> None:
    root = tmp_path / "ws"
    pricing, cart = _workspace(root, CART + (
        "\n\nfrom shop.secrets import charge\nfrom shop.tax import tax\nfrom pricing import fee\n"
        "\ncharge(1)\ntax(2)\nfee(3)\n"
    ))
    write_tree(root, {
        "pyproject.toml": "[project]\nname = 'shop'\n",
        "shop/secrets.py": "def charge(card):\n    return card\n",
        "shop/tax.py": TAX,
    })
    write_tree(tmp_path, {"elsewhere/pricing.py": "def fee(item):\n    return 1\n"})
    secret, tax = root / "shop" / "secrets.py", root / "shop" / "tax.py"
    outside, gone = tmp_path / "elsewhere" / "pricing.py", root / "shop" / "gone.py"
    changed, deleted = types.FileChangeType.Changed, types.FileChangeType.Deleted
    async with session(root) as (client, _):
        # The server's first sight of a file's text is the "before" of its next change: for the
        # files that must be seen, an open (handled in order) shows it.
        for path in (pricing, tax):
            close_document(client, open_document(client, path))
        # First sight of the secret and the outside file, then a change that must be seen.
        tax.write_text(TAX_REGIONAL)
        _watched(client, (secret, changed), (outside, changed), (tax, changed))
        region = ("signature", ", region", 12)
        await eventually(lambda: _fresh_edits(client, cart), lambda found: found == [region])
        # Their changes (and a file that is gone), then again one that must be seen.
        secret.write_text("def charge(card, amount):\n    return card\n")
        outside.write_text("def fee(item, surcharge):\n    return 1\n")
        pricing.write_text(PRICING_RATED)
        _watched(client, (secret, changed), (outside, changed), (gone, changed),
                 (gone, deleted), (pricing, changed))
        rate = ("signature", ", rate", 4)
        found = await eventually(lambda: _fresh_edits(client, cart), lambda found: rate in found)
        assert found == [rate, region]  # nothing for `charge` or `fee`
        # The file vanishes (a change event for a missing file, then its deletion): its change
        # is forgotten, the others stay.
        pricing.unlink()
        _watched(client, (pricing, changed), (pricing, deleted))
        await eventually(lambda: _fresh_edits(client, cart), lambda found: found == [region])
