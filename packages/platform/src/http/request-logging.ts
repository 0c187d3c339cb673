import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import type { MetricsService } from '../metrics/metrics.service.js';
import { REQUEST_ID_HEADER, requestIdFrom, routeTemplate, type PlatformRequest } from './request.js';

export interface RequestLoggingOptions {
  logger: Logger;
  metrics: MetricsService;
  /** Routes polled by probes and scrapers: logged at debug so they do not drown the rest. */
  quietRoutes?: readonly string[];
}

/**
 * First middleware in the chain, so requests that fail in the body parser are logged and
 * measured too. Logs method, route template, status, duration and request id — never headers,
 * bodies or the raw URL (its query string can carry anything).
 */
export function requestLogging({ logger, metrics, quietRoutes = ['/health', '/metrics'] }: RequestLoggingOptions) {
  const quiet = new Set(quietRoutes);
  const log = logger.child({ component: 'http' });
  return function requestLoggingMiddleware(request: Request, res: Response, next: NextFunction): void {
    const req = request as PlatformRequest;
    const started = process.hrtime.bigint();
    const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
    req.requestId = requestId;
    res.setHeader(REQUEST_ID_HEADER, requestId);
    metrics.httpRequestsInFlight.inc();

    let done = false;
    const finish = (aborted: boolean) => {
      if (done) return;
      done = true;
      metrics.httpRequestsInFlight.dec();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeTemplate(req);
      // A client that went away before the answer has no status; 499 is the usual convention.
      const status = aborted ? 499 : res.statusCode;
      metrics.httpRequestDuration.observe({ method: req.method, route, status_code: status }, seconds);
      const fields = { requestId, method: req.method, route, status, durationMs: Math.round(seconds * 1e6) / 1e3 };
      if (status >= 500) log.warn(fields, 'request failed');
      else if (quiet.has(route)) log.debug(fields, 'request');
      else log.info(fields, 'request');
    };
    res.once('finish', () => finish(false));
    res.once('close', () => finish(!res.writableFinished));
    next();
  };
}
