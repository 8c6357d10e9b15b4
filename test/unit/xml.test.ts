import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { Connection, XmlDocument, XmlError, XmlNode, XPathExpression } from '../../src/index.js';
import { addonCandidates } from '../../src/binding/native.js';
import { collectGarbage } from '../helpers/gc.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');

const DOMAIN = `<domain type="kvm">
  <name>vm1</name>
  <memory unit="KiB">4194304</memory>
  <vcpu placement="static">4</vcpu>
  <devices>
    <disk type="file" device="disk"><source file="/var/lib/a.qcow2"/><target dev="vda" bus="virtio"/></disk>
    <disk type="block" device="disk"><source dev="/dev/sdb"/><target dev="vdb" bus="virtio"/></disk>
    <disk type="file" device="cdrom"><target dev="sda" bus="sata"/><readonly/></disk>
    <hostdev mode="subsystem" type="pci"/>
    <interface type="network"><source network="prod"/></interface>
  </devices>
</domain>`;

function xmlError(fn: () => unknown): XmlError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(XmlError);
    return error as XmlError;
  }
  throw new Error('expected an XmlError');
}

describe('XmlDocument: XPath results', () => {
  const doc = XmlDocument.parse(DOMAIN, { name: 'vm1.xml' });

  it('gives each XPath type as its JS type', () => {
    expect(doc.evaluate('string(/domain/name)')).toBe('vm1');
    expect(doc.evaluate('count(//disk)')).toBe(3);
    expect(doc.evaluate('/domain/memory * 2')).toBe(8388608);
    expect(doc.evaluate('count(//hostdev) = 1')).toBe(true);
    expect(doc.evaluate('boolean(//nvram)')).toBe(false);
    expect(doc.evaluate('0 div 0')).toBeNaN();
    const disks = doc.evaluate('//disk[@device="disk"]/target');
    expect(Array.isArray(disks)).toBe(true);
    expect((disks as XmlNode[]).map((n) => n.attr('dev'))).toEqual(['vda', 'vdb']);
    expect(doc.evaluate('//nothing')).toEqual([]);
  });

  it('casts with string, number and boolean like XPath does', () => {
    expect(doc.string('/domain/name')).toBe('vm1');
    expect(doc.string('//disk/target/@dev')).toBe('vda'); // the first node
    expect(doc.string('//nothing')).toBe('');
    expect(doc.number('/domain/vcpu')).toBe(4);
    expect(doc.number('/domain/name')).toBeNaN();
    expect(doc.boolean('//readonly')).toBe(true);
    expect(doc.boolean('//nothing')).toBe(false);
    expect(doc.boolean('string(//nothing)')).toBe(false);
  });

  it('gives nodes with name, type, text, attributes, XML and line', () => {
    const memory = doc.node('/domain/memory');
    expect(memory).not.toBeNull();
    expect(memory!.name).toBe('memory');
    expect(memory!.type).toBe('element');
    expect(memory!.text).toBe('4194304');
    expect(memory!.attr('unit')).toBe('KiB');
    expect(memory!.attr('missing')).toBeNull();
    expect(memory!.xml).toBe('<memory unit="KiB">4194304</memory>');
    expect(memory!.line).toBe(3);
    const unit = doc.node('/domain/memory/@unit')!;
    expect([unit.type, unit.name, unit.text, unit.attr('x')]).toEqual(['attribute', 'unit', 'KiB', null]);
    expect(doc.node('//nothing')).toBeNull();
    expect(doc.root!.name).toBe('domain');
    expect(doc.xml).toContain('<name>vm1</name>');
  });

  it('refuses nodes() of a non-node-set, naming the expression', () => {
    const error = xmlError(() => doc.nodes('count(//disk)'));
    expect(error.code).toBe('ERR_PMC_XPATH');
    expect(error.message).toContain('count(//disk)');
  });

  it('evaluates relative to a node', () => {
    const [first, second] = doc.nodes('//disk');
    expect(first!.string('target/@dev')).toBe('vda');
    expect(second!.string('source/@dev')).toBe('/dev/sdb');
    expect(second!.number('count(preceding-sibling::disk)')).toBe(1);
    expect(second!.boolean('@type = "block"')).toBe(true);
    expect(second!.nodes('..')[0]!.name).toBe('devices');
    expect(second!.evaluate('string(/domain/name)')).toBe('vm1'); // absolute paths still reach the root
  });

  it('keeps nodes usable after their document object is gone', async () => {
    const collected: string[] = [];
    const registry = new FinalizationRegistry<string>((key) => collected.push(key));
    let node: XmlNode | undefined = (() => {
      const parsed = XmlDocument.parse('<a><b>kept</b></a>');
      registry.register(parsed, 'document');
      registry.register(parsed.native, 'native document');
      return parsed.node('/a/b')!;
    })();
    await collectGarbage();
    // The XmlDocument really is gone (so the node, not a lingering document, keeps the tree)…
    expect(collected).toContain('document');
    // …and the node still reads it, also through the root.
    expect(node.text).toBe('kept');
    expect(node.string('string(/a)')).toBe('kept');
    // Once the node goes too, nothing holds the tree any more.
    // eslint-disable-next-line no-useless-assignment -- dropping the last reference is the point
    node = undefined;
    await collectGarbage();
    expect(collected).toContain('native document');
  });
});

describe('XPath variables', () => {
  const domain = XmlDocument.parse(DOMAIN);
  const host = XmlDocument.parse('<host><cpu><model>Skylake</model></cpu><pci count="2"/></host>');

  it('binds documents as their document node', () => {
    expect(host.evaluate('count($domain/domain/devices/hostdev) = 0', { variables: { domain } })).toBe(false);
    expect(host.number('count($domain//disk)', { domain })).toBe(3);
    expect(host.string('$domain/domain/name', { domain })).toBe('vm1');
    // Context and variable documents mix in one expression.
    expect(host.boolean('count($domain//hostdev) <= /host/pci/@count', { domain })).toBe(true);
    const nodes = host.nodes('$domain//disk[@device="cdrom"]', { domain });
    expect(nodes.map((n) => n.string('target/@dev'))).toEqual(['sda']);
  });

  it('binds nodes, strings, numbers and booleans', () => {
    const disk = domain.node('//disk[2]')!;
    const vars = { disk, dev: 'vdb', limit: 2, strict: true };
    expect(domain.boolean('$disk/target/@dev = $dev', vars)).toBe(true);
    expect(domain.boolean('count(//disk) > $limit and $strict', vars)).toBe(true);
    expect(domain.evaluate('$limit * 1.5', { variables: vars })).toBe(3);
    expect(domain.evaluate('$strict', { variables: vars })).toBe(true);
    expect(domain.evaluate('concat($dev, "!")', { variables: vars })).toBe('vdb!');
    expect(host.nodes('$disk/source', vars)[0]!.attr('dev')).toBe('/dev/sdb');
  });

  it('refuses an undefined variable, naming the expression', () => {
    const error = xmlError(() => domain.evaluate('count($nope//disk)', { variables: { other: 1 } }));
    expect(error.code).toBe('ERR_PMC_XPATH');
    expect(error.expression).toBe('count($nope//disk)');
    expect(error.message).toMatch(/Undefined variable.*count\(\$nope\/\/disk\)/);
  });

  it('refuses a variable of another type', () => {
    expect(() => domain.evaluate('$x', { variables: { x: {} as never } })).toThrow(TypeError);
  });
});

describe('compiled expressions', () => {
  it('compile once and evaluate against any document', () => {
    const expr = XmlDocument.compile('count($domain//disk) + count(//b)');
    expect(expr).toBeInstanceOf(XPathExpression);
    expect(expr.source).toBe('count($domain//disk) + count(//b)');
    const domain = XmlDocument.parse(DOMAIN);
    const other = XmlDocument.parse('<a><b/><b/></a>');
    expect(other.number(expr, { domain })).toBe(5);
    expect(domain.evaluate(expr, { variables: { domain } })).toBe(3);
  });

  it('throw on a syntax error, with libxml2 message and the expression', () => {
    for (const source of ['count(//disk', '//disk[', '1 +', '///']) {
      const error = xmlError(() => XPathExpression.compile(source));
      expect(error.code).toBe('ERR_PMC_XPATH');
      expect(error.expression).toBe(source);
      expect(error.message).toContain(source);
    }
    expect(xmlError(() => XPathExpression.compile('1 +')).message).toMatch(/^Invalid expression/);
    // A string expression given to evaluate is checked the same way.
    expect(xmlError(() => XmlDocument.parse('<a/>').evaluate('//a[')).code).toBe('ERR_PMC_XPATH');
  });
});

describe('parse errors and limits', () => {
  it('reports name:line:column', () => {
    const error = xmlError(() => XmlDocument.parse('<domain>\n  <name>vm1</nam>\n</domain>', { name: 'vm1.xml' }));
    expect(error.code).toBe('ERR_PMC_XML_PARSE');
    expect([error.file, error.line]).toEqual(['vm1.xml', 2]);
    expect(error.column).toBeGreaterThan(0);
    expect(error.message).toMatch(/^vm1\.xml:2:\d+: .*mismatch/);
  });

  it('reads the text as UTF-8 whatever the declaration says (it came through a JS string)', () => {
    const doc = XmlDocument.parse('<?xml version="1.0" encoding="ISO-8859-1"?><a>é ü 日本</a>');
    expect(doc.string('/a')).toBe('é ü 日本');
    expect(doc.xml).toContain('<a>é ü 日本</a>');
    expect(doc.root!.xml).toBe('<a>é ü 日本</a>');
  });

  it('refuses empty and non-XML text', () => {
    expect(xmlError(() => XmlDocument.parse('')).code).toBe('ERR_PMC_XML_PARSE');
    expect(xmlError(() => XmlDocument.parse('not xml', { name: 'x' })).message).toMatch(/^x:1:\d+: /);
  });

  it('refuses documents over the size limit', () => {
    const text = `<a>${'x'.repeat(100)}</a>`;
    const error = xmlError(() => XmlDocument.parse(text, { maxBytes: 50, name: 'big.xml' }));
    expect(error.code).toBe('ERR_PMC_XML_TOO_LARGE');
    expect(error.message).toContain('big.xml');
    expect(XmlDocument.parse(text, { maxBytes: text.length }).string('string-length(/a)')).toBe('100');
    // The default limit is 16 MiB.
    const huge = `<a>${'x'.repeat(16 * 1024 * 1024)}</a>`;
    expect(xmlError(() => XmlDocument.parse(huge)).code).toBe('ERR_PMC_XML_TOO_LARGE');
  });

  it('refuses any DTD, internal entities included, where it starts: billion laughs in milliseconds', () => {
    expect(xmlError(() => XmlDocument.parse('<!DOCTYPE a [<!ENTITY who "world">]><a>hello &who;</a>')).code).toBe(
      'ERR_PMC_XML_FORBIDDEN',
    );
    expect(xmlError(() => XmlDocument.parse('<!DOCTYPE a><a/>')).code).toBe('ERR_PMC_XML_FORBIDDEN');
    let entities = '';
    for (let i = 1; i <= 9; i++) entities += `  <!ENTITY lol${i} "${`&lol${i - 1};`.repeat(10)}">\n`;
    const lolz = `<?xml version="1.0"?>\n<!DOCTYPE lolz [\n  <!ENTITY lol0 "lol">\n${entities}]>\n<lolz a="&lol9;">&lol9;</lolz>\n`;
    const started = performance.now();
    const error = xmlError(() => XmlDocument.parse(lolz, { name: 'lolz.xml' }));
    const took = performance.now() - started;
    expect(error.code).toBe('ERR_PMC_XML_FORBIDDEN');
    expect(error.message).toMatch(/^lolz\.xml:2:\d+: refused: DTD\/entity declarations are not allowed$/);
    expect(took).toBeLessThan(50);
    // Undeclared references stay an ordinary parse error.
    expect(xmlError(() => XmlDocument.parse('<a>&undeclared;</a>')).code).toBe('ERR_PMC_XML_PARSE');
  });
});

describe('XXE', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pmc-xxe-'));
  const secret = `pmc-secret-${randomUUID()}`;
  const secretFile = path.join(dir, 'secret.txt');
  writeFileSync(secretFile, secret);
  const fifo = path.join(dir, 'fifo');
  const made = spawnSync('mkfifo', [fifo]);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const addon = addonCandidates().find((p) => existsSync(p))!;

  // In a child: a parse that opened the FIFO would block forever; here it
  // shows up as a timeout, and whatever the child printed is searched too.
  function probe(documents: string[]) {
    const child = spawnSync(
      process.execPath,
      [path.join(root, 'test', 'helpers', 'xxe-probe.mjs'), addon, JSON.stringify(documents)],
      { cwd: root, encoding: 'utf8', timeout: 20_000 },
    );
    expect(child.error).toBeUndefined();
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    expect(child.stdout).not.toContain(secret);
    return JSON.parse(child.stdout) as { code?: string; message?: string; parsed?: boolean }[];
  }

  it('refuses external and parameter entities and external DTDs without reading them', () => {
    expect(made.status).toBe(0);
    for (const target of [secretFile, fifo]) {
      const url = `file://${target}`;
      const started = Date.now();
      const outcomes = probe([
        `<!DOCTYPE a [<!ENTITY e SYSTEM "${url}">]><a>&e;</a>`,
        `<!DOCTYPE a [<!ENTITY e SYSTEM "${url}">]><a/>`,
        `<!DOCTYPE a [<!ENTITY e PUBLIC "-//x//y" "${url}">]><a>&e;</a>`,
        `<!DOCTYPE a [<!ENTITY % p SYSTEM "${url}"> %p;]><a/>`,
        `<!DOCTYPE a [<!ENTITY % p "<!ENTITY e 'x'>"> %p;]><a>&e;</a>`,
        `<!DOCTYPE a SYSTEM "${url}"><a/>`,
        `<!DOCTYPE a [<!ENTITY e SYSTEM "${url}" NDATA png>]><a/>`,
      ]);
      expect(Date.now() - started).toBeLessThan(15_000);
      for (const outcome of outcomes) {
        expect(outcome.code).toBe('ERR_PMC_XML_FORBIDDEN');
        expect(outcome.message).toMatch(/refused: DTD\/entity declarations are not allowed/);
      }
    }
  });

  it('does not print libxml2 errors to stderr', () => {
    const outcomes = probe(['<a><b></a>', '<a', '&undefined;', '<a>&undefined;</a>']);
    expect(outcomes.map((o) => o.code)).toEqual(Array(4).fill('ERR_PMC_XML_PARSE'));
  });
});

describe('a real libvirt domain XML', () => {
  it('queries test:///default', async () => {
    const conn = await Connection.open('test:///default');
    try {
      const dom = await conn.lookupDomainByName('test');
      const doc = XmlDocument.parse(await dom.getXMLDesc(), { name: 'test.xml' });
      expect(doc.string('/domain/name')).toBe('test');
      expect(doc.string('/domain/uuid')).toBe(dom.uuid);
      expect(doc.string('/domain/@type')).toBe('test');
      expect(doc.number('/domain/memory')).toBeGreaterThan(0);
      expect(doc.boolean('count(/domain/devices/hostdev) = 0')).toBe(true);
      const caps = XmlDocument.parse(await conn.getCapabilities());
      expect(caps.boolean('$domain/domain/os/type/@arch = /capabilities/guest/arch/@name', { domain: doc })).toBe(true);
    } finally {
      await conn.close();
    }
  });
});
