/**
 * typehole's requests as the extension sends them, free of the `vscode` module so the same code
 * drives the real server from Node tests. Anything with `sendRequest(method, params, token)` works:
 * a `LanguageClient` in VS Code, a `vscode-jsonrpc` connection in tests.
 *
 * Methods the server may not offer yet (next edit, context, docstring code actions) answer
 * MethodNotFound; `Optional` remembers that and turns the feature off quietly.
 */
import {
  CancellationToken,
  ClientCapabilities,
  CodeAction,
  CodeActionKind,
  Command,
  ErrorCodes,
  InlineCompletionList,
  InlineCompletionTriggerKind,
  Position,
  Range,
  ResponseError,
  TextEdit,
} from "vscode-languageserver-protocol";

export const INLINE_COMPLETION = "textDocument/inlineCompletion";
export const NEXT_EDIT = "typehole/nextEdit";
export const CONTEXT = "typehole/context";
export const STATUS = "typehole/status";
export const ACCEPTED = "typehole.accepted";

/** Settings section on the wire (`workspace/configuration`, `initializationOptions`). */
export const SECTION = "typehole";

export interface Connection {
  sendRequest<R>(method: string, params: unknown, token?: CancellationToken): Promise<R>;
}

/** `typehole/status`: the model's health, sent when it changes. */
export interface StatusParams {
  model: string;
  state: "ok" | "loading" | "degraded" | "down" | string;
  message: string;
  /** Sent by servers that report whether monitor-guided decoding is active. */
  monitors?: boolean;
}

export interface VersionedDocument {
  uri: string;
  version: number;
}

/** `typehole/nextEdit` result item, shaped like Copilot's inline edit. */
export interface NextEdit {
  range: Range;
  newText: string;
  textDocument: VersionedDocument;
  reason?: string;
  command?: Command;
}

export interface NextEditResult {
  edits: NextEdit[];
}

/** `typehole/context`: what the model would see at a position (the CLI's `context --json`). */
export interface ContextResult {
  hole?: { kind?: string; expected_type?: string | null };
  relevant_types?: { name: string; path: string; line: number; text: string }[];
  relevant_headers?: { name: string; path: string; line: number; signature: string }[];
  snippets?: { path: string; start_line: number; end_line: number; source: string; score: number }[];
  prompt?: string;
  tokens?: number;
}

/**
 * What the extension tells the server it can do. In VS Code, vscode-languageclient 11 fills the
 * standard part itself; `experimental.typehole` is added by the extension. Tests initialize the
 * real server with this same object.
 */
export function clientCapabilities(): ClientCapabilities {
  return {
    textDocument: {
      synchronization: { dynamicRegistration: true, didSave: true },
      inlineCompletion: { dynamicRegistration: true },
      completion: { completionItem: { snippetSupport: true } },
      codeAction: {
        dynamicRegistration: true,
        isPreferredSupport: true,
        dataSupport: true,
        resolveSupport: { properties: ["edit"] },
        codeActionLiteralSupport: {
          codeActionKind: {
            valueSet: [
              CodeActionKind.QuickFix,
              CodeActionKind.Refactor,
              CodeActionKind.RefactorRewrite,
              CodeActionKind.Source,
            ],
          },
        },
      },
    },
    workspace: {
      configuration: true,
      didChangeConfiguration: { dynamicRegistration: true },
      executeCommand: { dynamicRegistration: true },
      workspaceEdit: { documentChanges: true },
    },
    window: { workDoneProgress: true, showMessage: {} },
    general: { positionEncodings: ["utf-16"] },
    experimental: { typehole: { nextEdit: true, status: true } },
  };
}

export function isMethodNotFound(error: unknown): boolean {
  return error instanceof ResponseError
    ? error.code === ErrorCodes.MethodNotFound
    : (error as { code?: number } | null)?.code === ErrorCodes.MethodNotFound;
}

/**
 * Send a request; `token` only when given (vscode-jsonrpc would send a trailing `undefined` as a
 * second positional parameter).
 */
export function send<R>(conn: Connection, method: string, params: unknown, token?: CancellationToken): Promise<R> {
  return token ? conn.sendRequest<R>(method, params, token) : conn.sendRequest<R>(method, params);
}

/** A request the server may lack: after one MethodNotFound it is never sent again. */
export class Optional {
  private missing = new Set<string>();

  supports(method: string): boolean {
    return !this.missing.has(method);
  }

  /** The result, or undefined when the server lacks `method` (then and from now on). */
  async request<R>(
    conn: Connection,
    method: string,
    params: unknown,
    token?: CancellationToken,
  ): Promise<R | undefined> {
    if (this.missing.has(method)) return undefined;
    try {
      return await send<R>(conn, method, params, token);
    } catch (error) {
      if (!isMethodNotFound(error)) throw error;
      this.missing.add(method);
      return undefined;
    }
  }
}

export function inlineCompletion(
  conn: Connection,
  uri: string,
  position: Position,
  token?: CancellationToken,
  triggerKind: InlineCompletionTriggerKind = InlineCompletionTriggerKind.Invoked,
): Promise<InlineCompletionList | null> {
  return send(conn, INLINE_COMPLETION, { textDocument: { uri }, position, context: { triggerKind } }, token);
}

/** Next edits for a document version, best first; [] when there are none or no such method. */
export async function nextEdits(
  optional: Optional,
  conn: Connection,
  document: VersionedDocument,
  position: Position,
  token?: CancellationToken,
): Promise<NextEdit[]> {
  const result = await optional.request<NextEditResult | null>(
    conn,
    NEXT_EDIT,
    { textDocument: document, position },
    token,
  );
  return result?.edits ?? [];
}

export function context(
  optional: Optional,
  conn: Connection,
  uri: string,
  position: Position,
  token?: CancellationToken,
): Promise<ContextResult | null | undefined> {
  return optional.request(conn, CONTEXT, { textDocument: { uri }, position }, token);
}

/** The server's docstring code actions ("Generate docstring", "Update docstring") at `range`. */
export async function docstringActions(
  conn: Connection,
  uri: string,
  range: Range,
  token?: CancellationToken,
): Promise<CodeAction[]> {
  let result: (CodeAction | Command)[] | null;
  try {
    result = await send(
      conn,
      "textDocument/codeAction",
      { textDocument: { uri }, range, context: { diagnostics: [], triggerKind: 1 } },
      token,
    );
  } catch (error) {
    if (isMethodNotFound(error)) return [];
    throw error;
  }
  // A bare Command has a string `command`; a CodeAction's `command` is an object or absent.
  const isAction = (item: CodeAction | Command): item is CodeAction =>
    typeof (item as Command).command !== "string";
  return (result ?? []).filter(isAction).filter((action) => /docstring/i.test(action.title));
}

/** Resolve a code action's edit lazily when the server sent it without one. */
export async function resolveAction(conn: Connection, action: CodeAction): Promise<CodeAction> {
  if (action.edit || action.data === undefined) return action;
  return send<CodeAction>(conn, "codeAction/resolve", action);
}

/** Apply LSP text edits to a string (for tests and previews): edits must not overlap. */
export function applyEdits(text: string, edits: TextEdit[]): string {
  const offsets = lineOffsets(text);
  const at = (p: Position) => Math.min((offsets[p.line] ?? text.length) + p.character, text.length);
  const sorted = [...edits].sort((a, b) => at(b.range.start) - at(a.range.start));
  for (const edit of sorted) {
    text = text.slice(0, at(edit.range.start)) + edit.newText + text.slice(at(edit.range.end));
  }
  return text;
}

function lineOffsets(text: string): number[] {
  const offsets = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") offsets.push(i + 1);
  return offsets;
}
