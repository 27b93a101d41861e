/**
 * kato's home: where a user's daemon keeps its config and state. `KATO_HOME` when set,
 * else `~/.kato`. A compiled kato cannot be granted "the running user's home" for
 * writing (deno compile expands no `~`), so the release decides where state may be
 * written; the home only says where to look first.
 */
import { join, normalize } from "@kato/shared";

/** The environment, as far as kato reads it. */
export interface Env {
  get(name: string): string | undefined;
}

/** The home could not be found. */
export class HomeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HomeError";
  }
}

/** kato's home directory, absolute and normalized. */
export function resolveHome(env: Env = Deno.env): string {
  const explicit = env.get("KATO_HOME");
  if (explicit !== undefined && explicit !== "") {
    if (!explicit.startsWith("/")) {
      throw new HomeError(
        `KATO_HOME must be an absolute path, not ${explicit}`,
      );
    }
    return normalize(explicit);
  }
  const home = env.get("HOME");
  if (home === undefined || !home.startsWith("/")) {
    throw new HomeError("neither KATO_HOME nor an absolute HOME is set");
  }
  return join(home, ".kato");
}

/** The user's home directory (the parent of the session folders). */
export function userHome(env: Env = Deno.env): string {
  const home = env.get("HOME");
  if (home === undefined || !home.startsWith("/")) {
    throw new HomeError("HOME is not set to an absolute path");
  }
  return normalize(home);
}
