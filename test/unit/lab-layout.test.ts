import { describe, expect, it } from 'vitest';
import { labLayout } from '../../src/lab/layout.js';

describe('lab layout', () => {
  it('gives every host its own user, hostname, host UUID, tree and ports', () => {
    const lab = labLayout({ id: 'default', hosts: 3, root: '/srv/labs' });
    expect(lab.dir).toBe('/srv/labs/default');
    expect(lab.hosts.map((h) => h.hostname)).toEqual(['pmc-lab-1', 'pmc-lab-2', 'pmc-lab-3']);
    expect(lab.hosts[0]!.uri).toBe('qemu:///session?socket=/srv/labs/default/host-1/run/libvirt/libvirt-sock');
    for (const key of ['user', 'hostUUID', 'dir', 'socket', 'migrationPort'] as const) {
      expect(new Set(lab.hosts.map((h) => h[key])).size).toBe(3);
    }
    const [a, b] = lab.hosts;
    expect(a!.migrationPort).toBeGreaterThan(a!.libvirtPorts.max); // a caller's port never meets libvirt's own
    expect(b!.libvirtPorts.min).toBeGreaterThan(a!.migrationPort);
  });

  it('keeps labs with different ids apart and is stable for one id', () => {
    const one = labLayout({ id: 'alice', root: '/r' });
    const other = labLayout({ id: 'bob', root: '/r' });
    expect(labLayout({ id: 'alice', root: '/r' })).toEqual(one);
    expect(one.hosts[0]!.hostname).toBe('pmc-lab-1-alice');
    expect(one.hosts[0]!.user).not.toBe(other.hosts[0]!.user);
    expect(one.hosts[0]!.hostUUID).not.toBe(other.hosts[0]!.hostUUID);
    expect(one.hosts[0]!.libvirtPorts.min).not.toBe(other.hosts[0]!.libvirtPorts.min);
    expect(one.hosts.at(-1)!.migrationPort).toBeLessThan(65536);
  });

  it("fits every lab id's ten hosts below port 65536 and keeps the default lab's ports", () => {
    const def = labLayout({ id: 'default', hosts: 10, root: '/r' });
    expect(def.hosts.map((h) => h.libvirtPorts.min)).toEqual(Array.from({ length: 10 }, (_, i) => 49152 + i * 17));
    for (let n = 0; n < 2000; n++) {
      const lab = labLayout({ id: `lab${n}`, hosts: 10, root: '/r' });
      expect(lab.hosts.at(-1)!.tlsPort).toBeLessThan(65536);
      expect(lab.hosts[0]!.libvirtPorts.min).toBeGreaterThan(def.hosts.at(-1)!.tlsPort); // never the default lab's block
    }
  });

  it('rejects ids that cannot be user names or escape the root, roots that are relative or hold .., and impossible host counts', () => {
    expect(() => labLayout({ id: 'Has Space' })).toThrow(/invalid lab id/);
    expect(() => labLayout({ id: 'a'.repeat(17) })).toThrow(/invalid lab id/);
    for (const id of ['..', '../etc', 'a/b', '/etc']) expect(() => labLayout({ id })).toThrow(/invalid lab id/);
    for (const root of ['relative', '/srv/../etc', '/srv/labs/..'])
      expect(() => labLayout({ root })).toThrow(/invalid lab root/);
    expect(() => labLayout({ hosts: 0 })).toThrow(/1 to 10 hosts/);
    expect(() => labLayout({ hosts: 11 })).toThrow(/1 to 10 hosts/);
  });
});
