import { equal, match } from "node:assert/strict";
import { open } from "@kato/daemon";
import { envOf, scratch } from "../support.ts";

Deno.test("pause, resume and rescan change the status and persist", async () => {
  const { dir, dispose } = await scratch();
  try {
    const env = envOf({ HOME: dir });
    await Deno.mkdir(`${dir}/.gemini/tmp/x`, { recursive: true });
    await Deno.writeTextFile(`${dir}/.gemini/tmp/x/s.jsonl`, "{}\n");
    const daemon = await open(env);
    equal(
      (await daemon.handle({ op: "pause", reason: "disk full" })).state,
      "paused",
    );
    const again = await open(env);
    equal(again.status().pausedBecause, "disk full");
    equal((await again.handle({ op: "resume" })).state, "running");
    const scanned = await again.handle({ op: "rescan" });
    equal(scanned.sessions, 1);
    match(scanned.lastScan ?? "", /^\d{4}-\d\d-\d\dT/);
    equal((await open(env)).status().pausedBecause, undefined);
  } finally {
    await dispose();
  }
});
