/** The built-in checks, in report order. Each area lives in its own file. */
import type { CheckDefinition } from '../pmc/types.js';

export const builtinChecks: readonly CheckDefinition[] = [];
