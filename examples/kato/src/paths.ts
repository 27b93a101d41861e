/**
 * POSIX path handling without the file system: kato decides on paths before it
 * touches them, so normalisation must not depend on what exists.
 */

/** Whether `path` is absolute. */
export function isAbsolute(path: string): boolean {
  return path.startsWith("/");
}

/**
 * Collapses `.`, `..` and repeated slashes. `..` never climbs above the root, as the
 * kernel resolves it.
 */
export function normalize(path: string): string {
  if (!isAbsolute(path)) {
    throw new Error(`expected an absolute path, got ${JSON.stringify(path)}`);
  }
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      parts.pop();
    } else {
      parts.push(part);
    }
  }
  return "/" + parts.join("/");
}

/** Joins `relative` onto the absolute `base` and normalises the result. */
export function resolve(base: string, relative: string): string {
  return isAbsolute(relative)
    ? normalize(relative)
    : normalize(`${base}/${relative}`);
}

/** Whether `path` is `root` or lies below it (both normalised). */
export function isWithin(root: string, path: string): boolean {
  if (root === "/") return true;
  return path === root || path.startsWith(root + "/");
}
