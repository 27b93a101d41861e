/**
 * The repository's entry for development: `deno task dev status` runs the daemon's
 * command line from the sources, with the permissions a developer's checkout needs.
 */
import { main } from "@kato/daemon";

/** The daemon's command line, so that tests and tools can drive it from the root. */
export { main };

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
