import { Catch, Logger, UseFilters, type ArgumentsHost, type RpcExceptionFilter } from '@nestjs/common';
import { MessagePattern, Payload, Transport } from '@nestjs/microservices';
import type { RpcError, RpcReplyOf, RpcSpec } from '@stagehook/contracts';
import { of, type Observable } from 'rxjs';

/**
 * A thrown handler error becomes the reply `{ ok: false, code: 'internal' }` (logged here with
 * the subject), so the caller hears at once instead of waiting out its timeout, and learns no
 * more than that the responder failed.
 */
@Catch()
export class RpcInternalErrorReply implements RpcExceptionFilter<unknown> {
  private readonly logger = new Logger('rpc');

  catch(exception: unknown, host: ArgumentsHost): Observable<RpcError> {
    const [, ctx] = host.getArgs<[unknown, { getSubject?: () => string } | undefined]>();
    this.logger.error({ err: exception, subject: ctx?.getSubject?.() }, 'rpc handler failed');
    return of({ ok: false, code: 'internal', message: 'the responder failed; see its logs' });
  }
}

/**
 * The method answers requests of `spec` (a `@MessagePattern` of Nest's NATS transport, served by
 * NatsRpcServer under the service's bus namespace). It gets the request's data as it came — its
 * own check turns a bad one into `invalid_request` — and returns the reply; a throw replies
 * `internal`. `queue` overrides the service's queue group.
 */
export function OnRequest<S extends RpcSpec<unknown, unknown>>(spec: S, { queue }: { queue?: string } = {}) {
  return <M extends (request: unknown) => Promise<RpcReplyOf<S>>>(target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<M>): void => {
    MessagePattern(spec.subject, Transport.NATS, queue ? { queue } : {})(target, key, descriptor);
    Payload()(target, key, 0);
    UseFilters(RpcInternalErrorReply)(target, key, descriptor);
  };
}
