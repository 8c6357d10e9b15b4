/**
 * The host paths host.paths looks for, read from a domain's XML: each device
 * kind libvirt's QEMU command-line builder opens at start, with what the
 * destination must provide for it (exists, created, socket, device).
 */
import { describe, expect, it } from 'vitest';
import { parseDomainXml } from '../../src/model/libvirt-xml.js';

const domain = (os: string, devices: string) => `<domain type='kvm'>
  <name>paths</name>
  <memory unit='MiB'>256</memory>
  <os>${os}</os>
  <devices>${devices}</devices>
</domain>`;

describe('host paths of a domain definition', () => {
  it('names every kind with its need, once per path', () => {
    const xml = domain(
      `<type arch='x86_64' machine='q35'>hvm</type>
       <loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader>
       <nvram template='/usr/share/OVMF/OVMF_VARS.fd'>/var/lib/libvirt/qemu/nvram/paths_VARS.fd</nvram>
       <kernel>/boot/vmlinuz</kernel><initrd>/boot/initrd.img</initrd><dtb>/boot/board.dtb</dtb>`,
      `<serial type='file'><source path='/var/log/vm/serial.out'/><log file='/var/log/vm/serial.log'/><target port='0'/></serial>
       <console type='file'><source path='/var/log/vm/serial.out'/><target type='serial' port='0'/></console>
       <parallel type='dev'><source path='/dev/parport0'/><target port='0'/></parallel>
       <channel type='unix'><source mode='connect' path='/run/agent/peer.sock'/><target type='virtio' name='org.example.peer'/></channel>
       <channel type='unix'><source mode='bind' path='/run/vm/listen.sock'/><target type='virtio' name='org.example.listen'/></channel>
       <channel type='unix'><source mode='bind' path='/var/lib/libvirt/qemu/channel/target/domain-1-paths/org.qemu.guest_agent.0'/><target type='virtio' name='org.qemu.guest_agent.0'/></channel>
       <serial type='pipe'><source path='/run/vm/pipe'/><target port='1'/></serial>
       <rng model='virtio'><backend model='random'>/dev/hwrng</backend></rng>
       <rng model='virtio'><backend model='egd' type='unix'><source mode='connect' path='/run/egd.sock'/></backend></rng>
       <input type='passthrough' bus='virtio'><source evdev='/dev/input/event1'/></input>
       <input type='evdev'><source dev='/dev/input/event2'/></input>
       <tpm model='tpm-tis'><backend type='passthrough'><device path='/dev/tpm0'/></backend></tpm>
       <filesystem type='mount' accessmode='mapped'><source dir='/srv/export'/><target dir='share'/></filesystem>
       <filesystem type='ram'><source usage='1024'/><target dir='ram'/></filesystem>
       <memory model='nvdimm'><source><path>/srv/nvdimm.img</path></source><target><size unit='MiB'>128</size></target></memory>
       <shmem name='shm1'><model type='ivshmem-doorbell'/><server path='/run/ivshmem.sock'/></shmem>
       <interface type='vhostuser'><source type='unix' path='/run/ovs/vhu0' mode='client'/><model type='virtio'/></interface>
       <interface type='vhostuser'><source type='unix' path='/run/vm/vhu1' mode='server'/><model type='virtio'/></interface>
       <graphics type='vnc'><listen type='socket' socket='/run/vm/vnc.sock'/></graphics>`,
    );
    expect(parseDomainXml(xml).hostPaths.map((p) => `${p.need} ${p.path} (${p.usedBy})`)).toEqual([
      'exists /usr/share/OVMF/OVMF_CODE.fd (os loader)',
      'created /var/lib/libvirt/qemu/nvram/paths_VARS.fd (os nvram)',
      'exists /boot/vmlinuz (os kernel)',
      'exists /boot/initrd.img (os initrd)',
      'exists /boot/board.dtb (os dtb)',
      'created /var/log/vm/serial.out (serial 0)',
      'created /var/log/vm/serial.log (serial 0 log)',
      'device /run/vm/pipe (serial 1 (pipe))',
      'device /dev/parport0 (parallel 0)',
      'socket /run/agent/peer.sock (channel org.example.peer)',
      'created /run/vm/listen.sock (channel org.example.listen)',
      'device /dev/hwrng (rng 0 backend)',
      'socket /run/egd.sock (rng 1 egd backend)',
      'device /dev/input/event1 (input 0 (passthrough))',
      'device /dev/input/event2 (input 1 (evdev))',
      'device /dev/tpm0 (tpm 0 passthrough)',
      'exists /srv/export (filesystem share)',
      'exists /srv/nvdimm.img (memory 0 (nvdimm))',
      'socket /run/ivshmem.sock (shmem shm1 server)',
      'socket /run/ovs/vhu0 (vhost-user interface 0)',
      'created /run/vm/vhu1 (vhost-user interface 1)',
      'created /run/vm/vnc.sock (graphics 0 socket)',
    ]);
  });

  it('names firmware tables, fw_cfg blobs, smartcards, redirection, audio, render nodes, ROMs and scripts', () => {
    const xml = `<domain type='kvm'>
  <name>paths</name>
  <memory unit='MiB'>256</memory>
  <sysinfo type='fwcfg'><entry name='opt/com.example/blob' file='/srv/fw/blob.ign'/><entry name='opt/x'>text</entry></sysinfo>
  <os><type arch='x86_64' machine='q35'>hvm</type>
    <loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader>
    <nvram type='file'><source file='/var/lib/libvirt/qemu/nvram/paths_VARS.fd'/></nvram>
    <acpi><table type='slic'>/srv/acpi/slic.dat</table></acpi></os>
  <devices>
    <smartcard mode='host-certificates'><certificate>a</certificate><certificate>b</certificate><certificate>c</certificate><database>/srv/nssdb</database></smartcard>
    <smartcard mode='host-certificates'><certificate>a</certificate><certificate>b</certificate><certificate>c</certificate></smartcard>
    <smartcard mode='passthrough' type='unix'><source mode='connect' path='/run/card.sock'/></smartcard>
    <redirdev bus='usb' type='unix'><source path='/run/redir.sock'/></redirdev>
    <tpm model='tpm-crb'><backend type='external'><source type='unix' mode='connect' path='/run/swtpm.sock'/></backend></tpm>
    <audio id='1' type='oss'><input dev='/dev/dsp0'/><output dev='/dev/dsp1'/></audio>
    <audio id='2' type='alsa'><input dev='hw:0'/></audio>
    <audio id='3' type='file' path='/var/log/vm/sound.wav'/>
    <graphics type='egl-headless'><gl rendernode='/dev/dri/renderD128'/></graphics>
    <graphics type='vnc' socket='/run/vm/vnc-old.sock'/>
    <interface type='user'><rom file='/srv/roms/efi-virtio.rom'/></interface>
    <interface type='ethernet'><script path='/etc/qemu-ifup'/></interface>
    <hostdev mode='subsystem' type='pci'><source><address domain='0' bus='6' slot='18' function='6'/></source><rom file='/srv/roms/vf.rom'/></hostdev>
    <filesystem type='mount'><driver type='virtiofs'/><binary path='/usr/libexec/virtiofsd'/><source dir='/srv/share'/><target dir='share'/></filesystem>
  </devices>
</domain>`;
    expect(parseDomainXml(xml).hostPaths.map((p) => `${p.need} ${p.path} (${p.usedBy})`)).toEqual([
      'exists /usr/share/OVMF/OVMF_CODE.fd (os loader)',
      'created /var/lib/libvirt/qemu/nvram/paths_VARS.fd (os nvram)',
      'exists /srv/share (filesystem share)',
      'exists /srv/acpi/slic.dat (acpi table slic)',
      'exists /srv/fw/blob.ign (fw_cfg opt/com.example/blob)',
      'exists /srv/nssdb (smartcard 0 database)',
      'exists /etc/pki/nssdb (smartcard 1 database)',
      'socket /run/card.sock (smartcard 2)',
      'socket /run/redir.sock (redirdev 0)',
      'socket /run/swtpm.sock (tpm 0 external)',
      'device /dev/dsp0 (audio 1 input)',
      'device /dev/dsp1 (audio 1 output)',
      'created /var/log/vm/sound.wav (audio 3 file)',
      'device /dev/dri/renderD128 (graphics 0 (egl-headless) rendernode)',
      'created /run/vm/vnc-old.sock (graphics 1 socket)',
      'exists /srv/roms/efi-virtio.rom (interface rom)',
      'exists /etc/qemu-ifup (ethernet interface 0 script)',
      'exists /usr/libexec/virtiofsd (filesystem share virtiofsd)',
    ]);
  });

  it('reads a disk source startupPolicy (what libvirt may drop)', () => {
    const model = parseDomainXml(
      domain(
        `<type arch='x86_64'>hvm</type>`,
        `<disk type='file' device='cdrom'><source file='/iso/a.iso' startupPolicy='optional'/><target dev='sda' bus='sata'/><readonly/></disk>
         <disk type='file' device='disk'><source file='/img/b.qcow2'/><target dev='vda' bus='virtio'/></disk>`,
      ),
    );
    expect(model.disks.map((d) => [d.target, d.startupPolicy])).toEqual([
      ['sda', 'optional'],
      ['vda', null],
    ]);
    expect(model.hostPaths).toEqual([]);
  });
});
