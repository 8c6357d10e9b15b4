/**
 * A plugin is native code in pmc's process: one that calls exit() ends pmc
 * with its status, and 0 would tell a script "allowed". Once a plugin is
 * loaded, the addon's exit guard turns such an exit into status 1 with a
 * message; pmc's own exits pass (they emit 'exit' first, which disarms it).
 */
import { native } from '../binding/native.js';

let armed = false;

/** Arms the guard for the rest of the command (idempotent). */
export function guardNativeExits(): void {
  if (armed) return;
  armed = true;
  native.setExitGuard('pmc: error: native code (a plugin) ended the process during the run; no verdict was reached\n');
  process.on('exit', () => native.setExitGuard(null));
}
