/**
 * `pmc hook install|uninstall|status`: the gate as an entry of libvirt's
 * `qemu.d/` hook directory (docs/hook.md). The install writes one small shell
 * script there that runs node on the package's gate with the policy inside
 * it; it never touches the operator's own `qemu` hook or other entries.
 */
import {
  closeSync,
  constants,
  existsSync,
  fchmodSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gateCheckFileProblem } from './decide.js';
import { defaultJournalDir, parsePolicy, type GatePolicy } from './policy.js';
import { PmcError } from '../errors.js';

/** libvirt's hook directory (virhook.c's LIBVIRT_HOOK_DIR; the same for session daemons). */
export const DEFAULT_HOOKS_DIR = '/etc/libvirt/hooks';
/** The gate's entry in `qemu.d/` (libvirt runs every executable there, in name order). */
export const GATE_ENTRY = 'pmc-gate';
const POLICY_MARK = '# pmc-gate-policy: ';
/** The shell's backstop beyond the gate's own deadline: for a node that hangs before its timer runs. */
const BACKSTOP_EXTRA_S = 2;

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** The package's root (where package.json names libvirt-pmc), wherever this module was bundled to. */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      if (
        (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string }).name === 'libvirt-pmc'
      ) {
        return dir;
      }
    } catch {
      // not here
    }
    const up = path.dirname(dir);
    if (up === dir) throw new PmcError('cannot find the libvirt-pmc package this gate belongs to', 'ERR_PMC_GATE');
    dir = up;
  }
}

/** The gate's process entry in the package (built). */
export function hookMainPath(): string {
  return path.join(packageRoot(), 'dist', 'gate', 'hook-main.cjs');
}

/** Single-quoted for sh. */
function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The script libvirt runs: only `migrate begin` reaches node; stdout stays empty (libvirt reads it as XML). */
export function hookScript(policy: GatePolicy, node = process.execPath, entry = hookMainPath()): string {
  const json = JSON.stringify(policy);
  const onErrorExit = policy.onError === 'refuse' ? 1 : 0;
  const backstop = Math.ceil(policy.timeoutMs / 1000) + BACKSTOP_EXTRA_S;
  return `#!/bin/sh
# libvirt-pmc gate, written by \`pmc hook install\` (docs/hook.md): refuses incoming
# migrations this host cannot take. Remove it with \`pmc hook uninstall\`.
${POLICY_MARK}${json}
[ "$2" = migrate ] && [ "$3" = begin ] || exit 0
/usr/bin/timeout -k 1 ${backstop} ${shQuote(node)} ${shQuote(entry)} ${shQuote(json)} "$@" >/dev/null
rc=$?
case $rc in 0|1) exit $rc ;; esac
${onErrorExit ? `echo "pmc-gate: the gate failed itself (exit status $rc) and refuses on error" >&2` : ': "the gate failed itself: --on-error allow"'}
exit ${onErrorExit}
`;
}

/** The policy of an installed gate script, or null when `text` is not one. */
export function policyOfScript(text: string): GatePolicy | null {
  const line = text.split('\n').find((l) => l.startsWith(POLICY_MARK));
  if (!line) return null;
  try {
    return parsePolicy(JSON.parse(line.slice(POLICY_MARK.length)));
  } catch {
    return null;
  }
}

function lstatOrNull(p: string): Stats | null {
  try {
    return lstatSync(p);
  } catch {
    return null;
  }
}

/** A directory the hook lives in: real (no symlink), and as root, root's and writable by root alone. */
function checkDir(dir: string): void {
  const st = lstatSync(dir);
  if (st.isSymbolicLink())
    throw new PmcError(`${dir} is a symbolic link: refusing to install through it`, 'ERR_PMC_GATE');
  if (!st.isDirectory()) throw new PmcError(`${dir} is not a directory`, 'ERR_PMC_GATE');
  if (isRoot() && (st.uid !== 0 || (st.mode & 0o022) !== 0)) {
    throw new PmcError(
      `${dir} is not root's alone (owner ${st.uid}, mode ${(st.mode & 0o7777).toString(8)}): fix it first`,
      'ERR_PMC_GATE',
    );
  }
}

/** Makes `dir` (its parent must exist) or checks it; true when it was made. */
function ensureDir(dir: string): boolean {
  if (lstatOrNull(dir)) {
    checkDir(dir);
    return false;
  }
  checkDir(path.dirname(dir));
  mkdirSync(dir, { mode: 0o755 });
  checkDir(dir);
  return true;
}

/** An executable qemu hook libvirt would run: the `qemu` script or an entry of `qemu.d/`. */
function qemuHooks(hooksDir: string): string[] {
  const out: string[] = [];
  const isExec = (p: string) => {
    try {
      const st = statSync(p);
      return st.isFile() && (st.mode & 0o111) !== 0;
    } catch {
      return false;
    }
  };
  if (isExec(path.join(hooksDir, 'qemu'))) out.push(path.join(hooksDir, 'qemu'));
  try {
    for (const e of readdirSync(path.join(hooksDir, 'qemu.d')).sort()) {
      if (isExec(path.join(hooksDir, 'qemu.d', e))) out.push(path.join(hooksDir, 'qemu.d', e));
    }
  } catch {
    // no qemu.d
  }
  return out;
}

/** A check file the gate may run as root: a regular file, root's (or the installer's), written by its owner alone. */
function checkCheckFileModes(file: string): void {
  const st = lstatSync(file);
  if (!st.isFile()) throw new PmcError(`${file} is not a regular file`, 'ERR_PMC_GATE');
  const me = process.getuid?.() ?? st.uid;
  if ((st.uid !== 0 && st.uid !== me) || (st.mode & 0o022) !== 0) {
    throw new PmcError(
      `${file} may be changed by others (owner ${st.uid}, mode ${(st.mode & 0o7777).toString(8)}): the gate refuses it`,
      'ERR_PMC_GATE',
    );
  }
}

/** Writes `text` to `file` atomically (a fresh temporary file in the same directory, renamed over). */
function writeAtomic(file: string, text: string, mode: number): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, text);
    fchmodSync(fd, mode);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(tmp);
    throw error;
  }
  closeSync(fd);
  renameSync(tmp, file);
}

export interface InstallOptions extends Partial<GatePolicy> {
  hooksDir?: string;
}

export interface InstallResult {
  script: string;
  policy: GatePolicy;
  /** The script was written (false: the same gate was there already). */
  changed: boolean;
  /**
   * No qemu hook existed before: a running daemon found none when it started,
   * so it must be restarted or reloaded (SIGHUP, `systemctl reload`) to run this one.
   */
  daemonMustReload: boolean;
  createdDirs: string[];
}

/** Checks what the policy names (check files load and see `$domain` alone) before anything is written. */
async function checkPolicyFiles(policy: GatePolicy): Promise<void> {
  const { loadCheckFile } = await import('../pmc/check-file.js');
  for (const f of policy.checkFiles) {
    checkCheckFileModes(f);
    const problem = gateCheckFileProblem(await loadCheckFile(f));
    if (problem) throw new PmcError(problem, 'ERR_PMC_GATE');
  }
}

/** Installs (or updates) the gate; idempotent. */
export async function installGate(options: InstallOptions = {}): Promise<InstallResult> {
  const hooksDir = path.resolve(options.hooksDir ?? DEFAULT_HOOKS_DIR);
  const policy = parsePolicy({
    checkFiles: (options.checkFiles ?? []).map((f) => path.resolve(f)),
    strict: options.strict ?? false,
    onError: options.onError ?? 'allow',
    timeoutMs: options.timeoutMs ?? 3000,
    journalDir: options.journalDir ? path.resolve(options.journalDir) : null,
  });
  await checkPolicyFiles(policy);
  const entry = hookMainPath();
  if (!existsSync(entry))
    throw new PmcError(`${entry} is missing: build the package first (npm run build)`, 'ERR_PMC_GATE');
  const createdDirs: string[] = [];
  const hadHooks = lstatOrNull(hooksDir) ? qemuHooks(hooksDir).length > 0 : false;
  for (const dir of [hooksDir, path.join(hooksDir, 'qemu.d')]) if (ensureDir(dir)) createdDirs.push(dir);
  const script = path.join(hooksDir, 'qemu.d', GATE_ENTRY);
  const text = hookScript(policy, process.execPath, entry);
  const existing = lstatOrNull(script);
  let changed = true;
  if (existing) {
    if (!existing.isFile())
      throw new PmcError(`${script} exists and is not a regular file: refusing to replace it`, 'ERR_PMC_GATE');
    const current = readFileSync(script, 'utf8');
    if (!policyOfScript(current))
      throw new PmcError(`${script} exists and is not pmc's gate: refusing to replace it`, 'ERR_PMC_GATE');
    changed = current !== text || (existing.mode & 0o7777) !== 0o755;
  }
  if (changed) writeAtomic(script, text, 0o755);
  const wasOurs = existing !== null;
  return { script, policy, changed, daemonMustReload: !hadHooks && !wasOurs, createdDirs };
}

/** Removes the gate's script (only ours); the directories and every other hook stay. */
export function uninstallGate(hooksDir = DEFAULT_HOOKS_DIR): { script: string; removed: boolean } {
  const script = path.join(path.resolve(hooksDir), 'qemu.d', GATE_ENTRY);
  const st = lstatOrNull(script);
  if (!st) return { script, removed: false };
  checkDir(path.dirname(script));
  if (!st.isFile() || !policyOfScript(readFileSync(script, 'utf8'))) {
    throw new PmcError(`${script} is not pmc's gate: refusing to remove it`, 'ERR_PMC_GATE');
  }
  unlinkSync(script);
  return { script, removed: true };
}

export interface DaemonView {
  pid: number;
  command: string;
  /** This process sees the gate at its own /etc/libvirt/hooks (its mount namespace). */
  seesGate: boolean;
  /** It started after a qemu hook existed in its view, so it runs the gate; null: it started before (reload it). */
  active: boolean | null;
  /** Where the gate journals when this daemon runs it (its user's default, or the policy's). */
  journalDir: string | null;
}

export interface GateStatus {
  hooksDir: string;
  script: string;
  installed: boolean;
  policy: GatePolicy | null;
  /** Where the gate journals for a daemon of this user (the policy's, else the default; see `daemons` for theirs). */
  journalDir: string;
  /** Other qemu hooks libvirt runs besides the gate. */
  otherHooks: string[];
  daemons: DaemonView[];
}

const DAEMONS = new Set(['libvirtd', 'virtqemud']);

/** Seconds since boot at which `pid` started (field 22 of /proc/PID/stat), or null. */
function startedAtMs(pid: number): number | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ticks = Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[19]);
    const btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    return (btime + ticks / 100) * 1000; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

/** The daemons on this machine, and whether each sees and runs the gate at `script`. */
/** The daemon's user and HOME (what libvirt passes its hooks), for its default journal. */
function daemonJournalDir(pid: number): string | null {
  try {
    const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    const env = Object.fromEntries(
      readFileSync(`/proc/${pid}/environ`, 'utf8')
        .split('\0')
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    ) as NodeJS.ProcessEnv;
    return defaultJournalDir(uid, { HOME: env.HOME });
  } catch {
    return null;
  }
}

function daemonViews(script: string, policy: GatePolicy | null): DaemonView[] {
  const ours = lstatOrNull(script);
  const out: DaemonView[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    let command: string;
    try {
      command = readFileSync(`/proc/${e}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    if (!DAEMONS.has(command)) continue;
    const pid = Number(e);
    // /proc/PID/root is the process's own view of the file system, its mount namespace included.
    const view = `/proc/${pid}/root${DEFAULT_HOOKS_DIR}`;
    const seen = lstatOrNull(`${view}/qemu.d/${GATE_ENTRY}`);
    const seesGate = !!(ours && seen && seen.dev === ours.dev && seen.ino === ours.ino);
    let active: boolean | null = null;
    if (seesGate) {
      const started = startedAtMs(pid);
      const firstHook = Math.min(...qemuHooks(view).map((h) => lstatSync(h).ctimeMs));
      active = started !== null && started > firstHook ? true : null;
    }
    const journalDir = seesGate ? (policy?.journalDir ?? daemonJournalDir(pid)) : null;
    out.push({ pid, command, seesGate, active, journalDir });
  }
  return out;
}

export function gateStatus(hooksDir = DEFAULT_HOOKS_DIR): GateStatus {
  const dir = path.resolve(hooksDir);
  const script = path.join(dir, 'qemu.d', GATE_ENTRY);
  let policy: GatePolicy | null = null;
  try {
    policy = policyOfScript(readFileSync(script, 'utf8'));
  } catch {
    // not installed
  }
  return {
    hooksDir: dir,
    script,
    installed: policy !== null,
    policy,
    journalDir: policy?.journalDir ?? defaultJournalDir(),
    otherHooks: qemuHooks(dir).filter((h) => h !== script),
    daemons: daemonViews(script, policy),
  };
}
