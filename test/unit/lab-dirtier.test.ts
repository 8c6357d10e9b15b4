/** The dirtying lab guest's kernel: built from lab/guest/ by the lab, once, into a root-owned directory. */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildDirtier, dirtierXml } from '../../src/lab/index.js';

const root = process.getuid?.() === 0;
const labDir = mkdtempSync(path.join(tmpdir(), 'pmc-dirtier-'));
afterAll(() => rmSync(labDir, { recursive: true, force: true }));

describe('the dirtying guest', () => {
  it.skipIf(!root)('builds a 32-bit ELF multiboot kernel into <lab>/guest/, and only once', () => {
    const kernel = buildDirtier({ dir: labDir });
    expect(kernel).toBe(path.join(labDir, 'guest', 'dirtier.elf'));
    const image = readFileSync(kernel);
    expect(image.subarray(0, 5)).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1])); // ELF, 32-bit class
    // QEMU's multiboot loader looks for the header magic in the first 8 KiB, 4-byte aligned.
    const magicAt = image.subarray(0, 8192).indexOf(Buffer.from([0x02, 0xb0, 0xad, 0x1b]));
    expect(magicAt % 4).toBe(0);
    expect(statSync(path.dirname(kernel)).mode & 0o777).toBe(0o755); // every host's QEMU reads it
    const builtAt = statSync(kernel).mtimeMs;
    buildDirtier({ dir: labDir });
    expect(statSync(kernel).mtimeMs).toBe(builtAt);
  });

  it('loads the kernel with the rate on its command line', () => {
    const xml = dirtierXml({ name: 'd', memoryMiB: 128, rateKiB: 2048 }, '/lab/guest/dirtier.elf');
    expect(xml).toContain('<kernel>/lab/guest/dirtier.elf</kernel><cmdline>rate=2048</cmdline>');
    expect(xml).toContain("<memory unit='MiB'>128</memory>");
  });
});
