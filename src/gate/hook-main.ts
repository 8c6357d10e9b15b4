/**
 * The gate's process: `node hook-main.cjs POLICY_JSON GUEST OPERATION SUBOPERATION EXTRA`
 * (this file, bundled into CommonJS by scripts/bundle.mjs), run by the script
 * `pmc hook install` writes into `qemu.d/` (docs/hook.md). It loads only the
 * gate (no CLI, no runner) and the gate's addon (no libvirt): it runs on every
 * incoming migration.
 */
import { useGateAddon } from '../binding/native.js';
import { readInput, runGate } from './hook.js';
import { DEFAULT_POLICY, parsePolicy, type GatePolicy } from './policy.js';

async function main(): Promise<number> {
  useGateAddon(); // XML and check files only: libvirt is not even loaded
  const [policyText = '', guest = '', operation = '', subOperation = ''] = process.argv.slice(2);
  // Only the beginning of an incoming migration is the gate's (the script filters too).
  if (operation !== 'migrate' || subOperation !== 'begin') return 0;
  let policy: GatePolicy;
  let policyError: string | null = null;
  try {
    policy = parsePolicy(JSON.parse(policyText));
  } catch (error) {
    policy = DEFAULT_POLICY;
    policyError = `the hook's policy is unreadable: ${(error as Error).message}`;
  }
  const input = policyError ? Promise.reject(new Error(policyError)) : readInput();
  input.catch(() => undefined);
  const result = await runGate(guest, input, policy);
  // No newline after the last line: libvirt puts standard error verbatim at the end of its message.
  if (result.lines.length) process.stderr.write(result.lines.join('\n'));
  return result.exitCode;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    // runGate never throws: this is the gate's own bug; exit 2 lets the script apply --on-error.
    process.stderr.write(`pmc-gate: internal error: ${String(error)}\n`);
    process.exit(2);
  },
);
