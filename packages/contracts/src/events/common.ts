import { IsString, Length, Matches, MaxLength } from 'class-validator';
import { applyDecorators } from './decorators.js';

/** Ids are opaque strings (UUIDs in practice) of bounded length and a safe alphabet. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;

export function IsId(): PropertyDecorator {
  return applyDecorators(IsString(), Length(1, 128), Matches(ID_PATTERN));
}

export function IsShortText(max = 500): PropertyDecorator {
  return applyDecorators(IsString(), MaxLength(max));
}
