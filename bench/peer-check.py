#!/usr/bin/python3
"""The start-up bench's peer (bench/startup.bench.mjs): a libvirt-python script
that asks the libvirt questions `pmc check` asks of a source and a destination
for one guest, one after another, and prints what it learned. What pmc does
with the answers (34 checks) is not copied: this is the floor a process that
only asks the same questions stands on.

    python3 bench/peer-check.py SOURCE_URI DOMAIN DEST_URI
"""
import sys
import xml.etree.ElementTree as ET

import libvirt

VIR_DOMAIN_XML_MIGRATABLE = 8
VIR_CONNECT_COMPARE_CPU_FAIL_INCOMPATIBLE = 1


def quiet(_ctx, _error):
    """libvirt prints every error to stderr by default; the script handles the ones it expects."""


def host_facts(conn):
    """What the built-ins ask of every host: identity, versions, capabilities, pools."""
    return {
        "hostname": conn.getHostname(),
        "uri": conn.getURI(),
        "type": conn.getType(),
        "alive": conn.isAlive(),
        "version": conn.getVersion(),
        "libVersion": conn.getLibVersion(),
        "capabilities": ET.fromstring(conn.getCapabilities()),
        "pools": [p.name() for p in conn.listAllStoragePools(0)],
    }


def lookup_or_none(lookup, key):
    try:
        return lookup(key)
    except libvirt.libvirtError as e:
        if e.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
            return None
        raise


def main(source_uri, name, dest_uri):
    libvirt.registerErrorHandler(quiet, None)
    src = libvirt.open(source_uri)
    dst = libvirt.open(dest_uri)
    dom = src.lookupByName(name)
    facts = {"source": host_facts(src), "destination": host_facts(dst)}
    facts["nodeInfo"] = dst.getInfo()
    facts["freeMemory"] = dst.getFreeMemory()
    facts["networks"] = [n.name() for n in dst.listAllNetworks(0)]
    facts["state"] = dom.state()
    facts["persistent"] = dom.isPersistent()
    facts["snapshots"] = dom.snapshotNum(0)
    facts["sameName"] = lookup_or_none(dst.lookupByName, name)
    facts["sameUUID"] = lookup_or_none(dst.lookupByUUIDString, dom.UUIDString())
    xml = ET.fromstring(dom.XMLDesc(VIR_DOMAIN_XML_MIGRATABLE))
    emulator = xml.findtext("devices/emulator")
    os_type = xml.find("os/type")
    arch, machine, virttype = os_type.get("arch"), os_type.get("machine"), xml.get("type")
    cpu = xml.find("cpu")
    if cpu is not None:
        facts["cpu"] = dst.compareHypervisorCPU(
            emulator, arch, machine, virttype, ET.tostring(cpu, encoding="unicode"),
            VIR_CONNECT_COMPARE_CPU_FAIL_INCOMPATIBLE,
        )
    facts["job"] = dom.jobInfo()
    facts["domainCapabilities"] = ET.fromstring(dst.getDomainCapabilities(emulator, arch, machine, virttype, 0))
    facts["active"] = dom.isActive()
    facts["running on destination"] = lookup_or_none(dst.lookupByUUIDString, dom.UUIDString())
    print(f"{name}: {len(facts)} facts from {source_uri} and {dest_uri}")
    dst.close()
    src.close()


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: peer-check.py SOURCE_URI DOMAIN DEST_URI")
    main(*sys.argv[1:])
