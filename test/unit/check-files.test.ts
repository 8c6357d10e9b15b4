import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CheckLoadError,
  constants,
  listChecks,
  loadCheckFile,
  nativeFactSpecs,
  type CheckFile,
  type Domain,
  type Report,
  type RunOptions,
} from '../../src/index.js';
import { platformSupported } from '../../src/checks/platform.js';
import { FETCHABLE_FACTS, optionsXml } from '../../src/pmc/native-facts.js';
import { useRunHosts } from '../helpers/fixture-hosts.js';
import { loadRejection } from '../helpers/errors.js';
import { countLibvirtCalls, type LibvirtCallCounter } from '../helpers/libvirt-calls.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'pmc-checkfiles-'));
let counter = 0;

/** Writes a check file with these <check> elements and returns its path. */
function checksFile(body: string, name = `checks-${++counter}.xml`): string {
  const file = path.join(dir, name);
  writeFileSync(file, `<?xml version="1.0"?>\n<checks>\n${body}\n</checks>\n`);
  return file;
}

/** Loads a new check file of the given checks. */
function loadChecks(...checks: string[]): Promise<CheckFile> {
  return loadCheckFile(checksFile(checks.join('\n')));
}

function check(name: string, test: string, message = '', severity = 'critical'): string {
  return `  <check name="${name}" severity="${severity}">\n    <assert test="${test}">${message}</assert>\n  </check>`;
}

/** The CheckLoadError that loading `file` rejects with. */
function loadError(file: string, maxBytes?: number): Promise<CheckLoadError> {
  return loadRejection(loadCheckFile(file, maxBytes ? { maxBytes } : {}), file);
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('XML check files: loading', () => {
  it('loads the shipped examples and lists their checks with origin and anchor', async () => {
    const site = await loadCheckFile(path.join(root, 'examples/checks/site-rules.xml'));
    const rack = await loadCheckFile(path.join(root, 'examples/checks/rack.xml'));
    expect(site.checks.map((c) => c.name)).toEqual([
      'site.no-passthrough',
      'site.pinned',
      'site.memory-headroom',
      'site.live-only',
    ]);
    expect(site.variables).toEqual(
      expect.arrayContaining(['domain', 'srcHostname', 'dstHostname', 'dstFreeMemory', 'options']),
    );
    const listing = listChecks({ noBuiltins: true, checkFiles: [site, rack] });
    expect(listing[0]).toEqual({
      name: 'site.no-passthrough',
      severity: 'critical',
      description: 'Guests with passthrough devices stay where they are',
      origin: 'xml',
      anchor: site.path,
      line: 5,
    });
    expect(listing.at(-1)).toMatchObject({ name: 'site.same-rack', origin: 'xml', anchor: rack.path });
  });

  it('writes $options from the migration options that are set, escaped, in table order, without run-only or secret-bearing ones', () => {
    expect(
      optionsXml({
        live: true,
        bandwidth: 100,
        migrateDisks: ['vda', 'vdb'],
        destName: 'a<b&"c',
        strict: true,
        checks: [],
        offline: undefined,
        destXml: '<domain/>',
      }),
    ).toBe(
      '<options><live>true</live><destName>a&#60;b&#38;&#34;c</destName><bandwidth>100</bandwidth><migrateDisks>vda</migrateDisks><migrateDisks>vdb</migrateDisks></options>',
    );
  });

  it('knows the same facts in TS and in native code', () => {
    expect(
      nativeFactSpecs()
        .map((f) => f.name)
        .sort(),
    ).toEqual([...FETCHABLE_FACTS].sort());
  });

  it('refuses a missing file', async () => {
    const e = await loadError(path.join(dir, 'absent.xml'));
    expect(e.code).toBe('ERR_PMC_CHECKS_NOT_FOUND');
    expect(e.message).toContain('absent.xml: no such file');
  });

  it('refuses a file that is not XML, with file:line:column', async () => {
    const file = path.join(dir, 'not-xml.xml');
    writeFileSync(file, 'site.no-passthrough = critical\n');
    const e = await loadError(file);
    expect(e.code).toBe('ERR_PMC_CHECKS_PARSE');
    expect(e.message).toMatch(new RegExp(`^${file}:1:\\d+: `));
  });

  it('refuses XML that breaks the schema, naming the line', async () => {
    const file = checksFile(`  <check name="site.x">\n    <assert test="true()"/>\n  </check>`);
    const e = await loadError(file);
    expect(e.code).toBe('ERR_PMC_CHECKS_SCHEMA');
    expect(e.message).toMatch(new RegExp(`^${file}:3:1: does not match schemas/checks.rng: .*severity`));
    const unnamespaced = checksFile(`  <check name="nodot" severity="info"><assert test="true()"/></check>`);
    expect((await loadError(unnamespaced)).code).toBe('ERR_PMC_CHECKS_SCHEMA');
  });

  it('refuses an XPath syntax error at load with file:line:column and the check', async () => {
    const file = checksFile(check('site.broken', 'count($domain/domain/devices/hostdev = 0'));
    const e = await loadError(file);
    expect(e.code).toBe('ERR_PMC_CHECKS_XPATH');
    expect(e.check).toBe('site.broken');
    expect(e.line).toBe(4);
    expect(e.column).toBe(19); // where the test attribute's value starts
    expect(e.message).toMatch(new RegExp(`^${file}:4:19: check site.broken: .*count\\(\\$domain`));
  });

  it('refuses an XPath error inside a message', async () => {
    const file = checksFile(check('site.msg', 'true()', 'found {count(}'));
    const e = await loadError(file);
    expect(e.code).toBe('ERR_PMC_CHECKS_XPATH');
    expect(e.message).toContain('check site.msg');
    expect(e.line).toBe(4);
  });

  it('refuses an unknown function, found by the trial evaluation at load', async () => {
    const e = await loadError(checksFile(check('site.fn', 'no-such-function(1)')));
    expect(e.code).toBe('ERR_PMC_CHECKS_XPATH');
    expect(e.message).toMatch(/check site\.fn: cannot be evaluated/);
  });

  it('refuses an unknown variable, listing the known ones', async () => {
    const e = await loadError(checksFile(check('site.var', '$dstFreeMem &gt; 0')));
    expect(e.code).toBe('ERR_PMC_CHECKS_VARIABLE');
    expect(e.message).toMatch(/check site\.var: unknown variable \$dstFreeMem .*known: \$domain, /);
  });

  it('does not take a $ inside a string literal for a variable', async () => {
    const file = await loadCheckFile(checksFile(check('site.literal', "'$notavar' != ''")));
    expect(file.variables).toEqual(['domain']);
  });

  it('refuses an external entity without reading it', async () => {
    const file = path.join(dir, 'xxe.xml');
    writeFileSync(
      file,
      `<?xml version="1.0"?>\n<!DOCTYPE checks [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n<checks>${check('site.x', 'true()', '&secret;')}</checks>\n`,
    );
    const e = await loadError(file);
    expect(e.code).toBe('ERR_PMC_CHECKS_FORBIDDEN');
    expect(e.message).toContain(file);
    expect(e.message).toMatch(/:2:\d+: refused: DTD\/entity declarations are not allowed$/);
    const dtd = path.join(dir, 'external-dtd.xml');
    writeFileSync(
      dtd,
      `<?xml version="1.0"?>\n<!DOCTYPE checks SYSTEM "http://127.0.0.1:9/checks.dtd">\n<checks>${check('site.x', 'true()')}</checks>\n`,
    );
    expect((await loadError(dtd)).message).toMatch(/:2:\d+: refused: DTD\/entity declarations are not allowed$/);
  });

  it('refuses a file over the size limit before parsing it', async () => {
    const big = checksFile(check('site.big', 'true()', 'x'.repeat(4096)));
    const e = await loadError(big, 1024);
    expect(e.code).toBe('ERR_PMC_CHECKS_TOO_LARGE');
    expect(e.message).toMatch(new RegExp(`^${big}: the file has \\d+ bytes, more than the limit of 1024`));
  });

  it('refuses something that is not a regular file (a directory) without blocking', async () => {
    const sub = path.join(dir, 'a-directory.xml');
    mkdirSync(sub, { recursive: true });
    expect((await loadError(sub)).message).toContain('not a regular file');
  });

  it('refuses two checks of one name in a file', async () => {
    const e = await loadError(checksFile(`${check('site.twice', 'true()')}\n${check('site.twice', 'false()')}`));
    expect(e.code).toBe('ERR_PMC_CHECKS_DUPLICATE');
    expect(e.line).toBe(6);
    expect(e.check).toBe('site.twice');
  });
});

describe('XML check files: runs on the test driver', () => {
  const hosts = useRunHosts();

  const run = (domain: Domain, checkFiles: CheckFile[], extra: Record<string, unknown> = {}) =>
    domain.checkPMC(hosts.destination, { noBuiltins: true, checkFiles, ...extra });

  /** guest1 checked against the destination with `options`, its libvirt calls counted. */
  async function checkCounted(options: RunOptions): Promise<{ report: Report; libvirt: LibvirtCallCounter }> {
    const libvirt = countLibvirtCalls([hosts.source, hosts.destination], [hosts.guest1]);
    try {
      return { report: await hosts.guest1.checkPMC(hosts.destination, options), libvirt };
    } finally {
      libvirt.restore();
    }
  }

  it('passes and fails, with the message interpolated and the origin xml', async () => {
    const file = await loadChecks(
      check(
        'site.no-hostdev',
        'count($domain/domain/devices/hostdev) = 0',
        '{count($domain/domain/devices/hostdev)} passthrough device(s)',
      ),
      check(
        'site.one-vcpu',
        '$domain/domain/vcpu &lt;= 1',
        '\n      {$domain/domain/vcpu} vCPUs\n      on {$dstHostname}, {{braces}} kept\n    ',
      ),
    );
    const report = await run(hosts.guest1, [file]);
    expect(report.checks).toMatchObject([
      { name: 'site.no-hostdev', status: 'pass', origin: 'xml', severity: 'critical' },
      {
        name: 'site.one-vcpu',
        status: 'fail',
        origin: 'xml',
        message: `2 vCPUs on ${report.destination.hostname}, {braces} kept`,
      },
    ]);
    expect(report.checks[1]!.details).toMatchObject({
      file: file.path,
      line: 6,
      failed: [{ line: 7, test: '$domain/domain/vcpu <= 1' }],
    });
    expect(report.verdict).toBe('blocked');
  });

  it('reads the node, options and capabilities facts', async () => {
    const file = await loadChecks(
      check(
        'site.cpus-fit',
        '$dstNode/node/cpus &gt;= $domain/domain/vcpu',
        '{$domain/domain/vcpu} vCPUs, {$dstNode/node/cpus} CPUs',
      ),
      check('site.live', "$options/options/live = 'true'", 'not live'),
      check(
        'site.same-arch',
        '$dstCaps/capabilities/host/cpu/arch = $srcCaps/capabilities/host/cpu/arch',
        'arch differs',
      ),
      check(
        'site.context',
        '/domain/name = $domain/domain/name and string-length($srcHostname) &gt; 0 and $srcFreeMemory = $srcFreeMemory',
      ),
    );
    const small = await run(hosts.guest1, [file], { live: true, skip: ['site.context'] });
    expect(small.checks.map((c) => [c.name, c.status])).toEqual([
      ['site.cpus-fit', 'pass'],
      ['site.live', 'pass'],
      ['site.same-arch', 'pass'],
      ['site.context', 'skipped'],
    ]);
    const big = await run(hosts.guestBig, [file], { skip: ['site.context'] });
    expect(big.checks.find((c) => c.name === 'site.cpus-fit')).toMatchObject({
      status: 'fail',
      message: '8 vCPUs, 2 CPUs',
    });
    expect(big.checks.find((c) => c.name === 'site.live')).toMatchObject({ status: 'fail', message: 'not live' });
  });

  it('reports a fact libvirt cannot give as an error of the checks that read it', async () => {
    // The test driver has neither domain capabilities nor free memory.
    const examples = await loadCheckFile(path.join(root, 'examples/checks/site-rules.xml'));
    const domCaps = await loadCheckFile(checksFile(check('site.domcaps', 'count($dstDomCaps/domainCapabilities) = 1')));
    const report = await run(hosts.guest1, [examples, domCaps], { live: true });
    expect(report.checks.map((c) => [c.name, c.status])).toEqual([
      ['site.no-passthrough', 'pass'],
      ['site.pinned', 'pass'],
      ['site.memory-headroom', 'error'],
      ['site.live-only', 'pass'],
      ['site.domcaps', 'error'],
    ]);
    expect(report.checks[2]!.message).toMatch(/^the fact \$dstFreeMemory is unavailable: /);
    expect(report.checks[4]!.message).toMatch(
      /^the fact \$dstDomCaps is unavailable: .*virConnectGetDomainCapabilities/,
    );
    expect(report.verdict).toBe('blocked');
  });

  it('blocks on the rack example (the test driver host is not in rack 12)', async () => {
    const rack = await loadCheckFile(path.join(root, 'examples/checks/rack.xml'));
    const report = await run(hosts.guest1, [rack]);
    expect(report.checks[0]).toMatchObject({
      name: 'site.same-rack',
      status: 'fail',
      message: `${report.destination.hostname} is not in rack 12`,
    });
    expect(report.verdict).toBe('blocked');
  });

  it('obeys severity and strict', async () => {
    const file = await loadCheckFile(checksFile(check('site.warn', 'false()', 'just a warning', 'warning')));
    expect((await run(hosts.guest1, [file])).verdict).toBe('allowed-with-warnings');
    expect((await run(hosts.guest1, [file], { strict: true })).verdict).toBe('blocked');
    const info = await loadCheckFile(checksFile(check('site.info', 'false()', '', 'info')));
    const report = await run(hosts.guest1, [info]);
    expect(report.verdict).toBe('allowed');
    expect(report.checks[0]!.message).toBe('assertion failed: false()');
  });

  it('shares facts with JS checks: the domain XML is fetched once per run', async () => {
    const file = await loadCheckFile(checksFile(check('site.named', "$domain/domain/name = 'guest1'")));
    let xml = '';
    const { report, libvirt } = await checkCounted({
      noBuiltins: true,
      checkFiles: [file],
      checks: [
        {
          name: 'js.reads-domain',
          severity: 'info',
          description: 'reads the domain XML',
          async run({ facts }) {
            xml = await facts.domain.migratableXml();
            return true;
          },
        },
      ],
    });
    expect(report.checks.map((c) => c.status)).toEqual(['pass', 'pass']);
    expect(xml).toContain('<name>guest1</name>');
    // Both checks read it; libvirt was asked once, whichever asked first.
    const asked = libvirt.keysOn(hosts.source).filter((k) => k.startsWith('domain(guest1).getXMLDesc('));
    expect(asked).toEqual([`domain(guest1).getXMLDesc(${constants.VIR_DOMAIN_XML_MIGRATABLE})`]);
  });

  it('shares the domain capabilities fetch with the built-in platform check', async () => {
    const file = await loadCheckFile(checksFile(check('site.domcaps-shared', 'count($dstDomCaps/*) = 1')));
    const { report, libvirt } = await checkCounted({
      noBuiltins: true,
      checks: [platformSupported],
      checkFiles: [file],
    });
    // The real platform.supported ran (it falls back to <guest> when the driver has no domain capabilities)…
    expect(report.checks.map((c) => [c.name, c.origin])).toEqual([
      ['platform.supported', 'js'],
      ['site.domcaps-shared', 'xml'],
    ]);
    expect(report.checks[0]!.message).toMatch(/no domain capabilities on this driver/);
    expect(report.checks[1]!.status).toBe('error'); // none on the test driver
    // …and the destination was asked for domain capabilities once, for both checks:
    // the two build the same target, so the run's facts share the one answer.
    expect(libvirt.keysOn(hosts.destination).filter((k) => k.startsWith('getDomainCapabilities('))).toHaveLength(1);
  });

  it('refuses a run where a file check and a JS check share a name, before anything runs', async () => {
    const file = await loadCheckFile(checksFile(check('site.clash', 'true()')));
    const clash = { name: 'site.clash', severity: 'info' as const, description: 'clash', run: () => true };
    await expect(run(hosts.guest1, [file], { checks: [clash] })).rejects.toThrow(
      /two checks are named site\.clash \(js and .*:3\)/,
    );
    expect(() => listChecks({ checkFiles: [file, file], noBuiltins: true })).toThrow(
      /two checks are named site\.clash/,
    );
  });

  it('a cancelled run does not wait for the facts and runs nothing', async () => {
    // Its one assert holds: run, the check would pass.
    const file = await loadCheckFile(checksFile(check('site.cancelled', 'count($dstCaps/*) = 1')));
    const controller = new AbortController();
    controller.abort();
    const report = await run(hosts.guest1, [file], { signal: controller.signal });
    expect(report.cancelled).toBe(true);
    expect(report.checks.map((c) => [c.name, c.status, c.message])).toEqual([['site.cancelled', 'error', 'cancelled']]);
    expect(report.verdict).toBe('blocked');
  });

  it('a run cancelled while its checks run stops there: the file checks after it never run', async () => {
    const file = await loadChecks(check('site.after-1', 'count($dstCaps/*) = 1'), check('site.after-2', 'true()'));
    const controller = new AbortController();
    const report = await run(hosts.guest1, [file], {
      sequential: true,
      signal: controller.signal,
      checks: [
        {
          name: 'js.cancels',
          severity: 'info',
          description: 'cancels the run, as Ctrl-C would',
          run: () => {
            controller.abort();
            return true;
          },
        },
      ],
    });
    expect(report.cancelled).toBe(true);
    expect(report.checks.map((c) => [c.name, c.status, c.message])).toEqual([
      // Its own answer came after the cancel: the run had already marked it.
      ['js.cancels', 'error', 'cancelled'],
      ['site.after-1', 'error', 'cancelled'],
      ['site.after-2', 'error', 'cancelled'],
    ]);
  });

  it('runs one file in concurrent runs (its expressions are guarded)', async () => {
    const file = await loadCheckFile(
      checksFile(
        Array.from({ length: 20 }, (_, i) => check(`site.c${i}`, `count(//*) &gt; ${i % 3}`, '{count(//*)}')).join(
          '\n',
        ),
      ),
    );
    const reports = await Promise.all(Array.from({ length: 4 }, () => run(hosts.guest1, [file])));
    for (const r of reports) expect(r.checks.every((c) => c.status === 'pass')).toBe(true);
  });
});
