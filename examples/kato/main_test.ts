import { equal } from "node:assert/strict";
import { main } from "./main.ts";

Deno.test("--version and --help succeed", async () => {
  equal(await main(["--version"]), 0);
  equal(await main(["--help"]), 0);
});

Deno.test("control prints a parsed command, refuses a bad one", async () => {
  equal(await main(["control", "pause", "app"]), 0);
  equal(await main(["control", "explode"]), 2);
});

Deno.test("unknown commands exit 2", async () => {
  equal(await main(["frobnicate"]), 2);
});
