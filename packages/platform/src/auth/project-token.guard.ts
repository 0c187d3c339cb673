import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Response } from 'express';
import { BaseConfig } from '../config/base-config.js';
import { UnauthorizedError } from '../errors/domain-error.js';
import type { PlatformRequest } from '../http/request.js';
import { IS_PUBLIC } from './decorators.js';
import { ProjectTokenVerifier, type TokenFailure } from './token.js';

const MESSAGES: Record<TokenFailure, string> = {
  malformed: 'Bearer token is malformed',
  unsupported_alg: 'Bearer token algorithm is not accepted',
  bad_signature: 'Bearer token is invalid',
  expired: 'Bearer token has expired',
  not_yet_valid: 'Bearer token is not valid yet',
};

/**
 * Global guard: every HTTP route needs a valid project token unless it is `@Public()`. On
 * success the claims are on `req.auth` and `@ProjectId()` reads them.
 */
@Injectable()
export class ProjectTokenGuard implements CanActivate {
  /** A client sends the same token request after request: its HMAC is checked once. */
  private readonly tokens: ProjectTokenVerifier;

  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(BaseConfig) config: BaseConfig,
  ) {
    this.tokens = new ProjectTokenVerifier(config.AUTH_TOKEN_SECRETS);
  }

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;

    const req = context.switchToHttp().getRequest<PlatformRequest>();
    const res = context.switchToHttp().getResponse<Response>();
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer[ ]+([^\s]+)[ ]*$/i.exec(header) : null;
    if (!match) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="stagehook"');
      throw new UnauthorizedError(header === undefined ? 'Bearer token is missing' : 'Authorization header must be "Bearer <token>"');
    }
    const result = this.tokens.verify(match[1]);
    if (!result.ok) {
      res.setHeader('WWW-Authenticate', `Bearer realm="stagehook", error="invalid_token", error_description="${MESSAGES[result.failure]}"`);
      throw new UnauthorizedError(MESSAGES[result.failure]);
    }
    req.auth = result.claims;
    return true;
  }
}
