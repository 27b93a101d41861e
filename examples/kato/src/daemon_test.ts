import { deepEqual, equal } from "node:assert/strict";
import { parseConfig } from "./config.ts";
import { Daemon } from "./daemon.ts";

function daemon(): Daemon {
  const config = parseConfig(
    JSON.stringify({
      dataDir: "/var/lib/kato",
      allowedWriteRoots: ["/var/lib/kato"],
      control: { port: 7777 },
      sources: [{ name: "app", path: "/var/log/app.log" }],
    }),
    "test.json",
  );
  return new Daemon(config);
}

Deno.test("pause and resume a source", () => {
  const d = daemon();
  equal(d.handle({ kind: "pause", source: "app" }).message, "app paused");
  equal(
    d.handle({ kind: "pause", source: "app" }).message,
    "app already paused",
  );
  equal(d.feed("app", "2026-02-22T10:00:00Z info x\n"), 0);
  equal(d.handle({ kind: "resume", source: "app" }).message, "app resumed");
  equal(d.handle({ kind: "pause", source: "nope" }).ok, false);
});

Deno.test("feeding advances the cursor and counts", () => {
  const d = daemon();
  equal(d.feed("app", "2026-02-22T10:00:00Z info x\nbad line\n"), 1);
  equal(
    d.handle({ kind: "status" }).message,
    "app: running at line 3, 1 records, 1 rejected",
  );
});

Deno.test("shutdown carries its grace period", () => {
  deepEqual(daemon().handle({ kind: "shutdown", graceSeconds: 5 }).stop, {
    graceSeconds: 5,
  });
});

Deno.test("ingest keeps its state under the data directory", () => {
  const d = daemon();
  equal(d.handle({ kind: "ingest", path: "/srv/new.log" }).ok, true);
  equal(
    d.statePath("/srv/new.log"),
    "/var/lib/kato/cursors/_srv_new.log.cursor",
  );
});
