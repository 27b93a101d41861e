/**
 * kato: a local daemon that ingests append-only logs and is steered over a control
 * socket. This file parses the command line and does the I/O; the logic is in src/.
 */
import { ConfigError, configPath, loadConfig } from "./src/config.ts";
import { ControlError, parseCommand } from "./src/control.ts";
import { Daemon } from "./src/daemon.ts";
import { ingest, START } from "./src/ingest.ts";
import { WritePolicy } from "./src/policy.ts";
import denoConfig from "./deno.json" with { type: "json" };

const HELP =
  `kato ${denoConfig.version}: ingest logs, steered over a control socket

usage:
  kato [--config FILE]          run the daemon
  kato check-path PATH [--config FILE]
                                say whether kato may write PATH
  kato parse FILE               parse a log file and report rejected lines
  kato control COMMAND...       parse a control command and print it as JSON
  kato --version | --help`;

/** Where the command line writes: the console, or a test's capture. */
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
): Promise<number> {
  const [command, ...rest] = args;
  const flag = (name: string) => {
    const index = rest.indexOf(name);
    return index === -1 ? undefined : rest[index + 1];
  };
  try {
    switch (command) {
      case "--version":
        io.out(denoConfig.version);
        return 0;
      case "--help":
      case "-h":
        io.out(HELP);
        return 0;
      case "check-path": {
        const config = await loadConfig(configPath(flag("--config"), env));
        const decision = new WritePolicy(config.allowedWriteRoots).decide(
          rest[0] ?? "",
          Deno.cwd(),
        );
        io.out(
          decision.allowed
            ? `allowed: ${decision.path} (under ${decision.root})`
            : `refused: ${decision.path}: ${decision.reason}`,
        );
        return decision.allowed ? 0 : 1;
      }
      case "parse": {
        const batch = ingest(await Deno.readTextFile(rest[0]), START);
        for (const r of batch.rejected) {
          io.err(`${rest[0]}:${r.line}: ${r.reason}`);
        }
        io.out(
          `${batch.records.length} records, ${batch.rejected.length} rejected`,
        );
        return batch.rejected.length === 0 ? 0 : 1;
      }
      case "control":
        io.out(JSON.stringify(parseCommand(rest.join(" "))));
        return 0;
      case undefined:
      case "--config": {
        const config = await loadConfig(configPath(flag("--config"), env));
        const daemon = new Daemon(config);
        io.out(daemon.handle({ kind: "status" }).message);
        return 0;
      }
      default:
        io.err(`unknown command ${command}\n\n${HELP}`);
        return 2;
    }
  } catch (error) {
    if (error instanceof ConfigError || error instanceof ControlError) {
      io.err(error.message);
      return 2;
    }
    throw error;
  }
}

function env(name: string): string | undefined {
  return Deno.env.get(name);
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
