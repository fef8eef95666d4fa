/**
 * The status bar's state: model health from `typehole/status`, workspace learning progress from
 * `$/progress`, and whether suggestions are on. A pure reducer plus a renderer, so tests can check
 * every state without VS Code.
 */
import type { StatusParams } from "./protocol";

export type Health = "starting" | "ok" | "loading" | "degraded" | "down" | "stopped" | "missing";

export interface StatusState {
  health: Health;
  model: string;
  message: string;
  enabled: boolean;
  /** Whether monitor-guided decoding is active, when the server says. */
  monitors?: boolean;
  /** 0-100 while the server learns the workspace; undefined otherwise. */
  progress?: number;
  progressMessage?: string;
}

export const initialStatus: StatusState = { health: "starting", model: "", message: "", enabled: true };

export function onStatus(state: StatusState, params: StatusParams): StatusState {
  const known: Health[] = ["ok", "loading", "degraded", "down"];
  const health: Health = known.includes(params.state as Health) ? (params.state as Health) : "degraded";
  return {
    ...state,
    health,
    model: params.model,
    message: params.message,
    monitors: params.monitors ?? state.monitors,
  };
}

/** `$/progress` values: begin/report/end. */
export function onProgress(
  state: StatusState,
  value: { kind: "begin" | "report" | "end"; percentage?: number; message?: string; title?: string },
): StatusState {
  if (value.kind === "end") return { ...state, progress: undefined, progressMessage: value.message };
  return {
    ...state,
    progress: value.percentage ?? state.progress ?? 0,
    progressMessage: value.message ?? value.title ?? state.progressMessage,
  };
}

export interface Rendered {
  text: string;
  tooltip: string;
  /** "error" and "warning" map to the status bar's error/warning backgrounds. */
  severity?: "error" | "warning";
}

export function render(state: StatusState): Rendered {
  const model = state.model || "typehole";
  const monitors =
    state.monitors === undefined ? "" : `\nMonitors: ${state.monitors ? "on" : "off"}`;
  const tooltip = (lines: string) => `typehole: ${lines}${monitors}\nClick to toggle suggestions.`;
  if (state.health === "missing") {
    return { text: "$(error) typehole", tooltip: "typehole: server not found. Click for details.", severity: "error" };
  }
  if (state.health === "stopped") {
    return { text: "$(debug-stop) typehole", tooltip: "typehole: the server stopped. Run \"typehole: Restart Server\".", severity: "error" };
  }
  if (!state.enabled) {
    return { text: "$(circle-slash) typehole", tooltip: tooltip("suggestions are off") };
  }
  if (state.progress !== undefined) {
    return {
      text: `$(sync~spin) typehole ${state.progress}%`,
      tooltip: tooltip(`learning the workspace (${state.progressMessage ?? ""})`),
    };
  }
  const suffix = state.monitors === undefined ? "" : state.monitors ? " $(shield)" : "";
  switch (state.health) {
    case "starting":
      return { text: "$(loading~spin) typehole", tooltip: tooltip("starting") };
    case "loading":
      return { text: `$(loading~spin) ${model}`, tooltip: tooltip(state.message) };
    case "ok":
      return { text: `$(sparkle) ${model}${suffix}`, tooltip: tooltip(`${model} is ready. ${state.message}`) };
    case "degraded":
      return { text: `$(warning) ${model}${suffix}`, tooltip: tooltip(`${model} is degraded: ${state.message}`), severity: "warning" };
    default:
      return { text: `$(error) ${model}`, tooltip: tooltip(`${model} is down: ${state.message}`), severity: "error" };
  }
}
