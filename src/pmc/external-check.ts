/** What check files and plugins share: their checks as a run lists them, and the addon's load errors. */
import { CheckLoadError, type CheckLoadErrorFields } from '../errors.js';
import type { CheckOrigin, ExternalCheck, Severity } from './types.js';

/** The checks of a loaded check file or plugin (`anchor`: its path), frozen. */
export function externalChecks(
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
export function checkLoadErrorFromNative(e: unknown): unknown {
  const fields = e as Partial<CheckLoadErrorFields> & { message?: string };
  if (!(e instanceof Error) || typeof fields.code !== 'string' || typeof fields.file !== 'string') return e;
  return new CheckLoadError(e.message, fields as CheckLoadErrorFields);
}
