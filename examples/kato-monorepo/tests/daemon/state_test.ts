import { deepEqual, equal, rejects } from "node:assert/strict";
import { emptyState, Gate, GateError, StateStore } from "@kato/daemon";
import { scratch } from "../support.ts";

Deno.test("a saved state loads again, and nothing temporary is left", async () => {
  const { dir, dispose } = await scratch();
  try {
    const store = new StateStore(`${dir}/home`, new Gate("write", [dir]));
    deepEqual(await store.load(), emptyState());
    const state = {
      paused: true,
      pausedBecause: "upgrade",
      offsets: { "/a.jsonl": 12 },
    };
    await store.save(state);
    deepEqual(await store.load(), state);
    const names = [...Deno.readDirSync(`${dir}/home`)].map((e) => e.name);
    deepEqual(names, ["state.json"]);
  } finally {
    await dispose();
  }
});

Deno.test("a state file that is not a state names itself", async () => {
  const { dir, dispose } = await scratch();
  try {
    const store = new StateStore(dir, new Gate("write", [dir]));
    await Deno.writeTextFile(
      store.path,
      JSON.stringify({ paused: "yes", offsets: {} }),
    );
    await rejects(
      () => store.load(),
      new RegExp(`${store.path}: Expected boolean`),
    );
  } finally {
    await dispose();
  }
});

Deno.test("a state outside the write roots is refused before any write", () => {
  let refused: unknown;
  try {
    new StateStore("/etc/kato", new Gate("write", ["/var/lib/kato"]));
  } catch (error) {
    refused = error;
  }
  equal(refused instanceof GateError, true);
});
