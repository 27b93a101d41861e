/**
 * Line-oriented ingestion with a cursor. Sources are append-only logs; the cursor
 * (byte offset and line number of the next unread line) is saved so that ingestion
 * resumes where it stopped after a restart, and a partial last line is left for the
 * next read rather than parsed half-written.
 */

/** Severity of an ingested record. */
export type Level = "debug" | "info" | "warn" | "error";

/** One parsed line: `2026-02-22T10:00:00Z info message text key=value ...`. */
export interface LogRecord {
  line: number;
  timestamp: Date;
  level: Level;
  message: string;
  fields: Record<string, string>;
}

/** A line that could not be parsed, kept so that it can be reported. */
export interface Rejected {
  line: number;
  text: string;
  reason: string;
}

/** Where the next read starts. */
export interface Cursor {
  offset: number;
  line: number;
}

/** The start of a source. */
export const START: Cursor = { offset: 0, line: 1 };

/** What one chunk yielded, and the cursor after it. */
export interface Batch {
  records: LogRecord[];
  rejected: Rejected[];
  cursor: Cursor;
}

const LEVELS = new Set<string>(["debug", "info", "warn", "error"]);
const FIELD = /^([A-Za-z_][A-Za-z0-9_.-]*)=(.*)$/;
const encoder = new TextEncoder();

/**
 * Parses the complete lines of `chunk`, which starts at `cursor`. Bytes after the last
 * newline are not consumed: the cursor stays before them.
 */
export function ingest(chunk: string, cursor: Cursor): Batch {
  const records: LogRecord[] = [];
  const rejected: Rejected[] = [];
  let { offset, line } = cursor;
  let start = 0;
  for (;;) {
    const end = chunk.indexOf("\n", start);
    if (end === -1) break;
    const text = chunk.slice(start, end).replace(/\r$/, "");
    if (text.trim() !== "") {
      const parsed = parseLine(text, line);
      if ("reason" in parsed) {
        rejected.push(parsed);
      } else {
        records.push(parsed);
      }
    }
    offset += encoder.encode(chunk.slice(start, end + 1)).length;
    line += 1;
    start = end + 1;
  }
  return { records, rejected, cursor: { offset, line } };
}

/** Parses one line, or says why it cannot be parsed. */
export function parseLine(text: string, line: number): LogRecord | Rejected {
  const [stamp, level, ...rest] = text.split(/\s+/);
  const timestamp = new Date(stamp);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(stamp) || Number.isNaN(timestamp.getTime())) {
    return { line, text, reason: `bad timestamp ${JSON.stringify(stamp)}` };
  }
  if (level === undefined || !LEVELS.has(level)) {
    return { line, text, reason: `unknown level ${JSON.stringify(level)}` };
  }
  const words: string[] = [];
  const fields: Record<string, string> = {};
  for (const word of rest) {
    const field = FIELD.exec(word);
    if (field) {
      fields[field[1]] = field[2];
    } else {
      words.push(word);
    }
  }
  return {
    line,
    timestamp,
    level: level as Level,
    message: words.join(" "),
    fields,
  };
}

/** Serialises a cursor for the state file. */
export function formatCursor(cursor: Cursor): string {
  return `${cursor.offset}:${cursor.line}`;
}

/** Reads a cursor back from the state file; a damaged one restarts from the top. */
export function parseCursor(text: string): Cursor {
  const match = /^(\d+):(\d+)$/.exec(text.trim());
  if (!match) return START;
  const line = Number(match[2]);
  return line < 1 ? START : { offset: Number(match[1]), line };
}
