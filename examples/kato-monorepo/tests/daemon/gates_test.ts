import { deepEqual, equal, throws } from "node:assert/strict";
import { Gate, GateError } from "@kato/daemon";

const reads = new Gate("read", [
  "/home/ada/.claude/projects",
  "/home/ada/.kato",
]);

Deno.test("paths below a root pass, relative ones taken from cwd", () => {
  equal(
    reads.check("/home/ada/.kato/state.json"),
    "/home/ada/.kato/state.json",
  );
  equal(
    reads.check("x.jsonl", "/home/ada/.claude/projects/p"),
    "/home/ada/.claude/projects/p/x.jsonl",
  );
  equal(reads.allows("/home/ada/.ssh/id_ed25519"), false);
});

Deno.test("traversal out of a root is refused, naming the roots", () => {
  throws(
    () => reads.check("/home/ada/.kato/../.ssh/id_ed25519"),
    (error: GateError) => {
      equal(error.operation, "read");
      equal(error.path, "/home/ada/.ssh/id_ed25519");
      equal(
        error.reason,
        "outside /home/ada/.claude/projects, /home/ada/.kato",
      );
      return true;
    },
  );
});

Deno.test("NUL bytes, relative roots and no roots are refused", () => {
  throws(() => reads.check("/home/ada/.kato/a\0b"), /NUL byte/);
  throws(() => new Gate("write", ["kato"]), /must be absolute/);
  throws(() => new Gate("write", []), /at least one root/);
});

Deno.test("the most specific root comes first", () => {
  deepEqual(new Gate("write", ["/a", "/a/b/"]).roots, ["/a/b", "/a"]);
});
