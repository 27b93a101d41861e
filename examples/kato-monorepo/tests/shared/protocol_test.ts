import { deepEqual, equal, throws } from "node:assert/strict";
import { parseCommand, ProtocolError } from "@kato/shared";

Deno.test("commands parse", () => {
  deepEqual(parseCommand('{"op":"status"}'), { op: "status" });
  deepEqual(parseCommand('{"op":"rescan","provider":"codex"}'), {
    op: "rescan",
    provider: "codex",
  });
});

Deno.test("bad lines name what is wrong", () => {
  throws(() => parseCommand("{"), /not JSON/);
  throws(
    () => parseCommand('{"op":"pause","reason":""}'),
    /^ProtocolError: reason: /,
  );
  throws(() => parseCommand('{"op":"reboot"}'), ProtocolError);
  try {
    parseCommand('{"op":"rescan","provider":"vim"}');
  } catch (error) {
    equal((error as ProtocolError).line, '{"op":"rescan","provider":"vim"}');
  }
});
