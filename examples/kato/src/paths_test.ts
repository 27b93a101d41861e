import { deepEqual, equal, throws } from "node:assert/strict";
import { isWithin, normalize, resolve } from "./paths.ts";

Deno.test("normalize collapses dots and slashes", () => {
  equal(normalize("/var//lib/./kato/"), "/var/lib/kato");
  equal(normalize("/var/lib/../../../etc"), "/etc");
  equal(normalize("/"), "/");
});

Deno.test("normalize refuses relative paths", () => {
  throws(() => normalize("var/lib"), /absolute path/);
});

Deno.test("resolve joins relative paths onto the base", () => {
  equal(resolve("/var/lib", "kato/x"), "/var/lib/kato/x");
  equal(resolve("/var/lib", "/etc/kato"), "/etc/kato");
  equal(resolve("/var/lib", "../log"), "/var/log");
});

Deno.test("isWithin needs a whole path component", () => {
  deepEqual(
    [
      isWithin("/data", "/data"),
      isWithin("/data", "/data/x"),
      isWithin("/data", "/data2"),
      isWithin("/", "/anything"),
    ],
    [true, true, false, true],
  );
});
