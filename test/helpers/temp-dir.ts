/** Temporary directories for tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';

/** A fresh directory under the system's temporary one for each test of the calling block, removed after it. */
export function useTempDirPerTest(prefix: string): { path: string } {
  const dir = { path: '' };
  beforeEach(() => {
    dir.path = mkdtempSync(path.join(tmpdir(), prefix));
  });
  afterEach(() => {
    rmSync(dir.path, { recursive: true, force: true });
  });
  return dir;
}
