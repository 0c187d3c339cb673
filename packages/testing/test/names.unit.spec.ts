import { describe, expect, it } from '@jest/globals';
import { nameStamp, uniqueName } from '../src/names.js';

describe('nameStamp', () => {
  it('reads when uniqueName made a name, in every form a name takes on the servers', () => {
    const before = Date.now();
    const ns = uniqueName('e2e');
    const after = Date.now();
    for (const name of [ns, `${ns}_ITEMS`, `OBJ_${ns}_documents`, `KV_${ns}_leases`, uniqueName('sh_e2e_delivery').toLowerCase()]) {
      const t = nameStamp(name);
      expect(t).toBeGreaterThanOrEqual(before);
      expect(t).toBeLessThanOrEqual(after);
    }
  });

  it("reads the name's own stamp when the caller's prefix looks like one", () => {
    const made = Date.now() - 5 * 3600_000;
    const name = `x_t${(made - 9 * 24 * 3600_000).toString(36)}_deadbeef_${made.toString(36)}_q_t${made.toString(36)}_0123abcd_ITEMS`;
    expect(nameStamp(name)).toBe(made);
  });

  it('is undefined for names uniqueName did not make', () => {
    for (const name of [
      'sv_ITEMS',
      'stagehook',
      'sh_demo',
      'OBJ_sv_documents',
      'e2e_ITEMS_0123abcd',
      // Another tool's time-and-random names, without uniqueName's marker.
      'a_mx5pz3co_0123abcd_ITEMS',
      'a_mx5pz3co_0123abcd',
      // The marker, but not a plausible time, or not its hex.
      'a_tzzzzzzzz_0123abcd_ITEMS',
      'a_tmx5pz3co_0123ABCD_ITEMS',
      'a_tmx5pz3co_0123abcdef',
    ]) {
      expect(nameStamp(name)).toBeUndefined();
    }
  });
});
