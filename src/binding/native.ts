/**
 * Loads the native addon: PMC_ADDON when set (an explicit path, as CI's cmake
 * smoke test uses), else through node-gyp-build (a local build in
 * build/Release, else the package's prebuilt addon in prebuilds/), else
 * cmake-js's output. When loading fails, the error says what is missing (the
 * build, or the libvirt/libxml2 shared libraries) instead of a bare "Cannot
 * find module".
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { LibvirtError, PmcError, XmlError } from '../errors.js';
import { unsafeForRoot } from './root-trust.js';
import type { NativeAddon } from './native-types.js';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Where the addon may be, in the order tried: PMC_ADDON alone when set; else
 * what node-gyp-build picks (build/Release, then prebuilds/ for this platform
 * and libc), then cmake-js's output.
 */
export function addonCandidates(): string[] {
  const fromEnv = process.env.PMC_ADDON;
  if (fromEnv) return [path.resolve(fromEnv)];
  const cmake = path.join(root, 'build-cmake', 'Release', 'pmc.node');
  try {
    // Required here, not at import: the gate's process never needs it (a few ms of its start-up).
    // node-gyp-build ships no types; path() is the one function used.
    const nodeGypBuild = require('node-gyp-build') as { path(dir: string): string };
    return [nodeGypBuild.path(root), cmake];
  } catch {
    // Neither a local build nor a prebuild for this platform and libc: named in explain()'s message.
    return [
      path.join(root, 'build', 'Release', 'pmc.node'),
      path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, '*.node'),
      cmake,
    ];
  }
}

function explain(candidates: string[], cause: unknown): Error {
  const found = candidates.find((p) => existsSync(p));
  const reason = cause instanceof Error ? cause.message : String(cause);
  let hint: string;
  if (!found) {
    hint =
      `the native addon is not built (looked for ${candidates.join(', ')}). ` +
      'Install the build dependencies (Debian/Ubuntu: apt-get install libvirt-dev libxml2-dev pkg-config g++ make python3) ' +
      'and build it from source (`npm rebuild libvirt-pmc --build-from-source`, in a checkout `npm run build:native`).';
  } else if (/libvirt\.so/.test(reason)) {
    hint = `${found} needs libvirt's shared library (Debian/Ubuntu: apt-get install libvirt0).`;
  } else if (/libxml2\.so/.test(reason)) {
    hint = `${found} needs libxml2 (Debian/Ubuntu: apt-get install libxml2).`;
  } else if (/version `(GLIBC|GLIBCXX|LIBVIRT|LIBXML2)_/.test(reason)) {
    hint = `${found} needs a newer glibc, libstdc++, libvirt or libxml2 than this system has; build it from source (\`npm rebuild libvirt-pmc --build-from-source\`).`;
  } else if (/NODE_MODULE_VERSION|undefined symbol/.test(reason)) {
    hint = `${found} was built for another Node.js; rebuild it (\`npm rebuild libvirt-pmc --build-from-source\`, in a checkout \`npm run build:native\`).`;
  } else {
    hint = `${found} could not be loaded.`;
  }
  return new Error(`libvirt-pmc: ${hint}\nCause: ${reason}`, { cause });
}

/**
 * Where the gate's addon may be (native/gate/gate_addon.cc: XML, XPath and
 * check files, no libvirt), in the order tried: a local build, then the
 * package's prebuilt one. A `.so`, loaded with `process.dlopen`: a second
 * `.node` in build/Release would confuse node-gyp-build and prebuildify.
 */
export function gateAddonCandidates(): string[] {
  return [
    path.join(root, 'build', 'Release', 'pmc_gate.so'),
    path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'pmc_gate.so'),
    path.join(root, 'build-cmake', 'Release', 'pmc_gate.so'),
  ];
}

let gateOnly = false;

/**
 * For the gate's process (src/gate/hook-main.ts), before its first use of the
 * addon: load the gate's addon, which loads no libvirt (about 20 ms less on
 * every incoming migration, docs/hook.md). It has only what the gate uses
 * (XmlDocument, check files); the full addon stands in when it is missing or
 * does not load, and always when PMC_ADDON names one.
 */
export function useGateAddon(): void {
  gateOnly = true;
}

function loadGateAddon(): NativeAddon | null {
  for (const candidate of gateAddonCandidates()) {
    if (!existsSync(candidate)) continue;
    try {
      const module = { exports: {} as NativeAddon };
      process.dlopen(module, candidate);
      module.exports.setErrorClass(LibvirtError);
      module.exports.setXmlErrorClass(XmlError);
      return module.exports;
    } catch {
      // Built for another libc, or older than this package: the full addon does the same work.
    }
  }
  return null;
}

function load(): NativeAddon {
  if (gateOnly && !process.env.PMC_ADDON) {
    const gate = loadGateAddon();
    if (gate) return gate;
  }
  const candidates = addonCandidates();
  const fromEnvAsRoot = process.env.PMC_ADDON && process.geteuid?.() === 0 ? candidates[0] : undefined;
  let lastError: unknown = new Error('none of these files exists');
  for (const candidate of candidates) {
    if (!existsSync(candidate)) continue;
    // PMC_ADDON reaches root through an environment sudo may keep: the plugin rule, vetted before loading.
    const why = candidate === fromEnvAsRoot ? unsafeForRoot(candidate) : '';
    if (why) {
      throw new PmcError(`libvirt-pmc: refused to load PMC_ADDON=${candidate} as root: ${why}`, 'ERR_PMC_ADDON_UNSAFE');
    }
    try {
      const addon = require(candidate) as NativeAddon;
      addon.setErrorClass(LibvirtError);
      addon.setXmlErrorClass(XmlError);
      return addon;
    } catch (error) {
      lastError = error;
    }
  }
  throw explain(candidates, lastError);
}

let loaded: NativeAddon | undefined;
function addon(): NativeAddon {
  return (loaded ??= load());
}

/**
 * An object that stands for `target()`, fetched on first use: importing the
 * package (or `pmc checks`, `pmc --version`) costs no addon load, about a
 * third of the CLI's start-up; a missing addon is reported on first use.
 * Descriptors are reported configurable, as a Proxy over an empty object must.
 */
function onFirstUse<T extends object>(target: () => T): T {
  return new Proxy({} as T, {
    get: (_, key) => Reflect.get(target(), key),
    has: (_, key) => Reflect.has(target(), key),
    ownKeys: () => Reflect.ownKeys(target()),
    getOwnPropertyDescriptor: (_, key) => {
      const desc = Reflect.getOwnPropertyDescriptor(target(), key);
      return desc && { ...desc, configurable: true };
    },
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
  });
}

export const native: NativeAddon = onFirstUse(addon);
export const constants: NativeAddon['constants'] = onFirstUse(() => addon().constants);
