/**
 * The CLI's credential prompts (issue 19 item 11): asked only when stdin and
 * stderr both are terminals, on stderr, a password never echoed. Streams
 * marked as terminals stand in for a real one here; test/e2e/lab-sasl.test.ts
 * runs pmc against a SASL host with no terminal at all.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { terminalAuth } from '../../src/cli/terminal-auth.js';

function fakeTerminal(ttys: { stdin: boolean; stderr: boolean }) {
  const stdin = Object.assign(new PassThrough(), { isTTY: ttys.stdin }) as unknown as NodeJS.ReadStream;
  const err = new PassThrough();
  let written = '';
  err.on('data', (chunk: Buffer) => (written += chunk.toString()));
  const stderr = Object.assign(err, { isTTY: ttys.stderr, columns: 80 }) as unknown as NodeJS.WriteStream;
  return { stdin, stderr, written: () => written };
}

describe('terminalAuth: credentials asked on a terminal only', () => {
  it('asks nobody when stdin or stderr is not a terminal', () => {
    expect(terminalAuth(fakeTerminal({ stdin: false, stderr: true }))).toBeUndefined();
    expect(terminalAuth(fakeTerminal({ stdin: true, stderr: false }))).toBeUndefined();
    expect(terminalAuth(fakeTerminal({ stdin: false, stderr: false }))).toBeUndefined();
  });

  it('asks on stderr, echoes the name, hides the password, takes a default on an empty answer', async () => {
    const terminal = fakeTerminal({ stdin: true, stderr: true });
    const auth = terminalAuth(terminal)!;
    expect(auth.credentials).toEqual(expect.arrayContaining(['authname', 'passphrase']));
    expect(auth.credentials).not.toContain('external');
    const answers = auth.callback([
      { type: 'authname', prompt: 'Please enter your authentication name' },
      { type: 'passphrase', prompt: 'Please enter your password' },
      { type: 'realm', prompt: 'Realm', defaultResult: 'example.org' },
    ]);
    // Typed one line at a time, each once its question is on the screen.
    for (const line of ['pmc\r', 's3cret\r', '\r']) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      terminal.stdin.write(line);
    }
    expect(await answers).toEqual(['pmc', 's3cret', 'example.org']);
    const shown = terminal.written();
    expect(shown).toContain('Please enter your authentication name: ');
    expect(shown).toContain('pmc');
    expect(shown).toContain('Please enter your password: ');
    expect(shown).not.toContain('s3cret');
    expect(shown).toContain('Realm [example.org]: ');
  });
});
