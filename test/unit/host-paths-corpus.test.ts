/**
 * The host-path model against libvirt's own corpus: every domain XML of
 * tests/qemuxml2argvdata in the source of the libvirt this machine runs
 * (scripts/fetch-libvirt-corpus.sh puts it in /var/cache/libvirt-pmc-corpus,
 * or PMC_LIBVIRT_CORPUS) parses, and every host path its .args command lines
 * show QEMU opening is in parseHostPaths with the need QEMU has of it.
 *
 * Which paths count (test/helpers/qemu-args.ts says how each option is read):
 * - a path of a key that the extractor's table names a host path QEMU opens
 *   (an unknown key with an absolute path fails the extractor, so none slips
 *   through unread);
 * - that the domain XML names, as an attribute value or element text: paths
 *   libvirt makes itself (its per-domain directory, qemu.conf's directories,
 *   firmware it picks from descriptors) are libvirt's, not the definition's;
 * - outside <disk>, <hostdev> and <interface type='hostdev'>, which the storage
 *   and device checks own.
 * Skips, and says so, when the corpus is absent.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { XmlDocument } from '../../src/binding/xml.js';
import { parseDomainXml } from '../../src/model/libvirt-xml.js';
import { argPaths, type ArgPath } from '../helpers/qemu-args.js';

const root = process.env.PMC_LIBVIRT_CORPUS ?? '/var/cache/libvirt-pmc-corpus';
const corpus = existsSync(root)
  ? readdirSync(root)
      .filter((d) => d.startsWith('libvirt-'))
      .map((d) => join(root, d, 'tests', 'qemuxml2argvdata'))
      .find((d) => existsSync(d))
  : undefined;

/** Each XML of the corpus with the .args files built from it (`foo.args`, `foo.x86_64-latest.args`, …). */
function pairs(dir: string): Array<{ name: string; xml: string; args: string[] }> {
  const files = readdirSync(dir);
  const bases = files.filter((f) => f.endsWith('.xml')).map((f) => f.slice(0, -4));
  const baseSet = new Set(bases);
  const args = new Map<string, string[]>(bases.map((b) => [b, []]));
  for (const f of files.filter((f) => f.endsWith('.args'))) {
    // The longest XML base the file name starts with, then nothing or one variant before `.args`.
    const stem = f.slice(0, -5);
    const parts = stem.split('.');
    for (let n = parts.length; n > 0; n--) {
      const base = parts.slice(0, n).join('.');
      if (baseSet.has(base)) {
        args.get(base)!.push(join(dir, f));
        break;
      }
    }
  }
  return bases.sort().map((b) => ({ name: b, xml: join(dir, `${b}.xml`), args: args.get(b)! }));
}

/** The paths of `found` the XML names outside the disks and host devices. */
function domainPaths(doc: XmlDocument, found: ArgPath[]): ArgPath[] {
  return found.filter((p) => {
    const naming = doc.nodes('//@*[. = $p] | //text()[normalize-space(.) = $p]', { p: p.path });
    const owned = (n: (typeof naming)[number]) =>
      n.boolean("ancestor-or-self::disk or ancestor-or-self::hostdev or ancestor-or-self::interface[@type='hostdev']");
    return naming.length > 0 && !naming.every(owned);
  });
}

describe("the host-path model over libvirt's qemuxml2argvdata", () => {
  if (!corpus) {
    it.skip(`skipped: no libvirt corpus under ${root} (bash scripts/fetch-libvirt-corpus.sh fetches it)`, () => {});
    return;
  }
  const all = pairs(corpus);

  it('parses every domain XML of the corpus', () => {
    const errors: string[] = [];
    for (const { name, xml } of all) {
      try {
        parseDomainXml(readFileSync(xml, 'utf8'));
      } catch (error) {
        errors.push(`${name}: ${(error as Error).message}`);
      }
    }
    console.info(`corpus: ${all.length - errors.length} of ${all.length} domain XMLs parse`);
    expect(errors).toEqual([]);
    expect(all.length).toBeGreaterThan(1000);
  });

  it('lists every host path the command lines show QEMU opening, with its need', () => {
    const misses: string[] = [];
    let total = 0;
    for (const { name, xml, args } of all) {
      if (args.length === 0) continue;
      const text = readFileSync(xml, 'utf8');
      let found: ArgPath[];
      try {
        found = args.flatMap((a) => argPaths(readFileSync(a, 'utf8')));
      } catch (error) {
        misses.push(`${name}: ${(error as Error).message}`);
        continue;
      }
      let model;
      try {
        model = parseDomainXml(text);
      } catch {
        continue; // counted by the parse test
      }
      const seen = new Set<string>();
      for (const p of domainPaths(XmlDocument.parse(text), found)) {
        const key = `${p.path}|${p.need}`;
        if (seen.has(key)) continue;
        seen.add(key);
        total++;
        const listed = model.hostPaths.filter((h) => h.path === p.path);
        if (listed.length === 0) misses.push(`${name}: ${p.where} ${p.path} (${p.need}) not listed`);
        else if (!listed.some((h) => h.need === p.need)) {
          misses.push(
            `${name}: ${p.where} ${p.path} listed as ${listed.map((h) => h.need).join('/')}, QEMU: ${p.need}`,
          );
        }
      }
    }
    console.info(`corpus: ${total - misses.length} of ${total} host paths listed with the right need`);
    expect(misses).toEqual([]);
    expect(total).toBeGreaterThan(150);
  });
});
