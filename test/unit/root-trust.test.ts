/**
 * The file rule root applies before loading code: `unsafeForRoot` (TS, for
 * the addon PMC_ADDON names, which cannot vet itself) and the C++
 * `UnsafeForRoot` that `loadPlugin` applies give the same answer on the same
 * files, and a PMC_ADDON anyone could have changed is refused as root. Real
 * files, owners and modes; as root only (CI runs the unit project as root).
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { addonCandidates } from '../../src/binding/native.js';
import { unsafeForRoot } from '../../src/binding/root-trust.js';
import { CheckLoadError, loadPlugin } from '../../src/index.js';
import { useTempDirPerTest } from '../helpers/temp-dir.js';

const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A file (not a shared object: a file the rule accepts fails later, at dlopen) with this mode. */
function file(dir: string, name: string, mode = 0o644): string {
  const p = path.join(dir, name);
  writeFileSync(p, 'not a shared object\n');
  chmodSync(p, mode);
  return p;
}

/** The C++ rule's verdict through loadPlugin: its reason, or '' when it went on to dlopen. */
async function cxxVerdict(p: string): Promise<string> {
  const error: unknown = await loadPlugin(p).then(
    () => new Error('loaded'),
    (e: unknown) => e,
  );
  if (error instanceof CheckLoadError && error.code === 'ERR_PMC_PLUGIN_UNSAFE') return error.message;
  expect(String(error)).toMatch(/not a loadable shared object/);
  return '';
}

describe.runIf(isRoot)('the file rule for code root loads', () => {
  const tmp = useTempDirPerTest('pmc-root-trust-');

  it('the TS rule and the C++ rule agree, case by case', async () => {
    const safe = path.join(tmp.path, 'safe');
    mkdirSync(safe, { mode: 0o755 });
    const open = path.join(tmp.path, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const group = path.join(tmp.path, 'group');
    mkdirSync(group);
    chmodSync(group, 0o775);
    const nobodys = path.join(tmp.path, 'nobodys');
    mkdirSync(nobodys, { mode: 0o755 });
    chownSync(nobodys, NOBODY, NOBODY);
    const sticky = path.join(tmp.path, 'sticky');
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777);
    const underSticky = path.join(sticky, 'sub');
    mkdirSync(underSticky, { mode: 0o755 });
    const nobodyFile = file(safe, 'nobody.so');
    chownSync(nobodyFile, NOBODY, NOBODY);
    const link = path.join(safe, 'link.so');
    symlinkSync(file(open, 'behind.so'), link);

    const cases: [string, RegExp | ''][] = [
      [file(safe, 'ok.so'), ''],
      [file(safe, 'world.so', 0o666), /the file .*world\.so is writable by others \(mode 0666\)/],
      [file(safe, 'group.so', 0o664), /the file .*group\.so is writable by its group \(mode 0664\)/],
      [nobodyFile, /the file .*nobody\.so is owned by uid 65534, not root/],
      [file(open, 'in-open.so'), /the directory .*open is writable by others \(mode 0777\)/],
      [file(group, 'in-group.so'), /the directory .*group is writable by its group \(mode 0775\)/],
      [file(nobodys, 'in-nobodys.so'), /the directory .*nobodys is owned by uid 65534, not root/],
      [file(sticky, 'in-sticky.so'), /the directory .*sticky is writable by others \(mode 1777\)/],
      [file(underSticky, 'under-sticky.so'), ''], // sticky, root's, above the file's own directory
      [link, /the directory .*open is writable by others/], // the real path is judged, not the link's
    ];
    for (const [p, expected] of cases) {
      const ts = unsafeForRoot(p);
      const cxx = await cxxVerdict(p);
      if (expected === '') {
        expect(ts, p).toBe('');
        expect(cxx, p).toBe('');
      } else {
        expect(ts, p).toMatch(expected);
        expect(cxx, p).toContain(ts); // the same reason, word for word
      }
    }
  });

  it('refuses a PMC_ADDON anyone could have changed, and loads a copy only root could have', () => {
    const packaged = addonCandidates().find((p) => !p.includes('*'));
    expect(packaged).toBeDefined();
    const dir = mkdtempSync(path.join(tmpdir(), 'pmc-addon-'));
    try {
      const load = (addon: string) =>
        spawnSync(
          process.execPath,
          [
            '--input-type=module',
            '-e',
            `import { native } from ${JSON.stringify(path.join(root, 'dist', 'binding', 'native.js'))};` +
              'console.log(typeof native.loadPlugin);',
          ],
          { encoding: 'utf8', env: { ...process.env, PMC_ADDON: addon } },
        );
      const trusted = path.join(dir, 'pmc.node');
      copyFileSync(packaged!, trusted);
      chmodSync(trusted, 0o644);
      const ok = load(trusted);
      expect(ok.stderr).toBe('');
      expect(ok.stdout.trim()).toBe('function');

      const writable = path.join(dir, 'world.node');
      copyFileSync(packaged!, writable);
      chmodSync(writable, 0o666);
      const refused = load(writable);
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toMatch(
        /refused to load PMC_ADDON=.*world\.node as root: the file .*world\.node is writable by others \(mode 0666\)/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
