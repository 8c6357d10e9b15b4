/**
 * Every built-in check, failing and passing, on crafted test-driver hosts
 * (test/fixtures). What the test driver cannot answer (CPU comparison, domain
 * capabilities, jobs, dirty rate, secrets) is covered in test/e2e on the lab.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection, type Domain } from '../../src/index.js';
import { connectionAlive } from '../../src/checks/connection.js';
import { cpuCount, cpuMode, cpuPinning, cpuTsc } from '../../src/checks/cpu.js';
import {
  devicesHostdev,
  devicesMigratable,
  devicesUsb,
  devicesVirtiofsVerifiable,
  virtiofsVerdict,
} from '../../src/checks/devices.js';
import { hostMigrationAddress, localhostAddressProblem } from '../../src/checks/migration-address.js';
import { domainNameFree, domainSnapshots, domainState } from '../../src/checks/domain.js';
import { hostDistinct } from '../../src/checks/host.js';
import {
  compareLibvirtVersions,
  hypervisorType,
  hypervisorVersion,
  libvirtVersion,
} from '../../src/checks/hypervisor.js';
import { memoryAvailable } from '../../src/checks/memory.js';
import {
  flagProblems,
  forecastConvergence,
  dirtyRateRange,
  migrationConvergence,
  migrationFlags,
  persistenceSafe,
} from '../../src/checks/migration.js';
import { networkBridge, networkPresent } from '../../src/checks/network.js';
import { hostPaths, hostPathsVerifiable } from '../../src/checks/paths.js';
import { platformSupported } from '../../src/checks/platform.js';
import { secretsPresent } from '../../src/checks/secrets.js';
import { storageCache, storageCdrom, storageCopyTarget, storageShared } from '../../src/checks/storage.js';
import { fixtureUri } from '../helpers/fixtures.js';
import { runCheck, runCheckDirect, runCheckOnDevices, startGuest } from '../helpers/checks.js';
import { decodeVersion } from '../../src/binding/version.js';

const open = (name: string) => Connection.open(fixtureUri(name));

describe('built-in checks on the test driver', () => {
  let a: Connection;
  let b: Connection;
  let c: Connection;
  /** Host "storage": the guest2 volume, the ISO and the NFS pool, for the storage checks. */
  let s: Connection;
  let guest1: Domain;
  let guestBig: Domain;

  beforeAll(async () => {
    [a, b, c, s] = await Promise.all([open('host-a'), open('host-b'), open('host-c'), open('host-storage')]);
    [guest1, guestBig] = await Promise.all([a.lookupDomainByName('guest1'), a.lookupDomainByName('guest-big')]);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close(), c.close(), s.close()]);
  });

  describe('connection.alive', () => {
    it('fails when the destination connection is closed', async () => {
      const dead = await open('host-c');
      await dead.close();
      // Called directly: checkPMC itself refuses a closed connection before any check runs.
      const r = await runCheckDirect(connectionAlive, guest1, dead);
      expect(r.status).toBe('fail');
      expect(r.message).toMatch(/destination connection is dead/);
    });
    it('passes on two live connections', async () => {
      expect((await runCheck(connectionAlive, guest1, c)).status).toBe('pass');
    });
  });

  describe('host.distinct', () => {
    it('fails when the destination is the source connection', async () => {
      const r = await runCheck(hostDistinct, guest1, a);
      expect(r.status).toBe('fail');
      expect(r.message).toMatch(/source connection itself/);
    });
    it('passes between two hosts', async () => {
      const r = await runCheck(hostDistinct, guest1, c);
      expect(r.status).toBe('pass');
    });
  });

  describe('hypervisor.type, hypervisor.version, libvirt.version', () => {
    it('pass between two test-driver hosts of the same versions', async () => {
      for (const check of [hypervisorType, hypervisorVersion, libvirtVersion]) {
        const r = await runCheck(check, guest1, b);
        expect(r.status, check.name).toBe('pass');
      }
    });
    // The failing cases need two different drivers or versions: test/e2e/checks.test.ts (test driver vs QEMU).
    it('libvirt.version fails for an older destination libvirt and passes for an equal or newer one', () => {
      const v = decodeVersion;
      const older = compareLibvirtVersions(v(9_000_000), v(8_010_000));
      expect(older).toEqual({
        status: 'fail',
        message: expect.stringMatching(/destination libvirt 8\.10\.0 is older than the source 9\.0\.0/),
      });
      // A release behind is older too: the encoded number, not the major alone, decides.
      expect(compareLibvirtVersions(v(9_000_001), v(9_000_000))).toMatchObject({ status: 'fail' });
      expect(compareLibvirtVersions(v(9_000_000), v(9_000_000))).toMatchObject({ status: 'pass' });
      const newer = compareLibvirtVersions(v(8_010_000), v(9_000_000));
      expect(newer).toEqual({ status: 'pass', message: 'destination libvirt 9.0.0 >= source 8.10.0' });
    });
  });

  describe('domain.state', () => {
    it('fails for a live migration of a shut-off domain', async () => {
      const src = await open('host-a');
      const g = await src.lookupDomainByName('guest1');
      await g.destroy();
      const r = await runCheck(domainState, g, c, { live: true });
      expect(r.status).toBe('fail');
      expect(r.message).toMatch(/shutoff/);
      // Offline migration of the definition is fine.
      expect((await runCheck(domainState, g, c, { offline: true, persistent: true })).status).toBe('pass');
      await src.close();
    });
    it('passes for a running domain, and for a paused one (not on an I/O error)', async () => {
      expect((await runCheck(domainState, guest1, c, { live: true })).status).toBe('pass');
      const src = await open('host-a');
      const g = await src.lookupDomainByName('guest1');
      await g.suspend();
      const r = await runCheck(domainState, g, c, { live: true, abortOnError: true });
      expect(r.status).toBe('pass');
      expect(r.message).toMatch(/paused/);
      await src.close();
    });
  });

  describe('domain.snapshots', () => {
    it('fails once the domain has a snapshot, as libvirt 9.0 refuses', async () => {
      const src = await open('host-a');
      const g = await src.lookupDomainByName('guest1');
      expect((await runCheck(domainSnapshots, g, c)).status).toBe('pass');
      await g.createSnapshot('<domainsnapshot><name>before-upgrade</name></domainsnapshot>');
      const r = await runCheck(domainSnapshots, g, c);
      expect(r.status).toBe('fail');
      expect(r.message).toMatch(/1 snapshot/);
      await src.close();
    });
  });

  describe('domain.name-free', () => {
    it('fails when the destination runs another domain of that name', async () => {
      const clash = await open('host-clash');
      const r = await runCheck(domainNameFree, guest1, clash);
      expect(r.status).toBe('fail');
      expect(r.message).toMatch(/another UUID/);
      // Another name on the destination avoids the clash.
      expect((await runCheck(domainNameFree, guest1, clash, { destName: 'guest1-moved' })).status).toBe('pass');
      await clash.close();
    });
    it('fails when the destination already runs this very domain', async () => {
      const twin = await open('host-twin');
      const r = await runCheck(domainNameFree, guest1, twin);
      expect(r.status).toBe('fail');
      expect(r.message).toMatch(/already runs this domain/);
      await twin.close();
    });
    it('passes with an inactive definition of the same UUID, and with none', async () => {
      const r = await runCheck(domainNameFree, guest1, c);
      expect(r.status).toBe('pass');
      expect(r.message).toMatch(/inactive definition/);
      expect((await runCheck(domainNameFree, guestBig, c)).status).toBe('pass');
    });
  });

  describe('platform.supported (no domain capabilities on the test driver: reads <guest>)', () => {
    it("fails for an arch the destination's capabilities do not offer", async () => {
      const r = await runCheck(platformSupported, guest1, c);
      expect(r.status).toBe('fail');
      expect(r.message).toMatch(/arch x86_64/);
    });
    it('passes for an arch and virt type the destination offers', async () => {
      const g = await startGuest(a, '', { arch: 'i686' });
      const r = await runCheck(platformSupported, g, c);
      expect(r.status).toBe('pass');
      expect(r.message).toMatch(/read from <guest>/);
      await g.destroy();
    });
  });

  describe('cpu.mode', () => {
    it('passes for host-passthrough between identical host CPUs', async () => {
      const g = await startGuest(a, "<cpu mode='host-passthrough'/>");
      const r = await runCheck(cpuMode, g, c);
      expect(r.status).toBe('pass');
      await g.destroy();
    });
    it('passes for a CPU independent of the host', async () => {
      expect((await runCheck(cpuMode, guest1, c)).status).toBe('pass');
    });
    // Failing: host-passthrough between the test driver and a QEMU host in test/e2e.
  });

  describe('cpu.tsc', () => {
    const invtsc =
      "<cpu mode='custom' match='exact'><model>qemu64</model><feature policy='require' name='invtsc'/></cpu>";
    it('fails for invtsc without a TSC frequency (libvirt refuses)', async () => {
      const g = await startGuest(a, invtsc);
      const r = await runCheck(cpuTsc, g, c);
      expect(r.status).toBe('fail');
      expect(r.message).toMatch(/no TSC frequency/);
      await g.destroy();
    });
    it('passes for invtsc with a TSC frequency, and without invtsc', async () => {
      const g = await startGuest(a, `${invtsc}<clock offset='utc'><timer name='tsc' frequency='2400000000'/></clock>`);
      expect((await runCheck(cpuTsc, g, c)).status).toBe('pass');
      await g.destroy();
      expect((await runCheck(cpuTsc, guest1, c)).status).toBe('pass');
    });
  });

  describe('cpu.count', () => {
    it('fails when the guest has more vCPUs than the destination CPUs', async () => {
      const r = await runCheck(cpuCount, guestBig, b);
      expect(r.status).toBe('fail');
      expect(r.message).toMatch(/8 vCPUs .* 2 CPUs/);
    });
    it('passes when they fit', async () => {
      expect((await runCheck(cpuCount, guest1, b)).status).toBe('pass');
    });
  });

  describe('cpu.pinning', () => {
    it('fails when vCPUs are pinned to CPUs the destination lacks', async () => {
      const g = await startGuest(a, "<cputune><vcpupin vcpu='0' cpuset='6-7'/></cputune>");
      const r = await runCheck(cpuPinning, g, b);
      expect(r.status).toBe('fail');
      expect(r.message).toMatch(/vcpupin vcpu='0'.*CPU 6,7/);
      // The same pinning fits host C's 8 CPUs.
      expect((await runCheck(cpuPinning, g, c)).status).toBe('pass');
      await g.destroy();
    });
  });

  describe('memory.available', () => {
    it('fails when the destination has less free memory than the guest (test:///default: 3 MiB free)', async () => {
      const dflt = await Connection.open('test:///default');
      const r = await runCheck(memoryAvailable, guest1, dflt);
      expect(r.status).toBe('fail');
      expect(r.message).toMatch(/safety rule/);
      await dflt.close();
    });
    it('passes for a guest that fits', async () => {
      const dflt = await Connection.open('test:///default');
      const g = await startGuest(a, "<currentMemory unit='MiB'>2</currentMemory>", { memoryMiB: 2 });
      const r = await runCheck(memoryAvailable, g, dflt);
      expect(r.status).toBe('pass');
      await g.destroy();
      await dflt.close();
    });
  });

  describe('storage.shared', () => {
    it('fails for a local disk that is not copied (libvirt: unsafe)', async () => {
      const r = await runCheck(storageShared, guest1, c, { live: true });
      expect(r.status).toBe('fail');
      expect(r.message).toMatch(/Migration without shared storage is unsafe/);
    });
    it('passes when the local disk is copied', async () => {
      expect((await runCheck(storageShared, guest1, c, { live: true, copyStorageAll: true })).status).toBe('pass');
    });
    it('with unsafe, fails when the destination does not know the disk and passes when it does', async () => {
      expect((await runCheck(storageShared, guest1, b, { live: true, unsafe: true })).status).toBe('fail');
      expect((await runCheck(storageShared, guest1, c, { live: true, unsafe: true })).status).toBe('pass');
    });
    it('passes for a disk in an NFS pool the destination also has', async () => {
      const g = await startGuest(s, '', {
        devices:
          "<disk type='file' device='disk'><driver name='qemu' type='qcow2' cache='none'/><source file='/var/lib/pmc-nfs/shared.qcow2'/><target dev='vda' bus='virtio'/></disk>",
      });
      const r = await runCheck(storageShared, g, c, { live: true });
      expect(r.status).toBe('pass');
      expect(r.message).toMatch(/pool nfs \(netfs\)/);
      expect((await runCheck(storageShared, g, b, { live: true })).status).toBe('fail');
      await g.destroy();
    });
  });

  describe('storage.copy-target', () => {
    const guest2Disk =
      "<disk type='file' device='disk'><source file='/var/lib/pmc-a/images/guest2.qcow2'/><target dev='vda' bus='virtio'/></disk>";
    it('fails when no destination pool has the disk directory as target path', async () => {
      const r = await runCheck(storageCopyTarget, guest1, b, { live: true, copyStorageAll: true });
      expect(r.status).toBe('fail');
      expect(r.message).toMatch(/no storage pool with matching target path '\/var\/lib\/pmc-a\/images'/);
    });
    it('fails when the matching pool lacks room', async () => {
      const tight = await open('host-tight');
      const g = await startGuest(s, '', { devices: guest2Disk });
      const r = await runCheck(storageCopyTarget, g, tight, { live: true, copyStorageAll: true });
      expect(r.status).toBe('fail');
      expect(r.message).toMatch(/1\.00 GiB available.*3\.00 GiB/);
      await g.destroy();
      await tight.close();
    });
    it('passes with a matching pool with room, or when the disk already exists there', async () => {
      const g = await startGuest(s, '', { devices: guest2Disk });
      const r = await runCheck(storageCopyTarget, g, c, { live: true, copyStorageAll: true });
      expect(r.status).toBe('pass');
      expect(r.message).toMatch(/into pool images/);
      await g.destroy();
      const existing = await runCheck(storageCopyTarget, guest1, c, { live: true, copyStorageAll: true });
      expect(existing.status).toBe('pass');
      expect(existing.message).toMatch(/already exists/);
    });
  });

  describe('storage.copy-target onto a volume the destination already has', () => {
    const disk =
      "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/var/lib/pmc-a/images/guest2.qcow2'/><target dev='vda' bus='virtio'/></disk>";
    /** A fresh host-c (its own test-driver state) with guest2.qcow2 made in its pool `images`. */
    async function destinationWith(capacity: number, format: string): Promise<Connection> {
      const dst = await open('host-c');
      await dst.createStorageVolume(
        'images',
        `<volume><name>guest2.qcow2</name><capacity unit='bytes'>${capacity}</capacity><target><format type='${format}'/></target></volume>`,
      );
      return dst;
    }
    it.each<[string, (size: number) => [number, string], RegExp | null]>([
      [
        'fails for one of another size',
        (size) => [size / 2, 'qcow2'],
        /the copy needs the same size \(QEMU: "Source and target image have different sizes"\)/,
      ],
      [
        'fails for one of another format',
        (size) => [size, 'raw'],
        /exists on the destination as raw, and QEMU opens it as the disk's qcow2/,
      ],
      ['passes for one of its size and format', (size) => [size, 'qcow2'], null],
    ])('%s', async (_, volume, message) => {
      const size = (await s.lookupStorageVolByPath('/var/lib/pmc-a/images/guest2.qcow2')).capacity;
      const dst = await destinationWith(...volume(size));
      const g = await startGuest(s, '', { devices: disk });
      try {
        const r = await runCheck(storageCopyTarget, g, dst, { live: true, copyStorageAll: true });
        if (message) expect(r).toMatchObject({ status: 'fail', message: expect.stringMatching(message) });
        else expect(r).toMatchObject({ status: 'pass', message: expect.stringMatching(/of the same size and format/) });
      } finally {
        await g.destroy();
        await dst.close();
      }
    });
  });

  describe('storage.cache', () => {
    const nfsDisk = (cache: string) =>
      `<disk type='file' device='disk'><driver name='qemu' type='qcow2' cache='${cache}'/><source file='/var/lib/pmc-nfs/shared.qcow2'/><target dev='vda' bus='virtio'/></disk>`;
    it('fails for a shared disk with cache=writeback', async () => {
      const r = await runCheckOnDevices(storageCache, s, c, nfsDisk('writeback'));
      expect(r.status).toBe('fail');
      expect(r.message).toMatch(/vda \(cache=writeback\)/);
    });
    it('passes for a shared disk with cache=none', async () => {
      expect((await runCheckOnDevices(storageCache, s, c, nfsDisk('none'))).status).toBe('pass');
    });
  });

  describe('storage.cdrom', () => {
    const cdrom = (file: string, policy = '') =>
      `<disk type='file' device='cdrom'><source file='${file}'${policy ? ` startupPolicy='${policy}'` : ''}/><target dev='sda' bus='sata'/><readonly/></disk>`;
    it("fails when the destination lacks an image libvirt would drop (startupPolicy 'optional')", async () => {
      const g = await startGuest(s, '', { devices: cdrom('/var/lib/pmc-a/iso/other.iso', 'optional') });
      const r = await runCheck(storageCdrom, g, c);
      expect(r.status).toBe('fail');
      expect(r.message).toMatch(
        /other\.iso: pool iso at \/var\/lib\/pmc-a\/iso has no other\.iso.*libvirt drops the medium/,
      );
      // host.paths leaves a droppable medium to storage.cdrom: one path, one check.
      expect((await runCheck(hostPaths, g, c)).status).toBe('pass');
      // A destination without any pool there cannot tell.
      expect(await runCheck(storageCdrom, g, b)).toMatchObject({ status: 'fail', message: /^not verifiable: sda/ });
      await g.destroy();
    });
    it('passes when the destination has the image of a medium libvirt could drop', async () => {
      const r = await runCheckOnDevices(storageCdrom, s, c, cdrom('/var/lib/pmc-a/iso/install.iso', 'requisite'));
      expect(r.status).toBe('pass');
    });
    it('passes over a CD-ROM without a startupPolicy: libvirt fails on it, so host.paths decides', async () => {
      const r = await runCheckOnDevices(storageCdrom, s, b, cdrom('/var/lib/pmc-a/iso/install.iso'));
      expect(r.status).toBe('pass');
    });
  });

  describe('host.paths and host.paths-verifiable', () => {
    // Destination host-c has dir pools at /var/lib/pmc-a/images and /var/lib/pmc-a/iso (with install.iso).
    const serial = (file: string, log?: string) =>
      `<serial type='file'><source path='${file}'/>${log ? `<log file='${log}'/>` : ''}<target port='0'/></serial>`;
    it('fails for a serial log in a directory the destination lacks, a missing kernel and a CD-ROM libvirt cannot drop', async () => {
      const g = await startGuest(
        s,
        "<os><type arch='x86_64'>hvm</type><kernel>/var/lib/pmc-a/images/vmlinuz</kernel></os>",
        {
          devices:
            serial('/var/lib/pmc-a/iso/serial.out', '/var/lib/pmc-a/iso/logs/serial.log') +
            "<disk type='file' device='cdrom'><source file='/var/lib/pmc-a/iso/other.iso'/><target dev='sda' bus='sata'/><readonly/></disk>",
        },
      );
      const r = await runCheck(hostPaths, g, c);
      expect(r.status).toBe('fail');
      expect(r.message).toMatch(
        /serial 0 log \/var\/lib\/pmc-a\/iso\/logs\/serial\.log \(its directory is missing: pool iso/,
      );
      expect(r.message).toMatch(/os kernel \/var\/lib\/pmc-a\/images\/vmlinuz/);
      expect(r.message).toMatch(/cdrom sda \/var\/lib\/pmc-a\/iso\/other\.iso/);
      // The serial output itself is created in the pool's own directory: not a problem.
      expect(r.message).not.toMatch(/serial\.out/);
      expect(r.details).toEqual({
        absent: ['/var/lib/pmc-a/iso/other.iso', '/var/lib/pmc-a/images/vmlinuz', '/var/lib/pmc-a/iso/logs/serial.log'],
      });
      await g.destroy();
    });
    it('passes when every path (or its directory, where it is created) is on the destination', async () => {
      const g = await startGuest(s, '', {
        devices:
          serial('/var/lib/pmc-a/iso/serial.out', '/var/lib/pmc-a/images/serial.log') +
          "<disk type='file' device='cdrom'><source file='/var/lib/pmc-a/iso/install.iso'/><target dev='sda' bus='sata'/><readonly/></disk>" +
          "<rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>",
      });
      const r = await runCheck(hostPaths, g, c);
      expect(r).toMatchObject({ status: 'pass', message: '4 host path(s) found on the destination' });
      expect(await runCheck(hostPathsVerifiable, g, c)).toMatchObject({ status: 'pass' });
      await g.destroy();
    });
    it('says "not verifiable" with the path for what no pool holds (a device node, a directory outside pools)', async () => {
      const g = await startGuest(s, '', {
        devices: serial('/opt/pmc-logs/serial.out') + "<input type='evdev'><source dev='/dev/input/event3'/></input>",
      });
      const v = await runCheck(hostPathsVerifiable, g, c);
      expect(v.status).toBe('fail');
      expect(v.message).toMatch(
        /^not verifiable: serial 0 \/opt\/pmc-logs\/serial\.out \(no destination pool holds \/opt\/pmc-logs\)/,
      );
      expect(v.message).toMatch(/input 0 \(evdev\) \/dev\/input\/event3/);
      expect(hostPathsVerifiable.severity).toBe('warning');
      // The critical part passes and names what it could not see.
      expect(await runCheck(hostPaths, g, c)).toMatchObject({ status: 'pass', message: /2 cannot be seen/ });
      await g.destroy();
    });
  });

  describe('network.present', () => {
    it("fails when the interface's network is missing on the destination", async () => {
      const r = await runCheck(networkPresent, guest1, b);
      expect(r.status).toBe('fail');
      expect(r.message).toMatch(/network prod does not exist/);
    });
    it('passes when the destination has it active', async () => {
      expect((await runCheck(networkPresent, guest1, c)).status).toBe('pass');
    });
  });

  describe('network.bridge', () => {
    const bridge = (name: string) =>
      `<interface type='bridge'><mac address='52:54:00:aa:0f:02'/><source bridge='${name}'/></interface>`;
    it('says "not verifiable" for a bridge of another machine no libvirt network uses; network.present leaves it', async () => {
      const g = await startGuest(a, '', { devices: bridge('br-elsewhere') });
      const r = await runCheck(networkBridge, g, c);
      expect(r).toMatchObject({ status: 'fail', message: /^not verifiable: bridge br-elsewhere/ });
      expect(networkBridge.severity).toBe('warning');
      expect(await runCheck(networkPresent, g, c)).toMatchObject({
        status: 'pass',
        message: /left to network\.bridge/,
      });
      await g.destroy();
    });
    it('passes for a bridge an active network of the destination uses', async () => {
      const g = await startGuest(a, '', { devices: bridge('br-prod') });
      expect((await runCheck(networkBridge, g, c)).status).toBe('pass');
      expect(await runCheck(networkPresent, g, c)).toMatchObject({ status: 'pass', message: /bridge br-prod$/ });
      await g.destroy();
    });
  });

  describe('devices.hostdev and devices.usb', () => {
    const pci =
      "<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x03' slot='0x00' function='0x0'/></source></hostdev>";
    const usb =
      "<hostdev mode='subsystem' type='usb'><source><vendor id='0x046d'/><product id='0xc077'/></source></hostdev>";
    it('a PCI host device fails devices.hostdev', async () => {
      const g = await startGuest(a, '', { devices: pci });
      const r = await runCheck(devicesHostdev, g, c, { live: true });
      expect(r.status).toBe('fail');
      expect(r.message).toMatch(/type='pci'/);
      // An offline migration moves only the definition.
      expect((await runCheck(devicesHostdev, g, c, { offline: true, persistent: true })).status).toBe('skipped');
      await g.destroy();
    });
    it('a USB host device passes devices.hostdev and fails the devices.usb warning', async () => {
      const g = await startGuest(a, '', { devices: usb });
      expect((await runCheck(devicesHostdev, g, c, { live: true })).status).toBe('pass');
      expect((await runCheck(devicesUsb, g, c, { live: true })).status).toBe('fail');
      await g.destroy();
      expect((await runCheck(devicesUsb, guest1, c, { live: true })).status).toBe('pass');
    });
  });

  describe('devices.migratable', () => {
    it('fails for a transient disk and a shmem that is not master', async () => {
      const g = await startGuest(a, '', {
        devices:
          "<disk type='file' device='disk'><source file='/var/lib/pmc-a/images/guest2.qcow2'/><target dev='vdb' bus='virtio'/><transient/></disk>" +
          "<shmem name='ivshmem0'><model type='ivshmem-plain'/><size unit='M'>4</size></shmem>",
      });
      const r = await runCheck(devicesMigratable, g, c, { live: true });
      expect(r.status).toBe('fail');
      expect(r.message).toMatch(/shmem ivshmem0/);
      expect(r.message).toMatch(/transient disk vdb/);
      await g.destroy();
    });
    it('passes for ordinary devices', async () => {
      expect((await runCheck(devicesMigratable, guest1, c, { live: true })).status).toBe('pass');
    });
    const virtiofs = (source: string) =>
      `<filesystem type='mount' accessmode='passthrough'><driver type='virtiofs'/>${source}<target dir='share'/></filesystem>`;
    it('fails for a virtiofs filesystem on the libvirt 9 of the test driver, and devices.virtiofs-verifiable leaves it to it', async () => {
      const g = await startGuest(a, '', { devices: virtiofs("<source dir='/srv/share'/>") });
      const r = await runCheck(devicesMigratable, g, c, { live: true });
      expect(r.status).toBe('fail');
      expect(r.message).toMatch(/virtiofs filesystem share \(libvirt 9\.\d+\.\d+ migrates none\)/);
      const w = await runCheck(devicesVirtiofsVerifiable, g, c, { live: true });
      expect(w).toMatchObject({ status: 'pass', message: expect.stringMatching(/devices\.migratable decides/) });
      await g.destroy();
    });
    it('virtiofs: blocks before libvirt 11.3; from 11.3 an external virtiofsd migrates and a libvirt-started one cannot be told', () => {
      const v = decodeVersion;
      const own = { socket: null };
      const external = { socket: '/run/virtiofsd/share.sock' };
      for (const before of [9_000_000, 10_010_000, 11_002_000]) {
        expect(virtiofsVerdict(own, v(before)), String(before)).toBe('blocks');
        expect(virtiofsVerdict(external, v(before)), String(before)).toBe('blocks');
      }
      for (const since of [11_003_000, 12_005_000]) {
        expect(virtiofsVerdict(external, v(since)), String(since)).toBe('migrates');
        expect(virtiofsVerdict(own, v(since)), String(since)).toBe('unknown');
      }
    });
    it('devices.virtiofs-verifiable passes for a guest without virtiofs', async () => {
      expect(await runCheck(devicesVirtiofsVerifiable, guest1, c, { live: true })).toMatchObject({
        status: 'pass',
        message: 'no virtiofs filesystem',
      });
    });
  });

  describe('host.migration-address', () => {
    it('fails (a warning) for a destination named localhost* when no migration URI is given', () => {
      for (const name of ['localhost', 'localhost.localdomain']) {
        expect(localhostAddressProblem(name, {}), name).toMatch(/requires an FQDN.*migration_host/);
      }
    });
    it('passes for a real hostname, or a migration URI, or a tunnelled migration', async () => {
      expect(localhostAddressProblem('pmc-lab-2', {})).toBeNull();
      expect(localhostAddressProblem('localhost', { migrateUri: 'tcp://10.0.0.2' })).toBeNull();
      expect(localhostAddressProblem('localhost', { tunnelled: true })).toBeNull();
      // The test driver reports this machine's hostname.
      const r = await runCheck(hostMigrationAddress, guest1, c, { live: true });
      expect(r.status, r.message).toBe('pass');
      expect(
        (await runCheck(hostMigrationAddress, guest1, c, { live: true, migrateUri: 'tcp://10.0.0.2' })).status,
      ).toBe('skipped');
    });
  });

  describe('secrets.present', () => {
    it('passes for a domain that uses no secret (asks nothing of the destination)', async () => {
      const r = await runCheckDirect(secretsPresent, guest1, c);
      expect(r.status).toBe('pass');
      expect([...r.facts.calls.keys()].some((k) => k.includes('secret'))).toBe(false);
    });
    it('errors, not passes, where the driver has no secrets (the test driver)', async () => {
      const g = await startGuest(a, '', {
        devices:
          "<disk type='network' device='disk'><source protocol='rbd' name='pool/img'><host name='mon1' port='6789'/><auth username='admin'><secret type='ceph' uuid='2e7c3a8b-9f1d-4e6a-b5c4-0d1e2f3a4b5c'/></auth></source><target dev='vda' bus='virtio'/></disk>",
      });
      const r = await runCheck(secretsPresent, g, c);
      expect(r.status).toBe('error');
      expect(r.message).toMatch(/not supported/);
      await g.destroy();
    });
    // Failing and passing with real secrets: test/e2e/checks.test.ts.
  });

  describe('persistence.safe', () => {
    it('fails for undefineSource without persistent', async () => {
      const r = await runCheck(persistenceSafe, guest1, c, { live: true, undefineSource: true });
      expect(r.status).toBe('fail');
      expect(r.message).toMatch(/exists nowhere/);
    });
    it('passes with persistent', async () => {
      expect(
        (await runCheck(persistenceSafe, guest1, c, { live: true, undefineSource: true, persistent: true })).status,
      ).toBe('pass');
    });
  });

  describe('migration.flags', () => {
    it('fails for post-copy without live', async () => {
      const r = await runCheck(migrationFlags, guest1, c, { postcopy: true });
      expect(r.status).toBe('fail');
      expect(r.message).toMatch(/post-copy needs a live migration/);
    });
    it('fails for migrateDisks naming no disk of the domain', async () => {
      const r = await runCheck(migrationFlags, guest1, c, { live: true, copyStorageAll: true, migrateDisks: ['vdz'] });
      expect(r.status).toBe('fail');
      expect(r.message).toMatch(/vdz/);
    });
    it('passes for consistent options', async () => {
      const r = await runCheck(migrationFlags, guest1, c, {
        live: true,
        postcopy: true,
        copyStorageAll: true,
        migrateDisks: ['vda'],
      });
      expect(r.status).toBe('pass');
    });
    it('knows the offline and tunnelled rules', () => {
      expect(flagProblems({ offline: true, copyStorageAll: true }, [])).toHaveLength(2);
      expect(flagProblems({ offline: true, persistent: true }, [])).toEqual([]);
      expect(flagProblems({ live: true, tunnelled: true }, []).join()).toMatch(/peer-to-peer/);
    });
    it('knows the parallel, zero-copy and synchronous-writes rules of libvirt 9', () => {
      expect(flagProblems({ live: true, zerocopy: true }, [])).toEqual([
        'zero-copy is only available for parallel migration',
      ]);
      expect(flagProblems({ live: true, zerocopy: true, parallelConnections: 2 }, [])).toEqual([]);
      expect(flagProblems({ live: true, p2p: true, tunnelled: true, parallel: true }, []).join()).toMatch(
        /tunnelled and parallel exclude each other/,
      );
      expect(flagProblems({ live: true, copyStorageSynchronousWrites: true }, []).join()).toMatch(
        /needs copyStorageAll or copyStorageInc/,
      );
      expect(flagProblems({ live: true, copyStorageAll: true, copyStorageSynchronousWrites: true }, [])).toEqual([]);
      // qemuMigrationDstPrepareAny's URI rules.
      expect(flagProblems({ live: true, migrateUri: 'udp://10.0.0.2:49152' }, [])).toEqual([
        'unsupported scheme udp in migration URI udp://10.0.0.2:49152',
      ]);
      expect(flagProblems({ live: true, migrateUri: 'tcp://:49152' }, []).join()).toMatch(/missing host/);
      for (const ok of ['tcp://10.0.0.2:49152', 'rdma://h2', 'unix:///run/mig.sock', '10.0.0.2:49152'])
        expect(flagProblems({ live: true, migrateUri: ok }, []), ok).toEqual([]);
    });
  });

  describe('migration.convergence', () => {
    /** The forecast for a guest of `memoryBytes` dirtying `dirtyMiBPerS` over 100 MiB/s, 300 ms of downtime allowed. */
    const overA100MiBpsLink = (memoryBytes: number, dirtyMiBPerS: number, timeoutS: number) =>
      forecastConvergence({
        memoryBytes,
        dirtyBytesPerS: dirtyMiBPerS * 2 ** 20,
        bandwidthBytesPerS: 100 * 2 ** 20,
        maxDowntimeMs: 300,
        timeoutS,
      });
    it('forecasts non-convergence when the guest dirties memory faster than the link', () => {
      const f = overA100MiBpsLink(4 * 2 ** 30, 200, 600);
      expect(f.converges).toBe(false);
      expect(f.rounds).toBe(Infinity);
    });
    it('forecasts convergence, rounds, time and downtime for a quiet guest', () => {
      // 1 GiB at 100 MiB/s with 10 MiB/s dirty: rounds carry 1024, 102.4, 10.24 MiB (fits 30 MiB of downtime).
      const f = overA100MiBpsLink(2 ** 30, 10, 600);
      expect(f.converges).toBe(true);
      expect(f.rounds).toBe(2);
      expect(f.seconds).toBeCloseTo(11.264, 2);
      expect(f.downtimeMs).toBeCloseTo(102.4, 1);
    });
    it("bounds the sampled dirty rate by QEMU's sampling: 2 MiB a changed sample, nothing under 128 MiB", () => {
      // One changed sample in 1 s: anything from 0 to ~9.7 MiB/s (k = 1, k + 2√(k+1) + 1).
      const one = dirtyRateRange(2, 1, 128);
      expect(one.low).toBe(0);
      expect(one.high).toBeCloseTo(9.66, 2);
      // 16 changed samples over 1 s: 32 MiB/s, give or take 2√16 samples.
      expect(dirtyRateRange(32, 1, 1024)).toMatchObject({ low: 16 });
      // A longer window narrows it: the same 2 MiB/s over 8 s is 8 samples.
      expect(dirtyRateRange(2, 8, 128).high).toBeLessThan(4);
      // A 64 MiB guest is not sampled at all.
      expect(dirtyRateRange(0, 1, 64)).toEqual({ low: 0, high: Infinity });
    });
    it('forecasts a timeout when rounds shrink too slowly', () => {
      const f = overA100MiBpsLink(64 * 2 ** 30, 95, 60);
      expect(f.converges).toBe(false);
      expect(f.reason).toMatch(/timeout/);
    });
    it('does not measure for an offline migration (skipped) or without a bandwidth (not verifiable)', async () => {
      const offline = await runCheck(migrationConvergence, guest1, c, { offline: true, persistent: true });
      expect(offline.status).toBe('skipped');
      const noBandwidth = await runCheckDirect(migrationConvergence, guest1, c, { live: true });
      expect(noBandwidth.status).toBe('fail');
      expect(noBandwidth.message).toMatch(/not verifiable/);
      expect(noBandwidth.facts.calls.get('domain.dirtyRate')).toBeUndefined();
    });
    it('errors where the driver cannot measure the dirty rate (the test driver)', async () => {
      const r = await runCheck(migrationConvergence, guest1, c, { live: true, bandwidth: 100 });
      expect(r.status).toBe('error');
    });
  });
});
