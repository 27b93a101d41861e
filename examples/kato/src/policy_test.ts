import { deepEqual, equal, throws } from "node:assert/strict";
import { PolicyError, WritePolicy } from "./policy.ts";

const policy = new WritePolicy(["/var/lib/kato", "/var/lib/kato/spool/"]);

Deno.test("writes under a root are allowed, naming the closest root", () => {
  deepEqual(policy.decide("/var/lib/kato/spool/a"), {
    allowed: true,
    path: "/var/lib/kato/spool/a",
    root: "/var/lib/kato/spool",
  });
  equal(policy.decide("cursors/x", "/var/lib/kato").allowed, true);
});

Deno.test("writes outside every root are refused", () => {
  const decision = policy.decide("/var/lib/kato2/x");
  equal(decision.allowed, false);
  if (!decision.allowed) {
    equal(decision.reason.startsWith("outside the allowed write roots"), true);
  }
});

Deno.test("traversal out of a root is refused", () => {
  equal(policy.decide("/var/lib/kato/../../../etc/passwd").allowed, false);
  equal(policy.decide("../../etc/passwd", "/var/lib/kato").allowed, false);
});

Deno.test("NUL bytes are refused", () => {
  equal(policy.decide("/var/lib/kato/a\0b").allowed, false);
});

Deno.test("assert throws a PolicyError on refusal", () => {
  equal(policy.assert("/var/lib/kato/a"), "/var/lib/kato/a");
  throws(() => policy.assert("/etc/kato"), PolicyError);
});

Deno.test("a policy needs a root", () => {
  throws(() => new WritePolicy([]), /at least one root/);
});
