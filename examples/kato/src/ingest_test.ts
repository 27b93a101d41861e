import { deepEqual, equal } from "node:assert/strict";
import {
  formatCursor,
  ingest,
  parseCursor,
  parseLine,
  START,
} from "./ingest.ts";

const LINES = [
  "2026-02-22T10:00:00Z info started pid=42",
  "2026-02-22T10:00:01Z warn disk almost full free=3% dir=/var",
  "garbage",
  "",
  "2026-02-22T10:00:02Z error écriture échouée path=/x",
].join("\n") + "\n";

Deno.test("complete lines become records or rejections", () => {
  const batch = ingest(LINES, START);
  equal(batch.records.length, 3);
  deepEqual(batch.records[1].fields, { free: "3%", dir: "/var" });
  equal(batch.records[1].message, "disk almost full");
  deepEqual(batch.rejected.map((r) => r.line), [3]);
  equal(batch.cursor.line, 6);
  equal(batch.cursor.offset, new TextEncoder().encode(LINES).length);
});

Deno.test("a partial last line waits for the next read", () => {
  const first = ingest("2026-02-22T10:00:00Z info a\n2026-02-22T1", START);
  equal(first.records.length, 1);
  deepEqual(first.cursor, { offset: 28, line: 2 });
  const second = ingest("2026-02-22T10:00:01Z info b\r\n", first.cursor);
  equal(second.records[0].line, 2);
  equal(second.records[0].message, "b");
});

Deno.test("bad levels and timestamps are named", () => {
  deepEqual(parseLine("2026-02-22T10:00:00Z loud x", 7), {
    line: 7,
    text: "2026-02-22T10:00:00Z loud x",
    reason: 'unknown level "loud"',
  });
  equal(
    "reason" in parseLine("2026-99-99T99:00:00Z info x", 1),
    true,
  );
});

Deno.test("cursors round-trip and damaged ones restart", () => {
  equal(formatCursor({ offset: 120, line: 4 }), "120:4");
  deepEqual(parseCursor("120:4\n"), { offset: 120, line: 4 });
  deepEqual(parseCursor("oops"), START);
});
