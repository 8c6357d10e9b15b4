/**
 * Checks that are not JS: XML check files (XPath asserts over the run's facts)
 * and native plugins (shared libraries implementing native/pmc/pmc-plugin.h).
 * Both are loaded once, fully validated at load, and run in C on the
 * runner's worker threads; JS only fetches the facts they read, through the
 * run's Facts, before the run starts.
 */
import { constants as fsConstants } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { domainModel } from '../checks/model.js';
import { native } from '../native.js';
import { checkFileOptionsOf, migrationOptionTable, type OptionTable } from '../options/index.js';
import type { NativeCheckFileInfo, NativeFactSpec, NativePluginInfo } from '../native-types.js';
import type { Facts } from './facts.js';
import type { CheckOrigin, RunOptions, Severity } from './types.js';

/** 1 MiB: a check file is a page of rules, not a data set. */
export const DEFAULT_MAX_CHECK_FILE_BYTES = 1024 * 1024;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The RELAX NG schema every check file is validated against, shipped in the package. */
export const CHECK_FILE_SCHEMA = path.join(root, 'schemas', 'checks.rng');

export type CheckLoadErrorCode =
  | 'ERR_PMC_CHECKS_NOT_FOUND'
  | 'ERR_PMC_CHECKS_PARSE'
  | 'ERR_PMC_CHECKS_SCHEMA'
  | 'ERR_PMC_CHECKS_XPATH'
  | 'ERR_PMC_CHECKS_VARIABLE'
  | 'ERR_PMC_CHECKS_FORBIDDEN'
  | 'ERR_PMC_CHECKS_TOO_LARGE'
  | 'ERR_PMC_CHECKS_DUPLICATE'
  | 'ERR_PMC_PLUGIN_LOAD'
  | 'ERR_PMC_PLUGIN_ENTRY'
  | 'ERR_PMC_PLUGIN_ABI'
  | 'ERR_PMC_PLUGIN_INVALID';

export interface CheckLoadErrorFields {
  code: CheckLoadErrorCode;
  /** The check file or plugin. */
  file: string;
  /** Check files: where, 1-based. */
  line?: number;
  column?: number;
  /** The check the error is in, when it is in one. */
  check?: string;
}

/** A check file or plugin that was refused at load; the message starts with `file[:line:column]: `. */
export class CheckLoadError extends Error implements CheckLoadErrorFields {
  override name = 'CheckLoadError';
  code: CheckLoadErrorCode;
  file: string;
  line?: number;
  column?: number;
  check?: string;

  constructor(message: string, fields: CheckLoadErrorFields) {
    super(message);
    this.code = fields.code;
    this.file = fields.file;
    if (fields.line !== undefined) this.line = fields.line;
    if (fields.column !== undefined) this.column = fields.column;
    if (fields.check !== undefined) this.check = fields.check;
  }
}

function fromNative(e: unknown): unknown {
  const fields = e as Partial<CheckLoadErrorFields> & { message?: string };
  if (!(e instanceof Error) || typeof fields.code !== 'string' || typeof fields.file !== 'string') return e;
  return new CheckLoadError(e.message, fields as CheckLoadErrorFields);
}

/** A check of a check file or plugin, as `pmc checks` lists it. */
export interface ExternalCheck {
  name: string;
  severity: Severity;
  description: string;
  origin: CheckOrigin;
  /** The check file or plugin it comes from. */
  anchor: string;
  /** Check files: the line of its <check>. */
  line?: number;
}

/** A loaded XML check file. Pass it in `RunOptions.checkFiles`. */
export class CheckFile {
  readonly path: string;
  readonly checks: readonly ExternalCheck[];
  /** The facts its checks read (`domain`, `dstCaps`, …): fetched before each run that uses the file. */
  readonly variables: readonly string[];
  /** @internal */
  readonly native: NativeCheckFileInfo;

  /** @internal */
  constructor(info: NativeCheckFileInfo) {
    this.native = info;
    this.path = info.path;
    this.variables = Object.freeze([...info.variables]);
    this.checks = Object.freeze(
      info.checks.map((c) => ({
        name: c.name,
        severity: c.severity,
        description: c.description,
        origin: 'xml' as const,
        anchor: info.path,
        line: c.line,
      })),
    );
  }
}

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
    this.checks = Object.freeze(
      info.checks.map((c) => ({
        name: c.name,
        severity: c.severity,
        description: c.description,
        origin: `plugin:${info.name}` as const,
        anchor: info.path,
      })),
    );
  }
}

export interface LoadCheckFileOptions {
  /** Larger files are refused with ERR_PMC_CHECKS_TOO_LARGE (default 1 MiB). */
  maxBytes?: number;
}

let schemaText: Promise<string> | undefined;

/** Reads at most `limit` bytes of a regular file; never blocks on a FIFO or device. */
async function readBounded(file: string, limit: number): Promise<string> {
  let handle;
  try {
    handle = await open(file, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new CheckLoadError(`${file}: no such file`, { code: 'ERR_PMC_CHECKS_NOT_FOUND', file });
    }
    throw new CheckLoadError(`${file}: cannot be read: ${(e as Error).message}`, { code: 'ERR_PMC_CHECKS_NOT_FOUND', file });
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      throw new CheckLoadError(`${file}: not a regular file`, { code: 'ERR_PMC_CHECKS_PARSE', file });
    }
    if (stat.size > limit) {
      throw new CheckLoadError(`${file}: the file has ${stat.size} bytes, more than the limit of ${limit}`, {
        code: 'ERR_PMC_CHECKS_TOO_LARGE',
        file,
      });
    }
    // One byte over the limit is enough to know it grew past it since the stat.
    const buffer = Buffer.alloc(Math.min(limit + 1, stat.size + 1));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

/**
 * Loads an XML check file (docs/check-files.md): parsed without network,
 * DTDs or external entities, validated against schemas/checks.rng, every
 * XPath compiled and tried once. Rejects with a CheckLoadError naming the
 * file (and line:column and check when it can) for anything wrong in it.
 */
export async function loadCheckFile(file: string, options: LoadCheckFileOptions = {}): Promise<CheckFile> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_CHECK_FILE_BYTES;
  if (!(Number.isInteger(maxBytes) && maxBytes > 0)) throw new RangeError('maxBytes must be a positive whole number');
  const absolute = path.resolve(file);
  const text = await readBounded(absolute, maxBytes);
  schemaText ??= readFile(CHECK_FILE_SCHEMA, 'utf8');
  const schema = await schemaText;
  try {
    return new CheckFile(native.loadCheckFile(text, absolute, schema, maxBytes));
  } catch (e) {
    throw fromNative(e);
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
    throw fromNative(e);
  }
}

/** The facts check files and plugins can read, with their kind and meaning. */
export function nativeFactSpecs(): NativeFactSpec[] {
  return native.factSpecs();
}

// ---- the facts native checks read, fetched through the run's Facts ----

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * `$options`: the migration options that are set and that the option table
 * lets check files see, as <options><live>true</live>…</options>.
 */
export function optionsXml(options: RunOptions, table: OptionTable = migrationOptionTable): string {
  let body = '';
  for (const [key, value] of checkFileOptionsOf(table, options)) {
    const values: unknown[] = Array.isArray(value) ? value : [value];
    for (const v of values) {
      if (typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') {
        body += `<${key}>${escapeXml(String(v))}</${key}>`;
      }
    }
  }
  return `<options>${body}</options>`;
}

function nodeXml(node: { model: string; memoryKiB: number; cpus: number; mhz: number; nodes: number; sockets: number; cores: number; threads: number }): string {
  return (
    `<node><model>${escapeXml(node.model)}</model><memory unit='KiB'>${node.memoryKiB}</memory>` +
    `<cpus>${node.cpus}</cpus><mhz>${node.mhz}</mhz><nodes>${node.nodes}</nodes><sockets>${node.sockets}</sockets>` +
    `<cores>${node.cores}</cores><threads>${node.threads}</threads></node>`
  );
}

/** The same target (hence the same cached fetch) as the built-in platform check asks for. */
async function domainCapabilitiesFor(facts: Facts): Promise<string> {
  const model = await domainModel(facts);
  return facts.destination.domainCapabilities({
    ...(model.emulator ? { emulator: model.emulator } : {}),
    ...(model.arch ? { arch: model.arch } : {}),
    ...(model.machine ? { machine: model.machine } : {}),
    virttype: model.virtType,
  });
}

const KiB = 1024;

/** How each fact a native check may read is fetched: through the run's Facts, so once per run. */
const FACT_FETCHERS: Record<string, (facts: Facts, options: RunOptions) => Promise<string>> = {
  domain: (f) => f.domain.migratableXml(),
  srcCaps: (f) => f.source.capabilities(),
  dstCaps: (f) => f.destination.capabilities(),
  dstDomCaps: (f) => domainCapabilitiesFor(f),
  srcNode: async (f) => nodeXml(await f.source.nodeInfo()),
  dstNode: async (f) => nodeXml(await f.destination.nodeInfo()),
  options: async (_f, o) => optionsXml(o),
  srcHostname: (f) => f.source.hostname(),
  dstHostname: (f) => f.destination.hostname(),
  srcFreeMemory: async (f) => String(Math.floor((await f.source.freeMemory()) / KiB)),
  dstFreeMemory: async (f) => String(Math.floor((await f.destination.freeMemory()) / KiB)),
};

/** The names FACT_FETCHERS knows; a test holds them equal to the native list. */
export const FETCHABLE_FACTS: readonly string[] = Object.keys(FACT_FETCHERS);

/**
 * Fetches the named facts concurrently; a fact libvirt cannot give becomes an
 * error the checks that read it report. Each fetch is bounded by the run's
 * per-check timeout, and the run's signal stops the wait: a hung libvirt call
 * cannot hold the run before its checks start.
 */
export async function fetchNativeFacts(
  facts: Facts,
  options: RunOptions,
  names: Iterable<string>,
  timeoutMs: number,
): Promise<{ values: Record<string, string>; errors: Record<string, string> }> {
  const values: Record<string, string> = {};
  const errors: Record<string, string> = {};
  const { signal } = options;
  await Promise.all(
    [...new Set(names)].map(async (name) => {
      const fetch = FACT_FETCHERS[name];
      if (!fetch) {
        errors[name] = `no such fact: ${name}`;
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      let onAbort: (() => void) | undefined;
      const stop = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`fetching it timed out after ${timeoutMs} ms`)), timeoutMs);
        timer.unref();
        onAbort = () => reject(new Error('the run was cancelled'));
        if (signal?.aborted) onAbort();
        else signal?.addEventListener('abort', onAbort, { once: true });
      });
      try {
        values[name] = await Promise.race([fetch(facts, options), stop]);
      } catch (e) {
        errors[name] = e instanceof Error ? e.message : String(e);
      } finally {
        clearTimeout(timer);
        if (onAbort) signal?.removeEventListener('abort', onAbort);
      }
    }),
  );
  return { values, errors };
}
