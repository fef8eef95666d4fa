"""Caches with a side index: what an LRU drops, the index drops too."""

from __future__ import annotations

from typehole.base.caches import EvictingLRU
from typehole.server.features.next_edit import MAX_DOCUMENTS, Store


def test_evicting_lru_reports_only_what_it_drops_to_make_room() -> None:
    dropped: list[tuple[str, int]] = []
    cache: EvictingLRU[str, int] = EvictingLRU(2, lambda k, v: dropped.append((k, v)))
    cache["a"], cache["b"] = 1, 2
    assert cache["a"] == 1  # `a` is now the most recently used
    cache["c"] = 3
    del cache["a"]
    assert dropped == [("b", 2)] and dict(cache) == {"c": 3}


def test_next_edit_store_drops_the_suggestions_of_a_forgotten_document() -> None:
    store = Store()
    store.see("file:///0.py", "x = 1\n")
    store.offered["file:///0.py"] = []
    for i in range(1, MAX_DOCUMENTS + 1):
        store.see(f"file:///{i}.py", "y = 2\n")
    assert "file:///0.py" not in store.histories and "file:///0.py" not in store.offered
    assert len(store.histories) == MAX_DOCUMENTS
