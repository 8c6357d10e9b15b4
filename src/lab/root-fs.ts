/**
 * What root may do to the lab's files, and where. Root creates, chowns and opens
 * only in directories it owns and nobody else may write to (the lab directory
 * and its root-owned children), never following a symlink; everything inside a
 * lab user's tree is created by that user (see asUser in daemon.ts). A lab
 * directory is recognised by the marker `up` writes (`verifyLabMarker`).
 */
import {
  closeSync,
  constants,
  fstatSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  writeSync,
  type Stats,
} from 'node:fs';
import path from 'node:path';

export const LAB_MARKER = 'pmc-lab.marker';
const MARKER_MAGIC = 'libvirt-pmc lab';

/** A refused lab operation: the path is not one root may touch. */
export class LabSafetyError extends Error {
  override name = 'LabSafetyError';
}

/** lstat, or null when the path does not exist. */
function lstatOrNull(p: string): Stats | null {
  try {
    return lstatSync(p);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * A directory root may create things in: a real directory (not a symlink),
 * owned by root, writable by nobody else. `sticky` accepts a world-writable
 * sticky directory (/tmp): others cannot rename or remove root's entries there.
 */
function checkRootDir(p: string, st: Stats, sticky: boolean): void {
  if (st.isSymbolicLink()) throw new LabSafetyError(`${p} is a symlink: the lab's path must not contain any`);
  if (!st.isDirectory()) throw new LabSafetyError(`${p} is not a directory`);
  if (st.uid !== 0) throw new LabSafetyError(`${p} is owned by uid ${st.uid}, not root`);
  if ((st.mode & 0o022) !== 0 && !(sticky && (st.mode & 0o1000) !== 0)) {
    throw new LabSafetyError(`${p} is writable by others than root (mode ${(st.mode & 0o7777).toString(8)})`);
  }
}

/**
 * Checks every component of `dir` (an absolute, normalised path) from `/` down:
 * each existing one must pass checkRootDir (ancestors may be sticky). With
 * `create`, missing components are made (root-owned, 0755) and checked in turn.
 * `dir` itself may be sticky only with `stickyDir` (a lab root such as /tmp).
 * Returns the stat of `dir`, or null when it does not exist (and not `create`).
 */
export function checkRootOwnedPath(dir: string, create: boolean, stickyDir = false): Stats | null {
  const parts = path.resolve(dir).split('/').filter(Boolean);
  let current = '/';
  let st: Stats | null = lstatSync(current);
  checkRootDir(current, st, true);
  for (const [i, part] of parts.entries()) {
    current = path.join(current, part);
    st = lstatOrNull(current);
    if (!st) {
      if (!create) return null;
      mkdirSync(current, { mode: 0o755 }); // fails if something appeared meanwhile: no adoption by race
      st = lstatSync(current);
    }
    checkRootDir(current, st, stickyDir || i < parts.length - 1);
  }
  return st;
}

interface Marker {
  magic: string;
  id: string;
  dir: string;
  /** The lab directory's device and inode: a marker copied elsewhere does not match. */
  dev: number;
  ino: number;
}

/** Writes the marker into a lab directory `up` just created (root-owned, checked). */
export function writeLabMarker(dir: string, id: string): void {
  const st = lstatSync(dir);
  const marker: Marker = { magic: MARKER_MAGIC, id, dir, dev: st.dev, ino: st.ino };
  // O_EXCL | O_NOFOLLOW: a fresh file, never through a link.
  const fd = openSync(
    path.join(dir, LAB_MARKER),
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o644,
  );
  try {
    writeSync(fd, `${JSON.stringify(marker)}\n`);
  } finally {
    closeSync(fd);
  }
}

/**
 * Proof that `dir` is a lab this tool created for `id`: the directory and every
 * ancestor are root-owned and writable by root alone (so nobody else could have
 * planted or swapped anything), and it holds a regular, root-owned, singly
 * linked marker naming this id, this path and this very directory (dev, inode).
 * Throws LabSafetyError otherwise; returns false when `dir` does not exist.
 */
export function verifyLabMarker(dir: string, id: string): boolean {
  const st = checkRootOwnedPath(dir, false);
  if (!st) return false;
  const file = path.join(dir, LAB_MARKER);
  const notALab = (why: string) =>
    new LabSafetyError(`${dir} is not a lab created by pmc lab up (${why}): refusing to touch it`);
  const mst = lstatOrNull(file);
  if (!mst) throw notALab(`no ${LAB_MARKER}`);
  if (!mst.isFile()) throw notALab(`${LAB_MARKER} is not a regular file`);
  if (mst.uid !== 0 || (mst.mode & 0o022) !== 0) throw notALab(`${LAB_MARKER} is not root's alone`);
  if (mst.nlink !== 1) throw notALab(`${LAB_MARKER} has other links`);
  let marker: Partial<Marker>;
  try {
    const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      marker = JSON.parse(readFileSync(fd, 'utf8')) as Partial<Marker>;
    } finally {
      closeSync(fd);
    }
  } catch {
    throw notALab(`${LAB_MARKER} is unreadable`);
  }
  if (marker.magic !== MARKER_MAGIC || marker.id !== id || marker.dir !== dir)
    throw notALab(`${LAB_MARKER} names another lab`);
  if (marker.dev !== st.dev || marker.ino !== st.ino) throw notALab(`${LAB_MARKER} was written for another directory`);
  return true;
}

/**
 * Makes `name` a directory inside the root-owned `parent` (checked by the
 * caller) and gives it to uid:gid. The entry cannot be swapped under us (only
 * root writes `parent`), and lchown never follows a link.
 */
export function ensureOwnedDir(parent: string, name: string, uid: number, gid: number, mode = 0o700): string {
  const dir = path.join(parent, name);
  let st = lstatOrNull(dir);
  if (!st) {
    mkdirSync(dir, { mode });
    st = lstatSync(dir);
  }
  if (!st.isDirectory() || st.isSymbolicLink()) throw new LabSafetyError(`${dir} is not a directory`);
  lchownSync(dir, uid, gid);
  return dir;
}

/** Opens `file` in a root-owned directory for appending, refusing a symlink. */
export function openAppendNoFollow(file: string, mode = 0o640): number {
  return openSync(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, mode);
}

/** A small regular file in a lab user's tree, read without following a link or blocking on a FIFO; null otherwise. */
export function readUserFile(file: string, maxBytes = 4096): string | null {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    if (!fstatSync(fd).isFile()) return null;
    const buf = Buffer.alloc(maxBytes);
    return buf.subarray(0, readSync(fd, buf, 0, maxBytes, 0)).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
