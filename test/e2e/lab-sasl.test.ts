/**
 * `labUp({ sasl: true })`: the TLS listeners also ask for a user name and
 * password (SASL SCRAM-SHA-256, a sasldb per host), answered from code through
 * `Connection.open`'s auth callback. A lab of its own: SASL is fixed when a lab
 * is created, and the other files share the run's lab without it.
 */
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Connection, type OpenOptions } from '../../src/index.js';
import { LAB_VM, labDown, labUp, type LabInfo } from '../../src/lab/index.js';
import { runPmc } from '../helpers/cli.js';
import { expectRunsOnlyOn } from '../helpers/lab.js';

/** An auth callback answering the user name and `password`, recording what libvirt asked. */
function answering(username: string, password: string, asked: string[] = []): OpenOptions {
  return {
    auth: {
      credentials: ['authname', 'passphrase'],
      callback: (questions) =>
        questions.map((q) => {
          asked.push(q.type);
          return q.type === 'authname' ? username : password;
        }),
    },
  };
}

describe('lab with SASL on its TLS listeners', () => {
  const id = `${inject('lab').id}-sasl`;
  let lab: LabInfo;
  beforeAll(async () => {
    lab = await labUp({ id, sasl: true });
  });
  afterAll(async () => {
    await labDown({ id });
  });

  it("hands out the credentials, keeps the password root's and each sasldb its host user's", () => {
    expect(lab.sasl).toEqual({ username: 'pmc', password: expect.stringMatching(/^[\w-]{24}$/) });
    const password = statSync(path.join(lab.dir, 'pki', 'client', 'sasl-password'));
    expect([password.uid, password.mode & 0o777]).toEqual([0, 0o600]);
    for (const h of lab.hosts) {
      const db = statSync(path.join(lab.dir, 'pki', h.name, 'sasl', 'passwd.db'));
      expect([db.uid, db.mode & 0o777]).toEqual([h.uid, 0o400]);
    }
  });

  it('opens every tlsUri with the credentials from the auth callback', async () => {
    for (const h of lab.hosts) {
      const asked: string[] = [];
      const conn = await Connection.open(h.tlsUri, answering(lab.sasl!.username, lab.sasl!.password, asked));
      try {
        expect(await conn.getHostname()).toBe(h.hostname);
      } finally {
        await conn.close();
      }
      expect(asked).toEqual(['authname', 'passphrase']);
    }
  });

  it('is refused with a wrong password, and the daemon says why', async () => {
    const h = lab.hosts[0]!;
    const logged = readFileSync(h.logFile, 'utf8').length;
    await expect(Connection.open(h.tlsUri, answering(lab.sasl!.username, 'not-the-password'))).rejects.toMatchObject({
      code: 'VIR_ERR_AUTH_FAILED',
    });
    expect(readFileSync(h.logFile, 'utf8').slice(logged)).toContain('remoteDispatchAuthSaslStep');
  });

  it('runs a checked live migration over qemu+tls with SASL, and back', async () => {
    const [h1, h2] = lab.hosts as [LabInfo['hosts'][0], LabInfo['hosts'][0]];
    const auth = answering(lab.sasl!.username, lab.sasl!.password);
    const [src, dst] = await Promise.all([Connection.open(h1.tlsUri, auth), Connection.open(h2.tlsUri, auth)]);
    try {
      const report = await (await src.lookupDomainByName(LAB_VM)).migratePMC(dst, { live: true });
      expect(report.migration).toMatchObject({ attempted: true, succeeded: true });
      await expectRunsOnlyOn(lab, LAB_VM, h2.name);
      const back = await (await dst.lookupDomainByName(LAB_VM)).migratePMC(src, { live: true });
      expect(back.migration).toMatchObject({ attempted: true, succeeded: true });
    } finally {
      await Promise.all([src.close(), dst.close()]);
    }
    await expectRunsOnlyOn(lab, LAB_VM, h1.name);
  });

  // Issue 19 item 11: libvirt's console prompts (virConnectAuthPtrDefault) wrote
  // "Please enter your authentication name:" to stdout and read stdin.
  it('pmc check --json with no terminal prints no prompt and fails with an auth error', async () => {
    const [h1, h2] = lab.hosts as [LabInfo['hosts'][0], LabInfo['hosts'][0]];
    const { code, stdout, stderr } = await runPmc(['-c', h1.tlsUri, 'check', '--json', LAB_VM, h2.tlsUri]);
    expect(code).toBe(1);
    expect(stdout).not.toMatch(/Please enter/);
    expect(JSON.parse(stdout)).toMatchObject({ error: { message: expect.stringMatching(/authentication failed/) } });
    expect(stderr).toMatch(/authentication failed: .*pmc asks for them only when stdin and stderr are a terminal/);
  });

  it('Connection.open without an auth callback refuses at once, also with stdin an open pipe', async () => {
    const h = lab.hosts[0]!;
    // A child whose stdin is a pipe nobody writes to or closes: a prompt would read it for ever.
    const program = `import('${path.resolve('dist/index.js')}').then(({ Connection }) =>
      Connection.open(process.argv[1]).then(
        () => console.log('opened'),
        (e) => console.log(e.code),
      ))`;
    const child = spawn(process.execPath, ['-e', program, h.tlsUri], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    try {
      expect(await exited).toBe(0);
    } finally {
      clearTimeout(timer);
      child.stdin.end();
    }
    expect(stdout).toBe('VIR_ERR_AUTH_FAILED\n');
  });

  it('keeps SASL fixed: up without it is refused until the lab is taken down', async () => {
    await expect(labUp({ id, sasl: false })).rejects.toThrow(/runs with SASL: take it down/);
  });
});
