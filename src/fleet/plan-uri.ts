/**
 * The host URIs a file may name (a saved plan's source and candidates, a
 * report's, for `--return`): pmc dials them, often as root, and libvirt can
 * be made to run a local program (the `ext` transport, ssh's `command=`),
 * read a local file (the test driver's `test:///path`, `keyfile=`,
 * `pkipath=`), talk to a local socket (`socket=`) or run a driver inside pmc
 * (`qemu:///embed`) by what a URI says. So a URI from a file must be of a
 * short allow-list; anything else the operator vouches for by typing it on
 * the command line (docs/security.md).
 *
 * Parameters are read as libvirt reads them (virURIParseParams in
 * src/util/viruri.c): the query split at `&`, or at `;` when no `&` follows,
 * each part's name and value percent-decoded (xmlURIUnescapeString), names
 * compared without case (the remote driver's STRCASEEQ). The allow-list does
 * not depend on that reading being exact, but `runsLocalProgram`, the rule
 * for URIs a caller of the API hands over, does.
 */

/** One `name=value` of a URI's query, decoded as libvirt decodes it. */
export interface LibvirtUriParam {
  name: string;
  value: string;
}

/** xmlURIUnescapeString: `%XX` with two hex digits becomes that byte; anything else stays as it is. */
function unescape(text: string): string {
  return text.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** strcasecmp's folding in the C locale: ASCII letters only. */
function asciiLower(text: string): string {
  return text.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** The parameters of `query` (the raw text after `?`, before any `#`), exactly as virURIParseParams splits and decodes them. */
export function libvirtUriParams(query: string): LibvirtUriParam[] {
  const params: LibvirtUriParam[] = [];
  let at = 0;
  while (at < query.length) {
    // The next '&'; only when there is none, the next ';'.
    let end = query.indexOf('&', at);
    if (end < 0) end = query.indexOf(';', at);
    if (end < 0) end = query.length;
    let eq = query.indexOf('=', at);
    if (eq >= end) eq = -1;
    if (end === at || eq === at) {
      // An empty part ("&&"), or "=value", which libvirt ignores.
    } else if (eq < 0) {
      params.push({ name: unescape(query.slice(at, end)), value: '' });
    } else {
      params.push({ name: unescape(query.slice(at, eq)), value: unescape(query.slice(eq + 1, end)) });
    }
    at = end + 1;
  }
  return params;
}

/** The scheme's driver and transport (`qemu+ssh` → qemu, ssh), lower-cased; null when `uri` has no scheme. */
function schemeOf(uri: string): { driver: string; transport: string | null } | null {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1];
  if (!scheme) return null;
  const plus = scheme.indexOf('+');
  return plus < 0
    ? { driver: asciiLower(scheme), transport: null }
    : { driver: asciiLower(scheme.slice(0, plus)), transport: asciiLower(scheme.slice(plus + 1)) };
}

/** The raw query of `uri` as libxml2 cuts it: after the first `?` before any `#` (the fragment). */
function rawQuery(uri: string): string | null {
  const hash = uri.indexOf('#');
  const beforeFragment = hash < 0 ? uri : uri.slice(0, hash);
  const q = beforeFragment.indexOf('?');
  return q < 0 ? null : beforeFragment.slice(q + 1);
}

/**
 * Why libvirt would run a local program to open `uri` (the `ext` transport,
 * or a `command` parameter in any case or encoding), or null. The rule for
 * URIs a caller of the API hands over in a plan object; files get the
 * stricter `refusedFileUri`.
 */
export function runsLocalProgram(uri: string): string | null {
  if (uri === '') return 'is empty (libvirt would pick its default URI)';
  const scheme = schemeOf(uri);
  if (!scheme) return 'is not a libvirt URI';
  if (scheme.transport !== null && scheme.transport.split('+').includes('ext'))
    return 'uses the ext transport, which runs a local program';
  const query = rawQuery(uri);
  if (query !== null && libvirtUriParams(query).some((p) => asciiLower(p.name) === 'command'))
    return 'sets command=, which runs a local program';
  return null;
}

/** The drivers a file may name: pmc checks QEMU migrations. */
export const FILE_URI_DRIVERS: readonly string[] = ['qemu'];
/** Transports that dial a daemon and run nothing but `ssh` itself (none: the local daemon's socket). */
export const FILE_URI_TRANSPORTS: readonly string[] = ['tls', 'tcp', 'ssh', 'libssh', 'libssh2', 'unix'];
/** The QEMU driver's daemons; `/embed` would run the driver inside pmc. */
export const FILE_URI_PATHS: readonly string[] = ['/system', '/session'];
/**
 * Parameters that name no local file, socket or program and weaken no
 * verification: `no_tty` (never prompt), `sshauth` (which ssh methods), `mode`
 * (the daemon to reach), `proxy` (how the remote end is reached), in any case.
 * Refused, among others: command, netcat, socket, keyfile, pkipath,
 * known_hosts, no_verify, known_hosts_verify, name.
 */
export const FILE_URI_PARAMS: readonly string[] = ['no_tty', 'sshauth', 'mode', 'proxy'];

/** `user@host:port`: letters, digits, dots and dashes (no escapes), or a bracketed IPv6 address. */
const AUTHORITY =
  /^(?:[A-Za-z0-9_][A-Za-z0-9._-]*@)?(?:[A-Za-z0-9][A-Za-z0-9.-]*|\[[0-9A-Fa-f:.]+\])?(?::[0-9]{1,5})?$/;

/**
 * Why `uri`, read from a file, may not be dialled, or null: it must be a
 * `qemu` URI of an allowed transport, path and parameters, with nothing
 * encoded or hidden (no escapes, fragment or characters outside plain ASCII).
 */
export function refusedFileUri(uri: string): string | null {
  const program = runsLocalProgram(uri);
  if (program) return program;
  if (!/^[\x21-\x7e]+$/.test(uri) || uri.includes('\\'))
    return 'holds a space, a backslash, or a character outside printable ASCII';
  if (uri.includes('%')) return 'holds a percent-escape (a file may not hide a name that way)';
  if (uri.includes('#')) return 'has a fragment';
  const parts = /^([^:/?]+):\/\/([^/?]*)([^?]*)(?:\?(.*))?$/.exec(uri);
  const scheme = schemeOf(uri)!;
  if (!FILE_URI_DRIVERS.includes(scheme.driver) || !parts)
    return `is not a ${FILE_URI_DRIVERS.join(' or ')}:// URI (a file may not name the test driver, a local path or another driver)`;
  if (scheme.transport !== null && !FILE_URI_TRANSPORTS.includes(scheme.transport))
    return `uses the ${scheme.transport} transport; a file may name ${FILE_URI_TRANSPORTS.join(', ')}`;
  const [, , authority, path, query] = parts as unknown as [string, string, string, string, string | undefined];
  if (!AUTHORITY.test(authority)) return 'names its host in a form a file may not use';
  if (!FILE_URI_PATHS.includes(path))
    return `has the path ${path || '(none)'}; a file may name ${FILE_URI_PATHS.join(' or ')}`;
  for (const { name, value } of query === undefined ? [] : libvirtUriParams(query)) {
    if (!FILE_URI_PARAMS.includes(asciiLower(name)))
      return `sets ${name}=, which a file may not set (it may set ${FILE_URI_PARAMS.join(', ')})`;
    if (!/^[A-Za-z0-9_,.-]*$/.test(value)) return `sets ${name}= to a value a file may not use`;
  }
  return null;
}
