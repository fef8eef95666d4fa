/**
 * Which VS Code settings go to the server, and how. Keys mirror app/settings.py (camelCase on
 * the wire). Only values the user set explicitly are sent, so `[tool.typehole]` in the
 * workspace's pyproject.toml still applies wherever the user kept VS Code's defaults.
 */

/** Dotted keys under `typehole.` that belong to the server. The rest are the extension's own. */
export const SERVER_KEYS = [
  "model",
  "models",
  "completion.enabled",
  "completion.maxTokens",
  "completion.maxLines",
  "completion.promptBudget",
  "completion.completionFallback",
  "completion.cache",
  "training.maxFiles",
  "training.maxFileBytes",
  "exclude",
  "logLevel",
] as const;

export interface Inspected<T = unknown> {
  globalValue?: T;
  workspaceValue?: T;
  workspaceFolderValue?: T;
}

/** `vscode.WorkspaceConfiguration.inspect` for section `typehole`, or a test double. */
export type Inspect = (key: string) => Inspected | undefined;

/** The explicitly set server settings as a nested camelCase object. */
export function serverSettings(inspect: Inspect): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of SERVER_KEYS) {
    const found = inspect(key);
    const value = found?.workspaceFolderValue ?? found?.workspaceValue ?? found?.globalValue;
    if (value === undefined) continue;
    const parts = key.split(".");
    let node = out;
    for (const part of parts.slice(0, -1)) {
      node = (node[part] ??= {}) as Record<string, unknown>;
    }
    node[parts[parts.length - 1]] = value;
  }
  return out;
}

/** Answers to `workspace/configuration`: section `typehole` gets only the server settings. */
export function answerConfiguration(
  items: { section?: string }[],
  answers: unknown[],
  inspect: Inspect,
): unknown[] {
  return items.map((item, i) => (item.section === "typehole" ? serverSettings(inspect) : answers[i]));
}
