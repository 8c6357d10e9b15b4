/**
 * Builds the C/C++ test programs of test/native (pmc_test, xpath_threads) into
 * build-tests/, which git ignores: plain cmake on CMakeLists.txt with
 * PMC_BUILD_TESTS=ON, linking the same static libraries (pmc_c, pmc_cxx) as the
 * addon. Not part of a package install. Used as vitest globalSetup; cmake
 * rebuilds only what changed.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const nativeTestsBuildDir = path.join(root, 'build-tests');

export function nativeTestProgram(name: 'pmc_test' | 'xpath_threads'): string {
  return path.join(nativeTestsBuildDir, name);
}

export function buildNativeTests(): void {
  execFileSync('cmake', ['-S', root, '-B', nativeTestsBuildDir, '-DPMC_BUILD_TESTS=ON', '-DCMAKE_BUILD_TYPE=Release'], { stdio: 'ignore' });
  execFileSync('cmake', ['--build', nativeTestsBuildDir, '-j', '2', '--target', 'pmc_test', 'xpath_threads'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

export default function setup(): void {
  buildNativeTests();
}
