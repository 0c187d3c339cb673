import { describe, expect, it } from '@jest/globals';
import { AssertionError } from 'node:assert';
import { fold, given, Upcasting, type Decider } from '../src/index.js';

// A review visit, the smallest aggregate with a real rule: one verdict per visit.
type Command = { kind: 'approve' | 'reject'; visitId: string; by: string; at: string };
type Event =
  { type: 'test.review.entered'; data: { visitId: string } } | { type: 'test.review.approved' | 'test.review.rejected'; data: { visitId: string; by: string; at: string } };
type State = { visitId: string | null; decided: boolean };

class AlreadyReviewed extends Error {}
class NotInReview extends Error {}

const review: Decider<Command, Event, State> = {
  initialState: () => ({ visitId: null, decided: false }),
  evolve: (s, e) => {
    switch (e.type) {
      case 'test.review.entered':
        return { visitId: e.data.visitId, decided: false };
      case 'test.review.approved':
      case 'test.review.rejected':
        return { ...s, decided: true };
    }
  },
  decide: (c, s) => {
    if (s.visitId !== c.visitId) throw new NotInReview(`visit ${c.visitId} is not current`);
    if (s.decided) throw new AlreadyReviewed(`visit ${c.visitId} was already reviewed`);
    return [{ type: c.kind === 'approve' ? 'test.review.approved' : 'test.review.rejected', data: { visitId: c.visitId, by: c.by, at: c.at } }];
  },
};

const entered: Event = { type: 'test.review.entered', data: { visitId: 'v1' } };
const at = '2026-11-23T10:00:00.000Z';

describe('given / when / then', () => {
  it('approves the current visit', () => {
    given(review, [entered])
      .when({ kind: 'approve', visitId: 'v1', by: 'ann', at })
      .then([{ type: 'test.review.approved', data: { visitId: 'v1', by: 'ann', at } }]);
  });

  it('rejects a second review of the same visit', () => {
    given(review, [entered, { type: 'test.review.approved', data: { visitId: 'v1', by: 'ann', at } }])
      .when({ kind: 'reject', visitId: 'v1', by: 'bob', at })
      .thenThrows(AlreadyReviewed, /already reviewed/);
  });

  it('rejects a review of a visit that is no longer current', () => {
    given(review, [entered, { type: 'test.review.entered', data: { visitId: 'v2' } }])
      .when({ kind: 'approve', visitId: 'v1', by: 'ann', at })
      .thenThrows(NotInReview);
  });

  it('fails when decide returns other events than expected', () => {
    expect(() => given(review, [entered]).when({ kind: 'approve', visitId: 'v1', by: 'ann', at }).then([])).toThrow(AssertionError);
  });

  it('fails when decide does not throw as expected', () => {
    expect(() => given(review, [entered]).when({ kind: 'approve', visitId: 'v1', by: 'ann', at }).thenThrows(Error)).toThrow(AssertionError);
  });

  it('folds history into state', () => {
    expect(fold(review, [entered])).toEqual({ visitId: 'v1', decided: false });
  });
});

describe('Upcasting', () => {
  const up = new Upcasting({
    'test.renamed': {
      currentVersion: 3,
      upcasters: {
        1: (d) => ({ name: d.title }),
        2: (d) => ({ ...d, by: 'unknown' }),
      },
    },
  });

  it('chains upcasters from the stored version to the current one', () => {
    expect(up.upcast('test.renamed', 1, { title: 'Screws' })).toEqual({ version: 3, data: { name: 'Screws', by: 'unknown' } });
    expect(up.upcast('test.renamed', 3, { name: 'Nuts', by: 'ann' })).toEqual({ version: 3, data: { name: 'Nuts', by: 'ann' } });
  });

  it('refuses data newer than the code', () => {
    expect(() => up.upcast('test.renamed', 4, {})).toThrow(/newer than this code knows/);
  });

  it('takes catalog event versions from the contracts', () => {
    expect(up.currentVersion('workflow.stage.entered')).toBe(1);
    expect(up.currentVersion('some.unknown.event')).toBe(1);
  });
});
