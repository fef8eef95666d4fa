"""The forwarding cache: exact hits, forwarding while typing, LRU eviction, staleness."""

from __future__ import annotations

from typehole.features.completion.cache import ForwardingCache
from typehole.features.completion.site import Site

DOC = "import os\n\ndef main():\n    path = \n    print(path)\n"
CURSOR = DOC.index("path = ") + len("path = ")


def _site(text: str = DOC, offset: int = CURSOR, path: str = "a.py") -> Site:
    return Site(text, offset, path)


def _typed(typed: str, text: str = DOC, offset: int = CURSOR, path: str = "a.py") -> Site:
    """The document after the user typed `typed` at the cursor."""
    return Site(text[:offset] + typed + text[offset:], offset + len(typed), path)


def test_exact_hit_and_miss() -> None:
    cache = ForwardingCache()
    assert cache.get(_site()) is None
    cache.put(_site(), 'os.getcwd()')
    assert cache.get(_site()) == "os.getcwd()"
    assert cache.get(_site(path="b.py")) is None


def test_forwarding_while_the_user_types_the_completion() -> None:
    cache = ForwardingCache()
    cache.put(_site(), "os.getcwd()")
    assert cache.get(_typed("o")) == "s.getcwd()"
    assert cache.get(_typed("os.get")) == "cwd()"
    assert cache.get(_typed("os.getcwd(")) == ")"
    assert cache.get(_typed("os.getcwd()")) is None  # typed it all: nothing left to offer
    assert cache.get(_typed("os.path")) is None  # diverged from the completion


def test_forwarding_across_newlines() -> None:
    cache = ForwardingCache()
    completion = "os.getcwd()\n    name = os.path.basename(path)"
    cache.put(_site(), completion)
    assert cache.get(_typed("os.getcwd()\n    na")) == "me = os.path.basename(path)"


def test_forwarding_does_not_offer_only_whitespace() -> None:
    cache = ForwardingCache()
    cache.put(_site(), "x\n    ")
    assert cache.get(_typed("x")) is None


def test_an_edit_after_the_cursor_makes_entries_stale() -> None:
    cache = ForwardingCache()
    cache.put(_site(), "os.getcwd()")
    edited = DOC.replace("print(path)", "print(path, flush=True)")
    assert cache.get(_site(edited)) is None
    assert cache.get(_typed("os", text=edited)) is None


def test_an_edit_near_the_cursor_before_it_makes_entries_stale() -> None:
    cache = ForwardingCache()
    cache.put(_site(), "os.getcwd()")
    edited = DOC.replace("def main():", "def run():")
    shift = len("def run():") - len("def main():")
    assert cache.get(_site(edited, CURSOR + shift)) is None


def test_only_the_prefix_tail_is_compared() -> None:
    """Far-away edits that keep the length do not matter (the key holds a bounded tail)."""
    far = "# " + "x" * 50 + "\n"
    text = far + DOC
    cache = ForwardingCache(prefix_chars=20)
    cache.put(_site(text, CURSOR + len(far)), "os.getcwd()")
    edited = far.replace("x", "y") + DOC
    assert cache.get(_site(edited, CURSOR + len(far))) == "os.getcwd()"


def test_lru_eviction_keeps_the_recently_used() -> None:
    cache = ForwardingCache(capacity=2)
    sites = [_site(path=f"{i}.py") for i in range(3)]
    cache.put(sites[0], "zero")
    cache.put(sites[1], "one")
    assert cache.get(sites[0]) == "zero"  # touch 0 so 1 is the oldest
    cache.put(sites[2], "two")
    assert len(cache) == 2
    assert cache.get(sites[1]) is None
    assert cache.get(sites[0]) == "zero" and cache.get(sites[2]) == "two"


def test_forwarded_hit_also_counts_as_use() -> None:
    cache = ForwardingCache(capacity=2)
    cache.put(_site(path="a.py"), "alpha()")
    cache.put(_site(path="b.py"), "beta()")
    assert cache.get(_typed("al", path="a.py")) == "pha()"
    cache.put(_site(path="c.py"), "gamma()")
    assert cache.get(_site(path="a.py")) == "alpha()"
    assert cache.get(_site(path="b.py")) is None


def test_newer_completion_replaces_older_at_the_same_site() -> None:
    cache = ForwardingCache()
    cache.put(_site(), "first()")
    cache.put(_site(), "second()")
    assert cache.get(_site()) == "second()" and len(cache) == 1


def test_least_forwarded_entry_wins() -> None:
    cache = ForwardingCache()
    cache.put(_site(), "os.getcwd()")
    cache.put(_typed("os."), "environ")
    assert cache.get(_typed("os.e")) == "nviron"


def test_clear_all_or_one_path() -> None:
    cache = ForwardingCache()
    cache.put(_site(path="a.py"), "a")
    cache.put(_site(path="b.py"), "b")
    cache.clear("a.py")
    assert cache.get(_site(path="a.py")) is None and cache.get(_site(path="b.py")) == "b"
    cache.clear()
    assert len(cache) == 0 and cache.get(_site(path="b.py")) is None


def test_empty_completions_and_zero_capacity_store_nothing() -> None:
    cache = ForwardingCache()
    cache.put(_site(), "")
    assert len(cache) == 0
    none = ForwardingCache(capacity=0)
    none.put(_site(), "x")
    assert none.get(_site()) is None
