// Shared by the VS Code extension tests: the compiled extension (vscode-extension/out), its
// node_modules, and a real `typehole serve` over stdio driven by a vscode-jsonrpc connection.
"use strict";
const { spawn, execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { createRequire } = require("node:module");

const ROOT = path.resolve(__dirname, "../../..");
const EXTENSION = path.join(ROOT, "vscode-extension");
// Modules resolve from the extension's node_modules, as they do inside VS Code.
const extRequire = createRequire(path.join(EXTENSION, "package.json"));
const out = (name) => extRequire(`./out/${name}.js`);
const PYTHON = process.env.PYTHON || path.join(ROOT, ".venv/bin/python");

/** The unpacked httpx 0.28.1 sdist (downloaded once into tests/.cache), copied to a temp dir. */
function httpxProject() {
  const source = execFileSync(
    PYTHON,
    ["-c", "from typehole.bench.projects import real_project; print(real_project('httpx', '0.28.1'))"],
    { encoding: "utf-8", cwd: ROOT },
  ).trim();
  const dest = fs.mkdtempSync(path.join(os.tmpdir(), "typehole-vscode-"));
  fs.cpSync(source, path.join(dest, "httpx"), { recursive: true });
  return path.join(dest, "httpx");
}

/**
 * Start the real server and a client connection that answers the server's requests the way the
 * extension does. Records notifications in `seen`.
 */
function startServer(root, { inspect = () => undefined } = {}) {
  const rpc = extRequire("vscode-jsonrpc/node");
  const { answerConfiguration } = out("settings");
  const proc = spawn(PYTHON, ["-m", "typehole", "--log-level", "warning", "serve"], {
    cwd: root,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  proc.stderr.on("data", (chunk) => (stderr = (stderr + chunk).slice(-4000))); // drained, never blocks
  const conn = rpc.createMessageConnection(
    new rpc.StreamMessageReader(proc.stdout),
    new rpc.StreamMessageWriter(proc.stdin),
  );
  const seen = { status: [], progress: [], messages: [] };
  conn.onRequest("workspace/configuration", (params) =>
    answerConfiguration(params.items, params.items.map(() => null), inspect),
  );
  conn.onRequest("window/workDoneProgress/create", () => null);
  conn.onRequest("client/registerCapability", () => null);
  conn.onRequest("window/showMessageRequest", () => null);
  conn.onNotification("typehole/status", (params) => seen.status.push(params));
  conn.onNotification("window/showMessage", (params) => seen.messages.push(params));
  conn.onNotification("window/logMessage", () => undefined);
  conn.onNotification("$/progress", (params) => seen.progress.push(params.value));
  conn.onUnhandledProgress((params) => seen.progress.push(params.value));
  conn.listen();
  const stop = async () => {
    try {
      await Promise.race([conn.sendRequest("shutdown"), delay(5000)]);
      await conn.sendNotification("exit");
    } catch {
      // already gone
    }
    await Promise.race([new Promise((resolve) => proc.once("exit", resolve)), delay(3000)]);
    if (proc.exitCode === null) proc.kill();
    conn.dispose();
  };
  return { conn, proc, seen, stop, stderr: () => stderr };
}

/** initialize + initialized with the extension's capabilities and settings. */
async function initialize(conn, root, initializationOptions) {
  const { clientCapabilities } = out("protocol");
  const uri = pathToUri(root);
  const result = await conn.sendRequest("initialize", {
    processId: process.pid,
    rootUri: uri,
    workspaceFolders: [{ uri, name: path.basename(root) }],
    capabilities: clientCapabilities(),
    initializationOptions,
  });
  await conn.sendNotification("initialized", {});
  return result;
}

function pathToUri(file) {
  return require("node:url").pathToFileURL(file).href;
}

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor(predicate, timeoutMs = 60000, what = "condition") {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await delay(50);
  }
}

module.exports = { ROOT, EXTENSION, PYTHON, extRequire, out, httpxProject, startServer, initialize, pathToUri, waitFor, delay };
