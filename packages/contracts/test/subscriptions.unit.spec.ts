import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { isValidSubscriptionPattern, matchesSubscription, SUBSCRIBABLE_EVENT_TYPES, unknownSubscriptionPatterns, type Subscription } from '../src/subscriptions.js';

const statusChanged = (to: string, from = 'new', extra: Record<string, unknown> = {}) => ({
  type: 'item.status.changed',
  data: { itemId: 'i1', datasetId: 'd1', projectId: 'p', from, to, ...extra },
});
const stageEntered = { type: 'workflow.stage.entered', data: { workflowId: 'w1', itemId: 'i1', stageId: 's1' } };
const sub = (eventTypes: string[], filters: Subscription['filters'] = {}): Subscription => ({ eventTypes, filters });

describe('subscription patterns', () => {
  it('offers only item and workflow events', () => {
    expect(SUBSCRIBABLE_EVENT_TYPES).toContain('item.status.changed');
    expect(SUBSCRIBABLE_EVENT_TYPES).toContain('workflow.stage.entered');
    expect(SUBSCRIBABLE_EVENT_TYPES.some((t) => t.startsWith('webhook.') || t.startsWith('delivery.'))).toBe(false);
  });

  it.each(['*', 'item.*', 'item.status.*', 'workflow.*', 'item.status.changed'])('accepts %s', (p) => {
    expect(isValidSubscriptionPattern(p)).toBe(true);
  });

  it.each(['item.status.chnged', 'webhook.*', 'delivery.webhook.failed', '*.changed', 'item.*.changed', '.*', 'nothing.*', ''])('refuses %s', (p) => {
    expect(isValidSubscriptionPattern(p)).toBe(false);
  });

  it('lists the unknown ones', () => {
    expect(unknownSubscriptionPatterns(['item.*', 'foo.bar', 'workflow.stage.entered', 'x.*'])).toEqual(['foo.bar', 'x.*']);
  });
});

describe('matchesSubscription', () => {
  it('matches exact types, prefix wildcards and *', () => {
    expect(matchesSubscription(sub(['item.status.changed']), statusChanged('done'))).toBe(true);
    expect(matchesSubscription(sub(['item.*']), statusChanged('done'))).toBe(true);
    expect(matchesSubscription(sub(['item.*']), stageEntered)).toBe(false);
    expect(matchesSubscription(sub(['*']), stageEntered)).toBe(true);
    expect(matchesSubscription(sub(['workflow.stage.left']), stageEntered)).toBe(false);
    expect(matchesSubscription(sub([]), stageEntered)).toBe(false);
  });

  it('never lets * reach internal events', () => {
    expect(matchesSubscription(sub(['*']), { type: 'webhook.endpoint.registered', data: {} })).toBe(false);
    expect(matchesSubscription(sub(['*']), { type: 'webhook.event.published', data: {} })).toBe(false);
    expect(matchesSubscription(sub(['*']), { type: 'delivery.webhook.failed', data: {} })).toBe(false);
  });

  it('lets * and wildcards over them reach registered custom types', () => {
    const custom = { type: 'model.training.completed', data: { runId: 'r1' } };
    expect(matchesSubscription(sub(['*']), custom)).toBe(true);
    expect(matchesSubscription(sub(['model.*']), custom)).toBe(true);
    expect(matchesSubscription(sub(['model.training.*']), custom)).toBe(true);
    expect(matchesSubscription(sub(['model.eval.*']), custom)).toBe(false);
    const known = [...SUBSCRIBABLE_EVENT_TYPES, 'model.training.completed'];
    expect(unknownSubscriptionPatterns(['model.*', 'model.training.completed', 'model.nope'], known)).toEqual(['model.nope']);
  });

  it('filters status changes by their to and from status', () => {
    const s = sub(['item.*'], { toStatuses: ['done', 'to_review'] });
    expect(matchesSubscription(s, statusChanged('done'))).toBe(true);
    expect(matchesSubscription(s, statusChanged('in_progress'))).toBe(false);
    const f = sub(['item.*'], { fromStatuses: ['to_review'] });
    expect(matchesSubscription(f, statusChanged('done', 'to_review'))).toBe(true);
    expect(matchesSubscription(f, statusChanged('done', 'new'))).toBe(false);
  });

  it('does not let a status filter silence events without a status', () => {
    expect(matchesSubscription(sub(['*'], { toStatuses: ['done'] }), stageEntered)).toBe(true);
  });

  it('filters by workflow and dataset', () => {
    expect(matchesSubscription(sub(['*'], { workflowIds: ['w2'] }), stageEntered)).toBe(false);
    expect(matchesSubscription(sub(['*'], { workflowIds: ['w1'] }), stageEntered)).toBe(true);
    expect(matchesSubscription(sub(['*'], { datasetIds: ['d1'] }), statusChanged('done'))).toBe(true);
    expect(matchesSubscription(sub(['*'], { datasetIds: ['d9'] }), statusChanged('done'))).toBe(false);
  });

  it('filters by item tags and refuses when the tags are unknown', () => {
    const s = sub(['item.status.changed'], { tags: ['cat', 'dog'] });
    expect(matchesSubscription(s, { ...statusChanged('done'), itemTags: ['dog'] })).toBe(true);
    expect(matchesSubscription(s, { ...statusChanged('done'), itemTags: ['bird'] })).toBe(false);
    expect(matchesSubscription(s, statusChanged('done'))).toBe(false);
  });

  it('requires every given filter to hold', () => {
    const s = sub(['item.*'], { toStatuses: ['done'], datasetIds: ['d1'], tags: ['cat'] });
    expect(matchesSubscription(s, { ...statusChanged('done'), itemTags: ['cat'] })).toBe(true);
    expect(matchesSubscription(s, { ...statusChanged('done', 'new', { datasetId: 'd2' }), itemTags: ['cat'] })).toBe(false);
  });
});
