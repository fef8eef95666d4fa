"""The embedded inference engine: llama.cpp's own server from the prebuilt `xllamacpp` wheel.

The engine runs in a child Python process (`python -m typehole.models.engine`) that holds one
`xllamacpp.Server`, not in the language server's own process, because:
- `xllamacpp.Server(...)` holds the GIL while the model loads (measured: the whole process stops
  for the 1-3 s a small model takes), so the editor would get no answer during that time;
- llama.cpp writes its log to file descriptor 2, which a language server over stdio must keep
  quiet; the child's log goes to a temporary file, read back for error messages;
- a fault in native code (an assertion on a damaged model) ends the child, not the editor's server.

The server listens on 127.0.0.1, on a port the OS picks, and answers only requests carrying a
per-process random API key. The key reaches the child through its stdin (argv and the
environment can be read by other processes), never touches disk and is masked in logs.

The protocol between the two: the parent writes one JSON line (`EngineConfig`) to the child's
stdin; the child resolves and checks the model file, loads it and answers one JSON line on its
original stdout, `{"url": ..., "path": ..., "context_length": ...}` or `{"error": ...}`; then it
serves until its stdin closes (the parent stopped it or exited), and shuts the server down.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from .errors import ModelConfigError, ModelError, ModelUnavailable

__all__ = ["EngineConfig", "EngineInfo", "EngineProcess", "default_threads", "main"]

# llama.cpp log lines look like `0.00.056.048 E llama_model_load: error loading model: ...`.
_ERROR_LINE = re.compile(r"^[\d.]+ E (?:\w+\s+)?(.*)$")
_LOG_VERBOSITY = 2  # errors and warnings; the info lines are thousands per minute of typing


@dataclass(frozen=True)
class EngineConfig:
    """How to run the engine.

    Fields:
        model: path of the GGUF file; empty for the default model (`models.gguf`).
        n_ctx: context size in tokens (prompt and answer together).
        threads: CPU threads for generation and prompt processing; 0 for `default_threads()`.
        api_key: the key every request must carry (empty: none, for tests only).
        cache_ram_mib: host memory for llama.cpp's prompt cache across requests.
        cache_reuse: smallest run of tokens reused from the cache by shifting (`n_cache_reuse`),
            so a prompt whose middle moved (the user typed) still reuses what follows.
    """

    model: str
    n_ctx: int
    threads: int = 0
    api_key: str = ""
    cache_ram_mib: int = 256
    cache_reuse: int = 256


@dataclass(frozen=True)
class EngineInfo:
    """A running engine: where it listens and what it loaded."""

    url: str
    path: str
    name: str
    context_length: int | None  # what the model was trained for, when the file says
    infill: bool  # whether `/infill` works (the model has FIM tokens)
    load_s: float


class EngineProcess:
    """One engine child process: started at construction, ready once `wait()` returns.

    Usable from threads and from any asyncio loop: the child's answer arrives on a reader
    thread and lands in a `concurrent.futures.Future`.
    """

    def __init__(self, config: EngineConfig, *, python: str | None = None) -> None:
        self.config = config
        self.started = time.monotonic()
        self._reply: concurrent.futures.Future[EngineInfo] = concurrent.futures.Future()
        # The child's exit code, once it has exited (for whatever reason).
        self._exit: concurrent.futures.Future[int] = concurrent.futures.Future()
        self._settle_lock = threading.Lock()
        fd, log_name = tempfile.mkstemp(prefix="typehole-engine-", suffix=".log")
        self.log_path = Path(log_name)
        with os.fdopen(fd, "wb") as log:
            try:
                self.process = subprocess.Popen(
                    [python or sys.executable, "-m", "typehole.models.engine"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=log,
                    close_fds=True,
                )
            except OSError as exc:
                self.log_path.unlink(missing_ok=True)
                raise ModelUnavailable(f"cannot start the embedded engine: {exc}") from None
        assert self.process.stdin is not None and self.process.stdout is not None
        self._stdin: IO[bytes] = self.process.stdin
        try:
            message = {**asdict(config), "log": str(self.log_path)}
            self._stdin.write(json.dumps(message).encode() + b"\n")
            self._stdin.flush()
        except OSError:
            pass  # the child died at once; the reader reports why
        self._reader = threading.Thread(
            target=self._read, args=(self.process.stdout,), name="typehole-engine", daemon=True
        )
        self._reader.start()

    # -- readiness -------------------------------------------------------------------------------

    @property
    def done(self) -> bool:
        """True once the engine is ready or has failed to start."""
        return self._reply.done()

    def info(self, timeout: float | None = None) -> EngineInfo:
        """Block until the engine is ready; raise ModelError when it cannot start."""
        try:
            return self._reply.result(timeout)
        except concurrent.futures.TimeoutError:
            raise ModelUnavailable(
                f"the embedded engine did not load {self._model_name()} within {timeout:g} s"
            ) from None

    async def wait(self, timeout: float | None = None) -> EngineInfo:
        """`info()` for asyncio: wait without blocking the loop."""
        import asyncio

        try:
            async with asyncio.timeout(timeout):
                return await asyncio.wrap_future(self._reply)
        except TimeoutError:
            raise ModelUnavailable(
                f"the embedded engine did not load {self._model_name()} within {timeout:g} s"
            ) from None

    def running(self) -> bool:
        """True while the child process lives."""
        return self.process.poll() is None

    async def exited(self) -> int:
        """Wait (without blocking the loop) until the child process has exited; its exit code."""
        import asyncio

        return await asyncio.wrap_future(self._exit)

    def exit_reason(self) -> str:
        """Why the child ended, in words: its exit code or signal and the first error of its log."""
        code = self.process.poll()
        if code is None:
            return "it is still running"
        if code < 0:  # a signal: the log says nothing about it
            try:
                return f"killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exit code {code}" + "".join(f": {reason}" for reason in self.log_errors(1))

    # -- shutdown --------------------------------------------------------------------------------

    def stop(self, timeout: float = 5.0) -> None:
        """Close the child's stdin (it shuts its server down) and wait; kill it if it hangs."""
        with contextlib.suppress(OSError):
            self._stdin.close()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._settle(ModelUnavailable("the embedded engine was stopped"))
        self._reader.join(timeout)
        self.log_path.unlink(missing_ok=True)

    # -- internals -------------------------------------------------------------------------------

    def _model_name(self) -> str:
        return self.config.model or "the default model"

    def _read(self, stdout: IO[bytes]) -> None:
        """Reader thread: the child's one answer, then wait for its end."""
        line = stdout.readline()
        try:
            reply = json.loads(line) if line.strip() else {}
        except ValueError:
            reply = {}
        if "url" in reply:
            self._settle(
                EngineInfo(
                    url=reply["url"],
                    path=reply["path"],
                    name=reply.get("name", ""),
                    context_length=reply.get("context_length"),
                    infill=bool(reply.get("infill", True)),
                    load_s=time.monotonic() - self.started,
                )
            )
        else:
            self._fail(reply.get("error"), reply.get("config", True))
        stdout.read()  # EOF: the child exited
        code = self.process.wait()
        if not self._exit.done():
            self._exit.set_result(code)

    def _fail(self, message: str | None, config_error: bool) -> None:
        code = self.process.wait()
        reasons = self.log_errors()
        if message is None:
            message = f"the embedded engine exited (code {code}) before it was ready"
            config_error = False
        if reasons:
            message += ": " + "; ".join(reasons)
        error: ModelError = ModelConfigError(message) if config_error else ModelUnavailable(message)
        self._settle(error)

    def _settle(self, outcome: EngineInfo | ModelError) -> None:
        """Resolve the readiness future once (the reader and `stop()` may race)."""
        with self._settle_lock:
            if self._reply.done():
                return
            if isinstance(outcome, EngineInfo):
                self._reply.set_result(outcome)
            else:
                self._reply.set_exception(outcome)

    def log_errors(self, limit: int = 2) -> list[str]:
        """The first distinct error lines of the engine's log (llama.cpp's own words), else its
        last line (a Python error in the child, say)."""
        try:
            lines = self.log_path.read_text("utf-8", "replace").splitlines()
        except OSError:
            return []
        found: list[str] = []
        for line in lines:
            match = _ERROR_LINE.match(line.strip())
            if match and (reason := match.group(1).strip()) not in found:
                found.append(reason)
        if not found:
            found = [line.strip() for line in lines if line.strip()][-1:]
        # The first errors name the cause; the later ones say that loading stopped.
        return found[:limit]


# -- the child process ---------------------------------------------------------------------------


def default_threads() -> int:
    """Half the CPUs this process may use, 1 to 8. llama.cpp's own default (every core) leaves
    nothing to the editor, and its threads wait on each other at every step: when other work
    takes a core, generation collapses (measured on 2 busy cores, Gemma 3 270M: 1-2 tokens/s
    with 2 threads, 11-15 with 1)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 2
    return max(1, min(8, cpus // 2))


def _params(config: EngineConfig, model: str) -> Any:
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = model
    params.n_ctx = config.n_ctx
    params.n_parallel = 1  # one editor: requests queue, and one slot keeps the whole cache
    # A model with sliding-window attention (Gemma 3) keeps only the window's cache by default,
    # so a prompt that parts from the cached one before its end (the user typed over the last
    # suggestion; a monitor round cut the model's text) is evaluated again from far back. The
    # full-size cache costs memory (about 75 MB for Gemma 3 270M at 4096 tokens) and keeps it.
    params.swa_full = True
    params.hostnames = ["127.0.0.1"]
    params.port = 0  # the OS picks a free port
    params.api_keys = [config.api_key] if config.api_key else []
    params.cache_prompt = True
    params.n_cache_reuse = config.cache_reuse
    params.cache_ram_mib = config.cache_ram_mib
    params.ui = False
    params.endpoint_metrics = True  # `/metrics`: token counts, for benchmarks and tests
    params.verbosity = _LOG_VERBOSITY
    threads = config.threads or default_threads()
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    return params


def _load(config: EngineConfig) -> tuple[Any, dict[str, Any]]:
    """Resolve and check the model file, then start the server (in this, the child, process)."""
    from .gguf import default_model_path, read_gguf_info

    path = Path(config.model).expanduser().absolute() if config.model else default_model_path()
    info = read_gguf_info(path)
    if info.context_length is not None and config.n_ctx > info.context_length:
        raise ModelConfigError(
            f"{path.name} was trained for a context of {info.context_length} tokens; "
            f"context_window {config.n_ctx} does not fit it (set context_window <= "
            f"{info.context_length})"
        )
    try:
        import xllamacpp
    except ImportError as exc:
        raise ModelConfigError(
            f"the embedded engine needs xllamacpp ({exc}): pip install 'typehole[embedded]'"
        ) from None
    try:
        server = xllamacpp.Server(_params(config, str(path)))
    except RuntimeError:
        raise ModelConfigError(
            f"llama.cpp could not load {path} with context_window {config.n_ctx}"
        ) from None
    reply = {
        "url": server.listening_address,
        "path": str(path),
        "name": info.name,
        "context_length": info.context_length,
        "infill": _answers_infill(server.listening_address, config.api_key),
    }
    return server, reply


def _answers_infill(url: str, api_key: str) -> bool:
    """Whether the loaded model fills in the middle: llama.cpp answers `/infill` with HTTP 501
    when the model has no FIM tokens (it also finds them by their text, which a look at the
    GGUF header would miss). Unsure answers count as yes: the backend falls back on a 501."""
    import urllib.error
    import urllib.request

    body = json.dumps({"input_prefix": "", "input_suffix": "", "n_predict": 1}).encode()
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    request = urllib.request.Request(url + "/infill", data=body, headers=headers)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: no proxy
    try:
        with opener.open(request, timeout=60):
            return True
    except urllib.error.HTTPError as exc:
        return exc.code != 501
    except OSError:
        return True


def main() -> int:
    """Child process entry: read the config, load, answer, serve until stdin closes."""
    # Native code may print to stdout; keep the answer channel to ourselves.
    answer = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    message = json.loads(sys.stdin.readline())
    log = message.pop("log", "")
    config = EngineConfig(**message)
    server = None
    try:
        server, reply = _load(config)
    except ModelConfigError as exc:
        reply = {"error": str(exc), "config": True}
    except Exception as exc:  # anything else: say what, so the parent can show it
        reply = {"error": f"the embedded engine failed: {exc!r}", "config": False}
    answer.write(json.dumps(reply) + "\n")
    answer.flush()
    if server is None:
        return 1
    sys.stdin.read()  # until the parent closes the pipe (stop() or its exit)
    del server  # stops the HTTP server and the decoding loop
    if log:  # the parent may be gone without cleaning up; nobody reads a clean run's log
        with contextlib.suppress(OSError):
            os.unlink(log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
