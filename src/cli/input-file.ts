/**
 * A file named on the command line, read as hostile input: a regular file (a
 * FIFO or device would block or never end), bounded in size, UTF-8 text.
 */
import { closeSync, constants as fsConstants, fstatSync, openSync, readFileSync } from 'node:fs';
import { CliError } from '../errors.js';

/** The text of `file`, given as `option`; a CliError naming both when it is no regular file, over `maxBytes` or unreadable. */
export function readInputFile(option: string, file: string, maxBytes: number): string {
  let fd: number | undefined;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer before fstat can refuse it.
    fd = openSync(file, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK | fsConstants.O_NOCTTY);
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new CliError(`${option}: ${file} is not a regular file`);
    if (stat.size > maxBytes) throw new CliError(`${option}: ${file} is larger than ${maxBytes} bytes`);
    return readFileSync(fd, 'utf8');
  } catch (error) {
    if (error instanceof CliError) throw error;
    const reason = error instanceof Error && 'code' in error ? String(error.code) : String(error);
    throw new CliError(`${option}: cannot read ${file} (${reason})`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
