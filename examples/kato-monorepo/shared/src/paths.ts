/**
 * POSIX path rules, without touching the file system: the daemon decides what it may
 * read and write before any file operation, so the rules must not depend on what exists.
 */

/** `path` without `.`, `..` and repeated separators; absolute paths stay absolute. */
export function normalize(path: string): string {
  const absolute = path.startsWith("/");
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length > 0 && parts[parts.length - 1] !== "..") {
        parts.pop();
      } else if (!absolute) {
        parts.push("..");
      }
      continue;
    }
    parts.push(part);
  }
  const joined = parts.join("/");
  if (absolute) return `/${joined}`;
  return joined === "" ? "." : joined;
}

/** The parts joined and normalized. */
export function join(...parts: string[]): string {
  return normalize(parts.filter((part) => part !== "").join("/"));
}

/** Whether `path` is `root` or lies below it (both normalized first). */
export function isWithin(root: string, path: string): boolean {
  const r = normalize(root);
  const p = normalize(path);
  if (r === "/") return p.startsWith("/");
  return p === r || p.startsWith(`${r}/`);
}
