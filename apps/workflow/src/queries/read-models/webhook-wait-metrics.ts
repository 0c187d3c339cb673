import { Injectable } from '@nestjs/common';
import { MetricsService } from '@stagehook/platform';
import { PositionsQueries } from '../../persistence/positions.queries.js';

/**
 * Items waiting for a delivery outcome: a growing count or age means the delivery service (or an
 * endpoint) is stuck, and items are not reaching review.
 */
@Injectable()
export class WebhookWaitMetrics {
  constructor(metrics: MetricsService, positions: PositionsQueries) {
    metrics.asyncGauge({
      name: 'stagehook_workflow_webhook_waiting_items',
      help: 'Items currently waiting in a webhook stage',
      collect: async () => (await positions.webhookWaitStats(new Date())).waiting,
    });
    metrics.asyncGauge({
      name: 'stagehook_workflow_webhook_oldest_wait_seconds',
      help: 'How long the longest-waiting item has been in a webhook stage',
      collect: async () => (await positions.webhookWaitStats(new Date())).oldestSeconds,
    });
  }
}
