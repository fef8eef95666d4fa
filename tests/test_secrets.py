"""No secret reaches a model: the real server over stdio and the CLI, against a loopback model
server that records every request it receives.

The workspace holds secret-looking files (`.env`, `id_rsa`, `credentials.json`, `secrets.yaml`),
symlinks with harmless names to them, symlinks to an ignored file and to files outside the
workspace (which hold the secret under harmless names), and ordinary code that shares words with
the secret, so retrieval would pick the secret as "similar code" if the walk let it in. Every
command that can send text to a model is driven; the model server must never receive a byte of
the secret, no edit may land in a secret, and (Linux) the server must never even open one.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import itertools
import json
import os
import struct
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakeserver import SSE, Reply, oai, serve, sse
from lsp_client import inline, open_document, start_client, wait_for, wait_learned
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from typehole.context.walk import may_read, read_text_reason, workspace_files

SECRET = "sk-test-SECRET123"
MARK = "SECRET123"  # what must never appear, however a prompt splits the secret

SECRETS = {
    ".env": f"OPENAI_API_KEY={SECRET}\n",
    "id_rsa": f"-----BEGIN OPENSSH PRIVATE KEY-----\n{SECRET}\n-----END OPENSSH PRIVATE KEY-----\n",
    "credentials.json": f'{{"openai_api_key": "{SECRET}"}}\n',
    "secrets.yaml": f"openai_api_key: {SECRET}\n",
}
# Files that hold the secret under harmless names: kept out by .gitignore and by the root.
HIDDEN = {
    "W/private/settings_local.py": f'OPENAI_API_KEY = "{SECRET}"\n',
    "outside/notes.py": f'OPENAI_API_KEY = "{SECRET}"\n',
    "outside/.env": f"OPENAI_API_KEY={SECRET}\n",
}
# Symlinks in the workspace -> what they point to (relative to the workspace).
LINKS = {
    "env_alias.py": ".env",
    "key_alias.py": "id_rsa",
    "creds_alias.txt": "credentials.json",
    "secrets_alias.py": "secrets.yaml",
    "ignored_alias.py": "private/settings_local.py",
    "outside_alias.py": "../outside/notes.py",
    "outside_env.py": "../outside/.env",
    "private_link": "private",
    "outside_dir": "../outside",
}
# Every file whose text must never reach a model, as an editor or a shell would name it.
OPENED = [name for name in [*SECRETS, *LINKS] if not name.endswith(("_link", "_dir"))]
OPENED.append("private/settings_local.py")

APP = '''"""The app's model client."""

import os

from helpers import load_key


def openai_api_key() -> str:
    """The OpenAI API key from the environment."""
    return os.environ.get("OPENAI_API_KEY") or load_key("OPENAI_API_KEY")


def auth_headers(key: str) -> dict[str, str]:
    ...


def make_client(base_url, timeout):
    api_key = openai_api_key()
    OPENAI_API_KEY = '''
HELPERS = '''def load_key(name: str) -> str:
    """A key stored under `name`."""
    return name.lower()
'''


def _workspace(tmp_path: Path, model_url: str | None = None) -> Path:
    root = tmp_path / "W"
    root.mkdir()
    config = "[project]\nname = 'w'\n"
    if model_url is not None:
        config += (
            "\n[tool.typehole]\nmodel = 'm'\n"
            "\n[tool.typehole.fill]\ntypeChecker = 'none'\nrounds = 0\n"
            f"\n[tool.typehole.models.m]\nbackend = 'openai'\nurl = '{model_url}/v1'\n"
            "model = 'starcoder2-3b'\n"
        )
    (root / "pyproject.toml").write_text(config)
    (root / ".gitignore").write_text("private/\n")
    (root / "app.py").write_text(APP)
    (root / "helpers.py").write_text(HELPERS)
    for name, text in SECRETS.items():
        (root / name).write_text(text)
    for rel, text in HIDDEN.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    for name, target in LINKS.items():
        os.symlink(target, root / name)
    return root


def test_the_walk_reads_no_secret_and_follows_no_link_out(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    (root / "pkg").mkdir()
    (root / "pkg" / "mod.py").write_text("x = 1\n")
    os.symlink("pkg/mod.py", root / "inner_link.py")  # a link inside the workspace still counts
    found = sorted(p.relative_to(root).as_posix() for p in workspace_files(root))
    assert found == [".gitignore", "app.py", "helpers.py", "inner_link.py", "pkg/mod.py",
                     "pyproject.toml"]


@pytest.mark.parametrize(("name", "reason"), [
    (".env", "secret-looking file name"),
    ("env_alias.py", "a link to the secret-looking file .env"),
    ("key_alias.py", "a link to the secret-looking file id_rsa"),
    ("creds_alias.txt", "a link to the secret-looking file credentials.json"),
    ("secrets_alias.py", "a link to the secret-looking file secrets.yaml"),
    ("outside_env.py", "a link to the secret-looking file .env"),
    ("ignored_alias.py", "ignored by .gitignore or the exclude setting (private/)"),
    ("private/settings_local.py", "ignored by .gitignore or the exclude setting (private/)"),
    ("private_link/settings_local.py", "ignored by .gitignore or the exclude setting (private/)"),
    ("outside_alias.py", "a link out of the workspace"),
    ("outside_dir/notes.py", "a link out of the workspace"),
    ("app.py", None),
])
def test_may_read_names_the_reason(tmp_path: Path, name: str, reason: str | None) -> None:
    root = _workspace(tmp_path)
    for opened in (False, True):
        found = may_read(root / name, root, opened=opened)
        assert (found if found is None else found.split(" (to ")[0]) == reason
    if reason is not None and "secret" in reason:
        assert read_text_reason(root / name)[0] is None  # refused before the file is opened


def test_may_read_outside_the_workspace(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    elsewhere = tmp_path / "outside" / "notes.py"
    assert may_read(elsewhere, root) == "outside the workspace"
    assert may_read(elsewhere, None) == "no workspace root"
    # A file the user opened from elsewhere: nothing but its name speaks against it.
    assert may_read(elsewhere, root, opened=True) is None
    assert may_read(tmp_path / "outside" / ".env", root, opened=True) == "secret-looking file name"
    assert may_read(root / "helpers.py", root, ["helpers.py"]) == \
        "ignored by .gitignore or the exclude setting (helpers.py)"
    (root / ".venv").mkdir()
    assert may_read(root / ".venv" / "x.py", root) == "in .venv/, a folder typehole never reads"


def _model(path: str, body: dict) -> Reply:
    # The same short answer to every request: what matters is what the requests carried.
    return Reply(headers=SSE, body=sse(oai("return {}\n", "stop")))


def _leaks(requests: list) -> list[str]:
    """The request bodies and headers that carry any part of the secret."""
    sent = [json.dumps([path, body, headers], ensure_ascii=False)
            for path, body, headers in requests]
    return [s for s in sent if MARK in s]


def _settings(url: str) -> dict:
    return {
        "model": "remote",
        "models": {"remote": {"backend": "openai", "url": url + "/v1", "model": "starcoder2-3b"}},
        "completion": {"completionFallback": True},
        "fill": {"typeChecker": "none", "rounds": 0},
    }


class _Opens:
    """Linux inotify: counts opens and reads of the watched files by any process."""

    IN_ACCESS, IN_OPEN = 0x1, 0x20

    def __init__(self, paths: list[Path]) -> None:
        self.libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        self.fd = self.libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        assert self.fd >= 0, os.strerror(ctypes.get_errno())
        self.names: dict[int, str] = {}
        for path in paths:
            wd = self.libc.inotify_add_watch(
                self.fd, os.fsencode(path), self.IN_ACCESS | self.IN_OPEN)
            assert wd >= 0, os.strerror(ctypes.get_errno())
            self.names[wd] = path.name
        self.seen: list[str] = []

    def events(self) -> list[str]:
        """Every open or read seen so far, by file name."""
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return self.seen
            offset = 0
            while offset < len(data):
                wd, _mask, _cookie, size = struct.unpack_from("iIII", data, offset)
                self.seen.append(self.names.get(wd, "?"))
                offset += 16 + size

    def close(self) -> None:
        os.close(self.fd)


@pytest.fixture
def opens(tmp_path: Path) -> Iterator[type[_Opens]]:
    if not sys.platform.startswith("linux"):
        pytest.skip("inotify is Linux only")
    yield _Opens


def _cursor(text: str) -> tuple[int, int]:
    """The position at the end of `text` (0-based line, character)."""
    lines = text.split("\n")
    return len(lines) - 1, len(lines[-1])


async def _execute(client, command: str, arguments: list) -> object:
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command, arguments=arguments))


def _doc(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


async def test_no_secret_reaches_the_model_through_the_server(
    tmp_path: Path, opens: type[_Opens]
) -> None:
    async with serve(_model) as (model_server, url):
        root = _workspace(tmp_path)
        watched = [root / n for n in SECRETS] + [tmp_path / rel for rel in HIDDEN]
        watch = opens(watched)
        client, _ = await start_client(root, init_options=_settings(url))
        applied: list[types.ApplyWorkspaceEditParams] = []

        @client.feature(types.WORKSPACE_APPLY_EDIT)
        def apply(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
            applied.append(params)
            return types.ApplyWorkspaceEditResult(applied=True)

        try:
            await wait_learned(client)
            changed = types.FileChangeType.Changed
            uri_of = {name: (root / name).as_uri() for name in [*OPENED, *LINKS]}

            # Never-opened secrets: file events and a save/close must not make the server read.
            client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
                changes=[types.FileEvent(uri=uri_of[n], type=changed) for n in OPENED]))
            for name in OPENED:
                client.text_document_did_save(types.DidSaveTextDocumentParams(
                    text_document=_doc(uri_of[name])))
                client.text_document_did_close(types.DidCloseTextDocumentParams(
                    text_document=_doc(uri_of[name])))
            # A file event the server does act on, sent after them: once it has been read,
            # the server has handled the secrets' events.
            (root / "helpers.py").write_text(HELPERS + "\n\ndef unused() -> None:\n    pass\n")
            client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
                changes=[types.FileEvent(uri=(root / "helpers.py").as_uri(), type=changed)]))
            helpers_watch = opens([root / "helpers.py"])
            await wait_for(lambda: helpers_watch.events(), timeout=60)
            helpers_watch.close()

            # The ordinary file: every command that sends text to the model does send it.
            app = open_document(client, root / "app.py", APP)
            line, character = _cursor(APP)
            before = len(model_server.requests)
            await inline(client, app, line, character)
            await client.text_document_completion_async(types.CompletionParams(
                text_document=_doc(app), position=types.Position(line, character)))
            context = await client.protocol.send_request_async("typehole/context", {
                "textDocument": {"uri": app}, "position": {"line": line,
                                                           "character": character}})
            assert MARK not in json.dumps(context)
            hole_line = APP.split("\n").index("def auth_headers(key: str) -> dict[str, str]:")
            await _execute(client, "typehole.fill", [app, hole_line + 1])
            doc_line = APP.split("\n").index("def make_client(base_url, timeout):")
            await _execute(client, "typehole.docstring", [app, doc_line])
            client.text_document_did_change(types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=app, version=2),
                content_changes=[types.TextDocumentContentChangePartial(
                    range=types.Range(types.Position(line, character),
                                      types.Position(line, character)),
                    text="load_key(")]))
            await client.protocol.send_request_async("typehole/nextEdit", {
                "textDocument": {"uri": app, "version": 2},
                "position": {"line": line, "character": character + 9}})
            assert len(model_server.requests) - before >= 4  # completion, fill, docstring, more
            assert all(p.edit.changes is not None and set(p.edit.changes) == {app}
                       for p in applied)

            # Secret documents the editor has open: nothing is sent, nothing is inserted.
            before = len(model_server.requests)
            for name in OPENED:
                uri = uri_of[name]
                text = SECRETS.get(name) or f'OPENAI_API_KEY = "{SECRET}"\n'
                open_document(client, root / name, text)
                assert await inline(client, uri, 0, 0) is None
                assert await client.text_document_completion_async(types.CompletionParams(
                    text_document=_doc(uri), position=types.Position(0, 0))) is None
                for command in ("typehole.docstring", "typehole.fill"):
                    with pytest.raises(JsonRpcException) as refused:
                        await _execute(client, command, [uri, 0])
                    assert refused.value.code == -32803 and "never sent" in str(refused.value)
                assert not await client.text_document_code_action_async(types.CodeActionParams(
                    text_document=_doc(uri), range=types.Range(types.Position(0, 0),
                                                               types.Position(0, 0)),
                    context=types.CodeActionContext(diagnostics=[])))
                assert await client.protocol.send_request_async("typehole/context", {
                    "textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}}) \
                    is None
                client.text_document_did_change(types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
                    content_changes=[types.TextDocumentContentChangeWholeDocument(
                        text=text + "MORE = 1\n")]))
                found = await client.protocol.send_request_async("typehole/nextEdit", {
                    "textDocument": {"uri": uri, "version": 2},
                    "position": {"line": 0, "character": 0}})
                assert not found.edits
                client.text_document_did_save(types.DidSaveTextDocumentParams(
                    text_document=_doc(uri), text=text + "MORE = 1\n"))
                client.text_document_did_close(types.DidCloseTextDocumentParams(
                    text_document=_doc(uri)))
            assert len(model_server.requests) == before

            # The ordinary file again, after all that: still nothing of the secret.
            await inline(client, app, line, character + 9)
            assert len(model_server.requests) > before
        finally:
            await client.shutdown_session()
        assert model_server.requests
        assert _leaks(model_server.requests) == []
        assert not any(uri_of[name] in str(p.edit.changes) for p in applied for name in OPENED)
        assert watch.events() == []  # the server never opened a secret, not even to skip it
        watch.close()


async def _typehole(*args: str, cwd: Path) -> tuple[int, str, str]:
    """Run the CLI without blocking the loop the model server answers on."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "typehole", *args, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 300)
    return process.returncode or 0, out.decode(), err.decode()


async def test_no_secret_reaches_the_model_through_the_cli(tmp_path: Path) -> None:
    async with serve(_model) as (model_server, url):
        root = _workspace(tmp_path, url)
        line, character = _cursor(APP)
        location = f"app.py:{line + 1}:{character + 1}"

        code, out, err = await _typehole("complete", location, "--model", "m", "--json", cwd=root)
        assert code == 0, err
        code, out, err = await _typehole("context", location, "--json", cwd=root)
        assert code == 0, err
        assert MARK not in out
        assert "helpers.py" in json.loads(out)["prompt"]  # the rest of the workspace is there
        hole_line = APP.split("\n").index("def auth_headers(key: str) -> dict[str, str]:") + 2
        code, out, err = await _typehole("fill", f"app.py:{hole_line}", "--json", cwd=root)
        assert code == 0, err
        doc_line = APP.split("\n").index("def make_client(base_url, timeout):") + 1
        code, out, err = await _typehole("docstring", f"app.py:{doc_line}", "--json", cwd=root)
        assert code == 0, err
        assert len(model_server.requests) >= 3
        sent = len(model_server.requests)

        # Every name through one of the commands (all of them, in turn): one check decides.
        commands = [lambda n: ("complete", f"{n}:1:1", "--model", "m"),
                    lambda n: ("context", f"{n}:1:1"), lambda n: ("docstring", f"{n}:1"),
                    lambda n: ("fill", f"{n}:1"), lambda n: ("next-edit", "app.py", "--before", n)]
        for name, command in zip(OPENED, itertools.cycle(commands), strict=False):
            code, out, err = await _typehole(*command(name), cwd=root)
            assert code == 2, (name, out, err)
            assert "never sends it to a model" in err and MARK not in out + err
        assert len(model_server.requests) == sent
        assert _leaks(model_server.requests) == []
