/**
 * Scratch directories for the tests, under `.test-tmp` (the only place the test task
 * lets them write), and a command line whose output is captured.
 */
import { type Output } from "@kato/daemon";

/** A fresh directory under `.test-tmp`, absolute, removed by `dispose`. */
export async function scratch(): Promise<
  { dir: string; dispose(): Promise<void> }
> {
  await Deno.mkdir(".test-tmp", { recursive: true });
  const dir = await Deno.realPath(await Deno.makeTempDir({ dir: ".test-tmp" }));
  return {
    dir,
    dispose: () => Deno.remove(dir, { recursive: true }),
  };
}

/** An environment holding only `values`. */
export function envOf(values: Record<string, string>) {
  return { get: (name: string) => values[name] };
}

/** Captured output lines. */
export function capture(): Output & { outs: string[]; errs: string[] } {
  const outs: string[] = [];
  const errs: string[] = [];
  return {
    outs,
    errs,
    out: (line) => outs.push(line),
    err: (line) => errs.push(line),
  };
}
