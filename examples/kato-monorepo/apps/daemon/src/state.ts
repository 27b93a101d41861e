/**
 * The daemon's state on disk: one JSON file, replaced whole (written beside its name,
 * then renamed), so a crash never leaves half a state.
 */
import { z } from "zod";
import { join } from "@kato/shared";
import type { Gate } from "./gates.ts";

/** What the daemon remembers between runs. */
export interface State {
  paused: boolean;
  pausedBecause?: string;
  /** Bytes ingested, by session file. */
  offsets: Record<string, number>;
  lastScan?: string;
}

const StateSchema: z.ZodType<State> = z.object({
  paused: z.boolean(),
  pausedBecause: z.string().optional(),
  offsets: z.record(z.string(), z.number().int().nonnegative()),
  lastScan: z.string().datetime().optional(),
});

/** A fresh state. */
export function emptyState(): State {
  return { paused: false, offsets: {} };
}

/** The state file in a directory, behind the write gate. */
export class StateStore {
  readonly path: string;

  constructor(readonly dir: string, private readonly gate: Gate) {
    this.path = gate.check(join(dir, "state.json"));
  }

  /** The stored state, or a fresh one when there is none yet. */
  async load(): Promise<State> {
    let text: string;
    try {
      text = await Deno.readTextFile(this.path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return emptyState();
      throw error;
    }
    const parsed = StateSchema.safeParse(JSON.parse(text));
    if (!parsed.success) {
      throw new Error(`${this.path}: ${parsed.error.issues[0].message}`);
    }
    return parsed.data;
  }

  /** Replaces the stored state. */
  async save(state: State): Promise<void> {
    await Deno.mkdir(this.gate.check(this.dir), { recursive: true });
    const temporary = this.gate.check(
      `${this.path}.${crypto.randomUUID()}.tmp`,
    );
    await Deno.writeTextFile(temporary, `${JSON.stringify(state, null, 2)}\n`);
    await Deno.rename(temporary, this.path);
  }
}
