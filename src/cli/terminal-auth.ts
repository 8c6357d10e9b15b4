/**
 * The CLI's answers to libvirt's credential questions (a SASL user name and
 * password, a passphrase): asked on the terminal, and only when stdin and
 * stderr both are one. The prompts go to stderr, never stdout (it carries
 * --json); a hidden answer is not echoed. Without a terminal nobody is asked:
 * the open fails with libvirt's authentication error, as the API always does
 * without an auth callback (docs/security.md).
 */
import { Writable } from 'node:stream';
import { createInterface } from 'node:readline';
import type { OpenOptions } from '../binding/connection.js';
import type { Credential, CredentialType } from '../binding/native-types.js';

/** What virConnectAuthPtrDefault offers, but `external` (polkit asks the daemon, not us). */
const ASKED: CredentialType[] = [
  'username',
  'authname',
  'language',
  'cnonce',
  'passphrase',
  'echoprompt',
  'noechoprompt',
  'realm',
];
const HIDDEN = new Set<CredentialType>(['passphrase', 'noechoprompt']);
/** A person typing: far longer than the API's default of 60 s. */
const TYPING_TIMEOUT_MS = 5 * 60_000;

interface Terminal {
  stdin: NodeJS.ReadStream;
  stderr: NodeJS.WriteStream;
}

/** `OpenOptions.auth` asking on the terminal, or undefined when stdin or stderr is not one. */
export function terminalAuth(
  terminal: Terminal = { stdin: process.stdin, stderr: process.stderr },
): OpenOptions['auth'] | undefined {
  if (!terminal.stdin.isTTY || !terminal.stderr.isTTY) return undefined;
  return {
    credentials: ASKED,
    timeoutMs: TYPING_TIMEOUT_MS,
    callback: async (questions) => {
      const answers: string[] = [];
      for (const q of questions) answers.push(await ask(q, terminal));
      return answers;
    },
  };
}

/** One question, as libvirt's own console prompt asks it ("prompt: ", the default taken on an empty answer). */
function ask(question: Credential, { stdin, stderr }: Terminal): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (!muted) stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: stdin, output, terminal: true });
  const prompt = `${question.prompt}${question.defaultResult ? ` [${question.defaultResult}]` : ''}: `;
  return new Promise((resolve, reject) => {
    // (Never removeAllListeners('close'): readline detaches from stdin in one of them.)
    let answered = false;
    rl.once('close', () => answered || reject(new Error('no answer: the terminal closed')));
    rl.question(prompt, (answer) => {
      answered = true;
      if (muted) stderr.write('\n');
      rl.close();
      resolve(answer === '' && question.defaultResult !== undefined ? question.defaultResult : answer);
    });
    // After the prompt is written: from here on the typing is not echoed.
    muted = HIDDEN.has(question.type);
  });
}
