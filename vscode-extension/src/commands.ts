/**
 * The extension's commands: toggle suggestions, select the model, generate a docstring, show the
 * context the model would see at the cursor. Each takes what it needs from `Deps`, so tests run
 * them against a stubbed `vscode` and a fake or real connection.
 */
import * as vscode from "vscode";
import type { CodeAction, WorkspaceEdit } from "vscode-languageserver-protocol";
import {
  CONTEXT,
  Connection,
  ContextResult,
  Optional,
  SECTION,
  context,
  docstringActions,
  resolveAction,
} from "./protocol";

export interface Deps {
  conn: () => Connection | undefined;
  optional: Optional;
  /** vscode-languageclient's protocol-to-code converter, for code action edits. */
  asWorkspaceEdit: (edit: WorkspaceEdit) => Promise<vscode.WorkspaceEdit>;
}

function target(key: string): vscode.ConfigurationTarget {
  const found = vscode.workspace.getConfiguration(SECTION).inspect(key);
  if (found?.workspaceFolderValue !== undefined) return vscode.ConfigurationTarget.WorkspaceFolder;
  if (found?.workspaceValue !== undefined) return vscode.ConfigurationTarget.Workspace;
  return vscode.ConfigurationTarget.Global;
}

/** Turn inline suggestions on or off (`typehole.completion.enabled`); returns the new state. */
export async function toggle(): Promise<boolean> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const enabled = !config.get<boolean>("completion.enabled", true);
  await config.update("completion.enabled", enabled, target("completion.enabled"));
  vscode.window.showInformationMessage(`typehole: suggestions ${enabled ? "on" : "off"}`);
  return enabled;
}

/** Pick `typehole.model` among the built-in models and the configured `typehole.models`. */
export async function selectModel(): Promise<string | undefined> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const current = config.get<string>("model", "embedded");
  const models = config.get<Record<string, { backend?: string; url?: string }>>("models", {});
  const items: vscode.QuickPickItem[] = [
    { label: "embedded", description: "real language model run by typehole (offline)" },
    { label: "ngram", description: "n-gram model of this workspace's code" },
    ...Object.entries(models).map(([name, entry]) => ({
      label: name,
      description: [entry.backend, entry.url].filter(Boolean).join(" "),
    })),
  ].map((item) => (item.label === current ? { ...item, detail: "current" } : item));
  const picked = await vscode.window.showQuickPick(items, {
    placeHolder: "typehole model (add more under \"typehole.models\" in settings)",
  });
  if (!picked || picked.label === current) return undefined;
  await config.update("model", picked.label, target("model"));
  return picked.label;
}

/** Apply the server's "Generate/Update docstring" code action at the cursor. */
export async function generateDocstring(deps: Deps): Promise<boolean> {
  const editor = vscode.window.activeTextEditor;
  const conn = deps.conn();
  if (!editor || !conn) return false;
  const { start, end } = editor.selection;
  const actions = await docstringActions(conn, editor.document.uri.toString(), {
    start: { line: start.line, character: start.character },
    end: { line: end.line, character: end.character },
  });
  if (actions.length === 0) {
    vscode.window.showInformationMessage(
      "typehole: no docstring to generate here (put the cursor on a def or class line).",
    );
    return false;
  }
  let action: CodeAction = actions[0];
  if (actions.length > 1) {
    const picked = await vscode.window.showQuickPick(
      actions.map((a) => ({ label: a.title, action: a })),
      { placeHolder: "typehole docstring" },
    );
    if (!picked) return false;
    action = picked.action;
  }
  action = await resolveAction(conn, action);
  if (action.edit) {
    await vscode.workspace.applyEdit(await deps.asWorkspaceEdit(action.edit));
  }
  if (action.command) {
    await vscode.commands.executeCommand(action.command.command, ...(action.command.arguments ?? []));
  }
  return true;
}

/** Open what the model would see at the cursor (`typehole/context`) as a Markdown document. */
export async function showContext(deps: Deps): Promise<ContextResult | undefined> {
  const editor = vscode.window.activeTextEditor;
  const conn = deps.conn();
  if (!editor || !conn) return undefined;
  const cursor = editor.selection.active;
  const result = await context(deps.optional, conn, editor.document.uri.toString(), {
    line: cursor.line,
    character: cursor.character,
  });
  if (result === undefined || !deps.optional.supports(CONTEXT)) {
    vscode.window.showInformationMessage(
      "typehole: this version of the server does not offer typehole/context. Try `typehole context FILE:LINE:COL`.",
    );
    return undefined;
  }
  if (result === null) {
    vscode.window.showInformationMessage("typehole: no context at this position.");
    return undefined;
  }
  const document = await vscode.workspace.openTextDocument({
    language: "markdown",
    content: contextMarkdown(result),
  });
  await vscode.window.showTextDocument(document, { preview: true, viewColumn: vscode.ViewColumn.Beside });
  return result;
}

/** The context as Markdown: the hole, relevant types and headers, snippets and the prompt. */
export function contextMarkdown(result: ContextResult): string {
  const out: string[] = ["# typehole context at cursor", ""];
  const hole = result.hole;
  if (hole) {
    out.push(`**Hole:** ${hole.kind ?? "unknown"}` + (hole.expected_type ? `, expected type \`${hole.expected_type}\`` : ""), "");
  }
  if (result.relevant_types?.length) {
    out.push("## Relevant types", "");
    for (const t of result.relevant_types) out.push(`- \`${t.name}\` (${t.path}:${t.line})`);
    out.push("");
  }
  if (result.relevant_headers?.length) {
    out.push("## Relevant headers", "");
    for (const h of result.relevant_headers) out.push(`- \`${h.signature}\` (${h.path}:${h.line})`);
    out.push("");
  }
  if (result.snippets?.length) {
    out.push("## Snippets", "");
    for (const s of result.snippets) {
      out.push(`- ${s.path}:${s.start_line}-${s.end_line} (${s.source}, ${s.score.toFixed(2)})`);
    }
    out.push("");
  }
  if (result.prompt !== undefined) {
    out.push(`## Prompt (${result.tokens ?? "?"} tokens)`, "", "```", result.prompt, "```", "");
  }
  return out.join("\n");
}
