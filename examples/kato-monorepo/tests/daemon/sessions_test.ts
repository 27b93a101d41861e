import { deepEqual, equal, rejects } from "node:assert/strict";
import { findSessions, Gate, GateError, readRoots } from "@kato/daemon";
import { scratch } from "../support.ts";

async function write(path: string, text: string) {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  await Deno.writeTextFile(path, text);
}

Deno.test("session files of every provider are found, in path order", async () => {
  const { dir, dispose } = await scratch();
  try {
    await write(`${dir}/.claude/projects/web/b.jsonl`, "{}\n{}\n");
    await write(`${dir}/.claude/projects/web/notes.txt`, "not a session");
    await write(`${dir}/.codex/sessions/2026/12/a.jsonl`, "{}\n");
    const gate = new Gate("read", readRoots(dir, `${dir}/.kato`));
    const found = await findSessions(dir, gate);
    deepEqual(
      found.map((s) => [s.provider, s.path.slice(dir.length), s.size]),
      [
        ["claude", "/.claude/projects/web/b.jsonl", 6],
        ["codex", "/.codex/sessions/2026/12/a.jsonl", 3],
      ],
    );
    equal((await findSessions(dir, gate, "codex")).length, 1);
  } finally {
    await dispose();
  }
});

Deno.test("a provider folder outside the read roots is refused", async () => {
  const { dir, dispose } = await scratch();
  try {
    const gate = new Gate("read", [`${dir}/.kato`]);
    await rejects(() => findSessions(dir, gate), GateError);
  } finally {
    await dispose();
  }
});
