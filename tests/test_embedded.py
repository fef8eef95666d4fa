"""The `embedded` backend: the real llama.cpp engine from the `xllamacpp` wheel, in its child
process, on loopback with a per-process key.

With the real default model (Gemma 3 270M) at temperature 0: golden completions
(`tests/golden/embedded`), the model's own token counts, grammar-constrained output that is
always legal, monitors that keep a real member after `obj.`, cancellation that stops generation
in the engine, and the CLI. With the tiny random-weight GGUF (fast to load): loading then ready,
the API key, a missing, foreign or truncated file, a context window the model was not trained
for, an engine that cannot start, shutdown. Each test skips with the reason when xllamacpp, gguf
or the default model is not installed (`pip install -e '.[test,embedded]'`).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from typehole.app.hub import ModelHub
from typehole.app.settings import resolve
from typehole.guided import GuidedResult, guided
from typehole.guided.compile import gbnf
from typehole.models.base import Backend, CompletionRequest, LoadsInBackground
from typehole.models.embedded import EmbeddedBackend
from typehole.models.engine import EngineConfig, EngineProcess
from typehole.models.errors import ModelConfigError, ModelLoading, ModelUnavailable
from typehole.models.gguf import DEFAULT_MODEL, read_gguf_info
from typehole.models.health import HealthEvent, HealthState
from typehole.models.spec import ModelSpec
from typehole.monitors import MonitorSettings
from typehole.monitors.constraint import Constraint

pytestmark = pytest.mark.timeout(300)

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "golden" / "embedded"
INSTALL = "pip install -e '.[test,embedded]'"


def _missing(module: str) -> bool:
    return importlib.util.find_spec(module) is None


needs_engine = pytest.mark.skipif(
    _missing("xllamacpp") or _missing("gguf"), reason=f"xllamacpp or gguf not installed: {INSTALL}"
)
needs_model = pytest.mark.skipif(
    _missing("xllamacpp") or _missing(DEFAULT_MODEL.module),
    reason=f"xllamacpp or the default model ({DEFAULT_MODEL.package}) not installed: {INSTALL}",
)
on_module_loop = pytest.mark.asyncio(loop_scope="module")


async def text_of(backend: Backend, request: CompletionRequest) -> str:
    return "".join([c.text async for c in backend.complete(request)])


def tiny_path() -> Path:
    from llamacpp.engine import tiny_gguf

    return tiny_gguf()


def embedded(path: Path | str = "", events: list[HealthEvent] | None = None,
             **fields: object) -> EmbeddedBackend:
    fields = {"context_window": 2048, "timeout_s": 120.0, "load_timeout_s": 240.0, **fields}
    spec = ModelSpec("embedded", "embedded", path=str(path), **fields)  # type: ignore[arg-type]
    on_change = events.append if events is not None else None
    return EmbeddedBackend(spec, on_health_change=on_change)


# -- the real default model ----------------------------------------------------------------------


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def gemma() -> AsyncIterator[EmbeddedBackend]:
    backend = embedded(max_tokens=1500)
    await backend.wait_ready()
    yield backend
    await backend.aclose()


@needs_model
@on_module_loop
@pytest.mark.parametrize("case", sorted(GOLDEN.glob("*.py")), ids=lambda p: p.stem)
async def test_golden_completion_at_temperature_zero(gemma: EmbeddedBackend, case: Path) -> None:
    prefix, suffix = case.read_text(encoding="utf-8").split("┃")
    request = CompletionRequest(prefix, suffix, max_tokens=24, stop=("\n",))
    expected = case.with_suffix(".expected").read_text(encoding="utf-8")
    assert await text_of(gemma, request) == expected


@needs_model
@on_module_loop
async def test_default_model_is_described_and_prefix_only(gemma: EmbeddedBackend) -> None:
    assert gemma.ready and isinstance(gemma, LoadsInBackground)
    assert gemma.info is not None and gemma.info.name == "Gemma 3 270m"
    assert not gemma.info.infill  # no FIM tokens: prompts are the prefix, no `/infill` round trip
    assert read_gguf_info(gemma.info.path).context_length == 32768


@needs_model
@on_module_loop
async def test_token_counts_never_undercount_the_models_own(gemma: EmbeddedBackend) -> None:
    # Prompts are fitted with a conservative estimate; the model's own tokenizer (its /tokenize)
    # counts 7 and 8 tokens for these, so a budget the estimate meets is met for real.
    assert gemma.count_tokens("def add(a, b):") >= 7
    assert gemma.count_tokens("    return self.items[name]") >= 8
    assert gemma.count_tokens("") == 0


@needs_model
@on_module_loop
async def test_grammar_constrained_output_is_always_legal(gemma: EmbeddedBackend) -> None:
    grammar = 'root ::= ("append" | "extend" | "insert") "(" [a-z_]* ")"'
    for prompt in ("items = []\nitems.", "def f(xs):\n    xs."):
        for seed in (1, 2, 3):
            request = CompletionRequest(prompt, max_tokens=16, temperature=1.0,
                                        extra={"grammar": grammar, "seed": seed})
            out = await text_of(gemma, request)
            assert re.fullmatch(r"(append|extend|insert)\([a-z_]*\)", out), out


@needs_model
@on_module_loop
async def test_a_trie_of_legal_words_chooses_as_their_list(gemma: EmbeddedBackend) -> None:
    """The legal words of a grammar round, written as a trie (`guided.compile.gbnf`), leave the
    real model the choice the same words listed one by one leave it, where its own first choice
    is not among them (the case a trie makes cheaper for the engine)."""
    prompt = "def total(prices: dict[str, float]) -> float:\n    return prices."

    async def afresh(extra: dict[str, object]) -> str:
        await text_of(gemma, CompletionRequest("#", max_tokens=1))  # the prompt evaluated whole
        return await text_of(gemma, CompletionRequest(prompt, max_tokens=6, extra=extra))

    free = re.match(r"\w*", await afresh({})).group(0)  # type: ignore[union-attr]
    members = [w for w in dir(dict) if not w.startswith("__")] + ["__len__", "__iter__"]
    assert free in members  # the model's own choice, taken away below
    words = tuple(w for w in members if w != free)
    trie = gbnf(Constraint(words=words), "")
    assert trie is not None and '"__" ("len__" | "iter__")' in trie  # a shared start once
    listed = re.sub(r"(?m)^word ::= .*$", "word ::= " + " | ".join(json.dumps(w) for w in words),
                    trie)
    by_trie, by_list = await afresh({"grammar": trie}), await afresh({"grammar": listed})
    assert by_trie == by_list, (by_trie, by_list)
    assert re.match(r"\w*", by_trie).group(0) in words, by_trie  # type: ignore[union-attr]


@needs_model
@on_module_loop
async def test_monitors_keep_a_real_member_from_the_real_model(gemma: EmbeddedBackend) -> None:
    doc = "def shout(message: str) -> str:\n    return message.┃\n"
    offset = doc.index("┃")
    text = doc.replace("┃", "")
    request = CompletionRequest(text[:offset], text[offset:], max_tokens=12, stop=("\n",))
    result = GuidedResult()
    with ThreadPoolExecutor(1) as analysis:
        stream = guided(gemma, request, text, offset, analysis, result=result,
                        settings=MonitorSettings(trigger_timeout_ms=60_000))
        out = "".join([c.text async for c in stream])
    name = re.match(r"\w*", out).group(0)  # type: ignore[union-attr]
    # Legal as written (checked), or repaired: by letters or the model's likeliest legal token
    # (checked), or under a grammar.
    assert result.strategy in ("check", "grammar")
    assert name and name in dir(str), out


@needs_model
@on_module_loop
async def test_the_engine_lists_its_likeliest_next_tokens(gemma: EmbeddedBackend) -> None:
    """`top_tokens`: the model's ranking after `message.`, from one token's work."""
    assert "top_tokens" in gemma.capabilities
    request = CompletionRequest("def shout(message: str) -> str:\n    return message.")
    found = await gemma.top_tokens(request, 40)
    logprobs = [c.logprob for c in found.choices]
    assert len(found.choices) == 40 and logprobs == sorted(logprobs, reverse=True)
    assert all(lp <= 0 for lp in logprobs)
    assert "upper" in [c.text for c in found.choices[:5]]
    assert found.timings is not None and found.timings.generated_tokens == 1


async def _idle(backend: EmbeddedBackend) -> dict[str, float]:
    """The engine's counters once no request is being processed (a hang guard, not a timer)."""
    async with asyncio.timeout(120):
        while (metrics := await backend.metrics())["requests_processing"] > 0:
            await asyncio.sleep(0.05)
    return metrics


@needs_model
@on_module_loop
async def test_cancellation_stops_generation_in_the_engine(gemma: EmbeddedBackend) -> None:
    before = (await _idle(gemma))["tokens_predicted_total"]
    # A grammar without an end: only cancellation (or max_tokens) can stop it.
    endless = CompletionRequest("words = '", max_tokens=1500, temperature=1.0,
                                extra={"grammar": "root ::= [a-z ] root"})
    got = 0
    async with contextlib.aclosing(gemma.complete(endless)) as stream:
        async for _ in stream:
            got += 1
            if got == 3:
                break

    started = asyncio.Event()

    async def consume() -> None:
        async for _ in gemma.complete(endless):
            started.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(started.wait(), 120)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    generated = (await _idle(gemma))["tokens_predicted_total"] - before
    assert generated < 1500  # two generations of 1,500 each had they run to the end


@needs_model
def test_cli_completes_with_the_real_model() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "typehole", "complete", "examples/inventory.py:31:21",
         "--model", "embedded", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=280,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert "Gemma 3 270M" in out["context"]["model_description"]
    assert [item["text"] for item in out["items"]] == ["items[name]"]


# -- lifecycle and bad input, on the tiny random-weight model ------------------------------------


@needs_engine
async def test_loading_then_ready_with_status_events() -> None:
    events: list[HealthEvent] = []
    backend = embedded(tiny_path(), events)
    try:
        assert not backend.ready
        with pytest.raises(ModelLoading, match="still loading"):
            await text_of(backend, CompletionRequest("x = ", max_tokens=4))
        assert backend.count_tokens("abc") > 0  # an estimate, ready or not
        await backend.wait_ready()
        assert backend.ready
        assert [(e.state, e.previous) for e in events] == [
            (HealthState.LOADING, HealthState.OK),
            (HealthState.OK, HealthState.LOADING),
        ]
        assert "loading" in events[0].message and "ready" in events[1].message
        assert len(await text_of(backend, CompletionRequest("x = ", max_tokens=4))) > 0
    finally:
        await backend.aclose()


def listening(pid: int) -> list[str]:
    """The local addresses (`/proc/net/tcp` hex, e.g. `0100007F:ABC1`) that process `pid`
    listens on, IPv4 and IPv6: its sockets' inodes matched with the kernel's socket tables."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            if (target := str(fd.readlink())).startswith("socket:["):
                inodes.add(target[len("socket:["):-1])
    found = []
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                found.append(fields[1])
    return found


ANSWERS_ONLY_WITH_THE_KEY = [("POST", "/completion"), ("POST", "/infill"), ("POST", "/tokenize"),
                             ("POST", "/v1/completions"), ("GET", "/props"), ("GET", "/slots"),
                             ("GET", "/metrics"), ("GET", "/v1/models")]


@needs_engine
async def test_engine_is_loopback_only_and_wants_the_key() -> None:
    backend = embedded(tiny_path())
    try:
        await backend.wait_ready()
        assert backend.info is not None
        url = backend.info.url
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
        pid = backend.engine.process.pid
        if Path(f"/proc/{pid}/net/tcp").exists():  # Linux: what the kernel says it listens on
            port = int(url.rsplit(":", 1)[1])
            assert listening(pid) == [f"0100007F:{port:04X}"]  # 127.0.0.1 only, no IPv6
            key = backend._api_key.encode()
            assert key not in Path(f"/proc/{pid}/cmdline").read_bytes()
            assert key not in Path(f"/proc/{pid}/environ").read_bytes()
        body = {"prompt": "x", "content": "x", "input_prefix": "x", "n_predict": 1}
        async with httpx.AsyncClient(trust_env=False) as plain:
            for method, endpoint in ANSWERS_ONLY_WITH_THE_KEY:
                for headers in ({}, {"Authorization": "Bearer guess"}):
                    response = await plain.request(method, url + endpoint, headers=headers,
                                                   json=body if method == "POST" else None)
                    assert response.status_code == 401, (endpoint, headers)
        # and with the key it answers
        assert len(await text_of(backend, CompletionRequest("x = ", max_tokens=2))) > 0
    finally:
        await backend.aclose()


@needs_engine
async def test_close_stops_the_engine_process() -> None:
    backend = embedded(tiny_path())
    await backend.wait_ready()
    process, log = backend.engine.process, backend.engine.log_path
    await backend.aclose()
    assert process.poll() is not None and not log.exists()
    with pytest.raises(ModelUnavailable, match="closed"):
        await text_of(backend, CompletionRequest("x = ", max_tokens=4))


async def kill(engine: EngineProcess) -> None:
    """Kill the engine's child process (as the OOM killer would) and wait until it is gone."""
    engine.process.kill()
    await engine.exited()


@needs_engine
async def test_engine_is_restarted_after_it_dies() -> None:
    events: list[HealthEvent] = []
    backend = embedded(tiny_path(), events)
    try:
        await backend.wait_ready()
        first = backend.engine
        await kill(first)
        with pytest.raises(ModelUnavailable, match=r"stopped \(killed by SIGKILL\)") as caught:
            await text_of(backend, CompletionRequest("x = ", max_tokens=4))
        assert not isinstance(caught.value, ModelLoading)
        await backend.wait_ready()  # the restart, in the background
        assert backend.engine is not first and backend.engine.running()
        assert not first.log_path.exists()  # the dead engine's log was read, then removed
        assert backend.restarts == 1
        assert len(await text_of(backend, CompletionRequest("x = ", max_tokens=4))) > 0
        assert backend.restarts == 0  # it serves again: a later crash starts a new series
        assert [e.state for e in events] == [HealthState.LOADING, HealthState.OK,
                                             HealthState.DOWN, HealthState.LOADING,
                                             HealthState.OK]
        down = events[2]
        assert "stopped (killed by SIGKILL)" in down.message and "restarting it in" in down.message
        assert "restart 1" in events[3].message
    finally:
        await backend.aclose()


@needs_engine
async def test_engine_restarts_are_bounded() -> None:
    events: list[HealthEvent] = []
    backend = embedded(tiny_path(), events)
    try:
        await backend.wait_ready()
        for restart in range(1, EmbeddedBackend.MAX_RESTARTS + 1):
            await kill(backend.engine)  # dies again before serving anything
            await backend.wait_ready()
            assert backend.restarts == restart
        await kill(backend.engine)
        with pytest.raises(ModelUnavailable, match="not restarted again after 3 restarts"):
            await backend.wait_ready()
        with pytest.raises(ModelUnavailable, match="not restarted again"):
            await text_of(backend, CompletionRequest("x = ", max_tokens=4))
        loads = [e for e in events if e.state is HealthState.LOADING]
        assert len(loads) == 1 + EmbeddedBackend.MAX_RESTARTS
        assert events[-1].state is HealthState.DOWN
    finally:
        await backend.aclose()


@needs_engine
async def test_no_restart_storm_when_the_model_file_broke(tmp_path: Path) -> None:
    path = tmp_path / "model.gguf"
    shutil.copy(tiny_path(), path)
    events: list[HealthEvent] = []
    backend = embedded(path, events)
    try:
        await backend.wait_ready()
        # The file is replaced by a damaged one (a new file: the running engine maps the old).
        whole = path.read_bytes()
        damaged = tmp_path / "damaged.gguf"
        damaged.write_bytes(whole[: len(whole) * 2 // 3])
        damaged.replace(path)
        await kill(backend.engine)
        with pytest.raises(ModelConfigError, match="could not load"):
            await backend.wait_ready()
        with pytest.raises(ModelConfigError, match="could not load"):
            await text_of(backend, CompletionRequest("x = ", max_tokens=4))
        # One restart tried, and no other: the engine is stopped and the backend down for good.
        assert [e.state for e in events] == [HealthState.LOADING, HealthState.OK,
                                             HealthState.DOWN, HealthState.LOADING,
                                             HealthState.DOWN]
        assert events[-1].is_config_error and backend.restarts == 1
        assert not backend.engine.running()
    finally:
        await backend.aclose()


async def _load_error(path: Path | str, **fields: object) -> tuple[ModelConfigError, list]:
    events: list[HealthEvent] = []
    backend = embedded(path, events, **fields)
    try:
        with pytest.raises(ModelConfigError) as caught:
            await backend.wait_ready()
        # and every completion says the same, at once
        with pytest.raises(ModelConfigError):
            await text_of(backend, CompletionRequest("x = ", max_tokens=4))
        return caught.value, events
    finally:
        await backend.aclose()


@needs_engine
async def test_missing_model_file_is_a_clear_error(tmp_path: Path) -> None:
    error, events = await _load_error(tmp_path / "nowhere.gguf")
    assert "nowhere.gguf does not exist" in str(error)
    assert events[-1].state is HealthState.DOWN and events[-1].is_config_error


@needs_engine
async def test_foreign_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.gguf"
    path.write_text("these are not weights\n")
    error, _ = await _load_error(path)
    assert "is not a GGUF model file" in str(error)


@needs_engine
async def test_truncated_model_is_a_clear_error(tmp_path: Path) -> None:
    whole = tiny_path().read_bytes()
    path = tmp_path / "cut.gguf"
    path.write_bytes(whole[: len(whole) * 2 // 3])  # header intact, tensor data cut
    error, _ = await _load_error(path)
    assert "could not load" in str(error) and "corrupted or incomplete" in str(error)


@needs_engine
async def test_context_window_beyond_training_is_a_clear_error() -> None:
    error, _ = await _load_error(tiny_path(), context_window=8192)
    assert "trained for a context of 4096 tokens" in str(error)
    assert "context_window 8192 does not fit" in str(error)


@needs_engine
def test_engine_that_cannot_start_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "python"
    broken.write_text("#!/bin/sh\necho 'engine: cannot run here' >&2\nexit 3\n")
    broken.chmod(0o755)
    process = EngineProcess(EngineConfig(model=str(tiny_path()), n_ctx=2048), python=str(broken))
    try:
        with pytest.raises(ModelUnavailable, match=r"exited \(code 3\).*cannot run here"):
            process.info(60)
    finally:
        process.stop()
    with pytest.raises(ModelUnavailable, match="cannot start the embedded engine"):
        EngineProcess(EngineConfig(model="", n_ctx=2048), python=str(tmp_path / "none"))


# -- settings ----------------------------------------------------------------------------------


@needs_engine
async def test_settings_name_an_embedded_model_by_path(tmp_path: Path) -> None:
    path = tmp_path / "mine.gguf"
    shutil.copy(tiny_path(), path)
    settings, problems = resolve(
        [("test", {"model": "mine", "models": {"mine": {"backend": "embedded", "path": str(path),
                                                       "contextWindow": 2048}}})]
    )
    assert problems == []
    hub = ModelHub()
    try:
        backend, description = hub.backend(settings)
        assert isinstance(backend, EmbeddedBackend) and str(path) in description
        await backend.wait_ready()
        assert backend.info is not None and backend.info.path == str(path)
        # the built-in name needs no entry
        default, description = hub.backend(settings, "embedded")
        assert isinstance(default, EmbeddedBackend) and DEFAULT_MODEL.title in description
    finally:
        await hub.aclose()


def test_path_is_for_embedded_and_url_for_servers() -> None:
    with pytest.raises(ModelConfigError, match="`path` is for backend 'embedded'"):
        ModelSpec("x", "llamacpp", "http://127.0.0.1:1", path="/m.gguf")
    with pytest.raises(ModelConfigError, match="needs a url"):
        ModelSpec("x", "llamacpp")
    assert ModelSpec("x", "embedded").url == ""


def test_default_model_is_found_or_named(monkeypatch: pytest.MonkeyPatch) -> None:
    from typehole.models import gguf

    if _missing(DEFAULT_MODEL.module):
        with pytest.raises(ModelConfigError, match=r"pip install 'typehole\[embedded\]'"):
            gguf.default_model_path()
        return
    path = gguf.default_model_path()
    assert path.is_file() and read_gguf_info(path).architecture == "gemma3"
    monkeypatch.setattr(gguf, "DEFAULT_MODEL", gguf.DefaultModel("x", "x-pkg", "no_such_module_x",
                                                                 "", 0))
    with pytest.raises(ModelConfigError, match=r"pip install 'typehole\[embedded\]'"):
        gguf.default_model_path()
