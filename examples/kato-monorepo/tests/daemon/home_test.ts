import { equal, throws } from "node:assert/strict";
import { HomeError, resolveHome, userHome } from "@kato/daemon";
import { envOf } from "../support.ts";

Deno.test("KATO_HOME wins, normalized", () => {
  equal(
    resolveHome(envOf({ KATO_HOME: "/srv/kato//x/../y/", HOME: "/h" })),
    "/srv/kato/y",
  );
});

Deno.test("without KATO_HOME the home is ~/.kato", () => {
  equal(resolveHome(envOf({ HOME: "/home/ada" })), "/home/ada/.kato");
});

Deno.test("a relative KATO_HOME or a missing HOME is refused", () => {
  throws(() => resolveHome(envOf({ KATO_HOME: "kato" })), HomeError);
  throws(
    () => resolveHome(envOf({})),
    /neither KATO_HOME nor an absolute HOME/,
  );
  throws(() => userHome(envOf({ HOME: "relative" })), HomeError);
});

Deno.test("the process environment is read by default", () => {
  const explicit = Deno.env.get("KATO_HOME");
  const home = Deno.env.get("HOME");
  if (!explicit && !home?.startsWith("/")) {
    throws(() => resolveHome(), HomeError);
    return;
  }
  equal(
    resolveHome(),
    explicit ? resolveHome(envOf({ KATO_HOME: explicit })) : `${home}/.kato`,
  );
});
