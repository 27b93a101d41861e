import { equal } from "node:assert/strict";
import { isWithin, join, normalize } from "@kato/shared";

Deno.test("normalize removes dots and repeated separators", () => {
  equal(normalize("/a//b/./c/../d/"), "/a/b/d");
  equal(normalize("/../.."), "/");
  equal(normalize("a/../../b"), "../b");
  equal(normalize(""), ".");
  equal(join("/a", "", "b"), "/a/b");
});

Deno.test("isWithin is by whole path segments", () => {
  equal(isWithin("/var/lib/kato", "/var/lib/kato/x"), true);
  equal(isWithin("/var/lib/kato", "/var/lib/kato2"), false);
  equal(isWithin("/", "/anything"), true);
});
