/**
 * The web view's routes, from the generated table.
 */
import { GENERATED_ROUTES } from "./generated/routes.ts";

/** A route of the web view. */
export interface Route {
  path: string;
  title: string;
}

/** Every route, in the generated order. */
export const ROUTES: readonly Route[] = GENERATED_ROUTES;

/** The route for `path`, if there is one. */
export function routeFor(path: string): Route | undefined {
  return ROUTES.find((route) => route.path === path);
}
