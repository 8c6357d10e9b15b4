/** What the gate's e2e tests (gate.test.ts, rehearsal-gate.test.ts) install on a lab host. */
import { writeFileSync } from 'node:fs';

/** The refusal line of the site check file `writeNoWatchdogCheck` writes. */
export const NO_WATCHDOG_REFUSAL = 'site.no-watchdog: guests with a watchdog device stay off this host';

/** A watchdog device for a guest's `<devices>`: what that check file refuses. */
export const WATCHDOG_DEVICE = "<watchdog model='i6300esb' action='none'/>";

/**
 * Writes a site check file refusing guests with a watchdog device to `file`,
 * root's and world-readable, as the gate (the host's user) reads it.
 */
export function writeNoWatchdogCheck(file: string): void {
  writeFileSync(
    file,
    `<?xml version="1.0"?>
<checks>
  <check name="site.no-watchdog" severity="critical">
    <assert test="count($domain/domain/devices/watchdog) = 0">guests with a watchdog device stay off this host</assert>
  </check>
</checks>`,
    { mode: 0o644 },
  );
}
