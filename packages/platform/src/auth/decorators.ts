import { applyDecorators, createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import type { PlatformRequest } from '../http/request.js';
import { tokenScopes, type TokenActor } from './token.js';

export const IS_PUBLIC = 'stagehook:public';
/** OpenAPI marker read when the document is built: public operations get `security: []`. */
export const OPENAPI_PUBLIC_EXTENSION = 'x-stagehook-public';

/**
 * Opens a route or a whole controller to callers without a token. Every other route requires a
 * valid project token: protection is the default, so a forgotten decorator fails closed.
 */
export function Public(): ClassDecorator & MethodDecorator {
  return applyDecorators(SetMetadata(IS_PUBLIC, true), ApiExtension(OPENAPI_PUBLIC_EXTENSION, true));
}

/**
 * The project id of the verified token. Only meaningful on protected routes; on a `@Public()`
 * route it is a programming error and answers 500.
 */
export const ProjectId = createParamDecorator((_data: unknown, ctx: ExecutionContext): string => {
  const req = ctx.switchToHttp().getRequest<PlatformRequest>();
  if (!req.auth) throw new Error('@ProjectId() used on a route without a verified token (is it @Public()?)');
  return req.auth.sub;
});

/** The request id (honoured from `x-request-id` or generated), to pass on as a correlation id. */
export const RequestId = createParamDecorator((_data: unknown, ctx: ExecutionContext): string | undefined => {
  return ctx.switchToHttp().getRequest<PlatformRequest>().requestId;
});

/** Who acts with the verified token (`act`), or undefined for a project-only token. */
export const Actor = createParamDecorator((_data: unknown, ctx: ExecutionContext): TokenActor | undefined => {
  const req = ctx.switchToHttp().getRequest<PlatformRequest>();
  if (!req.auth) throw new Error('@Actor() used on a route without a verified token (is it @Public()?)');
  return req.auth.act;
});

/** The scopes of the verified token (`scope` claim), empty for a token that has none. */
export const Scopes = createParamDecorator((_data: unknown, ctx: ExecutionContext): string[] => {
  const req = ctx.switchToHttp().getRequest<PlatformRequest>();
  if (!req.auth) throw new Error('@Scopes() used on a route without a verified token (is it @Public()?)');
  return tokenScopes(req.auth);
});
