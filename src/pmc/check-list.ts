/**
 * The checks of a run, in run order: built-ins (given by the caller: the
 * framework knows no check of its own), the caller's JS checks, then the
 * checks of check files and plugins; validated, and handed to C as one list.
 */
import { native } from '../binding/native.js';
import type { NativeCheckList } from '../binding/native-types.js';
import { CheckFile } from './check-file.js';
import { Plugin } from './plugin.js';
import type { RunOptions } from './run-options.js';
import type { CheckDefinition, CheckOrigin, Severity } from './types.js';
import { invalidArgument, InvalidArgumentError } from '../errors.js';

const SEVERITIES: readonly Severity[] = ['critical', 'warning', 'info'];

/** One check of a run, whatever its kind; `kind` says how the native list gets it. */
export type Entry = {
  name: string;
  severity: Severity;
  description: string;
  origin: CheckOrigin;
} & (
  | { kind: 'js'; check: CheckDefinition }
  | { kind: 'xml'; file: CheckFile; index: number }
  | { kind: 'plugin'; plugin: Plugin; index: number }
);

/** What decides the checks of a run (the rest of RunOptions says how they run). */
export type CheckSelection = Pick<RunOptions, 'checks' | 'checkFiles' | 'plugins' | 'noBuiltins' | 'skip'>;

function jsEntry(check: CheckDefinition, origin: 'builtin' | 'js'): Entry {
  if (typeof check !== 'object' || check === null) throw invalidArgument('a check', 'an object', check);
  if (typeof check.name !== 'string' || check.name.length === 0) {
    throw invalidArgument("a check's name", 'a non-empty string (area.what)', check.name);
  }
  if (!SEVERITIES.includes(check.severity)) {
    throw invalidArgument(`check ${check.name}: severity`, 'critical, warning or info', check.severity);
  }
  if (typeof check.run !== 'function') throw invalidArgument(`check ${check.name}: run`, 'a function', check.run);
  return {
    kind: 'js',
    check,
    origin,
    name: check.name,
    severity: check.severity,
    description: check.description ?? '',
  };
}

/** The checks of a run, validated: every name unique, every field of the right kind, every skipped name known. */
export function collectChecks(builtins: readonly CheckDefinition[], options: CheckSelection): Entry[] {
  const entries: Entry[] = [];
  if (!options.noBuiltins) for (const check of builtins) entries.push(jsEntry(check, 'builtin'));
  for (const check of options.checks ?? []) entries.push(jsEntry(check, 'js'));
  for (const file of options.checkFiles ?? []) {
    if (!(file instanceof CheckFile)) throw invalidArgument('each of checkFiles', 'what loadCheckFile returned', file);
    file.checks.forEach((c, index) => entries.push({ kind: 'xml', file, index, ...c }));
  }
  const pluginPaths = new Set<string>();
  for (const plugin of options.plugins ?? []) {
    if (!(plugin instanceof Plugin)) throw invalidArgument('each of plugins', 'what loadPlugin returned', plugin);
    // One file given twice (or through a link) is one plugin: loadPlugin gives it the path of its first load.
    if (pluginPaths.has(plugin.path)) continue;
    pluginPaths.add(plugin.path);
    plugin.checks.forEach((c, index) => entries.push({ kind: 'plugin', plugin, index, ...c }));
  }
  const seen = new Map<string, Entry>();
  for (const entry of entries) {
    const earlier = seen.get(entry.name);
    if (earlier) {
      throw new InvalidArgumentError(`two checks are named ${entry.name} (${whence(earlier)} and ${whence(entry)})`);
    }
    seen.set(entry.name, entry);
  }
  for (const name of options.skip ?? []) {
    if (!seen.has(name))
      throw new InvalidArgumentError(`cannot skip ${name}: no such check (known: ${[...seen.keys()].join(', ')})`);
  }
  return entries;
}

function whence(entry: Entry): string {
  if (entry.kind === 'xml') return `${entry.file.path}:${entry.file.checks[entry.index]!.line}`;
  if (entry.kind === 'plugin') return entry.plugin.path;
  return entry.origin;
}

/** The C check list of these entries, in the same order (the runner reports by index). */
export function nativeCheckList(entries: readonly Entry[]): NativeCheckList {
  const list: NativeCheckList = new native.CheckList();
  for (const entry of entries) {
    if (entry.kind === 'js') list.addJs(entry.name, entry.description, entry.severity, entry.origin);
    else if (entry.kind === 'xml') list.addXml(entry.file.native.handle, entry.index);
    else list.addPlugin(entry.plugin.native.handle, entry.index);
  }
  return list;
}

/** The facts the run's native checks read (skipped ones aside): fetched before the run, through the run's Facts. */
export function nativeFactNames(entries: readonly Entry[], skip: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const entry of entries) {
    if (skip.includes(entry.name)) continue;
    if (entry.kind === 'xml') for (const v of entry.file.native.checks[entry.index]!.variables) names.add(v);
    if (entry.kind === 'plugin') for (const f of entry.plugin.facts) names.add(f);
  }
  return names;
}
