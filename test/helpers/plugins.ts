/**
 * Builds the example plugin (with its own CMake build, as a user would) and
 * the test plugins of test/fixtures/plugins (with cc) into build-plugins/,
 * which git ignores. Used as vitest globalSetup; rebuilds only what changed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const pluginBuildDir = path.join(root, 'build-plugins');
export const examplePluginPath = path.join(pluginBuildDir, 'site', 'libsite.so');
export const fixturePluginSources = path.join(root, 'test', 'fixtures', 'plugins');
export const FIXTURE_PLUGINS = [
  'behaviours',
  'bad-abi',
  'refuses-abi',
  'null-run',
  'duplicate',
  'no-entry',
  'hangs',
  'trailing-dot',
] as const;

export function fixturePluginPath(name: (typeof FIXTURE_PLUGINS)[number]): string {
  return path.join(pluginBuildDir, 'fixtures', `${name}.so`);
}

function pkgConfig(args: string[]): string[] {
  return execFileSync('pkg-config', args, { encoding: 'utf8' }).trim().split(/\s+/).filter(Boolean);
}

function newer(source: string, output: string): boolean {
  return !existsSync(output) || statSync(source).mtimeMs > statSync(output).mtimeMs;
}

export function buildPlugins(): void {
  const headers = path.join(root, 'native', 'pmc');
  const site = path.join(pluginBuildDir, 'site');
  // The include directory named, not left to the cache: a build directory
  // configured before it moved would keep the old one.
  execFileSync(
    'cmake',
    ['-S', path.join(root, 'examples', 'plugins'), '-B', site, `-DPMC_INCLUDE_DIR=${path.join(root, 'include')}`],
    { stdio: 'ignore' },
  );
  execFileSync('cmake', ['--build', site, '-j', '2'], { stdio: ['ignore', 'ignore', 'inherit'] });

  mkdirSync(path.join(pluginBuildDir, 'fixtures'), { recursive: true });
  const cflags = pkgConfig(['--cflags', 'libvirt']);
  const libs = pkgConfig(['--libs', 'libvirt']);
  for (const name of FIXTURE_PLUGINS) {
    const source = path.join(fixturePluginSources, `${name}.c`);
    const output = fixturePluginPath(name);
    const inputs = [source, path.join(headers, 'pmc-plugin.h'), path.join(fixturePluginSources, 'fixture-plugin.h')];
    if (!inputs.some((input) => newer(input, output))) continue;
    execFileSync(
      'cc',
      [
        '-shared',
        '-fPIC',
        '-std=c11',
        '-O2',
        '-Wall',
        '-Wno-unused-parameter',
        `-I${headers}`,
        ...cflags,
        '-o',
        output,
        source,
        ...libs,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
  }
}

export default function setup(): void {
  buildPlugins();
}
