import { equal, match, throws } from "node:assert/strict";
import { renderStatus, routeFor, ROUTES } from "@kato/web";

const status = {
  version: "0.1.0",
  state: "paused" as const,
  pausedBecause: "<script>alert(1)</script>",
  home: "/home/ada/.kato",
  sessions: 3,
};

Deno.test("the page shows the status with its text escaped", () => {
  const page = renderStatus(status);
  match(page, /<title>kato 0\.1\.0<\/title>/);
  match(page, /<th>sessions<\/th><td>3<\/td>/);
  match(page, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  equal(page.includes("<script>"), false);
});

Deno.test("something that is not a status is refused", () => {
  throws(() => renderStatus({ ...status, sessions: -1 }));
});

Deno.test("routes come from the generated table", () => {
  equal(ROUTES.length, 2);
  equal(routeFor("/sessions")?.title, "Sessions");
  equal(routeFor("/nope"), undefined);
});
