/**
 * The control plane: one command per line on the control socket, parsed into a typed
 * command or a usage error the client can show as it is.
 */

/** A parsed control command. */
export type Command =
  | { kind: "status" }
  | { kind: "pause"; source: string }
  | { kind: "resume"; source: string }
  | { kind: "reload" }
  | { kind: "shutdown"; graceSeconds: number }
  | { kind: "ingest"; path: string };

/** A line that is not a command, with the usage to show. */
export class ControlError extends Error {
  constructor(readonly input: string, reason: string) {
    super(`${reason} (in ${JSON.stringify(input)}); ${USAGE}`);
    this.name = "ControlError";
  }
}

/** What the control plane accepts. */
export const USAGE =
  "commands: status | pause <source> | resume <source> | reload | shutdown [seconds] | ingest <absolute path>";

const SOURCE = /^[a-z][a-z0-9-]*$/;

/** Parses one control line. */
export function parseCommand(input: string): Command {
  const words = input.trim().split(/\s+/).filter((w) => w !== "");
  const [verb, ...args] = words;
  switch (verb?.toLowerCase()) {
    case undefined:
      throw new ControlError(input, "empty command");
    case "status":
    case "reload":
      expectArgs(input, args, 0);
      return { kind: verb.toLowerCase() as "status" | "reload" };
    case "pause":
    case "resume": {
      expectArgs(input, args, 1);
      if (!SOURCE.test(args[0])) {
        throw new ControlError(input, `bad source name ${args[0]}`);
      }
      return {
        kind: verb.toLowerCase() as "pause" | "resume",
        source: args[0],
      };
    }
    case "shutdown": {
      if (args.length > 1) throw new ControlError(input, "too many arguments");
      const graceSeconds = args.length === 0 ? 10 : Number(args[0]);
      if (!Number.isInteger(graceSeconds) || graceSeconds < 0) {
        throw new ControlError(input, `bad grace period ${args[0]}`);
      }
      return { kind: "shutdown", graceSeconds };
    }
    case "ingest":
      expectArgs(input, args, 1);
      if (!args[0].startsWith("/")) {
        throw new ControlError(input, "ingest needs an absolute path");
      }
      return { kind: "ingest", path: args[0] };
    default:
      throw new ControlError(input, `unknown command ${verb}`);
  }
}

function expectArgs(input: string, args: string[], count: number): void {
  if (args.length !== count) {
    throw new ControlError(
      input,
      `expected ${count} argument${count === 1 ? "" : "s"}, got ${args.length}`,
    );
  }
}
