/** libvirt encodes versions as major * 1,000,000 + minor * 1,000 + release. */
export interface Version {
  major: number;
  minor: number;
  release: number;
  /** The encoded number, for comparisons. */
  number: number;
}

export function decodeVersion(encoded: number): Version {
  return {
    major: Math.floor(encoded / 1_000_000),
    minor: Math.floor(encoded / 1_000) % 1_000,
    release: encoded % 1_000,
    number: encoded,
  };
}

export function formatVersion(v: Version): string {
  return `${v.major}.${v.minor}.${v.release}`;
}
