/** Both connections answer: a dead one cannot carry a migration (Nova checks both hosts are up). */
import type { CheckDefinition } from '../pmc/types.js';
import { fail, pass } from './util.js';

export const connectionAlive: CheckDefinition = {
  name: 'connection.alive',
  severity: 'critical',
  description: 'Both the source and the destination connection are alive (Nova: both hosts up).',
  anchor: 'Nova conductor/tasks/live_migrate.py _check_host_is_up; libvirt virConnectIsAlive',
  remedy: 'Reconnect to the host whose connection is dead, check its libvirtd/virtqemud and the network.',
  async run({ facts }) {
    const [src, dst] = await Promise.all([
      facts.source.isAlive().catch(() => false),
      facts.destination.isAlive().catch(() => false),
    ]);
    const dead = [src ? null : 'source', dst ? null : 'destination'].filter((x) => x !== null);
    if (dead.length > 0) return fail(`the ${dead.join(' and ')} connection is dead: reconnect before migrating`);
    return pass('both connections are alive');
  },
};
