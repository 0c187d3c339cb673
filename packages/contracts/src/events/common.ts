import { IsInt, IsString, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import { applyDecorators } from './decorators.js';

/** Ids are opaque strings (UUIDs in practice) of bounded length and a safe alphabet. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;

export function IsId(): PropertyDecorator {
  return applyDecorators(IsString(), Length(1, 128), Matches(ID_PATTERN));
}

/** Stream versions are PostgreSQL integers: anything larger can never name a version. */
export const MAX_STREAM_VERSION = 2_147_483_647;

/** A stream version: an integer from `min` (1, or 0 where "none yet" is meant) to MAX_STREAM_VERSION. */
export function IsStreamVersion(min: 0 | 1 = 1): PropertyDecorator {
  return applyDecorators(IsInt(), Min(min), Max(MAX_STREAM_VERSION));
}

export function IsShortText(max = 500): PropertyDecorator {
  return applyDecorators(IsString(), MaxLength(max));
}
