/**
 * The daemon as a library: the command line, and the parts tests and tools use.
 */
export { main, open, type Output, VERSION } from "./main.ts";
export { Daemon } from "./daemon.ts";
export { Gate, GateError } from "./gates.ts";
export { HomeError, resolveHome, userHome } from "./home.ts";
export { findSessions, PROVIDER_FOLDERS, readRoots } from "./sessions.ts";
export { emptyState, StateStore } from "./state.ts";
