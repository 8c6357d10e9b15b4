/**
 * XML check files: XPath asserts over the run's facts (docs/check-files.md),
 * loaded once, fully validated at load, and run in C on the runner's worker
 * threads; JS only fetches the facts they read (./native-facts.ts).
 */
import { constants as fsConstants } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { native } from '../binding/native.js';
import type { NativeCheckFileInfo } from '../binding/native-types.js';
import { CheckLoadError, invalidArgument } from '../errors.js';
import { ExternalCheckSource, loadNative } from './external-check.js';

/** 1 MiB: a check file is a page of rules, not a data set. */
export const DEFAULT_MAX_CHECK_FILE_BYTES = 1024 * 1024;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The RELAX NG schema every check file is validated against, shipped in the package. */
export const CHECK_FILE_SCHEMA = path.join(root, 'schemas', 'checks.rng');

/** A loaded XML check file. Pass it in `RunOptions.checkFiles`. */
export class CheckFile extends ExternalCheckSource<NativeCheckFileInfo> {
  /** The facts its checks read (`domain`, `dstCaps`, …): fetched before each run that uses the file. */
  readonly variables: readonly string[];

  /** @internal */
  constructor(info: NativeCheckFileInfo) {
    super(info, 'xml');
    this.variables = Object.freeze([...info.variables]);
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
    throw new CheckLoadError(`${file}: cannot be read: ${(e as Error).message}`, {
      code: 'ERR_PMC_CHECKS_NOT_FOUND',
      file,
    });
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
  if (!(Number.isInteger(maxBytes) && maxBytes > 0))
    throw invalidArgument('maxBytes', 'a positive whole number', maxBytes);
  const absolute = path.resolve(file);
  const text = await readBounded(absolute, maxBytes);
  schemaText ??= readFile(CHECK_FILE_SCHEMA, 'utf8');
  const schema = await schemaText;
  return loadNative(() => new CheckFile(native.loadCheckFile(text, absolute, schema, maxBytes)));
}
