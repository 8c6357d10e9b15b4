/**
 * `lab down` asks each daemon its hostname and host UUID before it destroys a
 * guest (src/lab/identity.ts): a lab user who replaces its host's socket with
 * a link to another lab's socket must not make root destroy that lab's
 * guests. Two one-host labs of this test's own (`<id>a`, `<id>b`): the
 * shared lab stays up for the other files.
 */
import { existsSync, lchownSync, unlinkSync, symlinkSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';
import { labDown, labUp } from '../../src/lab/index.js';
import { labLayout } from '../../src/lab/layout.js';
import { isRunning, processRef } from '../../src/lab/processes.js';
import { expectRunsOnlyOn } from '../helpers/lab.js';

const base = inject('lab').id.slice(0, 15);

describe('lab down through a planted socket link', () => {
  it('leaves the other lab’s guests running and takes its own lab down', async () => {
    const first = `${base}a`;
    const second = `${base}b`;
    try {
      const a = await labUp({ id: first, hosts: 1 });
      const b = await labUp({ id: second, hosts: 1 });
      const [aHost] = a.hosts;
      const socket = labLayout({ id: first, hosts: 1 }).hosts[0]!.socket;
      const secondSocket = labLayout({ id: second, hosts: 1 }).hosts[0]!.socket;
      // What host-1's user of the first lab can do in its own runtime directory.
      unlinkSync(socket);
      symlinkSync(secondSocket, socket);
      lchownSync(socket, aHost!.uid, aHost!.uid);

      const daemon = processRef(aHost!.pid)!;
      expect(isRunning(daemon)).toBe(true);

      await labDown({ id: first });

      expect(existsSync(a.dir)).toBe(false);
      expect(isRunning(daemon)).toBe(false);
      for (const guest of b.guests) await expectRunsOnlyOn(b, guest, 'host-1');
    } finally {
      await labDown({ id: first });
      await labDown({ id: second });
    }
  });
});
