/**
 * kato's status page: the daemon's status rendered as HTML, for the local web view.
 */
export { renderStatus } from "./status_page.ts";
export { routeFor, ROUTES } from "./routes.ts";
