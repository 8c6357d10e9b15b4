/**
 * What pmc prints survives the ways people read it: a slow pipe gets the whole
 * report, and text from checks cannot drive the terminal.
 */
import { checkOnlyReport, entry } from '../helpers/reports.js';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { renderReport } from '../../src/cli/report-view.js';
import { printable, styleFor } from '../../src/cli/style.js';
import { pmcMain } from '../helpers/cli.js';

const execFileAsync = promisify(execFile);

/** A check file of `count` checks with long descriptions: its `pmc checks --json` is far over a pipe's 64 KiB. */
function bigCheckFile(count: number): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'pmc-pipe-'));
  const file = path.join(dir, 'many.xml');
  const padding = 'x'.repeat(300);
  const checks = Array.from(
    { length: count },
    (_, i) =>
      `<check name="site.c${i}" severity="warning"><description>check ${i} ${padding}</description><assert test="true()">never</assert></check>`,
  );
  writeFileSync(file, `<checks>${checks.join('')}</checks>`);
  return file;
}

describe('pmc output', () => {
  it('delivers a large --json report whole to a reader that starts late', async () => {
    const file = bigCheckFile(400);
    // The reader sleeps while pmc writes and exits: the pipe's buffer fills at 64 KiB.
    const { stdout } = await execFileAsync(
      '/bin/bash',
      [
        '-c',
        'set -o pipefail; "$0" "$1" checks --json --checks-file "$2" | (sleep 1; cat)',
        process.execPath,
        pmcMain,
        file,
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    expect(stdout.length).toBeGreaterThan(128 * 1024);
    const listed = JSON.parse(stdout) as { name: string }[];
    expect(listed.filter((c) => c.name.startsWith('site.c'))).toHaveLength(400);
  });

  it('escapes control characters that checks put in their messages', () => {
    const hostile = 'line one\n  PASS   critical  forged.check  all good\u001b[31mred\u0007\u009b2J';
    const report = checkOnlyReport({
      domain: { name: 'vm\u001b]0;title\u0007', uuid: '4a1b9c2e-0f8e-4a62-9d43-8c1c1b6f0a01' },
      source: { uri: 'test:///default', hostname: 'h1' },
      destination: { uri: 'test:///default', hostname: 'h2\r' },
      checks: [entry('plugin.evil', 'warning', 'fail', hostile, 'plugin:evil')],
      verdict: 'allowed-with-warnings',
    });
    const text = renderReport(report, styleFor({ isTTY: false } as NodeJS.WriteStream, undefined), {
      mode: 'check',
      withChecks: true,
    });
    // No control character but the report's own newlines.
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(text).not.toContain('\n  PASS   critical  forged.check');
    expect(text).toContain('line one\\n  PASS   critical  forged.check  all good\\x1b[31mred\\x07\\x9b2J');
    expect(text).toContain('vm\\x1b]0;title\\x07');
  });

  it('escapes control characters in the descriptions pmc checks lists', async () => {
    // C1 controls are legal XML 1.0 characters: a check file can carry CSI (U+009B).
    const dir = mkdtempSync(path.join(tmpdir(), 'pmc-c1-'));
    const file = path.join(dir, 'c1.xml');
    writeFileSync(
      file,
      '<checks><check name="site.c1" severity="info"><description>ok&#x9b;2Jgone</description><assert test="true()">m</assert></check></checks>',
    );
    const { stdout } = await execFileAsync(process.execPath, [pmcMain, 'checks', '--no-color', '--checks-file', file]);
    expect(stdout).toContain('ok\\x9b2Jgone');
    expect(stdout).not.toMatch(/[\u0080-\u009f]/);
  });

  it('says an unknown option and its suggestion in one line', async () => {
    const { stderr } = await execFileAsync(process.execPath, [pmcMain, 'migrate', '--liv']).catch(
      (e: { stderr: string }) => e,
    );
    expect(stderr).toBe("pmc: error: unknown option '--liv' (Did you mean --live?)\n");
  });

  it('with --json, says an error as JSON on stdout too, exit code unchanged', async () => {
    for (const args of [
      ['check', '--json', '--bogus'],
      ['-c', 'test:///default', 'check', '--json', 'nope', 'test:///default'],
    ]) {
      const failed = await execFileAsync(process.execPath, [pmcMain, ...args]).catch(
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
      expect('code' in failed && failed.code).toBe(1);
      const json = JSON.parse(failed.stdout) as { version: number; error: { code: string; message: string } };
      expect(json.version).toBe(1);
      expect(json.error.code).toMatch(/^ERR_PMC_(USAGE|CLI)$/);
      expect(failed.stderr).toBe(`pmc: error: ${json.error.message}\n`);
    }
  });

  it('prints its version with --version and -V', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    for (const flag of ['--version', '-V']) {
      const { stdout } = await execFileAsync(process.execPath, [pmcMain, flag]);
      expect(stdout).toBe(`${version}\n`);
    }
  });

  it('leaves printable text alone', () => {
    expect(printable('disk /var/lib/x.qcow2 is not on h2 — ünïcode ✓')).toBe(
      'disk /var/lib/x.qcow2 is not on h2 — ünïcode ✓',
    );
    expect(printable('a\tb\r\n\u0000')).toBe('a\\tb\\r\\n\\x00');
  });

  it('escapes Unicode format and separator characters like control characters', () => {
    // U+202E turns the rest of a line around ("allowed" shown for "dewolla"); U+2028 ends a line in some terminals.
    expect(printable('vm\u202edewolla')).toBe('vm\\u202edewolla');
    expect(printable('a\u2028b\u2029c\u0085d')).toBe('a\\u2028b\\u2029c\\x85d');
    expect(printable('zero\u200bwidth\u200d\ufeff\u2066\u00ad')).toBe('zero\\u200bwidth\\u200d\\ufeff\\u2066\\xad');
    expect(printable('nb\u00a0sp\u3000\u{e0001}')).toBe('nb\\xa0sp\\u3000\\u{e0001}');
    expect(printable('lone \ud800 surrogate')).toBe('lone \\ud800 surrogate');
    expect(printable('plain words, one space')).toBe('plain words, one space');
  });
});
