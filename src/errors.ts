/**
 * Every error of the package, under one base class with a stable `code`
 * (callers test `code`, never the message), and the one way to ask "is this
 * libvirt error X": isLibvirtError. The lowest layer: imports only the
 * generated names of libvirt's error codes and domains.
 */
import type { LibvirtErrorCode, LibvirtErrorDomain } from './libvirt-names.js';

export type { LibvirtErrorCode, LibvirtErrorDomain } from './libvirt-names.js';

/** The base of every error this package throws or rejects with. */
export class PmcError extends Error {
  override name = 'PmcError';
  /** Stable: `VIR_ERR_*` for libvirt's errors, `ERR_PMC_*` for ours. */
  code: string;

  constructor(message: string, code: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/**
 * Every failing libvirt call rejects with a LibvirtError: libvirt's own error,
 * copied on the thread of the failing call, with the stack of the JS caller.
 */
export interface LibvirtErrorFields {
  /** libvirt's error code by name, e.g. `VIR_ERR_NO_DOMAIN` (`VIR_ERR_UNKNOWN` for one newer than this build). */
  code: LibvirtErrorCode;
  /** The numeric value of `code` (virErrorNumber). */
  number: number;
  /** The error domain by name, e.g. `VIR_FROM_QEMU` (`VIR_FROM_UNKNOWN` for one newer than this build). */
  domain: LibvirtErrorDomain;
  /** The numeric value of `domain` (virErrorDomain). */
  domainNumber: number;
  level: 'warning' | 'error' | 'none';
}

export class LibvirtError extends PmcError implements LibvirtErrorFields {
  override name = 'LibvirtError';
  declare code: LibvirtErrorCode;
  number: number;
  domain: LibvirtErrorDomain;
  domainNumber: number;
  level: 'warning' | 'error' | 'none';

  constructor(message: string, fields: LibvirtErrorFields) {
    super(message, fields.code);
    this.number = fields.number;
    this.domain = fields.domain;
    this.domainNumber = fields.domainNumber;
    this.level = fields.level;
  }
}

/**
 * True when `error` is a libvirt error, and, with `codes`, one of those
 * (`isLibvirtError(e, 'VIR_ERR_NO_DOMAIN')`). The one test for libvirt error
 * codes in the package: by class, never by message.
 */
export function isLibvirtError(error: unknown, ...codes: LibvirtErrorCode[]): error is LibvirtError {
  return error instanceof LibvirtError && (codes.length === 0 || codes.includes(error.code));
}

/**
 * A lookup's rejection handler: null when libvirt says there is no such
 * object (one of `codes`), else the error again
 * (`conn.lookupDomainByName(name).catch(nullWhen('VIR_ERR_NO_DOMAIN'))`).
 */
export function nullWhen(...codes: LibvirtErrorCode[]): (error: unknown) => null {
  return (error) => {
    if (isLibvirtError(error, ...codes)) return null;
    throw error;
  };
}

export type XmlErrorCode = 'ERR_PMC_XML_PARSE' | 'ERR_PMC_XPATH' | 'ERR_PMC_XML_TOO_LARGE' | 'ERR_PMC_XML_FORBIDDEN';

export interface XmlErrorFields {
  code: XmlErrorCode;
  /** Parse errors: the document's name (as given to XmlDocument.parse). */
  file?: string;
  /** Parse errors: where, 1-based. */
  line?: number;
  column?: number;
  /** XPath errors: the expression. */
  expression?: string;
}

/**
 * A failure of the XML engine: a document that does not parse (the message is
 * `name:line:column: message`), one refused for security (external or
 * parameter entities, an external DTD), one over the size limit, or an XPath
 * expression that does not compile or evaluate (the message names it).
 */
export class XmlError extends PmcError implements XmlErrorFields {
  override name = 'XmlError';
  declare code: XmlErrorCode;
  file?: string;
  line?: number;
  column?: number;
  expression?: string;

  constructor(message: string, fields: XmlErrorFields) {
    super(message, fields.code);
    if (fields.file !== undefined) this.file = fields.file;
    if (fields.line !== undefined) this.line = fields.line;
    if (fields.column !== undefined) this.column = fields.column;
    if (fields.expression !== undefined) this.expression = fields.expression;
  }
}

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
  | 'ERR_PMC_PLUGIN_INVALID'
  | 'ERR_PMC_PLUGIN_UNSAFE';

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
export class CheckLoadError extends PmcError implements CheckLoadErrorFields {
  override name = 'CheckLoadError';
  declare code: CheckLoadErrorCode;
  file: string;
  line?: number;
  column?: number;
  check?: string;

  constructor(message: string, fields: CheckLoadErrorFields) {
    super(message, fields.code);
    this.file = fields.file;
    if (fields.line !== undefined) this.line = fields.line;
    if (fields.column !== undefined) this.column = fields.column;
    if (fields.check !== undefined) this.check = fields.check;
  }
}

/**
 * An argument the caller got wrong: a value of the wrong type, out of its
 * bounds, or naming what does not exist (an option, a check to skip, a plan
 * field). Thrown before anything is asked of libvirt. Not a TypeError: test
 * `code` (`ERR_PMC_INVALID_ARG`) or the class.
 */
export class InvalidArgumentError extends PmcError {
  override name = 'InvalidArgumentError';
  declare code: 'ERR_PMC_INVALID_ARG';

  constructor(message: string) {
    super(message, 'ERR_PMC_INVALID_ARG');
  }
}

/** A short, printable account of a value the caller gave, for error messages. */
function described(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/**
 * The one wording of a wrong argument (as sharp's `is.invalidParameterError`):
 * `${name} must be ${expected}`, and with `value`, what was given instead.
 * `invalidArgument('maxParallel', 'a whole number from 1 to 64', 0)`.
 */
export function invalidArgument(name: string, expected: string, ...value: [unknown?]): InvalidArgumentError {
  const given = value.length > 0 ? `, not ${described(value[0])}` : '';
  return new InvalidArgumentError(`${name} must be ${expected}${given}`);
}

/**
 * An error meant for the operator of the `pmc` command: its message is the
 * whole story, `exitCode` what the process exits with (1 unless said).
 */
export class CliError extends PmcError {
  override name = 'CliError';
  readonly exitCode: number;

  constructor(message: string, exitCode = 1, options?: { cause?: unknown }) {
    super(message, 'ERR_PMC_CLI', options);
    this.exitCode = exitCode;
  }
}
