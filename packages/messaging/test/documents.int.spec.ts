import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NatsConnection } from '@nats-io/nats-core';
import type { JetStreamManager } from '@nats-io/jetstream';
import { BusNamespace } from '@stagehook/contracts';
import { connectTestNats, deleteNamespace, uniqueName } from '@stagehook/testing';
import { DocumentMissingError, DocumentStore, DocumentTooLargeError } from '../src/index.js';

describe('DocumentStore', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const ns = new BusNamespace(uniqueName('docs'));

  beforeAll(async () => {
    ({ nc, jsm } = await connectTestNats());
  });
  afterAll(async () => {
    await deleteNamespace(jsm, ns.prefix);
    await nc.drain();
  });

  it('hands a document many times max_payload from one connection to another, intact', async () => {
    const writer = new DocumentStore(nc, ns);
    const doc = randomBytes(6 * nc.info!.max_payload);
    const ref = await writer.put('darwin/p/item/7', doc);
    expect(ref).toEqual({ name: 'darwin/p/item/7', bytes: doc.byteLength });
    const { nc: other } = await connectTestNats();
    try {
      const read = await new DocumentStore(other, ns).get(ref, { maxBytes: 64 * 1024 * 1024 });
      expect(Buffer.from(read).equals(doc)).toBe(true);
    } finally {
      await other.drain();
    }
    // Names are immutable: a second put of the same name keeps the first document.
    await expect(writer.put('darwin/p/item/7', doc)).resolves.toEqual(ref);
  });

  it('refuses a document above the reader bound and names a missing one', async () => {
    const store = new DocumentStore(nc, ns);
    const ref = await store.put('big', randomBytes(300_000));
    await expect(store.get(ref, { maxBytes: 100_000 })).rejects.toBeInstanceOf(DocumentTooLargeError);
    // A reference that understates the size is checked against what is stored.
    await expect(store.get({ ...ref, bytes: 10 }, { maxBytes: 100_000 })).rejects.toBeInstanceOf(DocumentTooLargeError);
    await expect(store.get({ name: 'nope', bytes: 10 }, { maxBytes: 100_000 })).rejects.toBeInstanceOf(DocumentMissingError);
  });

  it('lets the writer set the bucket bound and never creates a bucket on read', async () => {
    const fresh = new BusNamespace(uniqueName('docs'));
    try {
      // A reader first: nothing to read, and no bucket (with a bound of its own choosing) made.
      await expect(new DocumentStore(nc, fresh).get({ name: 'x', bytes: 1 }, { maxBytes: 10 })).rejects.toBeInstanceOf(DocumentMissingError);
      await expect(jsm.streams.info(`OBJ_${new DocumentStore(nc, fresh).bucket}`)).rejects.toThrow(/not found/i);
      // JetStream reserves max_bytes on the server: the writer's bound is the one the bucket gets.
      await new DocumentStore(nc, fresh, { maxBytes: 8 * 1024 * 1024 }).put('a', randomBytes(10));
      const info = await jsm.streams.info(`OBJ_${new DocumentStore(nc, fresh).bucket}`);
      expect(info.config.max_bytes).toBe(8 * 1024 * 1024);
    } finally {
      await deleteNamespace(jsm, fresh.prefix);
    }
    const names: string[] = [];
    for await (const n of jsm.streams.names()) names.push(n);
    expect(names.filter((n) => n.includes(fresh.prefix))).toEqual([]);
  });

  it('brings a bucket made with other bounds to its own when it writes', async () => {
    // A writer without options made it first (as delivery did before it took the platform's
    // store): the next writer with the configured bound corrects it instead of living with it.
    const fresh = new BusNamespace(uniqueName('docs'));
    const bucket = `OBJ_${new DocumentStore(nc, fresh).bucket}`;
    try {
      await new DocumentStore(nc, fresh, { maxBytes: 8 * 1024 * 1024 }).put('a', randomBytes(10));
      await new DocumentStore(nc, fresh, { maxBytes: 16 * 1024 * 1024 }).put('b', randomBytes(10));
      expect((await jsm.streams.info(bucket)).config.max_bytes).toBe(16 * 1024 * 1024);
      // Documents written before stay readable.
      const store = new DocumentStore(nc, fresh);
      await expect(store.get({ name: 'a', bytes: 10 }, { maxBytes: 100 })).resolves.toHaveLength(10);
    } finally {
      await deleteNamespace(jsm, fresh.prefix);
    }
  });
});
