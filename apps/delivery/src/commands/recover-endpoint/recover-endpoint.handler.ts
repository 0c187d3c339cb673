import { Injectable } from '@nestjs/common';
import { EndpointNotFoundError } from '../../domain/errors.js';
import { DeliveryQueue } from '../../persistence/delivery-queue.repository.js';
import { EndpointReadRepository } from '../../persistence/endpoint-read.repository.js';
import { DispatcherHost } from '../attempt-delivery/dispatcher.host.js';

/** Every failed delivery of an endpoint created since a time gets one more attempt now; how many. */
@Injectable()
export class RecoverEndpointHandler {
  constructor(
    private readonly endpoints: EndpointReadRepository,
    private readonly queue: DeliveryQueue,
    private readonly host: DispatcherHost,
  ) {}

  async handle(projectId: string, endpointId: string, since: Date): Promise<number> {
    const ep = await this.endpoints.get(endpointId);
    if (!ep || ep.projectId !== projectId) throw new EndpointNotFoundError(endpointId);
    const queued = await this.queue.recoverFailed(endpointId, since);
    this.host.dispatcher.wake();
    return queued;
  }
}
