/** Colour for people at a terminal; none for pipes, NO_COLOR or --no-color. */
import type { WriteStream } from 'node:tty';

export interface Style {
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;

const colored: Style = {
  red: wrap(31, 39),
  yellow: wrap(33, 39),
  green: wrap(32, 39),
  dim: wrap(2, 22),
  bold: wrap(1, 22),
};

const identity = (s: string) => s;
const plain: Style = { red: identity, yellow: identity, green: identity, dim: identity, bold: identity };

/** https://no-color.org: any non-empty NO_COLOR turns colour off. */
export function colorWanted(stream: NodeJS.WriteStream, flag: boolean | undefined): boolean {
  if (flag === false) return false;
  if (process.env.NO_COLOR) return false;
  const tty = stream as Partial<WriteStream>;
  return Boolean(stream.isTTY && tty.hasColors?.());
}

export function styleFor(stream: NodeJS.WriteStream, flag: boolean | undefined): Style {
  return colorWanted(stream, flag) ? colored : plain;
}

/**
 * Text from outside (check messages, plugin output, libvirt errors, host and
 * domain names) made safe for a terminal: C0/C1 control characters and DEL,
 * and Unicode's format characters (bidirectional overrides such as U+202E,
 * zero-width ones), line and paragraph separators (U+2028, U+2029), spaces
 * other than U+0020 and lone surrogates are shown as escapes, so a message
 * cannot move the cursor, recolour the screen, forge extra report lines or
 * show text other than it holds.
 */
export function printable(text: string): string {
  return text.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]|(?! )\p{Zs}/gu, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    if (c === '\r') return '\\r';
    const code = c.codePointAt(0)!;
    if (code <= 0xff) return `\\x${code.toString(16).padStart(2, '0')}`;
    return code <= 0xffff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

/** 1536 → "1.5 KiB": the units virsh domjobinfo uses. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}
