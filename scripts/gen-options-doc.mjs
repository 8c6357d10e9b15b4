#!/usr/bin/env node
// Writes docs/migration-options.md from the migration option table (run `npm run docs:options`,
// which compiles src/ to dist/ first). test/unit/option-table.test.ts fails when it is stale.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { migrationOptionTable, renderOptionsDoc } = await import(path.join(root, 'dist/options/index.js'));
mkdirSync(path.join(root, 'docs'), { recursive: true });
writeFileSync(path.join(root, 'docs/migration-options.md'), renderOptionsDoc(migrationOptionTable));
console.log(`docs/migration-options.md: ${Object.keys(migrationOptionTable).length} options`);
