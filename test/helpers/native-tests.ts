/**
 * Builds the C/C++ test programs of test/native (pmc_test, xpath_threads,
 * native_check_refs_threads, check_list_threads) into build-tests/, which git
 * ignores: plain cmake on CMakeLists.txt with PMC_BUILD_TESTS=ON, linking the
 * same static libraries (pmc_c, pmc_cxx) as the addon, or (check_list_threads)
 * the C library's. Not part of a package install. Used as vitest
 * globalSetup; cmake rebuilds only what changed. `buildSanitizedNativeTests`
 * builds the same programs with a sanitizer into their own directory
 * (build-tests-tsan/, also ignored), for test/unit/native-tsan.test.ts only.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const nativeTestsBuildDir = path.join(root, 'build-tests');

export const nativeTestPrograms = [
  'pmc_test',
  'xpath_threads',
  'native_check_refs_threads',
  'check_list_threads',
] as const;
export type NativeTestProgram = (typeof nativeTestPrograms)[number];
export type Sanitizer = 'thread';

function buildDir(sanitizer?: Sanitizer): string {
  return sanitizer === undefined ? nativeTestsBuildDir : path.join(root, 'build-tests-tsan');
}

export function nativeTestProgram(name: NativeTestProgram, sanitizer?: Sanitizer): string {
  return path.join(buildDir(sanitizer), name);
}

function build(dir: string, buildType: string, extra: string[]): void {
  execFileSync('cmake', ['-S', root, '-B', dir, '-DPMC_BUILD_TESTS=ON', `-DCMAKE_BUILD_TYPE=${buildType}`, ...extra], {
    stdio: 'ignore',
  });
  execFileSync('cmake', ['--build', dir, '-j', '2', '--target', ...nativeTestPrograms], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

export function buildNativeTests(): void {
  build(nativeTestsBuildDir, 'Release', []);
}

export function buildSanitizedNativeTests(sanitizer: Sanitizer): void {
  build(buildDir(sanitizer), 'RelWithDebInfo', [`-DPMC_SANITIZE=${sanitizer}`]);
}

export default function setup(): void {
  buildNativeTests();
}
