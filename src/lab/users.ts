/**
 * The unprivileged system users the lab's daemons run as: one per host, all in
 * one lab group (for the `shared` directory). Created when missing, kept
 * afterwards (a later `up` reuses them).
 */
import { execFileSync } from 'node:child_process';

export interface Account {
  name: string;
  uid: number;
  gid: number;
}

function lookup(database: 'passwd' | 'group', name: string): string[] | null {
  try {
    return execFileSync('getent', [database, name], { encoding: 'utf8' }).trim().split(':');
  } catch {
    return null; // getent exits 2 when the name is unknown
  }
}

/** The user `name` (its uid and primary gid), or null when there is none. */
export function accountOf(name: string): Account | null {
  const entry = lookup('passwd', name);
  return entry ? { name, uid: Number(entry[2]), gid: Number(entry[3]) } : null;
}

export function ensureGroup(name: string): number {
  if (!lookup('group', name)) execFileSync('groupadd', ['--system', name], { stdio: 'pipe' });
  const entry = lookup('group', name);
  if (!entry) throw new Error(`group ${name} could not be created`);
  return Number(entry[2]);
}

/** A system user with its own group, member of `group`, without a login shell. */
export function ensureUser(name: string, home: string, group: string): Account {
  if (!lookup('passwd', name)) {
    execFileSync(
      'useradd',
      [
        '--system',
        '--user-group',
        '--no-create-home',
        '--home-dir',
        home,
        '--shell',
        '/usr/sbin/nologin',
        '--groups',
        group,
        name,
      ],
      { stdio: 'pipe' },
    );
  } else {
    execFileSync('usermod', ['--append', '--groups', group, name], { stdio: 'pipe' });
  }
  const account = accountOf(name);
  if (!account) throw new Error(`user ${name} could not be created`);
  return account;
}
