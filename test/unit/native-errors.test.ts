import { describe, expect, it } from 'vitest';
import { native } from '../../src/binding/native.js';

// The C core says why a call failed (virPMCGetLastError); the addon passes the
// reason and a stable code on to JS rather than a generic "invalid check".
// runPMC validates before it reaches the native list, so this drives the list directly.
describe('native check list errors carry the C core reason', () => {
  it('names the duplicate check', () => {
    const list = new native.CheckList();
    list.addJs('cpu.compatible', '', 'critical', 'js');
    let caught: unknown;
    try {
      list.addJs('cpu.compatible', '', 'warning', 'js');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(Error);
    expect((caught as Error).message).toBe('duplicate check name cpu.compatible');
    expect((caught as { code?: string }).code).toBe('ERR_PMC_DUPLICATE_CHECK');
    expect(list.count()).toBe(1);
  });

  it('says what is wrong with an invalid check', () => {
    const list = new native.CheckList();
    expect(() => list.addJs('', '', 'info', 'js')).toThrow(
      expect.objectContaining({ message: 'a check needs a name', code: 'ERR_PMC_INVALID_CHECK' }),
    );
    expect(() => list.addJs('cpu.x', '', 'fatal' as never, 'js')).toThrow(
      new RangeError('severity must be critical, warning or info, not fatal'),
    );
    expect(list.count()).toBe(0);
  });
});
