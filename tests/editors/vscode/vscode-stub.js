// A small stand-in for the `vscode` module: enough of the API for the extension's logic, with
// every call recorded so tests can check what the user would see. `install()` makes
// `require("vscode")` return it.
"use strict";
const Module = require("node:module");

class Position {
  constructor(line, character) {
    this.line = line;
    this.character = character;
  }
}
class Range {
  constructor(a, b, c, d) {
    [this.start, this.end] =
      typeof a === "number" ? [new Position(a, b), new Position(c, d)] : [a, b];
  }
}
class Selection extends Range {
  constructor(anchor, active) {
    super(anchor, active);
    this.anchor = anchor;
    this.active = active;
  }
}
class Emitter {
  constructor() {
    this.listeners = [];
    this.event = (listener) => {
      this.listeners.push(listener);
      return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
    };
  }
  fire(value) {
    for (const l of this.listeners) l(value);
  }
}
class CancellationTokenSource {
  constructor() {
    const emitter = new Emitter();
    this.token = { isCancellationRequested: false, onCancellationRequested: emitter.event };
    this.cancel = () => {
      if (!this.token.isCancellationRequested) {
        this.token.isCancellationRequested = true;
        emitter.fire();
      }
    };
  }
  dispose() {}
}

const ConfigurationTarget = { Global: 1, Workspace: 2, WorkspaceFolder: 3 };
const LAYERS = { 1: "globalValue", 2: "workspaceValue", 3: "workspaceFolderValue" };

/** Configuration with VS Code's layering: defaults < global < workspace < folder. */
function makeConfiguration(defaults = {}) {
  const layers = { globalValue: {}, workspaceValue: {}, workspaceFolderValue: {} };
  const changed = new Emitter();
  const section = (name) => ({
    get(key, fallback) {
      const full = `${name}.${key}`;
      for (const layer of ["workspaceFolderValue", "workspaceValue", "globalValue"]) {
        if (full in layers[layer]) return layers[layer][full];
      }
      return full in defaults ? defaults[full] : fallback;
    },
    inspect(key) {
      const full = `${name}.${key}`;
      const out = { key: full, defaultValue: defaults[full] };
      for (const layer of Object.keys(layers)) {
        if (full in layers[layer]) out[layer] = layers[layer][full];
      }
      return out;
    },
    async update(key, value, target = ConfigurationTarget.Global) {
      const full = `${name}.${key}`;
      if (value === undefined) delete layers[LAYERS[target]][full];
      else layers[LAYERS[target]][full] = value;
      changed.fire({ affectsConfiguration: (prefix) => full.startsWith(prefix) });
    },
  });
  return { layers, section, changed };
}

/** A text editor over `text` whose edits really change the text and bump the version. */
function makeEditor(text, uri = "file:///home/user/project/example.py") {
  const document = {
    uri: { toString: () => uri, fsPath: uri.replace("file://", "") },
    version: 1,
    text,
    get lineCount() {
      return this.text.split("\n").length;
    },
    offsetAt(p) {
      const lines = this.text.split("\n");
      let offset = 0;
      for (let i = 0; i < p.line && i < lines.length; i++) offset += lines[i].length + 1;
      return Math.min(offset + p.character, this.text.length);
    },
    getText(range) {
      return range ? this.text.slice(this.offsetAt(range.start), this.offsetAt(range.end)) : this.text;
    },
    lineAt(line) {
      const length = this.text.split("\n")[line].length;
      return { text: this.text.split("\n")[line], range: new Range(line, 0, line, length) };
    },
  };
  const editor = {
    document,
    selection: new Selection(new Position(0, 0), new Position(0, 0)),
    decorations: new Map(),
    revealed: [],
    setDecorations(type, items) {
      this.decorations.set(type, items);
    },
    revealRange(range) {
      this.revealed.push(range);
    },
    async edit(callback) {
      const replacements = [];
      callback({ replace: (range, newText) => replacements.push({ range, newText }) });
      for (const { range, newText } of replacements.reverse()) {
        document.text =
          document.text.slice(0, document.offsetAt(range.start)) +
          newText +
          document.text.slice(document.offsetAt(range.end));
      }
      document.version += 1;
      return true;
    },
  };
  return editor;
}

function createStub() {
  const recorded = { info: [], errors: [], commands: [], applied: [], shown: [], context: {} };
  const config = makeConfiguration();
  const docChanged = new Emitter();
  const editorChanged = new Emitter();
  const registered = new Map();
  const vscode = {
    recorded,
    config,
    quickPickAnswer: (items) => items[0],
    makeEditor,
    fireDocumentChange: (event) => docChanged.fire(event),
    Position,
    Range,
    Selection,
    CancellationTokenSource,
    ConfigurationTarget,
    EventEmitter: Emitter,
    ThemeColor: class ThemeColor {
      constructor(id) {
        this.id = id;
      }
    },
    StatusBarAlignment: { Left: 1, Right: 2 },
    ViewColumn: { Active: -1, Beside: -2 },
    TextEditorRevealType: { Default: 0, InCenter: 1, InCenterIfOutsideViewport: 2 },
    workspace: {
      workspaceFolders: [],
      getConfiguration: (name) => config.section(name),
      onDidChangeConfiguration: config.changed.event,
      onDidChangeTextDocument: docChanged.event,
      applyEdit: async (edit) => {
        recorded.applied.push(edit);
        return true;
      },
      openTextDocument: async (options) => ({ ...options, uri: { toString: () => "untitled:1" } }),
    },
    window: {
      activeTextEditor: undefined,
      onDidChangeActiveTextEditor: editorChanged.event,
      createTextEditorDecorationType: (options) => ({ options, dispose() {} }),
      createOutputChannel: () => ({ info() {}, warn() {}, error() {}, show() {}, dispose() {} }),
      createStatusBarItem: () => ({ show() {}, dispose() {} }),
      showInformationMessage: async (message, ...items) => {
        recorded.info.push(message);
        return undefined;
      },
      showErrorMessage: async (message) => {
        recorded.errors.push(message);
        return undefined;
      },
      showQuickPick: async (items) => vscode.quickPickAnswer(items),
      showTextDocument: async (document) => recorded.shown.push(document),
    },
    commands: {
      registerCommand: (name, fn) => {
        registered.set(name, fn);
        return { dispose: () => registered.delete(name) };
      },
      executeCommand: async (name, ...args) => {
        if (name === "setContext") {
          recorded.context[args[0]] = args[1];
          return undefined;
        }
        recorded.commands.push([name, ...args]);
        return registered.get(name)?.(...args);
      },
    },
  };
  return vscode;
}

let current;
function install() {
  current = createStub();
  if (!Module._typeholeStub) {
    const load = Module._load;
    Module._load = function (request, ...rest) {
      return request === "vscode" ? current : load.call(this, request, ...rest);
    };
    Module._typeholeStub = true;
  }
  return current;
}

module.exports = { install, makeEditor, Position, Range };
