import { DependencyUnavailableError } from '../errors.js';

/**
 * No responder answered in time, or none is subscribed. A consumer handler that lets it through
 * waits for the responder in place (a DependencyUnavailableError); an HTTP handler answers 503.
 */
export class RpcUnavailableError extends DependencyUnavailableError {
  constructor(
    readonly subject: string,
    cause: unknown,
  ) {
    super(`the responder of ${subject}`, `no reply (${cause instanceof Error ? cause.message : String(cause)})`, { cause });
    this.name = 'RpcUnavailableError';
  }
}
