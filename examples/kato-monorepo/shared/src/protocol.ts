/**
 * The control protocol: one JSON object per line on the daemon's control socket, and
 * the status the daemon answers with, which the web page renders.
 */
import { z } from "zod";

/** A provider whose sessions kato ingests. */
export type Provider = "claude" | "codex" | "gemini";

/** A command sent to the daemon. */
export type Command =
  | { op: "status" }
  | { op: "pause"; reason: string }
  | { op: "resume" }
  | { op: "rescan"; provider?: Provider };

const CommandSchema: z.ZodType<Command> = z.discriminatedUnion("op", [
  z.object({ op: z.literal("status") }),
  z.object({ op: z.literal("pause"), reason: z.string().min(1).max(200) }),
  z.object({ op: z.literal("resume") }),
  z.object({
    op: z.literal("rescan"),
    provider: z.enum(["claude", "codex", "gemini"]).optional(),
  }),
]);

/** What the daemon says about itself. */
export interface Status {
  version: string;
  state: "running" | "paused";
  pausedBecause?: string;
  home: string;
  sessions: number;
  lastScan?: string;
}

const StatusSchema: z.ZodType<Status> = z.object({
  version: z.string(),
  state: z.enum(["running", "paused"]),
  pausedBecause: z.string().optional(),
  home: z.string(),
  sessions: z.number().int().nonnegative(),
  lastScan: z.string().datetime().optional(),
});

/** `value` as a status, or a ZodError naming what is not. */
export function checkStatus(value: unknown): Status {
  return StatusSchema.parse(value);
}

/** A line that is not a command. */
export class ProtocolError extends Error {
  constructor(message: string, readonly line: string) {
    super(message);
    this.name = "ProtocolError";
  }
}

/** Parses one line of the control socket. */
export function parseCommand(line: string): Command {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new ProtocolError("not JSON", line);
  }
  const parsed = CommandSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
    throw new ProtocolError(`${at}${issue.message}`, line);
  }
  return parsed.data;
}
