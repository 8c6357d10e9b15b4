import path from 'node:path';
import { fileURLToPath } from 'node:url';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

/** test:///<abs path> of a crafted test-driver host in test/fixtures. */
export function fixtureUri(name: string): string {
  return `test://${path.join(fixtures, `${name}.xml`)}`;
}

export function fixturePath(name: string): string {
  return path.join(fixtures, name);
}
