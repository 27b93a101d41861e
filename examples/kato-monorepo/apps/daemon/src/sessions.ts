/**
 * The providers' session folders under a user's home, and the session files in them.
 * Each read goes through the read gate first.
 */
import { join } from "@kato/shared";
import type { Gate } from "./gates.ts";

/** Where each provider keeps its sessions, relative to the user's home. */
export const PROVIDER_FOLDERS = {
  claude: ".claude/projects",
  codex: ".codex/sessions",
  gemini: ".gemini/tmp",
} as const;

/** A provider kato ingests. */
export type Provider = keyof typeof PROVIDER_FOLDERS;

/** A session file found. */
export interface Session {
  provider: Provider;
  path: string;
  size: number;
}

/** The read roots a user's daemon needs: the provider folders and its home. */
export function readRoots(userHome: string, katoHome: string): string[] {
  return [
    ...Object.values(PROVIDER_FOLDERS).map((folder) => join(userHome, folder)),
    katoHome,
  ];
}

/** Every `*.jsonl` file below the provider folders, in path order. */
export async function findSessions(
  userHome: string,
  gate: Gate,
  only?: Provider,
): Promise<Session[]> {
  const found: Session[] = [];
  const providers = Object.keys(PROVIDER_FOLDERS) as Provider[];
  for (const provider of providers) {
    if (only !== undefined && provider !== only) continue;
    const root = gate.check(join(userHome, PROVIDER_FOLDERS[provider]));
    for await (const path of walk(root, gate)) {
      if (!path.endsWith(".jsonl")) continue;
      const info = await Deno.stat(path);
      found.push({ provider, path, size: info.size });
    }
  }
  return found.sort((a, b) => a.path.localeCompare(b.path));
}

async function* walk(dir: string, gate: Gate): AsyncGenerator<string> {
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  for (const entry of entries) {
    const path = gate.check(join(dir, entry.name));
    if (entry.isDirectory) {
      yield* walk(path, gate);
    } else if (entry.isFile) {
      yield path;
    }
  }
}
