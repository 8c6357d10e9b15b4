/**
 * A file named on the command line, read as hostile input: a regular file (a
 * FIFO or device would block or never end), bounded in size, UTF-8 text.
 */
import { closeSync, constants as fsConstants, fstatSync, openSync, readSync } from 'node:fs';
import { CliError } from '../errors.js';

/** A read's size: a multiple of 8 (/proc/self/pagemap's unit). */
const READ_BLOCK = 64 * 1024;

/** The text of `file`, given as `option`; a CliError naming both when it is no regular file, over `maxBytes` or unreadable. */
export function readInputFile(option: string, file: string, maxBytes: number): string {
  let fd: number | undefined;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer before fstat can refuse it.
    fd = openSync(file, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK | fsConstants.O_NOCTTY);
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new CliError(`${option}: ${file} is not a regular file`);
    const tooLarge = new CliError(`${option}: ${file} is larger than ${maxBytes} bytes`);
    if (stat.size > maxBytes) throw tooLarge;
    // st_size is not the length (/proc files say 0, pagemap holds terabytes): read in blocks, and stop at
    // the first block past the limit. Whole blocks, as some /proc files refuse reads of other sizes.
    const buffer = Buffer.allocUnsafe(maxBytes + READ_BLOCK);
    let length = 0;
    while (length <= maxBytes) {
      const n = readSync(fd, buffer, length, READ_BLOCK, null);
      if (n === 0) break;
      length += n;
    }
    if (length > maxBytes) throw tooLarge;
    return buffer.toString('utf8', 0, length);
  } catch (error) {
    if (error instanceof CliError) throw error;
    const reason = error instanceof Error && 'code' in error ? String(error.code) : String(error);
    throw new CliError(`${option}: cannot read ${file} (${reason})`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
