/**
 * Holds a lab daemon inside one call of libvirt's qemu hook, so that a test
 * can act at that exact point of an operation (e.g. while Finish stops the
 * incoming QEMU: libvirt runs the hook's `stopped` and `release` there, with
 * QEMU already gone). A real hook in the host's own hook directory
 * (`hooksDir`, docs/lab.md), not a test hook in the product:
 *
 * - `arm(guest, op)` makes the next call of `op` for `guest` wait (once: a
 *   restarted daemon that stops the same domain again is not held);
 * - `reached(guest, op)` resolves when a call waits there;
 * - `release(guest, op)` lets it go on (a call whose daemon was killed
 *   meanwhile ends too).
 *
 * libvirt looks for hooks when it starts and on SIGHUP (virHookInitialize);
 * `install` reloads the daemon and waits until the reload has seen them (the
 * daemon hook of the reload runs after that look), so no call is missed.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LabInfo } from '../../src/lab/index.js';
import { daemonPid, host } from './lab.js';
import { pollUntil } from './rehearsal-lab.js';

/** The entries' name in `qemu.d/` and `daemon.d/` (libvirt runs every executable there). */
const ENTRY = 'e2e-hold';

export interface HookHold {
  arm(guest: string, op: string): void;
  reached(guest: string, op: string): Promise<void>;
  release(guest: string, op: string): void;
  /** Removes the entries (and the directories it made), releasing whatever still waits. */
  uninstall(): void;
}

function sh(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export async function installHookHold(lab: LabInfo, hostName: string): Promise<HookHold> {
  const h = host(lab, hostName);
  // Where the hook (run as the host's user) and the test meet: the lab's directory, which every daemon sees.
  const ctl = path.join(lab.dir, `${ENTRY}-${hostName}`);
  rmSync(ctl, { recursive: true, force: true });
  mkdirSync(ctl, { mode: 0o755 });
  chownSync(ctl, h.uid, -1);
  const made: string[] = [];
  const entry = (kind: 'qemu' | 'daemon', script: string): void => {
    const dir = path.join(h.hooksDir, `${kind}.d`);
    if (!existsSync(dir)) {
      mkdirSync(dir, { mode: 0o755 });
      made.push(dir);
    }
    writeFileSync(path.join(dir, ENTRY), script, { mode: 0o755 });
    chmodSync(path.join(dir, ENTRY), 0o755);
  };
  // Arguments: guest, operation, sub-operation, extra. Nothing on stdout (libvirt reads it as XML for some calls).
  entry(
    'qemu',
    `#!/bin/sh
ctl=${sh(ctl)}
mv "$ctl/hold.$1.$2" "$ctl/held.$1.$2" 2>/dev/null || exit 0
# Until released, the directory gone, or a backstop of 120 s (a test that died must not hold the daemon for ever).
i=0
while [ -d "$ctl" ] && [ ! -e "$ctl/release.$1.$2" ] && [ $i -lt 6000 ]; do sleep 0.02; i=$((i + 1)); done
exit 0
`,
  );
  entry(
    'daemon',
    `#!/bin/sh
[ "$2" = reload ] && : >${sh(path.join(ctl, 'reloaded'))}
exit 0
`,
  );
  const reloaded = path.join(ctl, 'reloaded');
  process.kill(await daemonPid(lab, hostName), 'SIGHUP');
  await pollUntil(`${hostName}'s daemon reloaded its hooks`, () => existsSync(reloaded), 30_000);

  const file = (kind: string, guest: string, op: string) => path.join(ctl, `${kind}.${guest}.${op}`);
  return {
    arm(guest, op) {
      writeFileSync(file('hold', guest, op), '');
    },
    reached(guest, op) {
      return pollUntil(`the ${op} hook of ${guest} on ${hostName}`, () => existsSync(file('held', guest, op)));
    },
    release(guest, op) {
      writeFileSync(file('release', guest, op), '');
    },
    uninstall() {
      for (const kind of ['qemu', 'daemon']) rmSync(path.join(h.hooksDir, `${kind}.d`, ENTRY), { force: true });
      for (const dir of made) if (readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
      rmSync(ctl, { recursive: true, force: true }); // whatever still waits goes on
    },
  };
}
