import { equal, match } from "node:assert/strict";
import config from "./apps/daemon/deno.json" with { type: "json" };
import { main } from "./main.ts";
import { capture, envOf, scratch } from "./tests/support.ts";

Deno.test("--version prints the daemon's version from its deno.json", async () => {
  const io = capture();
  equal(await main(["--version"], io), 0);
  equal(io.outs.join("\n"), `kato ${config.version}`);
});

Deno.test("no command shows the usage and exits 2", async () => {
  const io = capture();
  equal(await main([], io), 2);
  match(io.outs[0], /^kato \S+: ingests provider sessions/);
});

Deno.test("status runs the daemon from the root, in a scratch home", async () => {
  const { dir, dispose } = await scratch();
  try {
    const io = capture();
    const env = envOf({ HOME: dir, KATO_HOME: `${dir}/.kato` });
    equal(await main(["pause", "maintenance"], io, env), 0);
    const status = JSON.parse(io.outs[0]);
    equal(status.state, "paused");
    equal(status.pausedBecause, "maintenance");
    equal(status.home, `${dir}/.kato`);
  } finally {
    await dispose();
  }
});

Deno.test("an unknown command exits 2 and names it", async () => {
  const { dir, dispose } = await scratch();
  try {
    const io = capture();
    equal(await main(["frobnicate"], io, envOf({ HOME: dir })), 2);
    match(io.errs[0], /unknown command frobnicate/);
  } finally {
    await dispose();
  }
});
