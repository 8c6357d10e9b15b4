/**
 * The host URIs a plan or report file may name (src/fleet/plan-uri.ts): read
 * as libvirt reads them (virURIParseParams), a short allow-list for files,
 * and what pmc does with a hostile file: refuse it before dialling anything,
 * so no program runs, no file is read and no FIFO blocks.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEvacuation } from '../../src/index.js';
import { libvirtUriParams, refusedFileUri, runsLocalProgram } from '../../src/fleet/plan-uri.js';
import { startPmc, type PmcResult } from '../helpers/cli.js';
import { useTempDirPerTest } from '../helpers/temp-dir.js';

describe('libvirtUriParams reads a query as virURIParseParams does', () => {
  it.each([
    [
      'a=b&c=d',
      [
        ['a', 'b'],
        ['c', 'd'],
      ],
    ],
    // ';' separates only where no '&' follows: libvirt looks for '&' first.
    [
      'a=b;command=x',
      [
        ['a', 'b'],
        ['command', 'x'],
      ],
    ],
    [
      'a=b;command=x&c=d',
      [
        ['a', 'b;command=x'],
        ['c', 'd'],
      ],
    ],
    ['%63ommand=%2Ftmp%2Fx', [['command', '/tmp/x']]],
    ['Command=/x', [['Command', '/x']]],
    [
      '&&=ignored&flag&name=&%zz=1',
      [
        ['flag', ''],
        ['name', ''],
        ['%zz', '1'],
      ],
    ],
    ['', []],
  ])('%j', (query, expected) => {
    expect(libvirtUriParams(query).map((p) => [p.name, p.value])).toEqual(expected);
  });
});

describe('the rule for URIs read from files', () => {
  it.each([
    'qemu+ssh://localhost/system?Command=/tmp/x.sh',
    'qemu+ssh://localhost/system?a=b;command=/tmp/x.sh',
    'qemu+ssh://localhost/system?a=b;COMMAND=/tmp/x.sh',
    'qemu+ssh://localhost/system?%63ommand=/tmp/x.sh',
    'qemu+ssh://localhost/system?%43OMMAND=%2Ftmp%2Fx.sh',
    'QEMU+EXT:///system?x=1',
    'qemu+tcp+ext:///system',
  ])('%s runs a local program, whoever hands it over', (uri) => {
    expect(runsLocalProgram(uri)).toMatch(/runs a local program/);
    expect(refusedFileUri(uri)).toMatch(/runs a local program/);
  });

  it.each([
    ['test:///etc/shadow', /not a qemu:\/\/ URI/],
    ['test:///default', /not a qemu:\/\/ URI/],
    ['/tmp/fifo', /not a libvirt URI/],
    ['./plan.json', /not a libvirt URI/],
    ['file:///etc/shadow', /not a qemu:\/\/ URI/],
    ['lxc:///system', /not a qemu:\/\/ URI/],
    ['qemu:///embed?root=/tmp/x', /path \/embed/],
    ['qemu+ssh://host/system/../embed', /path/],
    ['qemu+ssh://host', /path \(none\)/],
    ['qemu:///session?socket=/run/other/libvirt-sock', /sets socket=/],
    ['qemu+unix:///system?SOCKET=/x', /sets SOCKET=/],
    ['qemu+tls://h/system?pkipath=/root/x', /sets pkipath=/],
    ['qemu+ssh://h/system?keyfile=/root/.ssh/id_rsa', /sets keyfile=/],
    ['qemu+ssh://h/system?netcat=/bin/sh', /sets netcat=/],
    ['qemu+ssh://h/system?name=test:///etc/shadow', /sets name=/],
    ['qemu+tls://h/system?no_verify=1', /sets no_verify=/],
    ['qemu+ssh://h/system?no_tty=1%26command', /percent-escape/],
    ['qemu+ssh://h/system?no_tty=/x', /value a file may not use/],
    ['qemu+ssh://-oProxyCommand=x/system', /host in a form/],
    ['qemu+ssh://-l@h/system', /host in a form/],
    ['qemu+ssh://h/system#?command=x', /fragment/],
    ['qemu+ssh://h/system?no_tty=1 ', /printable ASCII/],
    ['qemu+ssh://h/sys\u202etem', /printable ASCII/],
    ['qemu+foo://h/system', /the foo transport/],
  ])('refuses %s', (uri, why) => {
    expect(refusedFileUri(uri)).toMatch(why);
  });

  it.each([
    'qemu:///system',
    'qemu:///session',
    'qemu+ssh://root@host-2.example/system',
    'qemu+ssh://host2/system?no_tty=1&sshauth=privkey,agent',
    'qemu+libssh2://u@10.0.0.2:2222/system?NO_TTY=1',
    'qemu+tls://[fe80::1]:16514/system',
    'qemu+tcp://h/system?mode=legacy;proxy=native',
  ])('takes %s', (uri) => {
    expect(refusedFileUri(uri)).toBeNull();
  });
});

const UUID = '8f2b1c3e-0000-4000-8000-000000000001';
/** A plan of the schema with one guest to `destination`, by hand. */
function planOf(source: string, candidates: string[], destination: string | null) {
  return {
    version: 1,
    source,
    candidates,
    options: { live: true },
    guests: [
      {
        domain: 'guest1',
        uuid: UUID,
        offline: false,
        memoryKiB: 1024,
        vcpus: 1,
        destination,
        verdict: 'allowed',
        reason: 'hand-made',
        ranking: candidates.map((uri) => ({ uri, verdict: 'allowed', score: 1 })),
        migration: { attempted: false, succeeded: false, durationMs: 0, error: null },
        domainLocation: 'source',
      },
    ],
  };
}

/** A run of pmc that must end by itself within `ms` (a FIFO opened by the test driver would hang it). */
async function bounded(args: string[], ms = 30_000): Promise<PmcResult> {
  const run = startPmc(args);
  const timer = setTimeout(() => run.child.kill('SIGKILL'), ms);
  try {
    return await run.done;
  } finally {
    clearTimeout(timer);
  }
}

describe('pmc evacuate --plan / --return with hostile host URIs', () => {
  const tmp = useTempDirPerTest('pmc-plan-uri-');
  const safe = 'qemu+tcp://127.0.0.1:1/system';

  /** A script that leaves a mark when something runs it. */
  function marker(): { script: string; ran: () => boolean } {
    const mark = path.join(tmp.path, 'ran');
    const script = path.join(tmp.path, 'x.sh');
    writeFileSync(script, `#!/bin/sh\ntouch '${mark}'\nexit 1\n`);
    chmodSync(script, 0o755);
    return { script, ran: () => existsSync(mark) };
  }

  it.each([
    ['source', (s: string) => planOf(`qemu+ssh://localhost/system?Command=${s}`, [safe], safe)],
    ['source', (s: string) => planOf(`qemu+ssh://localhost/system?a=b;command=${s}`, [safe], safe)],
    ['candidates[0]', (s: string) => planOf(safe, [`qemu+ssh://localhost/system?%63ommand=${s}`], null)],
  ])('--plan: a %s that would run a program is refused; the program never runs', async (where, make) => {
    const { script, ran } = marker();
    const file = path.join(tmp.path, 'plan.json');
    writeFileSync(file, JSON.stringify(make(script)));
    const result = await bounded(['evacuate', '--plan', file]);
    expect(result.stderr).toMatch(
      new RegExp(`plan\\.${where.replace(/[[\]]/g, '\\$&')} sets .*command=, which runs a local program`, 'i'),
    );
    expect([result.code, result.stdout]).toEqual([1, '']);
    expect(ran()).toBe(false);
  });

  it('--return: a report whose hosts would run a program is refused; the program never runs', async () => {
    const { script, ran } = marker();
    const away = `qemu+ssh://localhost/system?x=1;Command=${script}`;
    const report = planOf(safe, [away], away);
    report.guests[0]!.migration = { attempted: true, succeeded: true, durationMs: 1, error: null };
    report.guests[0]!.domainLocation = 'destination';
    const file = path.join(tmp.path, 'report.json');
    writeFileSync(file, JSON.stringify(report));
    const result = await bounded(['evacuate', '--return', file]);
    expect(result.stderr).toMatch(/--return: .*plan\.candidates\[0\] sets command=, which runs a local program/);
    expect(result.code).toBe(1);
    expect(ran()).toBe(false);
  });

  it('the test driver and local paths: test:///etc/shadow is not read, a FIFO does not hang pmc', async () => {
    const shadow = path.join(tmp.path, 'plan.json');
    writeFileSync(shadow, JSON.stringify(planOf('test:///etc/shadow', [safe], safe)));
    const read = await bounded(['evacuate', '--plan', shadow]);
    expect([read.code, read.stdout]).toEqual([1, '']);
    expect(read.stderr).toMatch(/plan\.source is not a qemu:\/\/ URI/);

    const fifo = path.join(tmp.path, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const hang = path.join(tmp.path, 'hang.json');
    writeFileSync(hang, JSON.stringify(planOf(`test://${fifo}`, [safe], safe)));
    const started = performance.now();
    const fifoRun = await bounded(['evacuate', '--plan', hang], 20_000);
    expect(fifoRun.signal).toBeNull();
    expect(fifoRun.code).toBe(1);
    expect(fifoRun.stderr).toMatch(/plan\.source is not a qemu:\/\/ URI/);
    expect(performance.now() - started).toBeLessThan(20_000);

    const local = path.join(tmp.path, 'local.json');
    writeFileSync(local, JSON.stringify(planOf(safe, [fifo], fifo)));
    expect((await bounded(['evacuate', '--plan', local])).stderr).toMatch(/candidates\[0\] is not a libvirt URI/);
  });

  it('a URI the operator types too (-c, <desturi>) is vouched for; the API takes them as `vouched`', () => {
    const lab = 'qemu:///session?socket=/run/lab/libvirt-sock';
    const plan = planOf(lab, [safe], safe);
    expect(() => parseEvacuation(plan)).toThrow(/plan\.source sets socket=/);
    expect(parseEvacuation(plan, { vouched: [lab] }).source).toBe(lab);
    // Vouching never lets a program run.
    const evil = 'qemu+ssh://h/system?COMMAND=/tmp/x';
    expect(() => parseEvacuation(planOf(evil, [safe], safe), { vouched: [evil] })).toThrow(/runs a local program/);
  });
});
