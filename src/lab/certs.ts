/**
 * The lab's certificates: one CA per lab, a certificate per host (serving
 * libvirtd's TLS listener and QEMU's TLS migrations, and acting as a client
 * for peer-to-peer ones) and one for the lab's clients (root). Made with
 * `openssl` by root in root-owned directories: no lab user can plant anything
 * where they are written; each host user may read its own key and no other.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, lchownSync, rmSync } from 'node:fs';
import path from 'node:path';
import { LAB_MIGRATION_ADDRESS, LAB_TLS_ADDRESS, type HostLayout, type LabLayout } from './layout.js';
import { ensureOwnedDir } from './root-fs.js';
import type { Account } from './users.js';

/** Long enough for any lab, short enough that a forgotten key is soon worthless. */
const VALID_DAYS = 30;

/** The files of one pkipath: libvirt's names (libvirtd, the remote driver). */
const LIBVIRT_FILES = {
  ca: 'cacert.pem',
  serverCert: 'servercert.pem',
  serverKey: 'serverkey.pem',
  clientCert: 'clientcert.pem',
  clientKey: 'clientkey.pem',
} as const;
/** The same in QEMU's names (qemu.conf `migrate_tls_x509_cert_dir`). */
const QEMU_FILES = {
  ca: 'ca-cert.pem',
  serverCert: 'server-cert.pem',
  serverKey: 'server-key.pem',
  clientCert: 'client-cert.pem',
  clientKey: 'client-key.pem',
} as const;

export interface CertPaths {
  /** libvirtd's `ca_file`, `cert_file`, `key_file`. */
  caFile: string;
  certFile: string;
  keyFile: string;
  /** A directory with libvirt's names (a client's `pkipath`) and QEMU's (`migrate_tls_x509_cert_dir`). */
  dir: string;
}

export function pkiDir(lab: LabLayout): string {
  return path.join(lab.dir, 'pki');
}

/** The pkipath of the lab's clients (root's: `qemu+tls://…?pkipath=` in the URIs the lab prints). */
export function clientPkiDir(lab: LabLayout): string {
  return path.join(pkiDir(lab), 'client');
}

export function hostCertPaths(lab: LabLayout, host: HostLayout): CertPaths {
  const dir = path.join(pkiDir(lab), host.name);
  return {
    caFile: path.join(dir, LIBVIRT_FILES.ca),
    certFile: path.join(dir, LIBVIRT_FILES.serverCert),
    keyFile: path.join(dir, LIBVIRT_FILES.serverKey),
    dir,
  };
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH, LANG: 'C' } });
}

const KEY_ARGS = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-noenc'];

/** A certificate signed by the lab's CA, for TLS servers and clients alike (one per host serves both ends). */
function issue(ca: { cert: string; key: string }, subject: string, sans: string[], cert: string, key: string): void {
  openssl([
    'req',
    '-x509',
    ...KEY_ARGS,
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    String(VALID_DAYS),
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-subj',
    subject,
    '-addext',
    'basicConstraints=critical,CA:FALSE',
    // libvirt checks key usage and purpose of both peers (virNetTLSContextCheckCert).
    '-addext',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    '-addext',
    'extendedKeyUsage=serverAuth,clientAuth',
    ...(sans.length > 0 ? ['-addext', `subjectAltName=${sans.join(',')}`] : []),
  ]);
}

/** Copies `from` to `to` (a fresh file in a root-owned directory) with owner and mode. */
function place(from: string, to: string, uid: number, gid: number, mode: number): void {
  rmSync(to, { force: true });
  copyFileSync(from, to);
  lchownSync(to, uid, gid);
  chmodSync(to, mode);
}

/**
 * Makes the lab's CA and certificates if they are missing (`up` completes a
 * lab: what exists is kept). Layout (docs/security.md, "The lab's certificates"):
 * `pki/ca/` (root, 0700: the CA key), `pki/client/` (root, 0700: root's
 * pkipath), `pki/host-N/` (root's, 0755: the CA and host certificates 0644,
 * the host key 0400 owned by the host's user).
 */
export function ensureLabCerts(lab: LabLayout, accounts: Account[]): void {
  const pki = ensureOwnedDir(lab.dir, 'pki', 0, 0, 0o755);
  const caDir = ensureOwnedDir(pki, 'ca', 0, 0, 0o700);
  const ca = { cert: path.join(caDir, 'cacert.pem'), key: path.join(caDir, 'cakey.pem') };
  if (!existsSync(ca.cert) || !existsSync(ca.key)) {
    openssl([
      'req',
      '-x509',
      ...KEY_ARGS,
      '-keyout',
      ca.key,
      '-out',
      ca.cert,
      '-days',
      String(VALID_DAYS),
      '-subj',
      `/O=pmc-lab ${lab.id}/CN=pmc-lab ${lab.id} CA`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
  }

  const clientDir = ensureOwnedDir(pki, 'client', 0, 0, 0o700);
  const clientCert = path.join(clientDir, LIBVIRT_FILES.clientCert);
  if (!existsSync(clientCert)) {
    issue(
      ca,
      `/O=pmc-lab ${lab.id}/CN=pmc-lab ${lab.id} client`,
      [],
      clientCert,
      path.join(clientDir, LIBVIRT_FILES.clientKey),
    );
  }
  place(ca.cert, path.join(clientDir, LIBVIRT_FILES.ca), 0, 0, 0o644);

  for (const [i, host] of lab.hosts.entries()) {
    const account = accounts[i]!;
    const { dir } = hostCertPaths(lab, host);
    ensureOwnedDir(pki, host.name, 0, 0, 0o755);
    if (existsSync(path.join(dir, QEMU_FILES.serverKey))) continue; // written last: the host is complete
    const work = path.join(caDir, `${host.name}.new`); // root-only: the key is never readable by another user
    const cert = `${work}.cert.pem`;
    const key = `${work}.key.pem`;
    // The names the host is reached by: the TLS listener, the migration address, its hostname.
    const sans = [`IP:${LAB_TLS_ADDRESS}`, `IP:${LAB_MIGRATION_ADDRESS}`, `DNS:${host.hostname}`];
    issue(ca, `/O=pmc-lab ${lab.id}/CN=${host.hostname}`, sans, cert, key);
    for (const names of [LIBVIRT_FILES, QEMU_FILES]) {
      place(ca.cert, path.join(dir, names.ca), 0, 0, 0o644);
      place(cert, path.join(dir, names.serverCert), 0, 0, 0o644);
      place(cert, path.join(dir, names.clientCert), 0, 0, 0o644);
      place(key, path.join(dir, names.clientKey), account.uid, account.gid, 0o400);
      place(key, path.join(dir, names.serverKey), account.uid, account.gid, 0o400);
    }
    rmSync(cert);
    rmSync(key);
  }
}
