import { equal, match } from "node:assert/strict";
import { main, type Output } from "./main.ts";
import denoConfig from "./deno.json" with { type: "json" };

/** Runs the command line with its output captured. */
async function run(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Output = { out: (l) => out.push(l), err: (l) => err.push(l) };
  const code = await main(args, io);
  return { code, out: out.join("\n"), err: err.join("\n") };
}

Deno.test("--version prints the deno.json version", async () => {
  const { code, out } = await run("--version");
  equal(code, 0);
  equal(out, denoConfig.version);
});

Deno.test("--help shows the usage", async () => {
  const { code, out } = await run("--help");
  equal(code, 0);
  equal(out.startsWith(`kato ${denoConfig.version}: `), true, out);
  match(out, /kato check-path PATH/);
});

Deno.test("control prints a parsed command, refuses a bad one", async () => {
  const ok = await run("control", "pause", "app");
  equal(ok.code, 0);
  equal(ok.out, '{"kind":"pause","source":"app"}');
  const bad = await run("control", "explode");
  equal(bad.code, 2);
  match(bad.err, /unknown command explode/);
});

Deno.test("unknown commands exit 2 with the usage", async () => {
  const { code, err } = await run("frobnicate");
  equal(code, 2);
  equal(
    err.startsWith(`unknown command frobnicate\n\nkato ${denoConfig.version}`),
    true,
    err,
  );
});
