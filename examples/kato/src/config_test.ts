import { equal, throws } from "node:assert/strict";
import { ConfigError, configPath, parseConfig } from "./config.ts";

const valid = {
  dataDir: "/var/lib/kato/",
  allowedWriteRoots: ["/var/lib/kato", "/tmp/kato/../kato-out"],
  control: { port: 7777 },
  sources: [{ name: "app", path: "/var/log/app.log" }],
};

function parse(value: unknown) {
  return parseConfig(JSON.stringify(value), "/etc/kato/config.json");
}

function failure(value: unknown): ConfigError {
  try {
    parse(value);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

Deno.test("a valid config is normalised and defaulted", () => {
  const config = parse(valid);
  equal(config.dataDir, "/var/lib/kato");
  equal(config.allowedWriteRoots[1], "/tmp/kato-out");
  equal(config.control.host, "127.0.0.1");
  equal(config.logLevel, "info");
  equal(config.sources[0].name, "app");
});

Deno.test("errors name the file and the field", () => {
  const error = failure({ ...valid, allowedWriteRoots: ["relative/dir"] });
  equal(error.field, "allowedWriteRoots.0");
  equal(
    error.message,
    "/etc/kato/config.json: allowedWriteRoots.0: must be an absolute path",
  );
});

Deno.test("empty write roots are refused", () => {
  equal(
    failure({ ...valid, allowedWriteRoots: [] }).reason,
    "must name at least one directory",
  );
});

Deno.test("unknown fields and bad ports are refused", () => {
  equal(failure({ ...valid, extra: 1 }).field, "");
  equal(failure({ ...valid, control: { port: 70000 } }).field, "control.port");
});

Deno.test("duplicate source names are refused", () => {
  const source = { name: "app", path: "/x.log" };
  equal(
    failure({ ...valid, sources: [source, source] }).field,
    "sources.1.name",
  );
});

Deno.test("invalid JSON is reported as such", () => {
  throws(
    () => parseConfig("{", "/etc/kato/config.json"),
    /config.json: \(root\): not valid JSON/,
  );
});

Deno.test("config path: flag, then KATO_CONFIG, then XDG, then HOME", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  equal(configPath("/a.json", env({ KATO_CONFIG: "/b.json" })), "/a.json");
  equal(configPath(undefined, env({ KATO_CONFIG: "/b.json" })), "/b.json");
  equal(
    configPath(undefined, env({ XDG_CONFIG_HOME: "/x", HOME: "/h" })),
    "/x/kato/config.json",
  );
  equal(
    configPath(undefined, env({ HOME: "/h" })),
    "/h/.config/kato/config.json",
  );
});
