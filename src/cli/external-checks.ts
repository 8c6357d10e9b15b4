/**
 * --checks-file and --plugin, on `pmc migrate`, `pmc check` and `pmc checks`:
 * checks from XML check files (docs/check-files.md) and native plugins
 * (docs/plugins.md). Both are loaded, and fully validated, before any
 * connection is opened: a bad file stops the command with one line naming it.
 */
import type { Command } from 'commander';
import { CheckLoadError, CliError } from '../errors.js';
import type { CheckFile } from '../pmc/check-file.js';
import { collect } from './arguments.js';
import type { Plugin } from '../pmc/plugin.js';

export interface ExternalCheckCliOptions {
  checksFile?: string[];
  plugin?: string[];
}

/** --checks-file and --plugin: the one definition, for every command that takes them. */
export function addExternalCheckOptions(command: Command): Command {
  return command
    .option('--checks-file <file>', 'add the checks of an XML check file (repeatable; docs/check-files.md)', collect)
    .option(
      '--plugin <path>',
      'add the checks of a native plugin, a shared library (repeatable; docs/plugins.md)',
      collect,
    );
}

/** Loads every file named, in order; a CheckLoadError becomes a CliError (exit 1) with its message. */
export async function loadExternalChecks(
  opts: ExternalCheckCliOptions,
): Promise<{ checkFiles?: CheckFile[]; plugins?: Plugin[] }> {
  if (!opts.checksFile?.length && !opts.plugin?.length) return {};
  try {
    // Imported on use: `pmc checks` without files loads neither loader.
    const [{ loadCheckFile }, { loadPlugin }] = await Promise.all([
      import('../pmc/check-file.js'),
      import('../pmc/plugin.js'),
    ]);
    const checkFiles = await Promise.all((opts.checksFile ?? []).map((file) => loadCheckFile(file)));
    const plugins: Plugin[] = [];
    // From a plugin's entry point on (imported on use too: it loads the addon).
    if (opts.plugin?.length) (await import('./exit-guard.js')).guardNativeExits();
    for (const file of opts.plugin ?? []) plugins.push(await loadPlugin(file));
    return {
      ...(checkFiles.length > 0 ? { checkFiles } : {}),
      ...(plugins.length > 0 ? { plugins } : {}),
    };
  } catch (error) {
    if (error instanceof CheckLoadError) throw new CliError(error.message, undefined, { cause: error });
    throw error;
  }
}
