/**
 * SASL on the lab's TLS listeners (`labUp({ sasl: true })`, `pmc lab up --sasl`):
 * clients then authenticate with a user name and password (SCRAM-SHA-256 over
 * the TLS session) besides their certificate. One user, `pmc`, with a random
 * password, in a sasldb per host; made by root with `saslpasswd2` (sasl2-bin)
 * in the root-owned pki tree, like the certificates.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lchownSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { clientPkiDir, hostCertPaths } from './certs.js';
import type { HostLayout, LabLayout } from './layout.js';
import { ensureOwnedDir } from './root-fs.js';
import type { Account } from './users.js';

export const LAB_SASL_USER = 'pmc';
/** The SASL application name libvirtd initialises with: its config file is `<dir>/libvirt.conf`. */
const SASL_APP = 'libvirt';

export interface SaslCredentials {
  username: string;
  password: string;
}

/** The directory libvirtd's SASL config is read from (its SASL_CONF_PATH). */
export function saslConfDir(lab: LabLayout, host: HostLayout): string {
  return path.join(hostCertPaths(lab, host).dir, 'sasl');
}

/** Root's copy of the lab's SASL password (0600). */
export function saslPasswordFile(lab: LabLayout): string {
  return path.join(clientPkiDir(lab), 'sasl-password');
}

/** The lab's SASL credentials (root's: the file is 0600), or null when the lab has none. */
export function labSaslCredentials(lab: LabLayout): SaslCredentials | null {
  try {
    return { username: LAB_SASL_USER, password: readFileSync(saslPasswordFile(lab), 'utf8').trim() };
  } catch {
    return null;
  }
}

/**
 * Makes the lab's SASL password (once) and each host's sasldb and config:
 * `pki/host-N/sasl/` (root's, 0755) with `libvirt.conf` (0644) and `passwd.db`
 * (0400, the host user's). Call after ensureLabCerts (it makes the pki tree).
 */
export function ensureLabSasl(lab: LabLayout, accounts: Account[]): SaslCredentials {
  const file = saslPasswordFile(lab);
  if (!existsSync(file)) {
    writeFileSync(file, `${randomBytes(18).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  }
  const credentials = labSaslCredentials(lab)!;
  for (const [i, host] of lab.hosts.entries()) {
    const account = accounts[i]!;
    const dir = ensureOwnedDir(hostCertPaths(lab, host).dir, 'sasl', 0, 0, 0o755);
    const db = path.join(dir, 'passwd.db');
    const conf = path.join(dir, `${SASL_APP}.conf`);
    writeFileSync(conf, `mech_list: scram-sha-256\nsasldb_path: ${db}\n`, { mode: 0o644 });
    // A database from an earlier up is kept; its owner and mode are set again
    // below, so an up stopped before they were set still ends readable.
    if (!existsSync(db)) makeSaslDb(db, host.hostname, credentials);
    lchownSync(db, account.uid, account.gid);
    chmodSync(db, 0o400);
  }
  return credentials;
}

/** The sasldb of one host with the lab's one user. */
function makeSaslDb(db: string, realm: string, credentials: SaslCredentials): void {
  // -p: the password from stdin, never on a command line others could read in /proc.
  try {
    // -u: the realm is the daemon's hostname (its own UTS namespace), not this machine's.
    execFileSync('saslpasswd2', ['-f', db, '-a', SASL_APP, '-u', realm, '-c', '-p', credentials.username], {
      input: credentials.password,
      stdio: ['pipe', 'ignore', 'pipe'],
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('a lab with SASL needs saslpasswd2: apt-get install sasl2-bin (or run scripts/setup.sh)', {
        cause: error,
      });
    }
    throw error;
  }
}
