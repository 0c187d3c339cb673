import { Injectable } from '@nestjs/common';
import { DeliveryInProgressError, DeliveryNotFoundError } from '../../domain/errors.js';
import { DeliveryQueue } from '../../persistence/delivery-queue.repository.js';
import { DeliveryReadRepository } from '../../persistence/delivery-read.repository.js';
import { DispatcherHost } from '../attempt-delivery/dispatcher.host.js';

/** A delivery that ended (delivered or failed) is queued for one more attempt now. */
@Injectable()
export class RedeliverHandler {
  constructor(
    private readonly reads: DeliveryReadRepository,
    private readonly queue: DeliveryQueue,
    private readonly host: DispatcherHost,
  ) {}

  async handle(projectId: string, id: string): Promise<void> {
    const d = await this.reads.get(id);
    if (!d || d.projectId !== projectId) throw new DeliveryNotFoundError(id);
    // Not queued: pending (it cannot be redelivered until it ends), or gone meanwhile.
    if (!(await this.queue.redeliver(id))) {
      if (await this.reads.get(id)) throw new DeliveryInProgressError(id);
      throw new DeliveryNotFoundError(id);
    }
    this.host.dispatcher.wake();
  }
}
