/**
 * What the daemon and the web status page share: the control protocol, the daemon's
 * status, and the path rules both apply.
 */
export {
  checkStatus,
  type Command,
  parseCommand,
  ProtocolError,
  type Provider,
  type Status,
} from "./protocol.ts";
export { isWithin, join, normalize } from "./paths.ts";
