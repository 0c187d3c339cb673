import { Injectable } from '@nestjs/common';
import { newEvent } from '@stagehook/contracts';
import { EventStore } from '@stagehook/event-store';
import { BaseConfig } from '@stagehook/platform';
import { DataSource } from 'typeorm';
import type { EndpointView } from '../persistence/endpoint.repository.js';
import { returning } from '../persistence/sql.js';

/** Clears delivery's own disable and queues again every delivery that failed while disabled. */
@Injectable()
export class ReenableEndpoint {
  constructor(
    private readonly ds: DataSource,
    private readonly store: EventStore,
    private readonly config: BaseConfig,
  ) {}

  async run(ep: EndpointView): Promise<number> {
    return this.ds.transaction(async (m) => {
      const rows: { was: Date | null }[] = await m.query(
        `SELECT disabled_at AS was FROM dl_endpoints WHERE id = $1 FOR UPDATE`,
        [ep.id],
      );
      const was = rows[0]?.was ?? null;
      if (was === null) return 0;
      await m.query(`UPDATE dl_endpoints SET disabled_at = NULL, disabled_reason = NULL, failing_since = NULL, updated_at = now() WHERE id = $1`, [ep.id]);
      // Replay what failed without an attempt because the endpoint was disabled (the delivery
      // that got the 410 itself was answered; recover it explicitly if wanted).
      const replayed: unknown[] = await returning(m, 
        `UPDATE dl_deliveries SET status = 'pending', max_attempts = attempts + 1, next_attempt_at = now(), completed_at = NULL, updated_at = now()
         WHERE endpoint_id = $1 AND status = 'failed' AND completed_at >= $2 AND last_error LIKE 'endpoint disabled%' RETURNING id`,
        [ep.id, was],
      );
      await this.store.append(
        `endpoint-${ep.id}`,
        'any',
        [newEvent('delivery.endpoint.enabled', { endpointId: ep.id, projectId: ep.projectId, replayed: replayed.length, at: new Date().toISOString() }, { source: this.config.SERVICE_NAME, projectId: ep.projectId })],
        { manager: m, streamType: 'endpoint' },
      );
      return replayed.length;
    });
  }
}
