// The typical domain the benches measure against: 8 GiB, 4 vCPUs, four qcow2
// disks, a virtio NIC, a serial console, VNC. Each bench names its own guest
// and picks what differs: the virt type, the network, and for a KVM guest its
// machine type, CPU mode and emulator.
const disks = Array.from(
  { length: 4 },
  (_, i) => `<disk type="file" device="disk"><driver name="qemu" type="qcow2"/>
      <source file="/var/lib/libvirt/images/vm1-${i}.qcow2"/><target dev="vd${'abcd'[i]}" bus="virtio"/></disk>`,
).join('\n    ');

export function typicalDomainXml({ type, name, uuid, network, machine, cpu, emulator }) {
  const machineAttr = machine ? ` machine="${machine}"` : '';
  return [
    `<domain type="${type}">`,
    `  <name>${name}</name><uuid>${uuid}</uuid>`,
    '  <memory unit="KiB">8388608</memory><currentMemory unit="KiB">8388608</currentMemory>',
    '  <vcpu placement="static">4</vcpu>',
    `  <os><type arch="x86_64"${machineAttr}>hvm</type><boot dev="hd"/></os>`,
    '  <features><acpi/><apic/></features>',
    cpu && `  <cpu mode="${cpu}" check="partial"/>`,
    '  <devices>',
    emulator && `    <emulator>${emulator}</emulator>`,
    `    ${disks}`,
    `    <interface type="network"><mac address="52:54:00:aa:bb:cc"/><source network="${network}"/><model type="virtio"/></interface>`,
    '    <serial type="pty"><target port="0"/></serial>',
    '    <graphics type="vnc" port="-1" autoport="yes"/>',
    '    <video><model type="virtio" heads="1"/></video>',
    '    <memballoon model="virtio"/>',
    '  </devices>',
    '</domain>',
  ]
    .filter(Boolean)
    .join('\n');
}
