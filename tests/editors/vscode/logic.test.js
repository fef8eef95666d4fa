// The extension's logic against a stubbed `vscode` module: server discovery, settings sent to the
// server, the status bar, next-edit rendering decisions, and the commands.
"use strict";
const { test } = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");
const stub = require("./vscode-stub").install();
const { out } = require("./helpers");

const { findServer, missingMessage, INSTALL_COMMAND } = out("discovery");
const { serverSettings, answerConfiguration, SERVER_KEYS } = out("settings");
const { initialStatus, onStatus, onProgress, render } = out("status");
const { planNextEdit, tabAction, jumpHint, preview } = out("nextEdit");
const { Optional, NEXT_EDIT } = out("protocol");
const commands = out("commands");
const { NextEditView, VISIBLE_CONTEXT } = out("nextEditView");

// --- discovery

function discover(files, overrides = {}) {
  return findServer({
    configuredPath: "",
    workspaceFolders: ["/ws"],
    env: { PATH: "/usr/local/bin:/usr/bin" },
    platform: "linux",
    isExecutable: (file) => files.includes(file),
    ...overrides,
  });
}

test("discovery: configured path wins, relative to the workspace", () => {
  const found = discover(["/ws/tools/typehole", "/ws/.venv/bin/typehole"], { configuredPath: "tools/typehole" });
  assert.deepEqual(found, { command: "/ws/tools/typehole", args: ["serve"], source: "setting" });
});

test("discovery: a configured Python interpreter runs the module", () => {
  const found = discover(["/opt/py/bin/python3.12"], { configuredPath: "/opt/py/bin/python3.12", extraArgs: ["--log-level", "debug"] });
  assert.deepEqual(found.args, ["-m", "typehole", "--log-level", "debug", "serve"]);
});

test("discovery: a configured path that is missing is reported, not replaced", () => {
  assert.equal(discover(["/usr/bin/typehole"], { configuredPath: "/nope/typehole" }), undefined);
  assert.match(missingMessage("/nope/typehole"), /typehole\.server\.path/);
});

test("discovery: workspace venv before PATH, then PATH", () => {
  assert.equal(discover(["/ws/.venv/bin/typehole", "/usr/bin/typehole"]).source, "workspace venv");
  assert.equal(discover(["/usr/bin/typehole"]).command, "/usr/bin/typehole");
  assert.equal(discover(["/venvs/a/bin/typehole"], { env: { VIRTUAL_ENV: "/venvs/a", PATH: "" } }).source, "active virtual environment");
});

test("discovery: Windows looks for Scripts\\typehole.exe", () => {
  const found = discover([path.join("/ws", ".venv", "Scripts", "typehole.exe")], { platform: "win32", env: { Path: "" } });
  assert.equal(found.command, path.join("/ws", ".venv", "Scripts", "typehole.exe"));
});

test("discovery: nothing found gives the install command", () => {
  assert.equal(discover([]), undefined);
  assert.ok(missingMessage("").includes(INSTALL_COMMAND));
});

// --- settings

test("settings: only explicitly set server keys are sent, nested and camelCase", () => {
  const values = {
    model: { defaultValue: "embedded", workspaceValue: "qwen" },
    "completion.maxTokens": { globalValue: 32, workspaceFolderValue: 16 },
    "completion.enabled": { defaultValue: true },
    "server.path": { globalValue: "/x" },
  };
  const settings = serverSettings((key) => values[key]);
  assert.deepEqual(settings, { model: "qwen", completion: { maxTokens: 16 } });
  assert.ok(!SERVER_KEYS.includes("server.path"));
});

test("settings: workspace/configuration answers section typehole, passes others through", () => {
  const answers = answerConfiguration([{ section: "typehole" }, { section: "python" }], [{ all: 1 }, { p: 2 }], () => ({ globalValue: "x" }));
  assert.equal(answers[0].model, "x");
  assert.deepEqual(answers[1], { p: 2 });
});

test("settings: package.json mirrors app/settings.py", () => {
  const pkg = require(path.join(__dirname, "../../../vscode-extension/package.json"));
  const props = pkg.contributes.configuration.properties;
  for (const key of SERVER_KEYS) {
    assert.ok(props[`typehole.${key}`], `typehole.${key} in package.json`);
    assert.ok(props[`typehole.${key}`].description || props[`typehole.${key}`].markdownDescription);
  }
  const entry = props["typehole.models"].additionalProperties;
  assert.deepEqual(entry.required, ["backend"]);
  assert.deepEqual(entry.properties.backend.enum, ["embedded", "ngram", "llamacpp", "openai", "vllm", "ollama"]);
});

// --- status bar

test("status: health, progress, monitors and off", () => {
  let state = onStatus(initialStatus, { model: "ngram", state: "ok", message: "n-gram model" });
  assert.match(render(state).text, /ngram/);
  assert.equal(render(state).severity, undefined);
  state = onProgress(state, { kind: "begin", title: "learning", percentage: 0 });
  state = onProgress(state, { kind: "report", percentage: 42, message: "42/100 files" });
  assert.match(render(state).text, /42%/);
  state = onProgress(state, { kind: "end", message: "100 files learned" });
  assert.doesNotMatch(render(state).text, /%/);
  state = onStatus(state, { model: "qwen", state: "down", message: "connection refused", monitors: true });
  assert.equal(render(state).severity, "error");
  assert.match(render(state).tooltip, /connection refused/);
  assert.match(render(state).tooltip, /Monitors: on/);
  state = onStatus(state, { model: "qwen", state: "degraded", message: "slow" });
  assert.equal(render(state).severity, "warning");
  assert.match(render({ ...state, enabled: false }).text, /circle-slash/);
  assert.equal(render({ ...state, health: "missing" }).severity, "error");
});

// --- next edit decisions

const doc = (text, version = 3) => ({
  uri: "file:///a.py",
  version,
  lineCount: text.split("\n").length,
  getText: (r) => stub.makeEditor(text).document.getText(r),
});
const edit = (sl, sc, el, ec, newText, extra = {}) => ({
  range: { start: { line: sl, character: sc }, end: { line: el, character: ec } },
  newText,
  textDocument: { uri: "file:///a.py", version: 3 },
  ...extra,
});
const TEXT = "def f(count):\n    return count\n\nx = f(1)\n";

test("next edit: drops stale versions, other documents and no-ops", () => {
  const cursor = { line: 0, character: 0 };
  assert.equal(planNextEdit([edit(1, 11, 1, 16, "count")], doc(TEXT), cursor), undefined, "no-op");
  assert.equal(planNextEdit([{ ...edit(1, 11, 1, 16, "n"), textDocument: { uri: "file:///a.py", version: 2 } }], doc(TEXT), cursor), undefined);
  assert.equal(planNextEdit([{ ...edit(1, 11, 1, 16, "n"), textDocument: { uri: "file:///b.py", version: 3 } }], doc(TEXT), cursor), undefined);
  const plan = planNextEdit([edit(1, 11, 1, 16, "count"), edit(1, 11, 1, 16, "n")], doc(TEXT), cursor);
  assert.equal(plan.edit.newText, "n", "the first edit worth showing");
});

test("next edit: at the cursor Tab accepts, elsewhere Tab jumps first", () => {
  const here = planNextEdit([edit(1, 11, 1, 16, "n")], doc(TEXT), { line: 1, character: 4 });
  assert.equal(here.kind, "here");
  assert.equal(tabAction(here, { line: 1, character: 0 }), "accept");
  const far = planNextEdit([edit(1, 11, 1, 16, "n", { reason: "rename count" })], doc(TEXT), { line: 3, character: 0 });
  assert.equal(far.kind, "jump");
  assert.equal(far.replaces, true);
  assert.equal(tabAction(far, { line: 3, character: 0 }), "jump");
  assert.match(jumpHint(far), /line 2: rename count/);
  assert.equal(preview("a\nb"), "a …");
  assert.equal(preview(""), "(delete)");
  assert.equal(preview("x".repeat(200)).length, 80);
});

test("next edit view: request after a change, jump with Tab, accept with Tab, report acceptance", async () => {
  const editor = stub.makeEditor(TEXT, "file:///a.py");
  editor.document.version = 3;
  editor.selection = new stub.Selection(new stub.Position(3, 0), new stub.Position(3, 0));
  stub.window.activeTextEditor = editor;
  const requests = [];
  const conn = {
    sendRequest: async (method, params) => {
      requests.push([method, params]);
      return { edits: [edit(1, 11, 1, 16, "n", { command: { title: "accepted", command: "typehole.accepted", arguments: ["file:///a.py", 1] } })] };
    },
  };
  const view = new NextEditView(() => conn, new Optional(), () => true, () => undefined);
  await view.request(editor);
  assert.equal(requests[0][0], NEXT_EDIT);
  assert.deepEqual(requests[0][1], { textDocument: { uri: "file:///a.py", version: 3 }, position: { line: 3, character: 0 } });
  assert.equal(stub.recorded.context[VISIBLE_CONTEXT], true);
  const hints = [...editor.decorations.values()].flat();
  assert.ok(hints.some((d) => /Tab to jump to line 2/.test(d.renderOptions?.after?.contentText ?? "")));

  await view.tab(); // jump
  assert.equal(editor.selection.active.line, 1);
  assert.equal(editor.document.text, TEXT);
  await view.tab(); // accept
  assert.equal(editor.document.text, TEXT.replace("return count", "return n"));
  assert.equal(stub.recorded.context[VISIBLE_CONTEXT], false);
  assert.deepEqual(stub.recorded.commands.at(-1), ["typehole.accepted", "file:///a.py", 1]);
  view.dispose();
});

test("next edit view: a server without typehole/nextEdit is asked once, then never", async () => {
  const editor = stub.makeEditor(TEXT, "file:///a.py");
  stub.window.activeTextEditor = editor;
  let asked = 0;
  const conn = {
    sendRequest: async () => {
      asked += 1;
      throw Object.assign(new Error("Unhandled method typehole/nextEdit"), { code: -32601 });
    },
  };
  const optional = new Optional();
  const view = new NextEditView(() => conn, optional, () => true, () => undefined);
  await view.request(editor);
  await view.request(editor);
  assert.equal(asked, 1);
  assert.equal(optional.supports(NEXT_EDIT), false);
  assert.equal(view.current, undefined);
  view.dispose();
});

test("next edit view: an answer for an older version is dropped", async () => {
  const editor = stub.makeEditor(TEXT, "file:///a.py");
  editor.document.version = 3;
  stub.window.activeTextEditor = editor;
  const conn = {
    sendRequest: async () => {
      editor.document.version = 4; // the user typed meanwhile
      return { edits: [edit(1, 11, 1, 16, "n")] };
    },
  };
  const view = new NextEditView(() => conn, new Optional(), () => true, () => undefined);
  await view.request(editor);
  assert.equal(view.current, undefined);
  view.dispose();
});

// --- commands

test("commands: toggle flips completion.enabled", async () => {
  assert.equal(await commands.toggle(), false);
  assert.equal(stub.workspace.getConfiguration("typehole").get("completion.enabled", true), false);
  assert.equal(await commands.toggle(), true);
  assert.match(stub.recorded.info.at(-1), /suggestions on/);
});

test("commands: select model among the built-in ones and typehole.models, where it was set", async () => {
  const config = stub.workspace.getConfiguration("typehole");
  await config.update("models", { qwen: { backend: "llamacpp", url: "http://localhost:8080" } }, stub.ConfigurationTarget.Workspace);
  let offered;
  stub.quickPickAnswer = (items) => {
    offered = items;
    return items.find((i) => i.label === "qwen");
  };
  assert.equal(await commands.selectModel(), "qwen");
  assert.deepEqual(offered.map((i) => i.label), ["embedded", "ngram", "qwen"]);
  assert.match(offered[2].description, /llamacpp http:\/\/localhost:8080/);
  assert.equal(config.inspect("model").globalValue, "qwen");
});

test("commands: generate docstring applies the server's action and runs its command", async () => {
  const editor = stub.makeEditor("def f(x):\n    return x\n", "file:///a.py");
  stub.window.activeTextEditor = editor;
  const wsEdit = { changes: { "file:///a.py": [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, newText: '    """F."""\n' }] } };
  const conn = {
    sendRequest: async (method) => {
      if (method === "textDocument/codeAction") {
        return [
          { title: "Organize imports", kind: "source" },
          { title: "Generate docstring", kind: "refactor.rewrite", data: { line: 0 } },
          { title: "Run something", command: "x" },
        ];
      }
      if (method === "codeAction/resolve") return { title: "Generate docstring", edit: wsEdit, command: { title: "t", command: "typehole.docstring", arguments: [1] } };
      throw new Error(method);
    },
  };
  const converted = [];
  const deps = { conn: () => conn, optional: new Optional(), asWorkspaceEdit: async (e) => (converted.push(e), { converted: e }) };
  assert.equal(await commands.generateDocstring(deps), true);
  assert.deepEqual(converted, [wsEdit]);
  assert.deepEqual(stub.recorded.applied.at(-1), { converted: wsEdit });
  assert.deepEqual(stub.recorded.commands.at(-1), ["typehole.docstring", 1]);

  const none = { conn: () => ({ sendRequest: async () => [] }), optional: new Optional(), asWorkspaceEdit: async () => ({}) };
  assert.equal(await commands.generateDocstring(none), false);
  assert.match(stub.recorded.info.at(-1), /no docstring/);
});

test("commands: show context renders Markdown, or explains when the server lacks it", async () => {
  stub.window.activeTextEditor = stub.makeEditor("x = 1\n", "file:///a.py");
  const result = {
    hole: { kind: "assignment", expected_type: "Timeout" },
    relevant_types: [{ name: "Timeout", path: "httpx/_config.py", line: 10, text: "class Timeout: ..." }],
    relevant_headers: [{ name: "make", path: "a.py", line: 2, signature: "def make() -> Timeout" }],
    snippets: [{ path: "b.py", start_line: 1, end_line: 10, text: "...", source: "bm25", score: 1.5 }],
    prompt: "PROMPT",
    tokens: 12,
  };
  const deps = { conn: () => ({ sendRequest: async () => result }), optional: new Optional(), asWorkspaceEdit: async () => ({}) };
  assert.deepEqual(await commands.showContext(deps), result);
  const shown = stub.recorded.shown.at(-1);
  assert.equal(shown.language, "markdown");
  for (const part of ["expected type `Timeout`", "`Timeout` (httpx/_config.py:10)", "def make() -> Timeout", "b.py:1-10 (bm25, 1.50)", "PROMPT", "12 tokens"]) {
    assert.ok(shown.content.includes(part), part);
  }
  const missing = {
    conn: () => ({ sendRequest: async () => { throw Object.assign(new Error("no"), { code: -32601 }); } }),
    optional: new Optional(),
    asWorkspaceEdit: async () => ({}),
  };
  assert.equal(await commands.showContext(missing), undefined);
  assert.match(stub.recorded.info.at(-1), /does not offer typehole\/context/);
});
