import { deepEqual, throws } from "node:assert/strict";
import { ControlError, parseCommand } from "./control.ts";

Deno.test("commands parse into typed values", () => {
  deepEqual(parseCommand("status"), { kind: "status" });
  deepEqual(parseCommand("  PAUSE app-1 "), { kind: "pause", source: "app-1" });
  deepEqual(parseCommand("resume app"), { kind: "resume", source: "app" });
  deepEqual(parseCommand("reload"), { kind: "reload" });
  deepEqual(parseCommand("shutdown"), { kind: "shutdown", graceSeconds: 10 });
  deepEqual(parseCommand("shutdown 0"), { kind: "shutdown", graceSeconds: 0 });
  deepEqual(parseCommand("ingest /var/log/x.log"), {
    kind: "ingest",
    path: "/var/log/x.log",
  });
});

Deno.test("bad commands say what is wrong and show the usage", () => {
  throws(() => parseCommand(""), /empty command/);
  throws(() => parseCommand("explode"), /unknown command explode.*commands:/);
  throws(() => parseCommand("status now"), /expected 0 arguments, got 1/);
  throws(() => parseCommand("pause"), /expected 1 argument, got 0/);
  throws(() => parseCommand("pause Bad_Name"), /bad source name/);
  throws(() => parseCommand("shutdown -1"), /bad grace period/);
  throws(() => parseCommand("shutdown 1 2"), /too many arguments/);
  throws(() => parseCommand("ingest x.log"), ControlError);
});
