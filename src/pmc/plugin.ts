/**
 * Native plugins: shared libraries implementing native/pmc/pmc-plugin.h,
 * loaded once, validated at load, and run in C on the runner's worker
 * threads; JS only fetches the facts they ask for (./native-facts.ts).
 */
import path from 'node:path';
import { native } from '../binding/native.js';
import type { NativePluginInfo } from '../binding/native-types.js';
import { checkLoadErrorFromNative, externalChecks } from './external-check.js';
import type { ExternalCheck } from './types.js';

/** A loaded native plugin. Pass it in `RunOptions.plugins`. */
export class Plugin {
  readonly path: string;
  readonly name: string;
  readonly version: string;
  readonly description: string;
  readonly checks: readonly ExternalCheck[];
  /** The facts it asked for (host->fact): fetched before each run that uses the plugin. */
  readonly facts: readonly string[];
  /** @internal */
  readonly native: NativePluginInfo;

  /** @internal */
  constructor(info: NativePluginInfo) {
    this.native = info;
    this.path = info.path;
    this.name = info.name;
    this.version = info.version;
    this.description = info.description;
    this.facts = Object.freeze([...info.facts]);
    this.checks = externalChecks(info.checks, `plugin:${info.name}`, info.path);
  }
}

/**
 * Loads a native plugin from the path given (made absolute: never searched
 * for in the library path) with dlopen(RTLD_NOW | RTLD_LOCAL), and calls its
 * virPMCPluginInit. Loading runs the plugin's code in this process: load only
 * plugins you trust. Rejects with a CheckLoadError naming the file.
 */
export async function loadPlugin(file: string): Promise<Plugin> {
  const absolute = path.resolve(file);
  try {
    return new Plugin(native.loadPlugin(absolute));
  } catch (e) {
    throw checkLoadErrorFromNative(e);
  }
}

