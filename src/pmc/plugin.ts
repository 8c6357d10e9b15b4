/**
 * Native plugins: shared libraries implementing native/pmc/pmc-plugin.h,
 * loaded once, validated at load, and run in C on the runner's worker
 * threads; JS only fetches the facts they ask for (./native-facts.ts).
 */
import path from 'node:path';
import { native } from '../binding/native.js';
import type { NativePluginInfo } from '../binding/native-types.js';
import { ExternalCheckSource, loadNative } from './external-check.js';

/** A loaded native plugin. Pass it in `RunOptions.plugins`. */
export class Plugin extends ExternalCheckSource<NativePluginInfo> {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  /** The facts it asked for (host->fact): fetched before each run that uses the plugin. */
  readonly facts: readonly string[];

  /** @internal */
  constructor(info: NativePluginInfo) {
    super(info, `plugin:${info.name}`);
    this.name = info.name;
    this.version = info.version;
    this.description = info.description;
    this.facts = Object.freeze([...info.facts]);
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
  return loadNative(() => new Plugin(native.loadPlugin(absolute)));
}
