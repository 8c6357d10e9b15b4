/**
 * Test-driver connections for a describe block: opened in its beforeAll,
 * closed in its afterAll. Read them inside tests and hooks, not at collection
 * time (they are filled in when the block starts).
 */
import { afterAll, beforeAll } from 'vitest';
import { Connection, type Domain } from '../../src/index.js';
import { fixtureUri } from './fixtures.js';

/** One connection per key, to the crafted host of test/fixtures named by its value. */
export function useFixtureHosts<K extends string>(hosts: Record<K, string>): Record<K, Connection> {
  const conns = {} as Record<K, Connection>;
  beforeAll(async () => {
    const keys = Object.keys(hosts) as K[];
    const opened = await Promise.all(keys.map((k) => Connection.open(fixtureUri(hosts[k]))));
    keys.forEach((k, i) => (conns[k] = opened[i]!));
  });
  afterAll(async () => {
    await Promise.all(Object.values<Connection>(conns).map((c) => c.close()));
  });
  return conns;
}

/** A run's two hosts: host-a as the source, with its guests guest1 and guest-big, and host-b as the destination. */
export interface RunHosts {
  source: Connection;
  destination: Connection;
  guest1: Domain;
  guestBig: Domain;
}

export function useRunHosts(): RunHosts {
  const conns = useFixtureHosts({ source: 'host-a', destination: 'host-b' });
  const run = {} as RunHosts;
  beforeAll(async () => {
    run.source = conns.source;
    run.destination = conns.destination;
    run.guest1 = await conns.source.lookupDomainByName('guest1');
    run.guestBig = await conns.source.lookupDomainByName('guest-big');
  });
  return run;
}
