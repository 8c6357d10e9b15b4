/** Runs the real `pmc` command (dist/cli/main.js) as a subprocess and validates its JSON reports. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { fixtureUri } from './fixtures.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const pmcMain = path.join(root, 'dist', 'cli', 'main.js');

export interface PmcResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface PmcRun {
  child: ChildProcess;
  /** Resolves when stderr or stdout has printed text matching `pattern`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  done: Promise<PmcResult>;
}

/** A clean environment: no colour forcing, no default URI unless the test sets one. */
function cleanEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of ['LIBVIRT_DEFAULT_URI', 'FORCE_COLOR', 'NO_COLOR']) delete env[key];
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

export function startPmc(args: string[], env: Record<string, string | undefined> = {}): PmcRun {
  const child = spawn(process.execPath, [pmcMain, ...args], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  const onData = () => {
    for (const w of [...waiters]) {
      if (w.pattern.test(stdout) || w.pattern.test(stderr)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    onData();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    onData();
  });
  const done = new Promise<PmcResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return {
    child,
    done,
    waitForOutput(pattern, timeoutMs = 60_000) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no output matching ${pattern} within ${timeoutMs} ms:\n${stdout}\n${stderr}`)),
          timeoutMs,
        );
        waiters.push({
          pattern,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
        onData();
      });
    },
  };
}

export function runPmc(args: string[], env: Record<string, string | undefined> = {}): Promise<PmcResult> {
  return startPmc(args, env).done;
}

/** `pmc -c <host-a of test/fixtures> ...args`: most CLI tests run against that source. */
export function pmcOnHostA(args: string[], env: Record<string, string | undefined> = {}): Promise<PmcResult> {
  return runPmc(['-c', fixtureUri('host-a'), ...args], env);
}

const schema = JSON.parse(readFileSync(path.join(root, 'docs', 'report.schema.json'), 'utf8')) as object;
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);

/** Parses a `--json` report and asserts it matches docs/report.schema.json. */
export function parseReport<T = Record<string, unknown>>(stdout: string): T {
  const report = JSON.parse(stdout) as unknown;
  if (!validate(report)) {
    throw new Error(`report does not match docs/report.schema.json: ${JSON.stringify(validate.errors, null, 2)}`);
  }
  return report as T;
}
