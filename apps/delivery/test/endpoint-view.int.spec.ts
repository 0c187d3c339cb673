import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { EndpointStateData } from '@stagehook/contracts';
import { TestReceiver, until } from '@stagehook/testing';
import { randomUUID } from 'node:crypto';
import { EndpointReadRepository } from '../src/persistence/endpoint-read.repository.js';
import { EndpointRepository } from '../src/persistence/endpoint.repository.js';
import { Harness, whsec } from './support/harness.js';

const P = 'proj-view';

/**
 * The delivery-endpoints consumer against real JetStream: events published out of their stream
 * order, as a retried relay publish, a nak or another replica can deliver them.
 */
describe('endpoint view', () => {
  const h = new Harness('epview');
  let app: NestExpressApplication;
  let rx: TestReceiver;
  let repo: EndpointRepository;
  let reads: EndpointReadRepository;

  beforeAll(async () => {
    await h.setUp();
    rx = await TestReceiver.start();
    app = await h.boot();
    repo = app.get(EndpointRepository);
    reads = app.get(EndpointReadRepository);
  });

  afterAll(async () => {
    await h.tearDown();
    await rx.close();
  });

  function state(endpointId: string, over: Partial<EndpointStateData> = {}): EndpointStateData {
    return {
      endpointId,
      projectId: P,
      name: 'view test',
      url: `${rx.url}/${endpointId}`,
      eventTypes: [],
      filters: {},
      includeAnnotations: false,
      timeoutMs: 5_000,
      retryPolicy: null,
      headers: [],
      active: true,
      disabledReason: null,
      authorization: null,
      signingSecrets: { current: h.box.seal(whsec()), previous: null },
      at: new Date().toISOString(),
      ...over,
    };
  }

  const at = () => new Date().toISOString();
  const stream = (id: string) => `endpoint-${id}`;
  const newId = () => `ep_${randomUUID().slice(0, 8)}`;
  /** Handled by the consumer (its idempotency record is committed with its effect). */
  const handled = (eventId: string) =>
    until(async () => (await h.query(`SELECT 1 FROM msg_handled WHERE consumer = 'delivery-endpoints' AND event_id = $1`, [eventId])).length > 0, {
      message: `event ${eventId} handled`,
    });

  it('keeps a newer secret rotation when an older endpoint.updated is stored after it, and still takes the update', async () => {
    const id = newId();
    const rotated = { current: h.box.seal(whsec()), previous: null };
    await handled(await h.publish('webhook.endpoint.registered', state(id), P, stream(id), 1));
    await handled(await h.publish('webhook.endpoint.secret.rotated', { endpointId: id, projectId: P, signingSecrets: rotated, at: at() }, P, stream(id), 3));
    // Version 2 reaches the stream after version 3 (a publish retried after a failure).
    await handled(await h.publish('webhook.endpoint.updated', state(id, { name: 'renamed at v2' }), P, stream(id), 2));
    const ep = await reads.get(id);
    expect(ep?.state.signingSecrets).toEqual(rotated);
    expect(ep?.state.name).toBe('renamed at v2');
    expect(ep?.deliverable).toBe(true);

    // An older full state redelivered after everything changes nothing.
    await handled(await h.publish('webhook.endpoint.registered', state(id, { name: 'v1 again' }), P, stream(id), 1));
    expect((await reads.get(id))?.state.name).toBe('renamed at v2');
  });

  it('keeps a disable that arrives before the registration', async () => {
    const id = newId();
    await handled(await h.publish('webhook.endpoint.disabled', { endpointId: id, projectId: P, reason: 'owner paused it', at: at() }, P, stream(id), 2));
    // Not an endpoint yet: matching and the API do not see it.
    expect(await reads.get(id)).toBeNull();
    expect((await reads.listForProject(P)).map((e) => e.id)).not.toContain(id);
    await handled(await h.publish('webhook.endpoint.registered', state(id), P, stream(id), 1));
    const ep = await reads.get(id);
    expect(ep?.state).toMatchObject({ active: false, disabledReason: 'owner paused it', url: `${rx.url}/${id}` });
    expect(ep?.deliverable).toBe(false);
  });

  it('reports an older status than the one held as stale, so a replayed enable cannot end a later disable', async () => {
    const id = newId();
    await repo.upsertState(state(id), { version: 1 });
    expect(await repo.setStatus({ endpointId: id, projectId: P }, { active: false, disabledReason: 'paused' }, { version: 3 })).toBe('applied');
    expect(await repo.setStatus({ endpointId: id, projectId: P }, { active: true, disabledReason: null }, { version: 2 })).toBe('stale');
    expect((await reads.get(id))?.state).toMatchObject({ active: false, disabledReason: 'paused' });
  });

  it('keeps a rotation and a deletion that arrive before the registration: a late registration does not bring a deleted endpoint back', async () => {
    const rotatedFirst = newId();
    const rotated = { current: h.box.seal(whsec()), previous: null };
    await handled(await h.publish('webhook.endpoint.secret.rotated', { endpointId: rotatedFirst, projectId: P, signingSecrets: rotated, at: at() }, P, stream(rotatedFirst), 2));
    await handled(await h.publish('webhook.endpoint.registered', state(rotatedFirst), P, stream(rotatedFirst), 1));
    expect((await reads.get(rotatedFirst))?.state.signingSecrets).toEqual(rotated);

    const deletedFirst = newId();
    await handled(await h.publish('webhook.endpoint.deleted', { endpointId: deletedFirst, projectId: P, at: at() }, P, stream(deletedFirst), 2));
    await handled(await h.publish('webhook.endpoint.registered', state(deletedFirst, { eventTypes: ['item.status.changed'] }), P, stream(deletedFirst), 1));
    expect((await reads.listForProject(P)).map((e) => e.id)).not.toContain(deletedFirst);
    expect((await reads.get(deletedFirst))?.deliverable).toBe(false);
  });

  it('reports an unversioned patch for an endpoint not registered yet as missing (the consumer retries it), and applies it once registered', async () => {
    // Events published before the relay stamped versions can only be ordered by JetStream
    // sequence; one that comes before its registration cannot be placed, so it must wait.
    const id = newId();
    expect(await repo.setStatus({ endpointId: id, projectId: P }, { active: false, disabledReason: 'legacy' }, { seq: 7 })).toBe('missing');
    expect(await h.query(`SELECT 1 FROM dl_endpoints WHERE id = $1`, [id])).toEqual([]);
    await repo.upsertState(state(id), { seq: 5 });
    expect(await repo.setStatus({ endpointId: id, projectId: P }, { active: false, disabledReason: 'legacy' }, { seq: 7 })).toBe('applied');
    expect(await repo.setStatus({ endpointId: id, projectId: P }, { active: true, disabledReason: null }, { seq: 6 })).toBe('stale');
    expect((await reads.get(id))?.state).toMatchObject({ active: false, disabledReason: 'legacy' });
    // The first versioned event is newer than every unversioned one.
    await repo.upsertState(state(id, { name: 'v9' }), { version: 9 });
    expect((await reads.get(id))?.state).toMatchObject({ active: true, name: 'v9' });
    expect(await repo.setStatus({ endpointId: id, projectId: P }, { active: false, disabledReason: 'late legacy' }, { seq: 8 })).toBe('stale');
  });
});
