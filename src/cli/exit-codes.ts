/** Exit codes of `pmc migrate` / `pmc check` (README.md; docs/architecture.md). */
export const ExitCode = {
  /** Allowed (and migrated). */
  ok: 0,
  /** Any other error: bad input, unknown domain, unreachable URI. */
  error: 1,
  /** Blocked by checks: nothing migrated. */
  blocked: 2,
  /** The migration was attempted and failed. */
  migrationFailed: 3,
  /** Ctrl-C (128 + SIGINT). */
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
