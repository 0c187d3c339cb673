/**
 * Request/reply between services over core NATS, for the few places where an event is not
 * enough (a reply is needed now). Subjects are namespaced like events (`BusNamespace.subject`);
 * responders subscribe with the owning service's name as queue group so replicas share the load.
 * WIRE NAMES: subjects and reply shapes never change without a migration.
 *
 * Subjects end in the wire's version. `.v2` is `@nestjs/microservices`' NATS packets (request
 * `{ pattern, data, id }`, reply `{ id, response, isDisposed }`); v1 was the bare JSON. A new
 * version gets new subjects, so while a rolling upgrade runs old and new replicas side by side
 * a request finds no responder of the other version — the caller waits (a consumer in place, an
 * HTTP request 503) — instead of a responder misreading it as invalid and a stage delivery
 * failing for it.
 */
export type RpcReply<T> = ({ ok: true } & T) | RpcError;

export interface RpcError {
  ok: false;
  /** `not_found`, `version_not_found`, `invalid_request`, `unavailable`, … */
  code: string;
  message: string;
}

export interface RpcSpec<Req, Res> {
  readonly subject: string;
  /** Phantom fields carrying the request and reply types; never set at runtime. */
  readonly request?: Req;
  readonly reply?: RpcReply<Res>;
}

export function rpcSpec<Req, Res>(subject: string): RpcSpec<Req, Res> {
  return { subject };
}

export type RpcRequestOf<S> = S extends RpcSpec<infer Req, unknown> ? Req : never;
export type RpcReplyOf<S> = S extends RpcSpec<unknown, infer Res> ? RpcReply<Res> : never;

/**
 * Where a document too big for one NATS message waits for its reader: an object of the bus's
 * document store (a JetStream object store), immutable under its name. Replies carry this instead
 * of the document; the reader fetches it with `DocumentStore.get` (packages/messaging).
 */
export interface DocumentRef {
  name: string;
  /** Size of the stored document in bytes (UTF-8 JSON). */
  bytes: number;
}
