/**
 * kato's command line: `kato status`, `kato scan`, `kato pause REASON`, `kato resume`,
 * `kato --version`. It wires the gates, the state and the daemon together; the logic is
 * in the modules beside it.
 */
import { parseCommand, ProtocolError } from "@kato/shared";
import config from "../deno.json" with { type: "json" };
import { Daemon } from "./daemon.ts";
import { Gate, GateError } from "./gates.ts";
import { type Env, HomeError, resolveHome, userHome } from "./home.ts";
import { readRoots } from "./sessions.ts";
import { StateStore } from "./state.ts";

/** The version released, from this app's deno.json. */
export const VERSION: string = config.version;

const HELP = `kato ${VERSION}: ingests provider sessions for its user

usage:
  kato status                   print the daemon's status as JSON
  kato scan                     find the session files again
  kato pause REASON | resume    stop or restart ingesting
  kato send JSON                send one control command
  kato --version | --help

KATO_HOME is kato's home (default ~/.kato). A release binary writes only below
the root its release grants: there, set KATO_HOME below it (/var/lib/kato/$USER).`;

/** Where the command line writes. */
export interface Output {
  out(line: string): void;
  err(line: string): void;
}

const CONSOLE: Output = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};

/** Runs the command line; returns the exit code. */
export async function main(
  args: string[],
  io: Output = CONSOLE,
  env: Env = Deno.env,
): Promise<number> {
  const [command, ...rest] = args;
  if (command === "--version") {
    io.out(`kato ${VERSION}`);
    return 0;
  }
  if (command === undefined || command === "--help") {
    io.out(HELP);
    return command === undefined ? 2 : 0;
  }
  try {
    const daemon = await open(env);
    const line = controlLine(command, rest);
    if (line === undefined) {
      io.err(`unknown command ${command}; see kato --help`);
      return 2;
    }
    const status = await daemon.handle(parseCommand(line));
    io.out(JSON.stringify(status));
    return 0;
  } catch (error) {
    if (
      error instanceof HomeError || error instanceof GateError ||
      error instanceof ProtocolError
    ) {
      io.err(`kato: ${error.message}`);
      return 2;
    }
    if (error instanceof Deno.errors.NotCapable) {
      io.err(
        `kato: ${error.message}: this kato may not touch that path; set KATO_HOME to a ` +
          "directory its permissions grant (kato --help)",
      );
      return 2;
    }
    throw error;
  }
}

function controlLine(command: string, rest: string[]): string | undefined {
  switch (command) {
    case "status":
      return JSON.stringify({ op: "status" });
    case "scan":
      return JSON.stringify({ op: "rescan" });
    case "pause":
      return JSON.stringify({ op: "pause", reason: rest.join(" ") });
    case "resume":
      return JSON.stringify({ op: "resume" });
    case "send":
      return rest.join(" ");
    default:
      return undefined;
  }
}

/** The daemon of this user: its home, gates and stored state. */
export async function open(env: Env = Deno.env): Promise<Daemon> {
  const home = resolveHome(env);
  const user = userHome(env);
  const readGate = new Gate("read", readRoots(user, home));
  const writeGate = new Gate("write", [home]);
  const store = new StateStore(home, writeGate);
  const state = await store.load();
  return new Daemon(VERSION, home, user, readGate, store, state);
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
