/**
 * Next-edit suggestions in the editor, like Copilot's: after the user edits, ask the server for the
 * next edit; show it in place (struck-through old text, new text after it) or, when it is
 * elsewhere, a "Tab to jump" hint on the cursor's line. Tab jumps, then accepts; Escape dismisses.
 */
import * as vscode from "vscode";
import { Connection, NextEdit, Optional, nextEdits, NEXT_EDIT } from "./protocol";
import { Plan, jumpHint, planNextEdit, tabAction } from "./nextEdit";

export const VISIBLE_CONTEXT = "typehole.nextEditVisible";
const DEBOUNCE_MS = 350;

export class NextEditView implements vscode.Disposable {
  private plan?: { editor: vscode.TextEditor; plan: Plan };
  private timer?: ReturnType<typeof setTimeout>;
  private pending?: vscode.CancellationTokenSource;
  private readonly removed = vscode.window.createTextEditorDecorationType({
    textDecoration: "line-through",
    backgroundColor: new vscode.ThemeColor("diffEditor.removedTextBackground"),
  });
  private readonly added = vscode.window.createTextEditorDecorationType({
    after: {
      color: new vscode.ThemeColor("editorGhostText.foreground"),
      backgroundColor: new vscode.ThemeColor("diffEditor.insertedTextBackground"),
      margin: "0 0 0 0.5em",
    },
  });
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly conn: () => Connection | undefined,
    private readonly optional: Optional,
    private readonly enabled: () => boolean,
    private readonly log: (message: string) => void,
  ) {
    this.disposables.push(
      vscode.workspace.onDidChangeTextDocument((event) => this.onChange(event)),
      vscode.window.onDidChangeActiveTextEditor(() => this.clear()),
    );
  }

  get current(): Plan | undefined {
    return this.plan?.plan;
  }

  /** Ask for next edits after a change, debounced; a newer change cancels the request. */
  onChange(event: vscode.TextDocumentChangeEvent): void {
    const editor = vscode.window.activeTextEditor;
    if (!editor || event.document !== editor.document || event.contentChanges.length === 0) return;
    this.clear();
    if (!this.enabled() || !this.optional.supports(NEXT_EDIT)) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.request(editor), DEBOUNCE_MS);
  }

  async request(editor: vscode.TextEditor): Promise<void> {
    const conn = this.conn();
    if (!conn) return;
    this.pending?.cancel();
    const source = (this.pending = new vscode.CancellationTokenSource());
    const document = editor.document;
    const version = document.version;
    const cursor = editor.selection.active;
    let edits: NextEdit[];
    try {
      edits = await nextEdits(
        this.optional,
        conn,
        { uri: document.uri.toString(), version },
        { line: cursor.line, character: cursor.character },
        source.token,
      );
    } catch (error) {
      if (!source.token.isCancellationRequested) this.log(`next edit failed: ${error}`);
      return;
    }
    if (source.token.isCancellationRequested || document.version !== version) return;
    const plan = planNextEdit(
      edits,
      {
        uri: document.uri.toString(),
        version: document.version,
        lineCount: document.lineCount,
        getText: (range) => document.getText(toRange(range)),
      },
      editor.selection.active,
    );
    if (plan) this.show(editor, plan);
  }

  show(editor: vscode.TextEditor, plan: Plan): void {
    this.plan = { editor, plan };
    const range = toRange(plan.edit.range);
    editor.setDecorations(this.removed, plan.replaces ? [range] : []);
    const cursorLine = editor.selection.active.line;
    const anchor =
      tabAction(plan, editor.selection.active) === "jump"
        ? editor.document.lineAt(cursorLine).range.end
        : range.end;
    const text = tabAction(plan, editor.selection.active) === "jump" ? jumpHint(plan) : plan.preview;
    editor.setDecorations(this.added, [
      { range: new vscode.Range(anchor, anchor), renderOptions: { after: { contentText: text } } },
    ]);
    void vscode.commands.executeCommand("setContext", VISIBLE_CONTEXT, true);
  }

  /** Tab: jump to the edit when it is elsewhere, else apply it and report acceptance. */
  async tab(): Promise<void> {
    if (!this.plan) return;
    const { editor, plan } = this.plan;
    if (tabAction(plan, editor.selection.active) === "jump") {
      const start = toRange(plan.edit.range).start;
      editor.selection = new vscode.Selection(start, start);
      editor.revealRange(toRange(plan.edit.range), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
      this.show(editor, plan);
      return;
    }
    this.clear();
    if (editor.document.version !== plan.edit.textDocument.version) return;
    const applied = await editor.edit((builder) =>
      builder.replace(toRange(plan.edit.range), plan.edit.newText),
    );
    if (applied && plan.edit.command) {
      const { command, arguments: args = [] } = plan.edit.command;
      await vscode.commands.executeCommand(command, ...args);
    }
  }

  clear(): void {
    clearTimeout(this.timer);
    if (!this.plan) return;
    this.plan.editor.setDecorations(this.removed, []);
    this.plan.editor.setDecorations(this.added, []);
    this.plan = undefined;
    void vscode.commands.executeCommand("setContext", VISIBLE_CONTEXT, false);
  }

  dispose(): void {
    this.clear();
    this.pending?.cancel();
    this.removed.dispose();
    this.added.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

function toRange(range: { start: vscode.Position | { line: number; character: number }; end: { line: number; character: number } }): vscode.Range {
  return new vscode.Range(range.start.line, range.start.character, range.end.line, range.end.character);
}
