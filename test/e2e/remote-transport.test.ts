/**
 * The transport production uses: each lab host's libvirtd also listens for TLS
 * on loopback with certificates the lab made (`tlsUri`), and QEMU's migration
 * stream can be TLS too (`--tls`, the hosts' `migrate_tls_x509_cert_dir`).
 * Checks and checked migrations run over `qemu+tls://` from the API and the
 * CLI; keepalive closes a connection to a stopped daemon.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { Connection, type CloseReason } from '../../src/index.js';
import { LAB_VM } from '../../src/lab/index.js';
import { parseReport, runPmc } from '../helpers/cli.js';
import { daemonPid, expectRunsOnlyOn, host } from '../helpers/lab.js';
import { listenersIn } from '../helpers/listeners.js';
import { pollUntil } from '../helpers/rehearsal-lab.js';
import { useTempDirPerTest } from '../helpers/temp-dir.js';
import { collectGarbage } from '../helpers/gc.js';

const lab = inject('lab');
const h1 = host(lab, 'host-1');
const h2 = host(lab, 'host-2');

interface JsonReport {
  verdict: string;
  domainLocation: string;
  migration: { attempted: boolean; succeeded: boolean; error: { message: string } | null };
  checks: { name: string; status: string }[];
}

/** What the QEMU of `name` on a lab host logged (its stdio_handler file, in the host's tree). */
function qemuLog(hostName: string, name: string): string {
  try {
    return readFileSync(path.join(lab.dir, hostName, 'cache', 'libvirt', 'qemu', 'log', `${name}.log`), 'utf8');
  } catch {
    return '';
  }
}

describe('qemu+tls:// to the lab hosts', () => {
  const tmp = useTempDirPerTest('pmc-foreign-pki-');

  it("lab.json records each host's TLS port, and libvirtd listens there on 127.0.0.1 only", () => {
    const state = JSON.parse(readFileSync(path.join(lab.dir, 'lab.json'), 'utf8')) as {
      hosts: { tlsPort?: number }[];
    };
    expect(state.hosts.map((h) => h.tlsPort)).toEqual(lab.hosts.map((h) => h.tlsPort));
    for (const h of lab.hosts) {
      expect(h.tlsUri).toBe(`qemu+tls://127.0.0.1:${h.tlsPort}/session?pkipath=${path.join(lab.dir, 'pki', 'client')}`);
      expect(listenersIn({ min: h.tlsPort, max: h.tlsPort })).toEqual([`127.0.0.1:${h.tlsPort}`]);
    }
  });

  it('reaches every host as its hostname with the lab client certificate', async () => {
    for (const h of lab.hosts) {
      const conn = await Connection.open(h.tlsUri);
      try {
        expect(await conn.getHostname()).toBe(h.hostname);
      } finally {
        await conn.close();
      }
    }
  });

  it('is refused by the daemon with a client certificate from another CA', async () => {
    const dir = tmp.path;
    const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
    const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-noenc', '-days', '1'];
    const [caCert, caKey] = [path.join(dir, 'other-ca.pem'), path.join(dir, 'other-ca-key.pem')];
    openssl(['req', '-x509', ...key, '-keyout', caKey, '-out', caCert, '-subj', '/CN=another CA']);
    openssl([
      ...['req', '-x509', ...key, '-CA', caCert, '-CAkey', caKey, '-subj', '/CN=not the lab'],
      ...['-keyout', path.join(dir, 'clientkey.pem'), '-out', path.join(dir, 'clientcert.pem')],
      ...['-addext', 'basicConstraints=critical,CA:FALSE', '-addext', 'extendedKeyUsage=clientAuth'],
      ...['-addext', 'keyUsage=critical,digitalSignature,keyEncipherment'],
    ]);
    // Both CAs: the client trusts the lab's server and accepts its own certificate; only the daemon can refuse.
    const labCa = readFileSync(path.join(lab.dir, 'pki', 'client', 'cacert.pem'), 'utf8');
    writeFileSync(path.join(dir, 'cacert.pem'), labCa + readFileSync(caCert, 'utf8'));
    const uri = `qemu+tls://127.0.0.1:${h1.tlsPort}/session?pkipath=${dir}`;
    const logged = readFileSync(h1.logFile, 'utf8').length;
    const error = await Connection.open(uri).then(
      (conn) => conn.close().then(() => null),
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'VIR_ERR_SYSTEM_ERROR' });
    expect(readFileSync(h1.logFile, 'utf8').slice(logged)).toContain("Failed to verify peer's certificate");
  });

  it('runs the checks and a checked live migration over qemu+tls (API), and back', async () => {
    const [src, dst] = await Promise.all([Connection.open(h1.tlsUri), Connection.open(h2.tlsUri)]);
    try {
      const report = await (await src.lookupDomainByName(LAB_VM)).migratePMC(dst, { live: true });
      expect(report.checks.filter((c) => c.status === 'fail' && c.severity === 'critical')).toEqual([]);
      expect(report.checks.length).toBeGreaterThan(20);
      expect(report.migration).toMatchObject({ attempted: true, succeeded: true });
      await expectRunsOnlyOn(lab, LAB_VM, 'host-2');
      const back = await (await dst.lookupDomainByName(LAB_VM)).migratePMC(src, { live: true });
      expect(back.migration).toMatchObject({ attempted: true, succeeded: true });
    } finally {
      await Promise.all([src.close(), dst.close()]);
    }
    await expectRunsOnlyOn(lab, LAB_VM, 'host-1');
  });

  it('pmc check and pmc migrate --pmc --tls over qemu+tls: the migration stream is TLS too', async () => {
    const check = await runPmc(['-c', h1.tlsUri, 'check', '--live', '--json', LAB_VM, h2.tlsUri]);
    expect(check.code, check.stderr).toBe(0);
    expect(parseReport<JsonReport>(check.stdout).migration.attempted).toBe(false);

    const there = await runPmc(['-c', h1.tlsUri, 'migrate', '--pmc', '--live', '--tls', '--json', LAB_VM, h2.tlsUri]);
    expect(there.code, there.stderr).toBe(0);
    expect(parseReport<JsonReport>(there.stdout).migration).toMatchObject({ attempted: true, succeeded: true });
    await expectRunsOnlyOn(lab, LAB_VM, 'host-2');

    // The destination's hostname is in its certificate: QEMU's check passes.
    const back = await runPmc([
      ...['-c', h2.tlsUri, 'migrate', '--pmc', '--live', '--tls', '--tls-destination', h1.hostname, '--json'],
      ...[LAB_VM, h1.tlsUri],
    ]);
    expect(back.code, back.stderr).toBe(0);
    expect(parseReport<JsonReport>(back.stdout).migration).toMatchObject({ attempted: true, succeeded: true });
    await expectRunsOnlyOn(lab, LAB_VM, 'host-1');
  });

  it('--tls: the source QEMU verifies the destination certificate (a name it does not hold fails)', async () => {
    const before = qemuLog('host-1', LAB_VM).length;
    const run = await runPmc([
      ...['-c', h1.tlsUri, 'migrate', '--pmc', '--live', '--tls', '--tls-destination', 'not-in-the.cert', '--json'],
      ...[LAB_VM, h2.tlsUri],
    ]);
    const report = parseReport<JsonReport>(run.stdout);
    expect(report.migration).toMatchObject({ attempted: true, succeeded: false });
    expect(report.domainLocation).toBe('source');
    expect(qemuLog('host-1', LAB_VM).slice(before)).toContain(
      'Certificate does not match the hostname not-in-the.cert',
    );
    await expectRunsOnlyOn(lab, LAB_VM, 'host-1');
  });
  it('--tls to a destination without its certificate fails as QEMU loads it, before anything moves', async () => {
    // A host without the certificates: QEMU on host 2 cannot load its server certificate.
    const cert = path.join(lab.dir, 'pki', 'host-2', 'server-cert.pem');
    renameSync(cert, `${cert}.away`);
    let run: Awaited<ReturnType<typeof runPmc>>;
    try {
      run = await runPmc(['-c', h1.tlsUri, 'migrate', '--pmc', '--live', '--tls', '--json', LAB_VM, h2.tlsUri]);
    } finally {
      renameSync(`${cert}.away`, cert);
    }
    const report = parseReport<JsonReport>(run.stdout);
    expect(report.migration).toMatchObject({ attempted: true, succeeded: false });
    expect(report.migration.error?.message).toContain(`Unable to access credentials ${cert}`);
    expect(report.domainLocation).toBe('source');
    await expectRunsOnlyOn(lab, LAB_VM, 'host-1');
  });
});

describe('a daemon that stopped answering', () => {
  it('closes a connection to a stopped daemon with reason keepalive (interval 1 s, count 2)', async () => {
    const step = stepClock();
    const conn = await Connection.open(h2.tlsUri, { keepalive: { intervalS: 1, count: 2 } });
    step('opened');
    const pid = await daemonPid(lab, 'host-2');
    step('pid known');
    const started = performance.now();
    // A deadline of its own: the daemon must get its SIGCONT below even when no close ever comes.
    const closed = conn
      .once('close', { signal: AbortSignal.timeout(10_000) })
      .then((reason: CloseReason) => ({ reason, ms: performance.now() - started }));
    process.kill(pid, 'SIGSTOP');
    try {
      const { reason, ms } = await closed;
      console.log(`[e2e] keepalive closed the connection after ${Math.round(ms)} ms`);
      expect(reason).toBe('keepalive');
      // A probe per second of silence, closed when `count` went unanswered: (count + 1) s, 3.0 s measured.
      expect(ms).toBeGreaterThan(2500);
      expect(ms).toBeLessThan(4000);
    } catch (error) {
      step('no close in time');
      throw new Error(`${String(error)}; steps: ${step.log()}`, { cause: error });
    } finally {
      process.kill(pid, 'SIGCONT');
      await conn.close().catch(() => undefined);
    }
    const again = await Connection.open(h2.tlsUri);
    try {
      expect(await again.getHostname()).toBe(h2.hostname);
    } finally {
      await again.close();
    }
  });

  it("never holds the JS thread: collected Connections and domains release libvirt's last reference elsewhere", async () => {
    // The last reference to a remote connection is a round trip (CONNECT_CLOSE): before the
    // release thread, a finalizer waited on the JS thread for keepalive to give up, 15 to 20 s.
    const collected: string[] = [];
    const registry = new FinalizationRegistry<string>((what) => collected.push(what));
    await (async () => {
      const dropped = await Connection.open(h1.tlsUri); // never closed: its finalizer releases it
      await dropped.getHostname();
      const closed = await Connection.open(h1.tlsUri); // closed while a domain of it lives on
      const [dom] = await closed.listAllDomains();
      expect(dom).toBeDefined();
      await closed.close();
      registry.register(dropped, 'connection');
      registry.register(dom!, 'domain');
    })();
    const pid = await daemonPid(lab, 'host-1');
    process.kill(pid, 'SIGSTOP');
    let collectMs: number;
    try {
      const started = performance.now();
      await collectGarbage();
      collectMs = performance.now() - started;
      await pollUntil(
        'both finalizers ran',
        async () => {
          await collectGarbage(1);
          return collected.length === 2;
        },
        5000,
      );
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    expect(collected.sort()).toEqual(['connection', 'domain']);
    expect(collectMs).toBeLessThan(2000);
  });
});

/** Timestamps of a test's steps, for the message of a failure that only a loaded machine shows. */
function stepClock(): ((name: string) => void) & { log: () => string } {
  const t0 = performance.now();
  const steps: string[] = [];
  return Object.assign((name: string) => void steps.push(`${name} +${Math.round(performance.now() - t0)} ms`), {
    log: () => steps.join(', '),
  });
}
