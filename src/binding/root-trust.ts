/**
 * The rule a file must pass before root loads code from it, as sudo and
 * OpenSSH judge the files they trust: the file and every directory on its
 * real path up to `/` are root's and writable by no group or other. A sticky
 * root-owned directory (such as /tmp) is accepted above the file's own
 * directory only, where the entry below it is root's and so cannot be renamed
 * by anyone else. The same rule as the C++ `UnsafeForRoot`
 * (native/cxx/plugin_loader.cc), which plugins meet in the C library as well;
 * test/unit/root-trust.test.ts asserts both give the same answer. This copy
 * exists because the addon cannot vet its own file before it is loaded.
 */
import { realpathSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';

function unsafe(what: string, p: string, st: Stats): string {
  if (st.uid !== 0) return `${what} ${p} is owned by uid ${st.uid}, not root`;
  if (st.mode & 0o022) {
    const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
    return `${what} ${p} is writable by ${st.mode & 0o002 ? 'others' : 'its group'} (mode ${mode})`;
  }
  return '';
}

/** Why root must not load code from `file` (its real path is judged), or '' when it may. */
export function unsafeForRoot(file: string): string {
  let real: string;
  try {
    real = realpathSync(file);
  } catch (error) {
    return `cannot resolve ${file}: ${(error as Error).message}`;
  }
  let why = unsafe('the file', real, statSync(real));
  if (why) return why;
  let ownDirectory = true; // the first directory up is the file's own
  for (let dir = path.dirname(real); ; dir = path.dirname(dir)) {
    let st: Stats;
    try {
      st = statSync(dir);
    } catch (error) {
      return `cannot stat the directory ${dir}: ${(error as Error).message}`;
    }
    // The entry below was checked to be root's in the step before.
    const stickyAbove = !ownDirectory && st.uid === 0 && (st.mode & 0o1000) !== 0;
    if (!stickyAbove) {
      why = unsafe('the directory', dir, st);
      if (why) return why;
    }
    ownDirectory = false;
    if (dir === '/') return '';
  }
}
