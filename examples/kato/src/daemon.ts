/**
 * The daemon's state: which sources are paused, their cursors, and the answer to each
 * control command. Effects (sockets, files) stay in main.ts, so every transition here
 * is testable as it is.
 */
import type { Command } from "./control.ts";
import type { Config } from "./config.ts";
import { type Cursor, ingest, START } from "./ingest.ts";
import { WritePolicy } from "./policy.ts";

/** The daemon's reply to a command. */
export interface Reply {
  ok: boolean;
  message: string;
  stop?: { graceSeconds: number };
}

/** Per-source progress. */
export interface SourceState {
  path: string;
  paused: boolean;
  cursor: Cursor;
  records: number;
  rejected: number;
}

/** State of a running daemon. */
export class Daemon {
  readonly policy: WritePolicy;
  readonly sources = new Map<string, SourceState>();
  #reloads = 0;

  constructor(readonly config: Config) {
    this.policy = new WritePolicy(config.allowedWriteRoots);
    for (const source of config.sources) {
      this.sources.set(source.name, {
        path: source.path,
        paused: false,
        cursor: START,
        records: 0,
        rejected: 0,
      });
    }
  }

  /** Applies a control command. */
  handle(command: Command): Reply {
    switch (command.kind) {
      case "status":
        return { ok: true, message: this.status() };
      case "pause":
      case "resume":
        return this.setPaused(command.source, command.kind === "pause");
      case "reload":
        this.#reloads += 1;
        return { ok: true, message: `reloaded (${this.#reloads})` };
      case "shutdown":
        return {
          ok: true,
          message: `shutting down in ${command.graceSeconds}s`,
          stop: { graceSeconds: command.graceSeconds },
        };
      case "ingest": {
        const decision = this.policy.decide(this.statePath(command.path));
        if (!decision.allowed) {
          return { ok: false, message: decision.reason };
        }
        return { ok: true, message: `queued ${command.path}` };
      }
    }
  }

  /** Feeds a chunk read from `name` at its cursor; returns how many records it held. */
  feed(name: string, chunk: string): number {
    const source = this.sources.get(name);
    if (source === undefined) throw new Error(`unknown source ${name}`);
    if (source.paused) return 0;
    const batch = ingest(chunk, source.cursor);
    source.cursor = batch.cursor;
    source.records += batch.records.length;
    source.rejected += batch.rejected.length;
    return batch.records.length;
  }

  /** Where the cursor of a source file is saved: under the data directory. */
  statePath(sourcePath: string): string {
    const name = sourcePath.replaceAll("/", "_");
    return `${this.config.dataDir}/cursors/${name}.cursor`;
  }

  private status(): string {
    const lines = [...this.sources.entries()].map(([name, s]) =>
      `${name}: ${
        s.paused ? "paused" : "running"
      } at line ${s.cursor.line}, ${s.records} records, ${s.rejected} rejected`
    );
    return lines.length === 0 ? "no sources" : lines.join("\n");
  }

  private setPaused(name: string, paused: boolean): Reply {
    const source = this.sources.get(name);
    if (source === undefined) {
      return { ok: false, message: `unknown source ${name}` };
    }
    if (source.paused === paused) {
      return {
        ok: true,
        message: `${name} already ${paused ? "paused" : "running"}`,
      };
    }
    source.paused = paused;
    return { ok: true, message: `${name} ${paused ? "paused" : "resumed"}` };
  }
}
