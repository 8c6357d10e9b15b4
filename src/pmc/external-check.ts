/** What check files and plugins share: their checks as a run lists them, and the addon's load errors. */
import type { NativeCheckFileInfo, NativePluginInfo } from '../binding/native-types.js';
import { CheckLoadError, type CheckLoadErrorFields } from '../errors.js';
import type { CheckOrigin, ExternalCheck, Severity } from './types.js';

/** A loaded check file or plugin: its path, its checks, and the addon's description with the handle runs use. */
export abstract class ExternalCheckSource<Info extends NativeCheckFileInfo | NativePluginInfo> {
  readonly path: string;
  readonly checks: readonly ExternalCheck[];
  /** @internal */
  readonly native: Info;

  /** @internal */
  protected constructor(info: Info, origin: CheckOrigin) {
    this.native = info;
    this.path = info.path;
    this.checks = externalChecks(info.checks, origin, info.path);
  }
}

/** The checks of a loaded check file or plugin (`anchor`: its path), frozen. */
function externalChecks(
  checks: readonly { name: string; severity: Severity; description: string; line?: number }[],
  origin: CheckOrigin,
  anchor: string,
): readonly ExternalCheck[] {
  return Object.freeze(
    checks.map((c) => ({
      name: c.name,
      severity: c.severity,
      description: c.description,
      origin,
      anchor,
      ...(c.line !== undefined ? { line: c.line } : {}),
    })),
  );
}

/** The addon throws plain Errors with a CheckLoadError's fields: made into one. */
function checkLoadErrorFromNative(e: unknown): unknown {
  const fields = e as Partial<CheckLoadErrorFields> & { message?: string };
  if (!(e instanceof Error) || typeof fields.code !== 'string' || typeof fields.file !== 'string') return e;
  return new CheckLoadError(e.message, fields as CheckLoadErrorFields);
}

/** Runs one of the addon's loaders; what it refuses becomes a CheckLoadError. */
export function loadNative<T>(load: () => T): T {
  try {
    return load();
  } catch (e) {
    throw checkLoadErrorFromNative(e);
  }
}
