#!/usr/bin/env node
// Writes docs/checks.md from the built-in check definitions (run `npm run docs:checks`,
// which compiles src/ to dist/ first). test/unit/checks-doc.test.ts fails when it is stale.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { builtinChecks } = await import(path.join(root, 'dist/checks/index.js'));
const { renderChecksDoc } = await import(path.join(root, 'dist/checks/doc.js'));
mkdirSync(path.join(root, 'docs'), { recursive: true });
writeFileSync(path.join(root, 'docs/checks.md'), renderChecksDoc(builtinChecks));
console.log(`docs/checks.md: ${builtinChecks.length} checks`);
