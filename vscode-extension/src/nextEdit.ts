/**
 * Next-edit rendering decisions, free of `vscode`: which suggested edit to show, how (at the
 * cursor, or as a "Tab to jump" hint when it is elsewhere), and what Tab does.
 */
import type { Position, Range } from "vscode-languageserver-protocol";
import type { NextEdit } from "./protocol";

export interface DocumentSnapshot {
  uri: string;
  version: number;
  /** The document's text in `range`. */
  getText(range: Range): string;
  lineCount: number;
}

export interface Plan {
  edit: NextEdit;
  /** "here": the edit touches the cursor's line, Tab applies it. "jump": Tab moves there first. */
  kind: "here" | "jump";
  /** One-line preview of the new text. */
  preview: string;
  /** Whether the edit removes or replaces text (drawn struck through). */
  replaces: boolean;
}

const PREVIEW_CHARS = 80;

/** The first edit worth showing, or undefined (stale, elsewhere, empty or a no-op). */
export function planNextEdit(
  edits: NextEdit[],
  doc: DocumentSnapshot,
  cursor: Position,
): Plan | undefined {
  for (const edit of edits) {
    if (edit.textDocument.uri !== doc.uri || edit.textDocument.version !== doc.version) continue;
    if (edit.range.start.line >= doc.lineCount) continue;
    if (doc.getText(edit.range) === edit.newText) continue;
    const touchesCursor =
      cursor.line >= edit.range.start.line && cursor.line <= edit.range.end.line;
    return {
      edit,
      kind: touchesCursor ? "here" : "jump",
      preview: preview(edit.newText),
      replaces: !isEmpty(edit.range),
    };
  }
  return undefined;
}

/** What Tab does with a shown plan when the cursor is at `cursor`. */
export function tabAction(plan: Plan, cursor: Position): "accept" | "jump" {
  const { start, end } = plan.edit.range;
  return cursor.line >= start.line && cursor.line <= end.line ? "accept" : "jump";
}

/** The hint shown at the cursor's line for an edit elsewhere. */
export function jumpHint(plan: Plan): string {
  const line = plan.edit.range.start.line + 1;
  const reason = plan.edit.reason ? `: ${plan.edit.reason}` : "";
  return `  ⇥ Tab to jump to line ${line}${reason}`;
}

export function preview(text: string): string {
  const lines = text.split("\n");
  let first = lines.find((line) => line.trim() !== "") ?? "";
  const more = lines.length > 1 ? " …" : "";
  if (first.length > PREVIEW_CHARS) first = first.slice(0, PREVIEW_CHARS - 1) + "…";
  return first.trimEnd() + more || "(delete)";
}

function isEmpty(range: Range): boolean {
  return range.start.line === range.end.line && range.start.character === range.end.character;
}
