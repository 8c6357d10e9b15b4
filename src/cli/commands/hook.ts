/** `pmc hook install|uninstall|status|log|run`: the destination gate in libvirt's qemu hook (docs/hook.md). */
import { Command, Option } from 'commander';
import { CliError } from '../../errors.js';
import { DEFAULT_HOOKS_DIR, gateStatus, installGate, uninstallGate } from '../../gate/install.js';
import { readJournal, type JournalEntry } from '../../gate/journal.js';
import { DEFAULT_GATE_TIMEOUT_MS, type GatePolicy, type OnError } from '../../gate/policy.js';

interface PolicyFlags {
  checksFile?: string[];
  strict?: boolean;
  onError?: OnError;
  timeout?: string;
  journal?: string;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function policyOptions(cmd: Command): Command {
  return cmd
    .option(
      '--checks-file <file>',
      'an XML check file run against the incoming definition ($domain only); repeatable',
      collect,
    )
    .option('--strict', 'failing warnings refuse too')
    .addOption(
      new Option('--on-error <what>', 'when the gate fails itself (a bad check file, an internal error, its timeout)')
        .choices(['allow', 'refuse'])
        .default('allow'),
    )
    .option('--timeout <ms>', 'the gate answers within this many ms', String(DEFAULT_GATE_TIMEOUT_MS))
    .option(
      '--journal <dir>',
      'where the gate journals (default: /var/log/libvirt-pmc as root, else $XDG_STATE_HOME/libvirt-pmc)',
    );
}

export function policyFromFlags(flags: PolicyFlags): Partial<GatePolicy> {
  const timeoutMs = Number(flags.timeout ?? DEFAULT_GATE_TIMEOUT_MS);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 600_000) {
    throw new CliError(`--timeout must be a whole number of ms from 100 to 600000, not ${flags.timeout}`);
  }
  return {
    checkFiles: flags.checksFile ?? [],
    strict: flags.strict ?? false,
    onError: flags.onError ?? 'allow',
    timeoutMs,
    journalDir: flags.journal ?? null,
  };
}

function hooksDirOption(cmd: Command): Command {
  return cmd.option(
    '--hooks-dir <dir>',
    "libvirt's hook directory (the gate goes into its qemu.d/)",
    DEFAULT_HOOKS_DIR,
  );
}

/** Median and 99th percentile of the gate's own time, over the entries. */
export function durationSummary(entries: readonly JournalEntry[]): { count: number; medianMs: number; p99Ms: number } {
  const d = entries.map((e) => e.durationMs).sort((a, b) => a - b);
  const at = (q: number) => (d.length ? d[Math.min(d.length - 1, Math.ceil(q * d.length) - 1)]! : 0);
  return { count: d.length, medianMs: at(0.5), p99Ms: at(0.99) };
}

async function fail<T>(what: () => Promise<T> | T): Promise<T> {
  try {
    return await what();
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError((error as Error).message, 1, { cause: error });
  }
}

export function hookCommand(): Command {
  const hook = new Command('hook').description(
    "a destination gate in libvirt's own qemu hook: refuses incoming migrations this host cannot take, " +
      'whoever starts them (virsh, virt-manager, OpenStack, …)',
  );

  policyOptions(hooksDirOption(hook.command('install')))
    .description('install or update the gate in HOOKS_DIR/qemu.d/ (idempotent; other hooks stay)')
    .action(async (flags: PolicyFlags & { hooksDir: string }) => {
      const result = await fail(() => installGate({ ...policyFromFlags(flags), hooksDir: flags.hooksDir }));
      console.log(`${result.changed ? 'installed' : 'already installed'}: ${result.script}`);
      for (const dir of result.createdDirs) console.log(`  created ${dir}`);
      if (result.daemonMustReload) {
        console.log(
          '  no qemu hook existed before: libvirt looks for hooks when it starts or reloads, so restart or reload ' +
            'the running daemon (systemctl reload libvirtd, or virtqemud; SIGHUP) before it runs the gate',
        );
      }
    });

  hooksDirOption(hook.command('uninstall'))
    .description("remove the gate's entry (only ours; the directories and other hooks stay)")
    .action(async (flags: { hooksDir: string }) => {
      const result = await fail(() => uninstallGate(flags.hooksDir));
      console.log(result.removed ? `removed ${result.script}` : `not installed: ${result.script}`);
    });

  hooksDirOption(hook.command('status'))
    .description('installed? run by the running daemons? with which policy? (exit 1: not installed)')
    .option('--json', 'print the status as JSON')
    .action(async (flags: { hooksDir: string; json?: boolean }) => {
      const status = await fail(() => gateStatus(flags.hooksDir));
      if (!status.installed) process.exitCode = 1;
      if (flags.json) {
        console.log(JSON.stringify(status, null, 2));
        return;
      }
      console.log(`${status.installed ? 'installed' : 'not installed'}: ${status.script}`);
      if (status.policy) {
        const p = status.policy;
        console.log(
          `  policy: ${p.strict ? 'strict' : 'warnings pass'}, on error ${p.onError}, timeout ${p.timeoutMs} ms, ` +
            `check files: ${p.checkFiles.join(', ') || 'none'}`,
        );
      }
      console.log(`  journal: ${status.journalDir}`);
      if (status.otherHooks.length) console.log(`  other qemu hooks: ${status.otherHooks.join(', ')}`);
      for (const d of status.daemons.filter((v) => v.seesGate)) {
        console.log(
          `  ${d.command} pid ${d.pid}: ${d.active ? 'runs the gate' : 'started before any qemu hook existed: runs it only if reloaded since (SIGHUP)'}` +
            (d.journalDir ? `; journal ${d.journalDir}` : ''),
        );
      }
      if (status.installed && !status.daemons.some((d) => d.seesGate)) console.log('  no running daemon sees it');
    });

  hooksDirOption(hook.command('log'))
    .description("the gate's decisions, oldest first, with the median and 99th percentile of its own time")
    .option('--journal <dir>', "the journal directory (default: the installed policy's, else this user's default)")
    .option('--json', 'print the entries as JSON lines')
    .action(async (flags: { hooksDir: string; journal?: string; json?: boolean }) => {
      const status = gateStatus(flags.hooksDir);
      // The journal of the daemon that runs this gate (a session daemon's user), else this user's.
      const dir = flags.journal ?? status.daemons.find((d) => d.seesGate)?.journalDir ?? status.journalDir;
      const entries = readJournal(dir);
      if (flags.json) {
        for (const e of entries) console.log(JSON.stringify(e));
        return;
      }
      for (const e of entries) {
        const failing = e.failing.map((f) => `${f.check}: ${f.message}`).join('; ');
        const extra = [failing, e.gateError ? `gate error: ${e.gateError}` : ''].filter(Boolean).join('; ');
        console.log(`${e.time}  ${e.verdict.padEnd(7)}  ${e.guest}  ${e.durationMs} ms${extra ? `  ${extra}` : ''}`);
      }
      const s = durationSummary(entries);
      console.log(`${s.count} decision(s) in ${dir}; the gate's own time: median ${s.medianMs} ms, p99 ${s.p99Ms} ms`);
    });

  policyOptions(hook.command('run'))
    .description(
      'decide for a definition on standard input as the installed gate would (virsh dumpxml --migratable GUEST | pmc hook run GUEST); ' +
        'exit 0: allowed, 1: refused; journals only with --journal',
    )
    .argument('<guest>', 'the guest name (libvirt passes it to the hook)')
    .action(async (guest: string, flags: PolicyFlags) => {
      const { readInput, runGate } = await import('../../gate/hook.js');
      const { DEFAULT_POLICY } = await import('../../gate/policy.js');
      const policy: GatePolicy = { ...DEFAULT_POLICY, ...policyFromFlags(flags) };
      const result = await runGate(guest, readInput(), policy, { journal: flags.journal !== undefined });
      for (const line of result.lines) console.error(line);
      const warnings = result.entry.failing.filter((f) => f.severity !== 'critical');
      for (const w of warnings) console.error(`pmc-gate: warning: ${w.message}`);
      if (result.entry.gateError) console.error(`pmc-gate: the gate failed itself: ${result.entry.gateError}`);
      console.log(`${result.entry.verdict} (${result.entry.durationMs} ms)`);
      process.exitCode = result.exitCode;
    });

  return hook;
}
