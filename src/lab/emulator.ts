/**
 * The lab's post-copy emulator (`pmc lab up --postcopy`). QEMU 7.2 opens
 * userfaultfd, which post-copy needs on the destination, through the syscall
 * only; an unprivileged QEMU may call it only with the machine-wide
 * vm.unprivileged_userfaultfd = 1 or with CAP_SYS_PTRACE. The lab changes no
 * machine setting: it gives its own copy of QEMU the file capability
 * `cap_sys_ptrace+ep`, executable by the lab's users alone, and guests that
 * name it as their `<emulator>` can migrate post-copy (docs/security.md, "The lab as root").
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  constants,
  copyFileSync,
  lchownSync,
  lstatSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import path from 'node:path';
import type { LabLayout } from './layout.js';
import { ensureOwnedDir, LabSafetyError } from './root-fs.js';

/** The emulator of the lab's guests, and what the post-copy copy is made from. */
export const SYSTEM_EMULATOR = '/usr/bin/qemu-system-x86_64';
/** What the copy may do beyond its user's rights: userfaultfd (and ptrace, see docs/security.md). */
const CAPABILITY = 'cap_sys_ptrace+ep';
const EMULATOR_DIR = 'emulator';
/**
 * QEMU 7.2 finds its modules and firmware relative to its own binary
 * (get_relocated_path): with a `qemu-bundle` beside it, under
 * `qemu-bundle/<configured path>`. A link to `/` gives the copy the system's
 * own paths; without it TCG itself fails to load ("could not load module for
 * type 'tcg-accel-ops'").
 */
const BUNDLE_LINK = 'qemu-bundle';

/** Where a lab keeps its post-copy emulator (it exists only after `up --postcopy`). */
export function postcopyEmulatorPath(lab: Pick<LabLayout, 'dir'>): string {
  return path.join(lab.dir, EMULATOR_DIR, path.basename(SYSTEM_EMULATOR));
}

function hasCapability(file: string): boolean {
  try {
    return /cap_sys_ptrace[=+]ep/.test(execFileSync('getcap', [file], { encoding: 'utf8' }));
  } catch {
    return false;
  }
}

/** A copy made from the system's QEMU as it is now (same size, not older), with its capability. */
function isCurrent(file: string): boolean {
  try {
    const copy = lstatSync(file);
    const system = statSync(SYSTEM_EMULATOR);
    return copy.isFile() && copy.size === system.size && copy.mtimeMs >= system.mtimeMs && hasCapability(file);
  } catch {
    return false;
  }
}

/**
 * Makes `<lab>/emulator/qemu-system-x86_64`: root's, group the lab's, mode
 * 0750 in a 0750 directory (no other user of the machine may run it), with
 * `cap_sys_ptrace+ep`. Root works in its own directory only (no lab user can
 * write there), and the copy is complete before it gets its name. Returns its path.
 */
export function ensurePostcopyEmulator(lab: LabLayout, gid: number): string {
  const dir = ensureOwnedDir(lab.dir, EMULATOR_DIR, 0, gid, 0o750);
  chmodSync(dir, 0o750);
  const emulator = postcopyEmulatorPath(lab);
  const bundle = path.join(dir, BUNDLE_LINK);
  let link: string;
  try {
    link = readlinkSync(bundle);
  } catch {
    symlinkSync('/', bundle);
    link = '/';
  }
  if (link !== '/') throw new LabSafetyError(`${bundle} points at ${link}, not /`);
  if (isCurrent(emulator)) return emulator;
  const partial = `${emulator}.tmp`;
  rmSync(partial, { force: true });
  copyFileSync(SYSTEM_EMULATOR, partial, constants.COPYFILE_EXCL);
  lchownSync(partial, 0, gid);
  chmodSync(partial, 0o750);
  try {
    execFileSync('setcap', [CAPABILITY, partial], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    rmSync(partial, { force: true });
    const e = error as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT')
      throw new Error('pmc lab up --postcopy needs setcap: install libcap2-bin', { cause: error });
    throw new Error(`setcap ${CAPABILITY} failed on ${partial}: ${e.stderr?.toString().trim() || e.message}`, {
      cause: error,
    });
  }
  renameSync(partial, emulator); // never a copy without its capability under the final name
  return emulator;
}

/** Removes the post-copy emulator (`up --postcopy=false`); QEMUs running it keep running. */
export function removePostcopyEmulator(lab: LabLayout): void {
  rmSync(path.join(lab.dir, EMULATOR_DIR), { recursive: true, force: true });
}
