/**
 * kato's own gates. A release may grant reads whole (a user's session folders can be
 * anywhere under any home), so the daemon confines itself: it reads only below its read
 * roots and writes only below its write roots, and says why it refused.
 */
import { isWithin, join, normalize } from "@kato/shared";

/** A refused file operation. */
export class GateError extends Error {
  constructor(
    readonly operation: "read" | "write",
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${operation} of ${path} refused: ${reason}`);
    this.name = "GateError";
  }
}

/** Decides one kind of operation against a fixed set of roots. */
export class Gate {
  readonly roots: readonly string[];

  constructor(readonly operation: "read" | "write", roots: readonly string[]) {
    if (roots.length === 0) {
      throw new Error(`a ${operation} gate needs at least one root`);
    }
    for (const root of roots) {
      if (!root.startsWith("/")) {
        throw new Error(`a ${operation} root must be absolute, not ${root}`);
      }
    }
    // Longest first, so a refusal or an answer names the most specific root.
    this.roots = roots.map(normalize).sort((a, b) => b.length - a.length);
  }

  /** The absolute path of `path` (relative ones taken from `cwd`), or a GateError. */
  check(path: string, cwd = "/"): string {
    if (path.includes("\0")) {
      throw new GateError(this.operation, path, "the path holds a NUL byte");
    }
    const target = path.startsWith("/") ? normalize(path) : join(cwd, path);
    if (!this.roots.some((root) => isWithin(root, target))) {
      throw new GateError(
        this.operation,
        target,
        `outside ${this.roots.join(", ")}`,
      );
    }
    return target;
  }

  /** Whether `path` may be used. */
  allows(path: string, cwd = "/"): boolean {
    try {
      this.check(path, cwd);
      return true;
    } catch (error) {
      if (error instanceof GateError) return false;
      throw error;
    }
  }
}
