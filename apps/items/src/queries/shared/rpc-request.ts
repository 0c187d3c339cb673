import { IsStreamVersion, type RpcError } from '@stagehook/contracts';
import { flattenValidationErrors, isDomainError } from '@stagehook/platform';
import { plainToInstance } from 'class-transformer';
import { IsOptional, IsString, IsUUID, Length, validateSync } from 'class-validator';
import { ItemsErrorCode } from '../../domain/errors.js';

/** What the items RPCs are asked: an item of a project, now or as of a version. */
export class ItemRequest {
  @IsString() @Length(1, 128) projectId!: string;
  @IsUUID() itemId!: string;
  @IsOptional() @IsStreamVersion() version?: number;
}

export function parse<T extends object>(cls: new () => T, body: unknown): T | RpcError {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, code: 'invalid_request', message: 'request must be an object' };
  const req = plainToInstance(cls, body);
  const errors = validateSync(req, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length === 0) return req;
  const fields = flattenValidationErrors(errors).map((f) => `${f.path}: ${f.messages.join(', ')}`);
  return { ok: false, code: 'invalid_request', message: fields.join('; ') };
}

/** Maps what a lookup threw onto the RPC's error codes; anything else is the responder's bug. */
export function rpcError(err: unknown): RpcError {
  if (isDomainError(err)) {
    if (err.code === ItemsErrorCode.ITEM_NOT_FOUND || err.code === 'NOT_FOUND') return { ok: false, code: 'not_found', message: err.message };
    if (err.code === ItemsErrorCode.VERSION_NOT_FOUND) return { ok: false, code: 'version_not_found', message: err.message };
  }
  throw err;
}
