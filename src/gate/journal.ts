/**
 * The gate's journal: one JSON line per decision in `<dir>/gate.jsonl`, rotated
 * at JOURNAL_MAX_BYTES (gate.jsonl.1 … .3). Writing is best effort: a journal
 * that cannot be written never changes a verdict. Several hooks run at once
 * (one per incoming migration): each line is one O_APPEND write, and rotation
 * happens under a lock directory, by one of them.
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmdirSync,
  statSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { PmcError } from '../errors.js';

export const JOURNAL_FILE = 'gate.jsonl';
export const JOURNAL_MAX_BYTES = 1024 * 1024;
const JOURNAL_KEEP = 3;
/** A lock older than this was left by a killed hook. */
const STALE_LOCK_MS = 10_000;

export interface JournalEntry {
  time: string;
  host: string;
  guest: string;
  uuid: string;
  verdict: 'allowed' | 'refused';
  /** Every failing check (refusing or not), `check: message`. */
  failing: { check: string; severity: string; message: string }[];
  /** The gate failed itself (a check file, an internal error, its timeout): why, and `onError` decided. */
  gateError?: string;
  durationMs: number;
  pid: number;
}

/** The journal directory, made if missing (0700), and only if it is a real directory of this user. */
function journalDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw new PmcError(`${dir} is not a directory`, 'ERR_PMC_GATE');
  if (st.uid !== (process.getuid?.() ?? st.uid)) throw new PmcError(`${dir} belongs to another user`, 'ERR_PMC_GATE');
  return dir;
}

function rotate(dir: string): void {
  const lock = path.join(dir, `${JOURNAL_FILE}.lock`);
  try {
    mkdirSync(lock, { mode: 0o700 });
  } catch {
    try {
      if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) rmdirSync(lock);
    } catch {
      // another hook removed it
    }
    return; // another hook rotates
  }
  try {
    const file = path.join(dir, JOURNAL_FILE);
    if (lstatSync(file).size < JOURNAL_MAX_BYTES) return; // rotated meanwhile
    for (let i = JOURNAL_KEEP - 1; i >= 1; i--) {
      try {
        renameSync(`${file}.${i}`, `${file}.${i + 1}`);
      } catch {
        // no such generation yet
      }
    }
    renameSync(file, `${file}.1`);
  } finally {
    rmdirSync(lock);
  }
}

/** Appends one entry; returns why it could not, or null. Never throws. */
export function appendJournal(dir: string, entry: JournalEntry): string | null {
  try {
    const d = journalDir(dir);
    const file = path.join(d, JOURNAL_FILE);
    const fd = openSync(
      file,
      constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW,
      0o600,
    );
    let size: number;
    try {
      if (!fstatSync(fd).isFile()) throw new PmcError(`${file} is not a regular file`, 'ERR_PMC_GATE');
      writeSync(fd, `${JSON.stringify(entry)}\n`);
      size = fstatSync(fd).size;
    } finally {
      closeSync(fd);
    }
    if (size >= JOURNAL_MAX_BYTES) rotate(d);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** The entries of the journal, oldest first (the rotated generations too); lines that are not entries are skipped. */
export function readJournal(dir: string): JournalEntry[] {
  const out: JournalEntry[] = [];
  for (let i = JOURNAL_KEEP; i >= 0; i--) {
    const file = path.join(dir, i === 0 ? JOURNAL_FILE : `${JOURNAL_FILE}.${i}`);
    let text: string;
    try {
      const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      try {
        if (!fstatSync(fd).isFile()) continue;
        text = readFileSync(fd, 'utf8');
      } finally {
        closeSync(fd);
      }
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        const e = JSON.parse(line) as JournalEntry;
        if (e && typeof e === 'object' && typeof e.verdict === 'string') out.push(e);
      } catch {
        // a torn line (a hook killed mid-write): skipped
      }
    }
  }
  return out;
}
