/**
 * The status page, rendered from the daemon's status. Pure: the server that serves it
 * only calls `renderStatus`.
 */
import { checkStatus, type Status } from "@kato/shared";

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** `text` safe inside HTML text and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** The page for `status`; anything that is not a status is refused. */
export function renderStatus(status: Status): string {
  const checked = checkStatus(status);
  const rows: [string, string][] = [
    ["version", checked.version],
    ["state", checked.state],
    ["home", checked.home],
    ["sessions", String(checked.sessions)],
  ];
  if (checked.pausedBecause !== undefined) {
    rows.push(["paused because", checked.pausedBecause]);
  }
  if (checked.lastScan !== undefined) {
    rows.push(["last scan", checked.lastScan]);
  }
  const body = rows
    .map(([key, value]) =>
      `<tr><th>${escapeHtml(key)}</th><td>${escapeHtml(value)}</td></tr>`
    )
    .join("");
  return `<!doctype html><title>kato ${
    escapeHtml(checked.version)
  }</title><table>${body}</table>`;
}
