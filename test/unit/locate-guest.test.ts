/**
 * "Where does the guest run" has one answer (locateGuest, src/pmc/locate-guest.ts),
 * for a run's report and for an evacuation: asked of both hosts, and unknown
 * when a host cannot be asked (never "not running there").
 */
import { describe, expect, it } from 'vitest';
import { Connection } from '../../src/index.js';
import { locateGuest } from '../../src/pmc/locate-guest.js';
import { fixtureUri } from '../helpers/fixtures.js';
import { useRunHosts } from '../helpers/fixture-hosts.js';

describe('locateGuest', () => {
  const hosts = useRunHosts();

  it('finds a guest running on the source, by its handle or by a look-up', async () => {
    const { guest1, source, destination } = hosts;
    expect(await locateGuest(guest1.uuid, guest1, destination)).toBe('source');
    expect(await locateGuest(guest1.uuid, source, destination)).toBe('source');
    expect(await locateGuest(guest1.uuid, source, null)).toBe('source');
    // Seen from the other side, the same guest runs on the "destination".
    expect(await locateGuest(guest1.uuid, destination, source)).toBe('destination');
  });

  it('answers unknown when a host cannot be asked, whatever the other says', async () => {
    const gone = await Connection.open(fixtureUri('host-b'));
    await gone.close();
    const { guest1, source } = hosts;
    expect(await locateGuest(guest1.uuid, guest1, gone)).toBe('unknown');
    expect(await locateGuest(guest1.uuid, source, gone, { attempted: false, succeeded: false })).toBe('unknown');
    expect(await locateGuest(guest1.uuid, gone, source)).toBe('unknown');
  });

  it('answers unknown for a guest on neither host', async () => {
    const { source, destination } = hosts;
    const nowhere = '00000000-0000-4000-8000-0000000000ff';
    expect(await locateGuest(nowhere, source, destination, { attempted: false, succeeded: false })).toBe('unknown');
  });
});
