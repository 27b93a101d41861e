/**
 * The daemon: its state, the sessions it has seen, and its answers to commands.
 */
import type { Command, Status } from "@kato/shared";
import { findSessions, type Session } from "./sessions.ts";
import type { Gate } from "./gates.ts";
import type { State, StateStore } from "./state.ts";

/** A running daemon, for one user. */
export class Daemon {
  private sessions: Session[] = [];

  constructor(
    readonly version: string,
    readonly home: string,
    private readonly userHome: string,
    private readonly readGate: Gate,
    private readonly store: StateStore,
    private state: State,
  ) {}

  /** Finds the sessions again; new bytes of a known session are kept for ingest. */
  async scan(provider?: Session["provider"]): Promise<number> {
    this.sessions = await findSessions(this.userHome, this.readGate, provider);
    this.state.lastScan = new Date().toISOString();
    await this.store.save(this.state);
    return this.sessions.length;
  }

  /** Answers one command of the control protocol. */
  async handle(command: Command): Promise<Status> {
    switch (command.op) {
      case "status":
        break;
      case "pause":
        this.state.paused = true;
        this.state.pausedBecause = command.reason;
        await this.store.save(this.state);
        break;
      case "resume":
        this.state.paused = false;
        delete this.state.pausedBecause;
        await this.store.save(this.state);
        break;
      case "rescan":
        await this.scan(command.provider);
        break;
    }
    return this.status();
  }

  /** The status, as the control socket and the web page show it. */
  status(): Status {
    return {
      version: this.version,
      state: this.state.paused ? "paused" : "running",
      ...(this.state.pausedBecause === undefined
        ? {}
        : { pausedBecause: this.state.pausedBecause }),
      home: this.home,
      sessions: this.sessions.length,
      ...(this.state.lastScan === undefined
        ? {}
        : { lastScan: this.state.lastScan }),
    };
  }
}
