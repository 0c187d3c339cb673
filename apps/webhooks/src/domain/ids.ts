import { ID_PATTERN } from '@stagehook/contracts';

/** An id as requests over NATS must carry it (the HTTP DTOs check the same with class-validator). */
export const isId = (v: unknown): v is string => typeof v === 'string' && v.length <= 128 && ID_PATTERN.test(v);
