import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { type PlatformRequest, Public, UnauthorizedError, verifyProjectToken } from '@stagehook/platform';
import { ConsoleConfig } from './config.js';
import { LiveFeed } from './live.js';

/**
 * `GET /api/live`: Server-Sent Events of the signed-in project's events. The token comes in the
 * Authorization header (the SPA reads the stream with fetch, not EventSource, so the token never
 * goes into a URL) and is verified with the services' own keys and rules.
 */
@Public()
@Controller('api/live')
export class LiveController {
  private readonly open = new Set<Response>();

  constructor(
    @Inject(LiveFeed) private readonly feed: LiveFeed,
    @Inject(ConsoleConfig) private readonly config: ConsoleConfig,
  ) {}

  @Get()
  stream(@Req() req: Request, @Res() res: Response): void {
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer[ ]+([^\s]+)[ ]*$/i.exec(header) : null;
    if (!match) throw new UnauthorizedError('Bearer token is missing');
    const result = verifyProjectToken(match[1], this.config.AUTH_TOKEN_SECRETS);
    if (!result.ok) throw new UnauthorizedError(result.message);
    (req as PlatformRequest).auth = result.claims;

    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.write(`event: ready\ndata: ${JSON.stringify({ projectId: result.claims.sub })}\n\n`);

    const unsubscribe = this.feed.subscribe(result.claims.sub, (event) => {
      res.write(`id: ${event.id}\nevent: message\ndata: ${JSON.stringify(event)}\n\n`);
    });
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), this.config.LIVE_HEARTBEAT_MS);
    // The stream ends with the token: the browser reconnects with a fresh one.
    const expiresIn = Math.max(0, result.claims.exp * 1000 - Date.now());
    const expiry = setTimeout(() => res.end(), Math.min(expiresIn, 2 ** 31 - 1));
    this.open.add(res);
    res.once('close', () => {
      clearInterval(heartbeat);
      clearTimeout(expiry);
      unsubscribe();
      this.open.delete(res);
    });
  }

  /** Ends every stream, so a shutdown's drain is not held by connections that never finish. */
  endAll(): void {
    for (const res of this.open) res.end();
  }
}
