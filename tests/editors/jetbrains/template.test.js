// The LSP4IJ template: only fields LSP4IJ's template reader knows, a settings schema that matches
// the server's settings, and a command that starts the real server and accepts the options.
"use strict";
const { test } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { spawn } = require("node:child_process");
const { ROOT, PYTHON, extRequire, out } = require("../vscode/helpers");

const DIR = path.join(ROOT, "editors/jetbrains/typehole");
const read = (name) => JSON.parse(fs.readFileSync(path.join(DIR, name), "utf-8"));

// Fields of LSP4IJ's LanguageServerTemplate and ServerMappingSettings.
const TEMPLATE_FIELDS = ["id", "name", "runtime", "programArgs", "fileTypeMappings", "languageMappings", "docPath", "description"];
const MAPPING_FIELDS = ["language", "fileType", "languageId", "documentMatcher"];

test("template.json uses LSP4IJ's template fields", () => {
  const template = read("template.json");
  for (const key of Object.keys(template)) assert.ok(TEMPLATE_FIELDS.includes(key), `unknown field ${key}`);
  assert.equal(template.name, "typehole");
  assert.match(template.programArgs.default, /typehole serve/);
  assert.match(template.programArgs.windows, /typehole\.exe serve/);
  for (const mapping of [...template.languageMappings, ...template.fileTypeMappings]) {
    for (const key of Object.keys(mapping)) assert.ok(MAPPING_FIELDS.includes(key), `unknown mapping field ${key}`);
    assert.equal(mapping.languageId, "python");
  }
  assert.deepEqual(template.fileTypeMappings[0].fileType.patterns, ["*.py", "*.pyi"]);
});

test("settings.schema.json covers exactly the server settings the extension sends", () => {
  const schema = read("settings.schema.json");
  const { SERVER_KEYS } = out("settings");
  const props = schema.properties.typehole.properties;
  const keys = [];
  for (const [key, value] of Object.entries(props)) {
    if (value.properties && key !== "models") for (const sub of Object.keys(value.properties)) keys.push(`${key}.${sub}`);
    else keys.push(key);
  }
  assert.deepEqual(keys.sort(), [...SERVER_KEYS].sort());
  assert.deepEqual(read("settings.json"), { typehole: {} });
});

test("the template's command starts the server, which accepts its settings", async () => {
  const rpc = extRequire("vscode-jsonrpc/node");
  const [shell, flag, command] = ["sh", "-c", read("template.json").programArgs.default.match(/^sh -c "(.*)"$/)[1]];
  const env = { ...process.env, PATH: `${path.dirname(PYTHON)}${path.delimiter}${process.env.PATH}` };
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "typehole-jetbrains-"));
  const proc = spawn(shell, [flag, command], { cwd: root, env, stdio: ["pipe", "pipe", "pipe"] });
  proc.stderr.resume();
  const conn = rpc.createMessageConnection(new rpc.StreamMessageReader(proc.stdout), new rpc.StreamMessageWriter(proc.stdin));
  const messages = [];
  conn.onNotification("window/showMessage", (params) => messages.push(params.message));
  conn.onRequest("workspace/configuration", (params) => params.items.map((item) => read("settings.json")[item.section] ?? null));
  conn.listen();
  try {
    const result = await conn.sendRequest("initialize", {
      processId: process.pid,
      rootUri: require("node:url").pathToFileURL(root).href,
      capabilities: { workspace: { configuration: true }, textDocument: { inlineCompletion: {} } },
      initializationOptions: read("initializationOptions.json"),
    });
    assert.ok(result.capabilities.inlineCompletionProvider);
    await conn.sendNotification("initialized", {});
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.deepEqual(messages.filter((m) => /setting|invalid|unknown/i.test(m)), []);
    await conn.sendRequest("shutdown");
    await conn.sendNotification("exit");
  } finally {
    conn.dispose();
    proc.kill();
    fs.rmSync(root, { recursive: true, force: true });
  }
});
