/**
 * The run's facts: one object per connection, each libvirt fact fetched at
 * most once per run, lazily, and shared by every check (JS, XML and plugin).
 * Placeholder interface: the built-in checks issue fills it in.
 */
export interface Facts {
  /** How many libvirt calls this run made, by fact name. */
  readonly calls: ReadonlyMap<string, number>;
}
