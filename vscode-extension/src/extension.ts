/**
 * Entry point: find `typehole serve`, start it with vscode-languageclient 11 (inline completions,
 * code actions and server commands work natively), and wire the status bar, next edits and
 * commands to it.
 */
import * as fs from "node:fs";
import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, State } from "vscode-languageclient/node";
import * as commands from "./commands";
import { INSTALL_COMMAND, findServer, missingMessage } from "./discovery";
import { NextEditView } from "./nextEditView";
import { Optional, SECTION, STATUS, StatusParams, clientCapabilities } from "./protocol";
import { SERVER_KEYS, answerConfiguration, serverSettings } from "./settings";
import { StatusState, initialStatus, onProgress, onStatus, render } from "./status";

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel("typehole", { log: true });
  const statusItem = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 100);
  statusItem.command = "typehole.toggle";
  statusItem.show();
  let status: StatusState = { ...initialStatus, enabled: config().get("completion.enabled", true) };
  const setStatus = (next: StatusState) => {
    status = next;
    const shown = render(status);
    statusItem.text = shown.text;
    statusItem.tooltip = shown.tooltip;
    statusItem.command = status.health === "missing" ? "typehole.showOutput" : "typehole.toggle";
    statusItem.backgroundColor = shown.severity
      ? new vscode.ThemeColor(`statusBarItem.${shown.severity}Background`)
      : undefined;
  };
  setStatus(status);

  const optional = new Optional();
  const inspect = (key: string) => config().inspect(key);
  const nextEdits = new NextEditView(
    () => (client?.state === State.Running ? client : undefined),
    optional,
    () => status.enabled && config().get("nextEdit.enabled", true),
    (message) => output.warn(message),
  );
  const deps: commands.Deps = {
    conn: () => (client?.state === State.Running ? client : undefined),
    optional,
    asWorkspaceEdit: (edit) => client!.protocol2CodeConverter.asWorkspaceEdit(edit),
  };

  const start = async () => {
    const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    const server = findServer({
      configuredPath: config().get("server.path", ""),
      extraArgs: config().get("server.args", []),
      workspaceFolders: folders,
      env: process.env,
      platform: process.platform,
      isExecutable,
    });
    if (!server) {
      const message = missingMessage(config().get("server.path", ""));
      output.error(message);
      setStatus({ ...status, health: "missing", message });
      const choice = await vscode.window.showErrorMessage(message, "Copy install command", "Open settings");
      if (choice === "Copy install command") await vscode.env.clipboard.writeText(INSTALL_COMMAND);
      if (choice === "Open settings") {
        await vscode.commands.executeCommand("workbench.action.openSettings", "typehole.server.path");
      }
      return;
    }
    output.info(`starting ${server.command} ${server.args.join(" ")} (found via ${server.source})`);
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: "file", language: "python" }],
      outputChannel: output,
      initializationOptions: serverSettings(inspect),
      middleware: {
        workspace: {
          // Send only server keys the user set, so pyproject.toml's [tool.typehole] still counts.
          configuration: async (params, token, next) => {
            const answers = await next(params, token);
            return Array.isArray(answers) ? answerConfiguration(params.items, answers, inspect) : answers;
          },
        },
        handleWorkDoneProgress: (token, params, next) => {
          setStatus(onProgress(status, params));
          next(token, params);
        },
      },
    };
    client = new LanguageClient(
      "typehole",
      "typehole",
      { command: server.command, args: server.args, options: { cwd: folders[0] } },
      clientOptions,
    );
    client.registerFeature({
      fillClientCapabilities: (caps) => {
        caps.experimental = { ...(caps.experimental as object), ...clientCapabilities().experimental };
      },
      initialize: () => undefined,
      getState: () => ({ kind: "static" }),
      clear: () => undefined,
    });
    client.onDidChangeState(({ newState }) => {
      if (newState === State.Stopped) setStatus({ ...status, health: "stopped" });
    });
    client.onNotification(STATUS, (params: StatusParams) => setStatus(onStatus(status, params)));
    setStatus({ ...status, health: "starting" });
    try {
      await client.start();
    } catch (error) {
      output.error(`typehole server failed to start: ${error}`);
      setStatus({ ...status, health: "stopped", message: String(error) });
    }
  };

  const stop = async () => {
    nextEdits.clear();
    const running = client;
    client = undefined;
    if (running) await running.dispose();
  };

  context.subscriptions.push(
    output,
    statusItem,
    nextEdits,
    vscode.commands.registerCommand("typehole.toggle", async () => {
      setStatus({ ...status, enabled: await commands.toggle() });
    }),
    vscode.commands.registerCommand("typehole.selectModel", () => commands.selectModel()),
    vscode.commands.registerCommand("typehole.generateDocstring", () => commands.generateDocstring(deps)),
    vscode.commands.registerCommand("typehole.showContext", () => commands.showContext(deps)),
    vscode.commands.registerCommand("typehole.nextEdit.tab", () => nextEdits.tab()),
    vscode.commands.registerCommand("typehole.nextEdit.dismiss", () => nextEdits.clear()),
    vscode.commands.registerCommand("typehole.showOutput", () => output.show()),
    vscode.commands.registerCommand("typehole.restart", async () => {
      await stop();
      await start();
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("typehole.server")) {
        const choice = await vscode.window.showInformationMessage(
          "typehole: the server settings changed.",
          "Restart server",
        );
        if (choice) await vscode.commands.executeCommand("typehole.restart");
        return;
      }
      if (event.affectsConfiguration("typehole.completion.enabled")) {
        setStatus({ ...status, enabled: config().get("completion.enabled", true) });
      }
      if (SERVER_KEYS.some((key) => event.affectsConfiguration(`${SECTION}.${key}`)) && client?.state === State.Running) {
        await client.sendNotification("workspace/didChangeConfiguration", {
          settings: { [SECTION]: serverSettings(inspect) },
        });
      }
    }),
  );
  await start();
}

export async function deactivate(): Promise<void> {
  await client?.dispose();
  client = undefined;
}

function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION);
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
