"""Next edits in more cases, replayed from real commits: where an edit left the code unparsable,
and what a parameter the edit added still lacks in its function's body."""

from __future__ import annotations

from typehole.features.next_edit import apply, events_between, holds, static_suggestions
from typehole.features.next_edit.broken import broken_suggestions
from typehole.features.next_edit.history import EditHistory
from typehole.features.next_edit.parameters import unread_suggestions
from typehole.features.next_edit.twins import twin_line_suggestions

# jinja 0cc6ff90: `generate_async` moves from try/finally to `async with aclosing(agen)`; the
# maintainer rewrote the `try:` first and deleted the `finally:` block after.
GENERATE = '''from contextlib import aclosing


class Template:
    async def generate_async(self, *args, **kwargs):
        """An async version of :meth:`generate`."""
        ctx = self.new_context(dict(*args, **kwargs))

        try:
            agen = self.root_render_func(ctx)
            try:
                async for event in agen:  # type: ignore
                    yield event
            finally:
                # we can't use async with aclosing(...) because that's only
                # in 3.10+
                await agen.aclose()  # type: ignore
        except Exception:
            yield self.environment.handle_exception()
'''
REWRITTEN = GENERATE.replace(
    "            try:\n                async for event in agen:  # type: ignore\n",
    "\n            async with aclosing(agen):\n                async for event in agen:\n")
FINALLY = "            finally:\n"
FINISHED = REWRITTEN.replace(
    "            finally:\n                # we can't use async with aclosing(...) because that's "
    "only\n                # in 3.10+\n                await agen.aclose()  # type: ignore\n", "")


def _history(*texts: str) -> EditHistory:
    history = EditHistory(texts[0])
    for i, text in enumerate(texts[1:]):
        history.update(text, now=10.0 * (i + 1))  # apart: each text is its own edit
    return history


def test_a_block_left_dangling_by_the_edit_is_where_the_next_edit_goes() -> None:
    [top, *_] = static_suggestions(REWRITTEN, events_between(GENERATE, REWRITTEN))
    assert top.source == "syntax" and top.jump
    line = REWRITTEN[: top.start].count("\n") + 1
    assert REWRITTEN[top.start : top.end] == FINALLY.rstrip("\n")
    assert REWRITTEN.splitlines()[line - 1] == FINALLY.rstrip("\n")
    assert "does not parse" in top.reason
    assert top.new_text == REWRITTEN[top.start : top.end]  # location only: applying keeps it


def test_the_break_holds_across_other_edits_and_goes_once_completed() -> None:
    # An unrelated edit above: the suggestion moves with the `finally:` line.
    above = REWRITTEN.replace("from contextlib import aclosing\n",
                              "import typing as t\nfrom contextlib import aclosing\n")
    history = _history(GENERATE, REWRITTEN, above)
    found = static_suggestions(above, history.events)
    assert [above[s.start : s.end] for s in found if s.source == "syntax"] == [
        FINALLY.rstrip("\n")]
    # The `finally:` block deleted: the code parses again and nothing points at it.
    done = FINISHED.replace("from contextlib import aclosing\n",
                            "import typing as t\nfrom contextlib import aclosing\n")
    history = _history(GENERATE, REWRITTEN, above, done)
    assert [s for s in static_suggestions(done, history.events) if s.source == "syntax"] == []
    # The server keeps what it offered while `holds` says so: until the code parses again.
    [offered] = [s for s in found if s.source == "syntax"]
    assert holds(above, offered) and not holds(done, offered)


def test_no_place_is_guessed_for_an_open_bracket_typing_or_old_breakage() -> None:
    # A bracket left open: the parser names where it opened, not where it should close.
    opened = GENERATE.replace("ctx = self.new_context(dict(*args, **kwargs))",
                              "ctx = self.new_context(dict(*args, **kwargs)")
    assert broken_suggestions(events_between(GENERATE, opened)[-1]) == []
    # The error on the line the edit wrote: the user is still typing it.
    typing = GENERATE.replace("        ctx = self", "        ctx = = self")
    assert broken_suggestions(events_between(GENERATE, typing)[-1]) == []
    # A text that did not parse before the edit: the break is not this edit's.
    old = REWRITTEN.replace("from contextlib import aclosing", "from contextlib import aclose")
    assert broken_suggestions(events_between(REWRITTEN, old)[-1]) == []
    # And a text that parses gets nothing.
    assert broken_suggestions(events_between(GENERATE, FINISHED)[-1]) == []


# httpx 707e54c4: NO_PROXY learns hostnames; the sync client's `dispatcher_for_url` gets the
# check first, then its async twin.
CLIENTS = '''from .utils import should_not_be_proxied


class Client:
    def dispatcher_for_url(self, url: URL) -> SyncDispatcher:
        """Returns the SyncDispatcher instance that should be used for a given URL."""
        if self.proxies:
            hostname = f"{url.host}:{url.port}"
            return self.proxies[hostname]
        return self.dispatch

    def send(self, request):
        response = self.send_handling_redirects(request, auth=self.auth)
        return response


class AsyncClient:
    def dispatcher_for_url(self, url: URL) -> AsyncDispatcher:
        """Returns the AsyncDispatcher instance that should be used for a given URL."""
        if self.proxies:
            hostname = f"{url.host}:{url.port}"
            return self.proxies[hostname]
        return self.dispatch

    async def send(self, request):
        response = await self.send_handling_redirects(request, auth=self.auth)
        return response
'''


def test_a_line_edited_in_a_method_is_edited_alike_in_its_twin() -> None:
    after = CLIENTS.replace("        if self.proxies:\n",
                            "        if self.proxies and not should_not_be_proxied(url):\n", 1)
    [top, *_] = static_suggestions(after, events_between(CLIENTS, after))
    assert top.source == "twin_line" and not top.jump
    assert after[top.start : top.end] == "        if self.proxies:"
    assert top.start > after.index("class AsyncClient")
    assert top.new_text == "        if self.proxies and not should_not_be_proxied(url):"
    done = apply(after, top)
    assert done.count("if self.proxies and not should_not_be_proxied(url):") == 2
    assert "`dispatcher_for_url` changed on line 7" in top.reason


def test_a_twin_line_that_differs_by_await_is_a_place_and_a_plain_line_is_none() -> None:
    after = CLIENTS.replace("auth=self.auth)\n        return response\n\n\nclass",
                            "auth=self.auth, follow=True)\n        return response\n\n\nclass")
    [s] = twin_line_suggestions(events_between(CLIENTS, after)[-1])
    assert s.jump and s.source == "twin_line"
    assert after[s.start : s.end] == \
        "        response = await self.send_handling_redirects(request, auth=self.auth)"
    # The last line of a method, edited at its end, is found again too.
    last = CLIENTS.replace("        return self.dispatch\n", "        return self._dispatch\n", 1)
    [s] = twin_line_suggestions(events_between(CLIENTS, last)[-1])
    assert s.new_text == "        return self._dispatch" and s.start > after.index("class Async")
    # `return response` is too plain a line to find again.
    plain = CLIENTS.replace("        return response\n", "        return response  # x\n", 1)
    assert twin_line_suggestions(events_between(CLIENTS, plain)[-1]) == []


# jinja 840e7e06: the memcached bytecode cache learns to ignore memcache errors; the parameter
# comes first, its store on `self` next.
MEMCACHED = '''class MemcachedBytecodeCache(BytecodeCache):
    """Uses a memcache cache to store the bytecode cache."""

    def __init__(self, client, prefix='jinja2/bytecode/', timeout=None):
        self.client = client
        self.prefix = prefix
        self.timeout = timeout

    def load_bytecode(self, bucket):
        code = self.client.get(self.prefix + bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)
'''
WITH_FLAG = MEMCACHED.replace(
    "timeout=None):", "timeout=None,\n                 ignore_memcache_errors=True):")


def test_a_parameter_added_to_init_is_stored_like_its_siblings() -> None:
    [top, *_] = static_suggestions(WITH_FLAG, events_between(MEMCACHED, WITH_FLAG))
    assert top.source == "unread" and not top.jump
    assert top.new_text == "        self.ignore_memcache_errors = ignore_memcache_errors\n"
    assert apply(WITH_FLAG, top) == WITH_FLAG.replace(
        "        self.timeout = timeout\n",
        "        self.timeout = timeout\n"
        "        self.ignore_memcache_errors = ignore_memcache_errors\n")
    # A parameter in the middle goes after the store of the one before it.
    middle = MEMCACHED.replace("prefix='jinja2/bytecode/', ", "prefix='jinja2/bytecode/', ttl=0, ")
    [s] = unread_suggestions(events_between(MEMCACHED, middle)[-1])
    assert apply(middle, s).count("        self.prefix = prefix\n        self.ttl = ttl\n") == 1


def test_no_store_where_siblings_are_not_stored_as_is_or_it_is_read() -> None:
    # One sibling stored under a condition: the new one may not be stored as is either.
    mixed = MEMCACHED.replace("self.prefix = prefix", "self.prefix = prefix or ''")
    added = mixed.replace("timeout=None):", "timeout=None, ignore_errors=True):")
    assert unread_suggestions(events_between(mixed, added)[-1]) == []
    # Read already (its use typed first): nothing is missing.
    reading = MEMCACHED.replace("        self.timeout = timeout\n",
                                "        self.timeout = timeout\n"
                                "        self.quiet = ignore_memcache_errors\n")
    used = reading.replace("timeout=None):", "timeout=None, ignore_memcache_errors=True):")
    [event] = events_between(reading, used)
    assert unread_suggestions(event) == []
    assert unread_suggestions(events_between(MEMCACHED, WITH_FLAG)[-1]) != []
    # Not `__init__`: where a method reads its new parameter is the author's.
    method = MEMCACHED.replace("def load_bytecode(self, bucket):",
                               "def load_bytecode(self, bucket, default=None):")
    assert unread_suggestions(events_between(MEMCACHED, method)[-1]) == []
