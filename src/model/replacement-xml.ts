/**
 * A domain XML the caller gives for the destination (virsh --xml,
 * --persistent-xml): what libvirt will accept for this guest. libvirt parses
 * it as a domain definition and requires the guest's own UUID (its ABI
 * stability check, virDomainDefCheckABIStabilityFlags); a missing <uuid>
 * would be made up at random and so fails the same way. The --xml one must
 * also keep the guest's ABI (qemuMigrationSrcBeginXML runs the whole check:
 * ./abi-stability.ts); the persistent one is only parsed
 * (qemuMigrationAnyPrepareDef).
 */
import { XmlDocument } from '../binding/xml.js';
import { XmlError } from '../errors.js';
import { abiStabilityProblem } from './abi-stability.js';

export interface ReplacementXml {
  name: string | null;
  uuid: string | null;
}

/** Parses `text` (no DTD, no entities: XmlDocument's rules); a message says what is wrong, or the name and UUID it holds. */
export function readReplacementXml(text: string, what: string): ReplacementXml | string {
  let doc: XmlDocument;
  try {
    doc = XmlDocument.parse(text, { name: what });
  } catch (error) {
    if (error instanceof XmlError) return `${what} is not usable XML: ${error.message}`;
    throw error;
  }
  const root = doc.string('name(/*)');
  if (root !== 'domain') return `${what} must be a <domain> definition, not <${root}>`;
  const name = doc.string('normalize-space(/domain/name)');
  const uuid = doc.string('normalize-space(/domain/uuid)');
  return { name: name || null, uuid: uuid || null };
}

/**
 * The problem libvirt will find with `text` as the destination XML of the
 * guest `uuid`, or null. With the guest's migratable XML (`guest.xml`) and
 * `abi` (the --xml one), also the first ABI difference libvirt reports.
 */
export function replacementXmlProblem(
  text: string,
  what: string,
  guest: { uuid: string; xml?: string },
  abi = false,
): string | null {
  const xml = readReplacementXml(text, what);
  if (typeof xml === 'string') return xml;
  if (xml.uuid === null) return `${what} has no <uuid>: libvirt requires the guest's own, ${guest.uuid}`;
  if (xml.uuid.toLowerCase() !== guest.uuid.toLowerCase()) {
    return `${what} is for UUID ${xml.uuid}, not this guest's ${guest.uuid} (libvirt: "Target domain uuid … does not match source")`;
  }
  if (abi && guest.xml !== undefined) {
    const src = XmlDocument.parse(guest.xml, { name: 'the guest XML' }).node('/domain');
    const dst = XmlDocument.parse(text, { name: what }).node('/domain');
    const problem = src && dst ? abiStabilityProblem(src, dst) : null;
    if (problem) return `${what} changes the guest's ABI (libvirt: "${problem}")`;
  }
  return null;
}
