/**
 * Every failing libvirt call rejects with a LibvirtError: libvirt's own error,
 * copied on the thread of the failing call, with the stack of the JS caller.
 */
export interface LibvirtErrorFields {
  /** libvirt's error code by name, e.g. `VIR_ERR_NO_DOMAIN`. */
  code: string;
  /** The numeric value of `code` (virErrorNumber). */
  number: number;
  /** The error domain by name, e.g. `VIR_FROM_QEMU`. */
  domain: string;
  /** The numeric value of `domain` (virErrorDomain). */
  domainNumber: number;
  level: 'warning' | 'error' | 'none';
}

export class LibvirtError extends Error implements LibvirtErrorFields {
  override name = 'LibvirtError';
  code: string;
  number: number;
  domain: string;
  domainNumber: number;
  level: 'warning' | 'error' | 'none';

  constructor(message: string, fields: LibvirtErrorFields) {
    super(message);
    this.code = fields.code;
    this.number = fields.number;
    this.domain = fields.domain;
    this.domainNumber = fields.domainNumber;
    this.level = fields.level;
  }
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
export class XmlError extends Error implements XmlErrorFields {
  override name = 'XmlError';
  code: XmlErrorCode;
  file?: string;
  line?: number;
  column?: number;
  expression?: string;

  constructor(message: string, fields: XmlErrorFields) {
    super(message);
    this.code = fields.code;
    if (fields.file !== undefined) this.file = fields.file;
    if (fields.line !== undefined) this.line = fields.line;
    if (fields.column !== undefined) this.column = fields.column;
    if (fields.expression !== undefined) this.expression = fields.expression;
  }
}
