/**
 * The facts check files and plugins read, fetched through the run's Facts
 * (so once per run, shared with the JS checks) before the native run starts,
 * and the list of facts they may name.
 */
import { native } from '../binding/native.js';
import type { NativeFactSpec, NodeInfo } from '../binding/native-types.js';
import { checkFileOptionsOf, migrationOptionTable, type OptionTable } from '../options/index.js';
import type { Facts } from './facts.js';
import { destinationDomainCapabilities } from './parsed-facts.js';
import type { RunOptions } from './run-options.js';

/** The facts check files and plugins can read, with their kind and meaning. */
export function nativeFactSpecs(): NativeFactSpec[] {
  return native.factSpecs();
}

// ---- the facts native checks read, fetched through the run's Facts ----

/**
 * Text as XML character data. Characters XML 1.0 cannot carry at all (C0
 * controls but tab and newlines, lone surrogates, U+FFFE/U+FFFF), e.g. in a
 * --dname, become U+FFFD: escaping them would still make `$options` unparseable.
 */
function escapeXml(text: string): string {
  return text
    .replace(
      /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
      '\ufffd',
    )
    .replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * `$options`: the migration options that are set and that the option table
 * lets check files see, as <options><live>true</live>…</options>.
 */
export function optionsXml(options: RunOptions, table: OptionTable = migrationOptionTable): string {
  let body = '';
  for (const [key, value] of checkFileOptionsOf(table, options)) {
    const values: unknown[] = Array.isArray(value) ? value : [value];
    for (const v of values) {
      if (typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') {
        body += `<${key}>${escapeXml(String(v))}</${key}>`;
      }
    }
  }
  return `<options>${body}</options>`;
}

function nodeXml(node: NodeInfo): string {
  return (
    `<node><model>${escapeXml(node.model)}</model><memory unit='KiB'>${node.memoryKiB}</memory>` +
    `<cpus>${node.cpus}</cpus><mhz>${node.mhz}</mhz><nodes>${node.nodes}</nodes><sockets>${node.sockets}</sockets>` +
    `<cores>${node.cores}</cores><threads>${node.threads}</threads></node>`
  );
}

const KiB = 1024;

/** How each fact a native check may read is fetched: through the run's Facts, so once per run. */
const FACT_FETCHERS: Record<string, (facts: Facts, options: RunOptions) => Promise<string>> = {
  domain: (f) => f.domain.migratableXml(),
  srcCaps: (f) => f.source.capabilities(),
  dstCaps: (f) => f.destination.capabilities(),
  dstDomCaps: (f) => destinationDomainCapabilities(f),
  srcNode: async (f) => nodeXml(await f.source.nodeInfo()),
  dstNode: async (f) => nodeXml(await f.destination.nodeInfo()),
  options: async (_f, o) => optionsXml(o),
  srcHostname: (f) => f.source.hostname(),
  dstHostname: (f) => f.destination.hostname(),
  srcFreeMemory: async (f) => String(Math.floor((await f.source.freeMemory()) / KiB)),
  dstFreeMemory: async (f) => String(Math.floor((await f.destination.freeMemory()) / KiB)),
};

/** The names FACT_FETCHERS knows; a test holds them equal to the native list. */
export const FETCHABLE_FACTS: readonly string[] = Object.keys(FACT_FETCHERS);

/**
 * Fetches the named facts concurrently; a fact libvirt cannot give becomes an
 * error the checks that read it report. Each fetch is bounded by the run's
 * per-check timeout, and the run's signal stops the wait: a hung libvirt call
 * cannot hold the run before its checks start.
 */
export async function fetchNativeFacts(
  facts: Facts,
  options: RunOptions,
  names: Iterable<string>,
  timeoutMs: number,
): Promise<{ values: Record<string, string>; errors: Record<string, string> }> {
  const values: Record<string, string> = {};
  const errors: Record<string, string> = {};
  const { signal } = options;
  await Promise.all(
    [...new Set(names)].map(async (name) => {
      const fetch = FACT_FETCHERS[name];
      if (!fetch) {
        errors[name] = `no such fact: ${name}`;
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      let onAbort: (() => void) | undefined;
      const stop = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`fetching it timed out after ${timeoutMs} ms`)), timeoutMs);
        timer.unref();
        onAbort = () => reject(new Error('the run was cancelled'));
        if (signal?.aborted) onAbort();
        else signal?.addEventListener('abort', onAbort, { once: true });
      });
      try {
        values[name] = await Promise.race([fetch(facts, options), stop]);
      } catch (e) {
        errors[name] = e instanceof Error ? e.message : String(e);
      } finally {
        clearTimeout(timer);
        if (onAbort) signal?.removeEventListener('abort', onAbort);
      }
    }),
  );
  return { values, errors };
}
