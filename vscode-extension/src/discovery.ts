/**
 * Finding `typehole serve`: the configured path, then the workspace's virtual environment,
 * then PATH. Pure: the file system and environment come in as arguments, so tests need no VS Code.
 */
import * as path from "node:path";

// typehole installs from a checkout of its repository.
export const INSTALL_COMMAND = "python -m pip install /path/to/typehole";

export interface ServerCommand {
  command: string;
  args: string[];
  /** Where it was found, for the output channel: "setting", "workspace venv", "PATH". */
  source: string;
}

export interface DiscoveryInput {
  /** `typehole.server.path`: an executable, or empty. */
  configuredPath: string;
  /** `typehole.server.args`: extra arguments before `serve`. */
  extraArgs?: string[];
  workspaceFolders: string[];
  env: Record<string, string | undefined>;
  platform: NodeJS.Platform;
  isExecutable: (file: string) => boolean;
}

const VENV_DIRS = [".venv", "venv", "env"];

export function findServer(input: DiscoveryInput): ServerCommand | undefined {
  const windows = input.platform === "win32";
  const exe = windows ? "typehole.exe" : "typehole";
  const bin = windows ? "Scripts" : "bin";
  const args = [...(input.extraArgs ?? []), "serve"];

  const configured = expandHome(input.configuredPath.trim(), input.env);
  if (configured) {
    // A relative setting is relative to the first workspace folder (".venv/bin/typehole").
    const full =
      path.isAbsolute(configured) || input.workspaceFolders.length === 0
        ? configured
        : path.join(input.workspaceFolders[0], configured);
    // A configured Python interpreter runs the module instead.
    if (/python[\d.]*(\.exe)?$/i.test(path.basename(full))) {
      return input.isExecutable(full)
        ? { command: full, args: ["-m", "typehole", ...args], source: "setting" }
        : undefined;
    }
    return input.isExecutable(full) ? { command: full, args, source: "setting" } : undefined;
  }

  const candidates: [string, string][] = [];
  const venv = input.env.VIRTUAL_ENV;
  if (venv) candidates.push([path.join(venv, bin, exe), "active virtual environment"]);
  for (const folder of input.workspaceFolders) {
    for (const dir of VENV_DIRS) candidates.push([path.join(folder, dir, bin, exe), "workspace venv"]);
  }
  const pathVar = input.env.PATH ?? input.env.Path ?? "";
  for (const dir of pathVar.split(windows ? ";" : ":").filter(Boolean)) {
    candidates.push([path.join(dir, exe), "PATH"]);
  }
  for (const [file, source] of candidates) {
    if (input.isExecutable(file)) return { command: file, args, source };
  }
  return undefined;
}

/** The message shown when no server is found. */
export function missingMessage(configuredPath: string): string {
  if (configuredPath.trim()) {
    return (
      `typehole: the configured server "${configuredPath}" is not an executable file. ` +
      `Fix "typehole.server.path" or install typehole: ${INSTALL_COMMAND}`
    );
  }
  return (
    "typehole: the typehole language server was not found in the workspace's .venv or on PATH. " +
    `Install it into your environment with \`${INSTALL_COMMAND}\`, or set "typehole.server.path".`
  );
}

function expandHome(value: string, env: Record<string, string | undefined>): string {
  const home = env.HOME ?? env.USERPROFILE;
  return home && (value === "~" || value.startsWith("~/")) ? path.join(home, value.slice(1)) : value;
}
