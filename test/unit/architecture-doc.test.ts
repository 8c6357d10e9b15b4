/**
 * docs/architecture.md stays true: every path it names in code style exists,
 * and every symbol it names is exported by src/ (TypeScript) or declared in
 * native/ (C and C++).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const doc = readFileSync(path.join(root, 'docs', 'architecture.md'), 'utf8');

function filesUnder(dir: string, ext: RegExp): string[] {
  return readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && ext.test(e.name))
    .map((e) => readFileSync(path.join(e.parentPath, e.name), 'utf8'));
}

const tsSources = filesUnder('src', /\.ts$/).join('\n');
const nativeSources = [
  ...filesUnder('native', /\.(c|cc|h)$/),
  readFileSync(path.join(root, 'binding.gyp'), 'utf8'),
  readFileSync(path.join(root, 'CMakeLists.txt'), 'utf8'),
].join('\n');

/** What the doc writes in code style, without fenced blocks. */
export function codeSpans(markdown: string): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, '');
  return [...prose.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);
}

/** A repository path: has a slash or a file name's extension, no spaces, no scheme, not a CLI flag. */
export function isPath(span: string): boolean {
  if (/\s|:\/\/|^-|[*<>$]/.test(span)) return false;
  return span.includes('/') || /^[\w.-]+\.(gyp|txt|json|md|ts|c|cc|h|js|cjs|mjs|rng|xml|sh)$/.test(span);
}

/** A symbol: an identifier, maybe `Class.member` or `name()`; not a constant of libvirt's (ALL_CAPS). */
export function symbolOf(span: string): string | null {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(?:\.|::)[A-Za-z_][A-Za-z0-9_]*)?(?:\(\))?$/.exec(span);
  if (!m) return null;
  const name = m[1]!;
  if (/^[A-Z0-9_]+$/.test(name)) return null;
  return name;
}

function exportedByTs(name: string): boolean {
  // Methods attached to a class from a composing module (src/api.ts) count too.
  if (new RegExp(`\\.prototype\\.${name}\\b`).test(tsSources)) return true;
  return new RegExp(
    `export (?:declare )?(?:async )?(?:function|class|const|let|interface|type|enum|abstract class) ${name}\\b|export \\{[^}]*\\b${name}\\b[^}]*\\}`,
  ).test(tsSources);
}

function declaredNatively(name: string): boolean {
  // A type, a function, a table (`name[]`), or a build target of binding.gyp / CMakeLists.txt.
  return new RegExp(
    `(?:class|struct|typedef [^;]*)\\s+${name}\\b|\\b${name}\\[\\]|\\b${name}\\s*\\(|\\}\\s*${name};|'target_name': '${name}'|add_library\\(${name}\\b`,
  ).test(nativeSources);
}

/** Words the doc puts in code style that are neither paths nor our symbols (libvirt's API, JS built-ins, commands). */
const NOT_OURS = new Set([
  'virDomainMigrate3',
  'virDomainMigrateToURI3',
  'virDomainPtr',
  'virConnectPtr',
  'virDomainGetJobStats',
  'virDomainAbortJob',
  'virGetLastError',
  'AbortSignal',
  'setImmediate',
  'close',
  'error',
  'pmc',
  'code',
  'checkFiles',
]);

describe('docs/architecture.md', () => {
  const spans = codeSpans(doc);

  it('names files and symbols in code style (the test reads something)', () => {
    expect(spans.filter(isPath).length).toBeGreaterThan(20);
    expect(spans.map(symbolOf).filter(Boolean).length).toBeGreaterThan(20);
  });

  it('names only paths that exist', () => {
    // Build output (build/, build-tests/, …) exists only once something built it.
    const sources = spans.filter(isPath).filter((p) => !p.startsWith('build'));
    const missing = sources.filter((p) => !existsSync(path.join(root, p.replace(/\/$/, ''))));
    expect(missing).toEqual([]);
  });

  it('names only symbols that src/ exports or native/ declares', () => {
    const missing = spans
      .filter((s) => !isPath(s))
      .map(symbolOf)
      .filter((name): name is string => name !== null && !NOT_OURS.has(name))
      .filter((name) => !exportedByTs(name) && !declaredNatively(name));
    expect([...new Set(missing)]).toEqual([]);
  });

  it('would catch a renamed file or symbol', () => {
    expect(existsSync(path.join(root, 'src/pmc/no-such-file.ts'))).toBe(false);
    expect(exportedByTs('runPMCNoSuchThing')).toBe(false);
    expect(declaredNatively('virPMCNoSuchThing')).toBe(false);
    expect(exportedByTs('runPMC')).toBe(true);
    expect(declaredNatively('virPMCRunChecks')).toBe(true);
  });
});
