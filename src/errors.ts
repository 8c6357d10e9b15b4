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
