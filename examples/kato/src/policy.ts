/**
 * The write policy: kato writes only below its allowed write roots. The compiled
 * binary's permissions bound what it can touch at all; this gate narrows that to what
 * the operator configured, and says why a write was refused.
 */
import { isWithin, normalize, resolve } from "./paths.ts";

/** The answer to "may kato write here?". */
export type Decision =
  | { allowed: true; path: string; root: string }
  | { allowed: false; path: string; reason: string };

/** Decides writes against a fixed set of roots. */
export class WritePolicy {
  readonly roots: readonly string[];

  constructor(roots: readonly string[]) {
    if (roots.length === 0) {
      throw new Error("a write policy needs at least one root");
    }
    // Longest first, so the decision names the most specific root.
    this.roots = roots.map(normalize).sort((a, b) => b.length - a.length);
  }

  /** Decides a write to `path`, relative paths taken from `cwd`. */
  decide(path: string, cwd = "/"): Decision {
    if (path.includes("\0")) {
      return { allowed: false, path, reason: "path contains a NUL byte" };
    }
    const target = resolve(cwd, path);
    const root = this.roots.find((r) => isWithin(r, target));
    if (root === undefined) {
      return {
        allowed: false,
        path: target,
        reason: `outside the allowed write roots (${this.roots.join(", ")})`,
      };
    }
    return { allowed: true, path: target, root };
  }

  /** Like `decide`, but throws on refusal: for call sites that must not go on. */
  assert(path: string, cwd = "/"): string {
    const decision = this.decide(path, cwd);
    if (!decision.allowed) {
      throw new PolicyError(decision.path, decision.reason);
    }
    return decision.path;
  }
}

/** A refused write. */
export class PolicyError extends Error {
  constructor(readonly path: string, readonly reason: string) {
    super(`write to ${path} refused: ${reason}`);
    this.name = "PolicyError";
  }
}
