/**
 * The daemon's configuration: a JSON file validated field by field, so that a bad
 * value is reported with the file and the field rather than failing later.
 */
import { z } from "zod";
import { isAbsolute, normalize } from "./paths.ts";

/** Log levels, most verbose first. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = typeof LOG_LEVELS[number];

const absolutePath = z.string().refine(isAbsolute, {
  message: "must be an absolute path",
});

const schema = z.object({
  dataDir: absolutePath,
  allowedWriteRoots: z.array(absolutePath).min(1, {
    message: "must name at least one directory",
  }),
  control: z.object({
    host: z.string().default("127.0.0.1"),
    port: z.number().int().min(1).max(65535),
  }).strict(),
  logLevel: z.enum(LOG_LEVELS).default("info"),
  sources: z.array(
    z.object({
      name: z.string().regex(/^[a-z][a-z0-9-]*$/, {
        message: "must be lower-case letters, digits and dashes",
      }),
      path: absolutePath,
    }).strict(),
  ).default([]),
}).strict();

/** A validated configuration, paths normalised. */
export type Config = z.infer<typeof schema>;

/** A configuration that cannot be used, with where and why. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${source}: ${field || "(root)"}: ${reason}`);
    this.name = "ConfigError";
  }
}

/** Parses and validates config text read from `source` (a path, for messages). */
export function parseConfig(text: string, source: string): Config {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(source, "", `not valid JSON: ${message(error)}`);
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ConfigError(source, issue.path.join("."), issue.message);
  }
  const config = result.data;
  const sourceNames = new Set<string>();
  for (const [index, entry] of config.sources.entries()) {
    if (sourceNames.has(entry.name)) {
      throw new ConfigError(
        source,
        `sources.${index}.name`,
        `duplicate source ${JSON.stringify(entry.name)}`,
      );
    }
    sourceNames.add(entry.name);
  }
  return {
    ...config,
    dataDir: normalize(config.dataDir),
    allowedWriteRoots: config.allowedWriteRoots.map(normalize),
    sources: config.sources.map((s) => ({ ...s, path: normalize(s.path) })),
  };
}

/** Reads and parses the config file at `path`. */
export async function loadConfig(path: string): Promise<Config> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new ConfigError(path, "", `cannot read: ${message(error)}`);
  }
  return parseConfig(text, path);
}

/** Where the config file is: `--config`, `$KATO_CONFIG`, else the XDG location. */
export function configPath(
  flag: string | undefined,
  env: (name: string) => string | undefined,
): string {
  if (flag) return flag;
  const fromEnv = env("KATO_CONFIG");
  if (fromEnv) return fromEnv;
  const xdg = env("XDG_CONFIG_HOME");
  if (xdg) return `${xdg}/kato/config.json`;
  const home = env("HOME");
  if (home) return `${home}/.config/kato/config.json`;
  return "/etc/kato/config.json";
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
