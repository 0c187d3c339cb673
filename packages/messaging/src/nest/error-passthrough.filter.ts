import { Catch, type ArgumentsHost, type RpcExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';

/**
 * Hands a handler's error to the consumer runner as it was thrown. Nest's default RPC filter
 * would replace it with `{ status: 'error', message: 'Internal server error' }`, and the runner
 * tells an outage (waited out in place) from a bug (retried, then dead-lettered with its message)
 * by the error itself. Every handler declared with OnEvent & co. has it (UseFilters on the method).
 */
@Catch()
export class RpcErrorPassthrough implements RpcExceptionFilter<unknown> {
  catch(exception: unknown, host: ArgumentsHost): Observable<never> {
    void host;
    return throwError(() => exception);
  }
}
