import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Response } from 'express';
import { Public } from '@stagehook/platform';
import { CONSOLE_NATS } from './live.js';

/**
 * `GET /health`: 200 when NATS answers a flush round trip. The console's only dependency of its
 * own; the services behind the proxies have their own health, and following them here would
 * turn one service's outage into the console's.
 */
@Public()
@Controller('health')
export class HealthController {
  constructor(@Inject(CONSOLE_NATS) private readonly nc: NatsConnection) {}

  @Get()
  async check(@Res({ passthrough: true }) res: Response) {
    try {
      if (this.nc.isClosed()) throw new Error('connection is closed');
      await Promise.race([this.nc.flush(), new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), 2000).unref())]);
      return { status: 'ok', info: { nats: { status: 'up' } } };
    } catch (err) {
      res.status(503);
      return { status: 'error', error: { nats: { status: 'down', message: err instanceof Error ? err.message : String(err) } } };
    }
  }
}
