import type { NatsConnection } from '@nats-io/nats-core';
import { jetstreamManager } from '@nats-io/jetstream';
import { Objm, type ObjectStore } from '@nats-io/obj';
import type { BusNamespace, DocumentRef } from '@stagehook/contracts';

/** A document above the reader's bound: the caller fails the work (e.g. `payload_too_large`), it does not retry. */
export class DocumentTooLargeError extends Error {
  constructor(
    readonly bytes: number,
    readonly maxBytes: number,
  ) {
    super(`the document is ${bytes} bytes; at most ${maxBytes} are accepted`);
    this.name = 'DocumentTooLargeError';
  }
}

/** The document a reference names is gone (expired or never written): not an outage. */
export class DocumentMissingError extends Error {
  constructor(readonly docName: string) {
    super(`document ${docName} is not in the document store`);
    this.name = 'DocumentMissingError';
  }
}

export interface DocumentStoreOptions {
  /** How long a document is kept; readers must fetch it within this. Default 24 h. */
  ttlMs?: number;
  /**
   * Bound on the bucket's size. When it is full, new documents are refused until old ones expire
   * (the object store discards new, never old). Default 1 GiB. JetStream reserves it on the server
   * when the bucket is made. Given explicitly, a writer also brings an existing bucket to it.
   */
  maxBytes?: number;
  /**
   * JetStream replicas of the bucket (3 on a three-node cluster). Default 1 when this writer makes
   * it; given explicitly, a writer also brings an existing bucket to it.
   */
  replicas?: number;
}

/**
 * Documents too big for one NATS message (NATS's max_payload is 1 MiB by default; a Darwin export
 * of an item with 10,000 annotations is several MiB), handed from a responder to its requester:
 * the responder `put`s the document under a name that identifies its content for good (e.g. an
 * item at a stream version) and replies with the `DocumentRef`; the requester `get`s it in chunks.
 * Backed by a JetStream object store (chunked, digest-checked), so it needs nothing but the bus.
 * WIRE NAME: the bucket `documents` (namespaced); its objects expire after `ttlMs`.
 */
export class DocumentStore {
  #store: Promise<ObjectStore> | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly namespace: BusNamespace,
    private readonly opts: DocumentStoreOptions = {},
  ) {}

  get bucket(): string {
    return this.namespace.durable('documents');
  }

  /** Stores `data` under `name` unless a document of that name is already there (names are immutable). */
  async put(name: string, data: Uint8Array): Promise<DocumentRef> {
    const store = await this.#open();
    const existing = await store.info(name);
    if (existing && !existing.deleted && existing.size === data.byteLength) return { name, bytes: existing.size };
    const info = await store.putBlob({ name }, data);
    return { name, bytes: info.size };
  }

  /** Reads a document, refusing one above `maxBytes` before reading its chunks. */
  async get(ref: DocumentRef, { maxBytes }: { maxBytes: number }): Promise<Uint8Array> {
    if (ref.bytes > maxBytes) throw new DocumentTooLargeError(ref.bytes, maxBytes);
    const store = await this.#openExisting(ref.name);
    const info = await store.info(ref.name);
    if (!info || info.deleted) throw new DocumentMissingError(ref.name);
    if (info.size > maxBytes) throw new DocumentTooLargeError(info.size, maxBytes);
    const data = await store.getBlob(ref.name);
    if (!data) throw new DocumentMissingError(ref.name);
    return data;
  }

  /** A reader only opens the bucket: a reference exists only once its writer created it (with its bounds). */
  async #openExisting(docName: string): Promise<ObjectStore> {
    if (this.#store) return this.#store;
    try {
      return await new Objm(this.nc).open(this.bucket);
    } catch (err) {
      if (/not found/i.test(String((err as Error).message))) throw new DocumentMissingError(docName);
      throw err;
    }
  }

  #open(): Promise<ObjectStore> {
    // Created on first write; a failed create is tried again next time.
    this.#store ??= new Objm(this.nc)
      .create(this.bucket, {
        description: 'Documents too big for one NATS message (Darwin exports, write-back answers), by immutable name',
        ttl: (this.opts.ttlMs ?? 24 * 3600_000) * 1_000_000,
        max_bytes: this.opts.maxBytes ?? 1024 ** 3,
        replicas: this.opts.replicas ?? 1,
      })
      .then(async (store) => {
        await this.#bringToBounds();
        return store;
      })
      .catch((err: unknown) => {
        this.#store = undefined;
        throw err;
      });
    return this.#store;
  }

  /**
   * `create` leaves an existing bucket as it is: one made earlier with other bounds (by a writer
   * without options, or before the config changed) is brought to the bounds given explicitly here.
   * Safe to scale: the bucket has no durable consumers, only the ordered ones of reads.
   */
  async #bringToBounds(): Promise<void> {
    const { maxBytes, replicas } = this.opts;
    if (maxBytes === undefined && replicas === undefined) return;
    const jsm = await jetstreamManager(this.nc);
    const name = `OBJ_${this.bucket}`;
    const have = (await jsm.streams.info(name)).config;
    const drifted = (maxBytes !== undefined && have.max_bytes !== maxBytes) || (replicas !== undefined && have.num_replicas !== replicas);
    if (drifted) await jsm.streams.update(name, { max_bytes: maxBytes ?? have.max_bytes, num_replicas: replicas ?? have.num_replicas });
  }
}
