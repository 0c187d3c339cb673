import { Controller, Get, Inject, Res, ServiceUnavailableException } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { HealthCheck, HealthCheckService, type HealthCheckResult, HealthIndicatorService } from '@nestjs/terminus';
import { ApiExcludeEndpoint, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { Public } from '../auth/decorators.js';
import { NATS_CONNECTION, type NatsConnection } from '../nats/nats.provider.js';

/** Injection token of the per-check timeout, in ms. */
export const HEALTH_CHECK_TIMEOUT_MS = 'STAGEHOOK_HEALTH_CHECK_TIMEOUT_MS';

/**
 * `GET /health`: 200 when PostgreSQL answers a query and NATS answers a flush round-trip, 503
 * naming the failed dependency otherwise. Only this service's own dependencies: a health check
 * that followed other services would cascade one outage into all of them.
 */
@Public()
@ApiTags('platform')
@Controller('health')
export class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(HealthIndicatorService) private readonly indicators: HealthIndicatorService,
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(HEALTH_CHECK_TIMEOUT_MS) private readonly timeoutMs: number,
  ) {}

  @Get()
  @HealthCheck()
  async check(@Res({ passthrough: true }) res: Response): Promise<HealthCheckResult> {
    try {
      return await this.health.check([() => this.database(), () => this.nats()]);
    } catch (err) {
      // Terminus throws its 503 with the per-check result as the body; answer it as is rather
      // than through the error filter, which would flatten away which check failed.
      if (err instanceof ServiceUnavailableException) {
        res.status(503);
        return err.getResponse() as HealthCheckResult;
      }
      throw err;
    }
  }

  /**
   * `GET /health/live`: 200 while the process serves HTTP, whatever its dependencies do. For
   * liveness probes: restarting a service because PostgreSQL or NATS blinked would only add a
   * cold start to the outage; `/health` (dependencies included) is for readiness. Left out of
   * the OpenAPI document (and so the SDK): it is for the orchestrator, not API clients.
   */
  @Get('live')
  @ApiExcludeEndpoint()
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  private database() {
    return this.indicators
      .check('database')
      .attempt(async () => {
        // Looked up per check: the DataSource belongs to the service's TypeOrmModule, which the
        // platform module must not import (services pass their own entities and migrations).
        const ds = this.dataSource();
        if (!ds) throw new Error('no TypeORM DataSource is configured');
        if (!ds.isInitialized) throw new Error('DataSource is not initialized');
        await ds.query('SELECT 1');
      })
      .withTimeout(this.timeoutMs);
  }

  private nats() {
    return this.indicators
      .check('nats')
      .attempt(async () => {
        if (this.nc.isClosed()) throw new Error('connection is closed');
        await this.nc.flush();
      })
      .withTimeout(this.timeoutMs);
  }

  private dataSource(): DataSource | undefined {
    try {
      return this.moduleRef.get(DataSource, { strict: false });
    } catch {
      return undefined;
    }
  }
}
