/**
 * Input as a careless or hostile user writes it: numbers past what their
 * consumer holds, unknown choices, XML files that are FIFOs, DTDs or another
 * guest's, IDs past a C int, control characters on their way into `$options`.
 * Each is refused before connecting, or by the check that owns the rule.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Connection, constants, XmlDocument } from '../../src/index.js';
import { optionsXml } from '../../src/pmc/native-facts.js';
import { parseReport, pmcOnHostA, runPmc } from '../helpers/cli.js';
import { fixtureUri } from '../helpers/fixtures.js';

const hostA = fixtureUri('host-a');
const hostB = fixtureUri('host-b');
const dir = mkdtempSync(path.join(tmpdir(), 'pmc-input-'));
const GUEST1_UUID = '4a1b9c2e-0f8e-4a62-9d43-8c1c1b6f0a01';

function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

async function expectRefused(args: string[], pattern: RegExp): Promise<void> {
  const { code, stdout, stderr } = await pmcOnHostA(['check', ...args]);
  expect(code, stderr).toBe(1);
  expect(stdout).toBe('');
  const lines = stderr.trimEnd().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

describe('numbers are bounded by what their consumer holds', () => {
  it.each([
    ['--check-timeout', '4294967297', /from 1 to 2147483647/],
    ['--check-timeout', '2147483648', /from 1 to 2147483647/],
    ['--timeout', '4294967', /from 1 to 2147483/],
    ['--disks-port', '65536', /from 1 to 65535/],
    ['--parallel-connections', '2147483648', /from 1 to 2147483647/],
    ['--bandwidth', '8796093022208', /from 1 to 8796093022207/],
  ])('%s %s is refused before connecting', async (option, value, message) => {
    await expectRefused([option, value, 'guest1', hostB], message);
  });

  it('the API refuses the same before running anything', async () => {
    const conn = await Connection.open(hostA);
    try {
      const dom = await conn.lookupDomainByName('guest1');
      await expect(dom.checkPMC(conn, { timeoutMs: 2 ** 31 })).rejects.toThrow(
        /timeoutMs must be a whole number of milliseconds from 1 to 2147483647/,
      );
      await expect(dom.checkPMC(conn, { disksPort: 70_000 })).rejects.toThrow(
        /disksPort must be a whole number from 1 to 65535/,
      );
      await expect(dom.checkPMC(conn, { compression: ['bogus'] })).rejects.toThrow(/compression: unknown bogus/);
    } finally {
      await conn.close();
    }
  });
});

describe('choices', () => {
  it('--comp-methods takes only the methods libvirt knows', async () => {
    await expectRefused(
      ['--comp-methods', 'mt,bogus', 'guest1', hostB],
      /Unknown 'bogus': expected mt, xbzrle, zlib, zstd/,
    );
  });
});

describe('--xml and --persistent-xml', () => {
  it('refuses a FIFO at once instead of waiting for a writer', async () => {
    const fifo = path.join(dir, 'fifo.xml');
    execFileSync('mkfifo', [fifo]);
    const started = performance.now();
    await expectRefused(['--xml', fifo, 'guest1', hostB], /--xml: .*fifo\.xml is not a regular file/);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('reads at most the limit plus one 64 KiB block, whatever st_size says: /proc/self/pagemap fails cleanly and fast', async () => {
    // pagemap claims 0 bytes and holds 8 per page of the address space (terabytes): a read to EOF never ends.
    const started = performance.now();
    await expectRefused(['--xml', '/proc/self/pagemap', 'guest1', hostB], /--xml: .* is larger than 16777216 bytes/);
    for (const option of ['--plan', '--return']) {
      const { code, stdout, stderr, signal } = await runPmc(['evacuate', option, '/proc/self/pagemap']);
      expect([code, signal, stdout]).toEqual([1, null, '']);
      expect(stderr).toMatch(new RegExp(`^pmc: error: ${option}: /proc/self/pagemap is larger than 16777216 bytes\n$`));
    }
    expect(performance.now() - started).toBeLessThan(30_000);
    // A /proc file of st_size 0 and a few lines is read whole (then found not to be JSON).
    const status = await runPmc(['evacuate', '--plan', '/proc/self/status']);
    expect(status.stderr).toMatch(/--plan: \/proc\/self\/status is not JSON/);
  });

  it('refuses a file that is not a domain definition, or carries a DTD', async () => {
    await expectRefused(
      ['--xml', file('net.xml', '<network/>'), 'guest1', hostB],
      /must be a <domain> definition, not <network>/,
    );
    await expectRefused(
      ['--persistent-xml', file('dtd.xml', '<!DOCTYPE domain []><domain/>'), '--persistent', 'guest1', hostB],
      /DTD\/entity declarations are not allowed/,
    );
    await expectRefused(
      ['--xml', file('broken.xml', '<domain><name>x</domain>'), 'guest1', hostB],
      /is not usable XML/,
    );
  });

  it("blocks a domain XML of another guest (migration.flags), passes the guest's own", async () => {
    const other = file(
      'other.xml',
      '<domain type="test"><name>guest1</name><uuid>00000000-0000-4000-8000-000000000099</uuid></domain>',
    );
    const blocked = await pmcOnHostA(['check', '--json', '--xml', other, 'guest1', hostB]);
    const report = parseReport<{ checks: { name: string; status: string; message: string }[] }>(blocked.stdout);
    expect(report.checks.find((c) => c.name === 'migration.flags')).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/destXml is for UUID 00000000-0000-4000-8000-000000000099, not this guest's/),
    });

    // The guest's own migratable XML (what `virsh dumpxml --migratable` gives): its ABI unchanged.
    const conn = await Connection.open(hostA);
    let ownXml: string;
    try {
      const dom = await conn.lookupDomainByName('guest1');
      ownXml = await dom.getXMLDesc(constants.VIR_DOMAIN_XML_MIGRATABLE!);
    } finally {
      await conn.close();
    }
    expect(ownXml).toContain(GUEST1_UUID);
    const own = file('own.xml', ownXml);
    const allowed = await pmcOnHostA(['check', '--json', '--xml', own, 'guest1', hostB]);
    const ownReport = parseReport<{ checks: { name: string; status: string }[] }>(allowed.stdout);
    expect(ownReport.checks.find((c) => c.name === 'migration.flags')?.status).toBe('pass');

    // The same with one more vCPU: libvirt's ABI stability check refuses it at Begin.
    const more = file(
      'more.xml',
      ownXml.replace(/(<vcpu[^>]*>)(\d+)</, (_, tag: string, n: string) => `${tag}${Number(n) + 1}<`),
    );
    const abi = parseReport<{ checks: { name: string; status: string; message: string }[] }>(
      (await pmcOnHostA(['check', '--json', '--xml', more, 'guest1', hostB])).stdout,
    );
    expect(abi.checks.find((c) => c.name === 'migration.flags')).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(
        /destXml changes the guest's ABI \(libvirt: "Target domain vCPU max \d+ does not match source \d+"\)/,
      ),
    });
  });
});

describe('domain names and IDs', () => {
  it('a number past a C int is looked up as a name, not refused as an ID', async () => {
    const { code, stderr } = await pmcOnHostA(['check', '99999999999999999999', hostB]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^pmc: error: domain '99999999999999999999' not found on /);
    expect(stderr).not.toMatch(/id must be/);
  });
});

describe('$options', () => {
  it('stays parseable whatever characters --dname holds', () => {
    const xml = optionsXml({ destName: 'a\u0001b\u001b[31m\ud800c<&>' });
    const doc = XmlDocument.parse(xml);
    expect(doc.string('/options/destName')).toBe('a\ufffdb\ufffd[31m\ufffdc<&>');
  });

  it('never carries a domain XML, which may hold a graphics password', () => {
    const xml = optionsXml({
      destXml: "<domain><graphics type='vnc' passwd='s3cret'/></domain>",
      persistentXml: "<domain passwd='s3cret'/>",
      live: true,
    });
    expect(xml).not.toContain('s3cret');
    expect(xml).toContain('<live>true</live>');
  });
});
