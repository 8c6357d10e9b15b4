/**
 * The --xml rules of libvirt's virDomainDefCheckABIStabilityFlags, case by
 * case in the function's order: each edit of a guest's migratable XML that
 * libvirt refuses is refused with libvirt's words, and what libvirt's
 * post-parse fills in the same on both sides (implicit devices, addresses) is
 * not a difference.
 */
import { describe, expect, it } from 'vitest';
import { XmlDocument } from '../../src/binding/xml.js';
import { abiStabilityProblem } from '../../src/model/abi-stability.js';
import { replacementXmlProblem } from '../../src/model/replacement-xml.js';

const UUID = '6695eb01-f6a4-8304-79aa-97f2502e193f';

/** A migratable XML as libvirt 9.0 formats a running lab guest. */
const guest = `<domain type='kvm'>
  <name>abi</name>
  <uuid>${UUID}</uuid>
  <genid>1c1c6d53-a2d5-4e0c-8a42-3e1f4b1f6c2a</genid>
  <maxMemory slots='16' unit='KiB'>4194304</maxMemory>
  <memory unit='KiB'>1048576</memory>
  <currentMemory unit='KiB'>524288</currentMemory>
  <vcpu placement='static' current='2'>4</vcpu>
  <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type><smbios mode='sysinfo'/></os>
  <sysinfo type='smbios'><system><entry name='serial'>s1</entry></system></sysinfo>
  <cpu mode='custom' match='exact'><model>qemu64</model>
    <numa><cell id='0' cpus='0-1' memory='512' unit='MiB'/><cell id='1' cpus='2-3' memory='512' unit='MiB'/></numa>
  </cpu>
  <clock offset='utc'><timer name='rtc' tickpolicy='catchup'/><timer name='pit' tickpolicy='delay'/></clock>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/><source file='/var/lib/libvirt/images/abi.qcow2'/>
      <target dev='vda' bus='virtio'/><serial>disk-1</serial>
      <address type='pci' domain='0x0000' bus='0x04' slot='0x00' function='0x0'/>
    </disk>
    <disk type='file' device='cdrom'>
      <target dev='sda' bus='sata'/><readonly/>
      <address type='drive' controller='0' bus='0' target='0' unit='0'/>
    </disk>
    <controller type='usb' index='0' model='qemu-xhci' ports='15'>
      <address type='pci' domain='0x0000' bus='0x02' slot='0x00' function='0x0'/>
    </controller>
    <controller type='pci' index='0' model='pcie-root'/>
    <interface type='network'>
      <mac address='52:54:00:6b:3c:58'/><source network='default'/><model type='virtio'/>
      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
    </interface>
    <serial type='pty'><target type='isa-serial' port='0'><model name='isa-serial'/></target></serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/>
      <address type='virtio-serial' controller='0' bus='0' port='1'/></channel>
    <input type='tablet' bus='usb'><address type='usb' bus='0' port='1'/></input>
    <input type='mouse' bus='ps2'/><input type='keyboard' bus='ps2'/>
    <graphics type='vnc' port='-1' autoport='yes'/>
    <video><model type='virtio' heads='1' primary='yes'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x01' function='0x0'/></video>
    <memballoon model='virtio'>
      <address type='pci' domain='0x0000' bus='0x05' slot='0x00' function='0x0'/></memballoon>
    <rng model='virtio'><backend model='random'>/dev/urandom</backend>
      <address type='pci' domain='0x0000' bus='0x06' slot='0x00' function='0x0'/></rng>
  </devices>
</domain>`;

const root = (xml: string) => XmlDocument.parse(xml).node('/domain')!;
const problem = (edit: (xml: string) => string) => abiStabilityProblem(root(guest), root(edit(guest)));

describe("libvirt's ABI stability rules for --xml", () => {
  it('the guest XML itself, and the same with what post-parse fills in left out, passes', () => {
    expect(problem((x) => x)).toBeNull();
    const sparse = guest
      .replace(/<address [^>]*\/>/g, '')
      .replace(/<controller [\s\S]*?<\/controller>/, '')
      .replace(/<controller [^>]*\/>/, '')
      .replace("<input type='mouse' bus='ps2'/><input type='keyboard' bus='ps2'/>", '')
      .replace(/<console [\s\S]*?<\/console>/, '')
      .replace(/<video>[\s\S]*?<\/video>/, '')
      .replace(/<memballoon [\s\S]*?<\/memballoon>/, '')
      .replace("machine='pc-q35-7.2'", "machine='q35'")
      // Current memory is volatile: libvirt skips it (VIR_DOMAIN_DEF_ABI_CHECK_SKIP_VOLATILE).
      .replace('524288', '1048576')
      // What the host does with the guest may change: sources, graphics, its emulator.
      .replace('/var/lib/libvirt/images/abi.qcow2', '/srv/images/abi.qcow2')
      .replace("<graphics type='vnc' port='-1' autoport='yes'/>", "<graphics type='spice' autoport='yes'/>");
    expect(problem(() => sparse)).toBeNull();
  });

  it.each<[string, (xml: string) => string, RegExp]>([
    [
      'virt type',
      (x) => x.replace("<domain type='kvm'>", "<domain type='qemu'>"),
      /^Target domain virt type qemu does not match source kvm$/,
    ],
    [
      'UUID',
      (x) => x.replace(UUID, '00000000-0000-4000-8000-000000000001'),
      /^Target domain uuid 0{8}-0000-4000-8000-000000000001 does not match source/,
    ],
    [
      'genid left out',
      (x) => x.replace(/<genid>.*<\/genid>/, ''),
      /^Target domain requested genid does not match source$/,
    ],
    [
      'genid to generate',
      (x) => x.replace(/<genid>.*<\/genid>/, '<genid/>'),
      /^Target domain genid \(generated\) does not match source/,
    ],
    [
      'name',
      (x) => x.replace('<name>abi</name>', '<name>abi2</name>'),
      /^Target domain name 'abi2' does not match source 'abi'$/,
    ],
    [
      'initial memory (the NUMA cells)',
      (x) => x.replace("cpus='2-3' memory='512'", "cpus='2-3' memory='1024'"),
      /^Target domain max memory 1572864 does not match source 1048576$/,
    ],
    [
      'maximum memory',
      (x) => x.replace('4194304', '8388608'),
      /^Target maximum memory size '8388608' doesn't match source '4194304'$/,
    ],
    [
      'memory slots',
      (x) => x.replace("slots='16'", "slots='8'"),
      /^Target domain memory slots count '8' doesn't match source '16'$/,
    ],
    [
      'NUMA node count',
      (x) => x.replace(/<cell id='1'[^>]*\/>/, '').replace("memory='512' unit='MiB'/>", "memory='1024' unit='MiB'/>"),
      /^Target NUMA node count '1' doesn't match source '2'$/,
    ],
    [
      'NUMA cpus',
      (x) => x.replace("cpus='0-1'", "cpus='0,2'").replace("cpus='2-3'", "cpus='1,3'"),
      /^Processor mask of target NUMA node 0 doesn't match source$/,
    ],
    [
      'vCPU max',
      (x) => x.replace("current='2'>4<", "current='2'>8<"),
      /^Target domain vCPU max 8 does not match source 4$/,
    ],
    [
      'vCPUs online',
      (x) => x.replace("current='2'", "current='3'"),
      /^State of vCPU '2' differs between source and destination definitions$/,
    ],
    ['OS type', (x) => x.replace('>hvm<', '>linux<'), /^Target domain OS type linux does not match source hvm$/],
    [
      'architecture',
      (x) => x.replace("arch='x86_64'", "arch='i686'"),
      /^Target domain architecture i686 does not match source x86_64$/,
    ],
    [
      'versioned machine type',
      (x) => x.replace('pc-q35-7.2', 'pc-q35-7.1'),
      /^Target domain machine type pc-q35-7.1 does not match source pc-q35-7.2$/,
    ],
    [
      'SMBIOS mode',
      (x) => x.replace("<smbios mode='sysinfo'/>", ''),
      /^Target domain SMBIOS mode none does not match source sysinfo$/,
    ],
    [
      'timer count',
      (x) => x.replace("<timer name='pit' tickpolicy='delay'/>", ''),
      /^Target domain timers do not match source$/,
    ],
    [
      'sysinfo count',
      (x) => x.replace(/<sysinfo [\s\S]*?<\/sysinfo>/, ''),
      /^Target domain count of sysinfo does not match source$/,
    ],
    [
      'disk count',
      (x) => x.replace(/<disk type='file' device='cdrom'>[\s\S]*?<\/disk>/, ''),
      /^Target domain disk count 1 does not match source 2$/,
    ],
    ['disk target', (x) => x.replace("dev='vda'", "dev='vdb'"), /^Target disk vdb does not match source vda$/],
    [
      'disk bus',
      (x) => x.replace("bus='virtio'/><serial>", "bus='scsi'/><serial>"),
      /^Target disk bus scsi does not match source virtio$/,
    ],
    [
      'disk order',
      (x) =>
        x.replace(
          /(<disk type='file' device='disk'>[\s\S]*?<\/disk>)\s*(<disk type='file' device='cdrom'>[\s\S]*?<\/disk>)/,
          '$2$1',
        ),
      /^Target disk device cdrom does not match source disk$/,
    ],
    [
      'disk serial',
      (x) => x.replace('<serial>disk-1</serial>', ''),
      /^Target disk serial \(none\) does not match source disk-1$/,
    ],
    [
      'disk readonly',
      (x) => x.replace('<readonly/>', ''),
      /^Target disk access mode \(readonly\) no does not match source yes$/,
    ],
    [
      'disk PCI address',
      (x) => x.replace("bus='0x04' slot='0x00'", "bus='0x07' slot='0x00'"),
      /^Target device pci address 0x0000:0x07:0x00:0x0 does not match source 0x0000:0x04:0x00:0x0$/,
    ],
    [
      'controller model',
      (x) => x.replace("model='qemu-xhci' ports='15'", "model='nec-xhci' ports='15'"),
      /^Target controller usb 0 model nec-xhci does not match source qemu-xhci$/,
    ],
    [
      'net count',
      (x) => x.replace(/<interface [\s\S]*?<\/interface>/, ''),
      /^Target domain net card count 0 does not match source 1$/,
    ],
    [
      'MAC',
      (x) => x.replace('52:54:00:6b:3c:58', '52:54:00:6b:3c:59'),
      /^Target network card mac 52:54:00:6b:3c:59 does not match source 52:54:00:6b:3c:58$/,
    ],
    [
      'MAC left out (random)',
      (x) => x.replace("<mac address='52:54:00:6b:3c:58'/>", ''),
      /^Target network card mac \(random\) does not match source/,
    ],
    [
      'net model',
      (x) => x.replace("<model type='virtio'/>", "<model type='e1000'/>"),
      /^Target network card model e1000 does not match source virtio$/,
    ],
    [
      'input count',
      (x) => x.replace(/<input type='tablet'[\s\S]*?<\/input>/, ''),
      /^Target domain input device count 0 does not match source 1$/,
    ],
    [
      'video model',
      (x) => x.replace("<model type='virtio' heads='1'", "<model type='vga' heads='1'"),
      /^Target video card model vga does not match source virtio$/,
    ],
    [
      'serial port',
      (x) => x.replace("<target type='isa-serial' port='0'>", "<target type='isa-serial' port='1'>"),
      /^Target serial port 1 does not match source 0$/,
    ],
    [
      'channel name',
      (x) => x.replace('org.qemu.guest_agent.0', 'org.example.other'),
      /^Target channel name org.example.other does not match source org.qemu.guest_agent.0$/,
    ],
    [
      'memballoon model',
      (x) => x.replace("<memballoon model='virtio'>", "<memballoon model='none'>"),
      /^Target balloon model none does not match source virtio$/,
    ],
    [
      'rng count',
      (x) => x.replace(/<rng [\s\S]*?<\/rng>/, ''),
      /^Target domain RNG device count 0 does not match source 1$/,
    ],
    [
      'watchdog added',
      (x) => x.replace('</devices>', "<watchdog model='i6300esb' action='reset'/></devices>"),
      /^Target domain watchdog count 1 does not match source 0$/,
    ],
  ])('%s', (_, edit, message) => {
    expect(problem(edit)).toMatch(message);
  });

  it('replacementXmlProblem: --xml runs the ABI rules, --persistent-xml only the UUID (libvirt only parses it)', () => {
    const edited = guest.replace("current='2'>4<", "current='2'>8<");
    expect(replacementXmlProblem(edited, 'destXml', { uuid: UUID, xml: guest }, true)).toBe(
      'destXml changes the guest\'s ABI (libvirt: "Target domain vCPU max 8 does not match source 4")',
    );
    expect(replacementXmlProblem(edited, 'persistentXml', { uuid: UUID, xml: guest })).toBeNull();
    expect(replacementXmlProblem(guest, 'destXml', { uuid: UUID, xml: guest }, true)).toBeNull();
  });
});
